import { input, integerInput, optionalInput } from '@karoo/kit';
import { storeInputs, type StoreInputs } from '@karoo/kit/store';
import { INPUT } from './constants.js';

/** The deploy step's inputs (action.yml's, typed). */
export interface DeployInputs {
  readonly candidate: string;
  /** The inventory file the provision step wrote. */
  readonly inventory: string;
  readonly config: string;
  readonly environment?: string | undefined;
  readonly store: StoreInputs;
  /** How many nodes are deployed at once. */
  readonly parallel: number;
  readonly githubToken?: string | undefined;
}

/** Every input of the action, read once. */
export function loadInputs(): DeployInputs {
  return {
    candidate: input(INPUT.candidate, { required: true }),
    inventory: input(INPUT.inventory, { required: true }),
    config: input(INPUT.config, { default: 'karoo.yml' }),
    environment: optionalInput(INPUT.environment),
    store: storeInputs(),
    parallel: integerInput(INPUT.parallel, 8, { min: 1, max: 1024 }),
    githubToken: optionalInput(INPUT.githubToken),
  };
}
