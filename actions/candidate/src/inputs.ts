import { booleanInput, githubTokenInput, indexCredentialsInput, input, optionalInput } from '@karoo/kit';
import { storeInputs } from '@karoo/kit/store';
import { INPUT } from './constants.js';
import type { CandidateInputs } from './run.js';

/** Every input of the action, read once. */
export function loadInputs(): CandidateInputs {
  return {
    config: input(INPUT.config, { default: 'karoo.yml' }),
    store: storeInputs(),
    comment: booleanInput(INPUT.comment, true),
    baseRef: optionalInput(INPUT.baseRef),
    index: indexCredentialsInput(),
    githubToken: githubTokenInput(),
  };
}
