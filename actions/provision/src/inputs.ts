import { booleanInput, choiceInput, durationInput, input, optionalInput } from '@karoo/kit';
import { PROVIDERS, type ProviderName } from '@karoo/machines';
import { INPUT } from './constants.js';

/** The provision step's inputs (action.yml's, typed). */
export interface ProvisionInputs {
  readonly config: string;
  /** Default, the configuration's provider. */
  readonly provider?: ProviderName | undefined;
  readonly image?: string | undefined;
  readonly imageSha256?: string | undefined;
  /** How long the machines may live, in seconds; default, the configuration's. */
  readonly ttlSeconds?: number | undefined;
  readonly keep: boolean;
  readonly prepareRunner: 'auto' | 'true' | 'false';
  /** Only put the base image in the Actions cache (no machines). */
  readonly imageOnly: boolean;
}

/** Every input of the action, read once. */
export function loadInputs(): ProvisionInputs {
  const provider = optionalInput(INPUT.provider);
  return {
    config: input(INPUT.config, { default: 'karoo.yml' }),
    provider: provider === undefined ? undefined : choiceInput(INPUT.provider, PROVIDERS, 'nspawn'),
    image: optionalInput(INPUT.image),
    imageSha256: optionalInput(INPUT.imageSha256),
    ttlSeconds: durationInput(INPUT.ttl),
    keep: booleanInput(INPUT.keep, false),
    prepareRunner: choiceInput(INPUT.prepareRunner, ['auto', 'true', 'false'], 'auto'),
    imageOnly: booleanInput(INPUT.imageOnly, false),
  };
}
