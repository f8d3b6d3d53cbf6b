import { booleanInput, durationInput, input, optionalInput } from '@karoo/kit';
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
  /** A PEM private key file to sign the result with (default: karoo.yml attestations.signing-key). */
  readonly attestKey?: string | undefined;
  /** Sign keylessly (Sigstore through @actions/attest). */
  readonly attestKeyless: boolean;
}

/** Every input of the action, read once. */
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
    attestKey: optionalInput(INPUT.attestKey),
    attestKeyless: booleanInput(INPUT.attestKeyless, false),
  };
}
