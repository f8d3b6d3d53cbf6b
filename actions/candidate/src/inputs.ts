import { booleanInput, githubTokenInput, indexCredentialsInput, input, optionalInput } from '@karoo/kit';
import { attestInputs } from '@karoo/kit/attest';
import { storeInputs } from '@karoo/kit/store';
import { INPUT } from './constants.js';
import type { CandidateInputs } from './run.js';

/** Every input of the action, read once; `attest: key` without a key is refused before anything runs. */
export function loadInputs(): CandidateInputs {
  return {
    config: input(INPUT.config, { default: 'karoo.yml' }),
    store: storeInputs(),
    comment: booleanInput(INPUT.comment, true),
    baseRef: optionalInput(INPUT.baseRef),
    index: indexCredentialsInput(),
    cache: booleanInput(INPUT.cache, false),
    attest: attestInputs(),
    environment: optionalInput(INPUT.environment),
    acceptance: booleanInput(INPUT.acceptance, false),
    attestations: booleanInput(INPUT.attestations, false),
    key: optionalInput(INPUT.key),
    githubToken: githubTokenInput(),
  };
}
