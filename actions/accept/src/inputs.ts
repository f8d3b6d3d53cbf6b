import { booleanInput, durationInput, input, optionalInput } from '@karoo/kit';
import { type AttestInputs, attestInputs } from '@karoo/kit/attest';
import { storeInputs, type StoreInputs } from '@karoo/kit/store';
import { INPUT } from './constants.js';

/** The accept step's inputs (action.yml's, typed). */
export interface AcceptInputs {
  readonly candidate: string;
  /** The inventory file the provision step wrote. */
  readonly inventory: string;
  readonly config: string;
  readonly environment?: string | undefined;
  readonly store: StoreInputs;
  /** The test command's time limit in seconds; default, the configuration's. */
  readonly timeoutSeconds?: number | undefined;
  readonly out: string;
  /** Attach the result to the candidate as evidence. */
  readonly evidence: boolean;
  readonly githubToken?: string | undefined;
  /** How to sign the result (`attest`, `attest-key`, `attest-keyless`; default: karoo.yml attestations.signing-key). */
  readonly attest: AttestInputs;
}

/** Every input of the action, read once; `attest: key` without a key is refused before anything runs. */
export function loadInputs(): AcceptInputs {
  return {
    candidate: input(INPUT.candidate, { required: true }),
    inventory: input(INPUT.inventory, { required: true }),
    config: input(INPUT.config, { default: 'karoo.yml' }),
    environment: optionalInput(INPUT.environment),
    store: storeInputs(),
    timeoutSeconds: durationInput(INPUT.timeout),
    out: input(INPUT.out, { default: '.karoo/acceptance' }),
    evidence: booleanInput(INPUT.evidence, true),
    githubToken: optionalInput(INPUT.githubToken),
    attest: attestInputs(),
  };
}
