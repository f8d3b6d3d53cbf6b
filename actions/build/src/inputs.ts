import { booleanInput, indexCredentialsInput, input, listInput, optionalInput } from '@karoo/kit';
import { storeInputs } from '@karoo/kit/store';
import { INPUT } from './constants.js';
import type { BuildInputs } from './run.js';

/** Every input of the action, read once. */
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
    attestKey: optionalInput(INPUT.attestKey),
    attestKeyless: booleanInput(INPUT.attestKeyless, false),
  };
}
