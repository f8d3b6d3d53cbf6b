import { booleanInput, indexCredentialsInput, input, optionalInput } from '@karoo/kit';
import { INPUT } from './constants.js';
import type { ResolveInputs } from './run.js';

/** Every input of the action, read once. */
export function loadInputs(): ResolveInputs {
  return {
    config: input(INPUT.config, { default: 'karoo.yml' }),
    out: optionalInput(INPUT.out),
    previous: optionalInput(INPUT.previous),
    force: booleanInput(INPUT.force, false),
    asOf: optionalInput(INPUT.asOf),
    cache: booleanInput(INPUT.cache, false),
    index: indexCredentialsInput(),
  };
}
