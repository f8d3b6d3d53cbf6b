import { booleanInput, indexCredentialsInput, input, listInput, optionalInput } from '@karoo/kit';
import { attestInputs } from '@karoo/kit/attest';
import { storeInputs } from '@karoo/kit/store';
import { INPUT } from './constants.js';
import type { BuildInputs } from './run.js';

/** Every input of the action, read once; `attest: key` without a key is refused before anything is built. */
export function loadInputs(): BuildInputs {
  return {
    config: input(INPUT.config, { default: 'karoo.yml' }),
    lock: optionalInput(INPUT.lock),
    system: optionalInput(INPUT.system),
    store: storeInputs(),
    tag: optionalInput(INPUT.tag),
    githubToken: optionalInput(INPUT.githubToken),
    mountFrom: listInput(INPUT.mountFrom),
    cache: booleanInput(INPUT.cache, false),
    index: indexCredentialsInput(),
    provenance: booleanInput(INPUT.provenance, true),
    attest: attestInputs(),
    lookForEvidence: booleanInput(INPUT.lookForEvidence, false),
    environment: optionalInput(INPUT.environment),
  };
}
