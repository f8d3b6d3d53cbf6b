import * as core from '@actions/core';
import { KarooError } from '@karoo/common';
import { booleanInput, choiceInput, optionalInput } from './index.js';

/** The signing inputs the build and accept actions declare, kebab-case as in action.yml. */
export const ATTEST_INPUTS = { attest: 'attest', attestKey: 'attest-key', attestKeyless: 'attest-keyless' } as const;

/** The values of `attest`. */
export const ATTEST_MODES = ['none', 'keyless', 'key'] as const;
export type AttestMode = (typeof ATTEST_MODES)[number];

/** How an action was asked to sign, as read once by its loadInputs. */
export interface AttestInputs {
  /** `attest`; absent: `attest-keyless`, `attest-key`, else karoo.yml's signing key decide. */
  readonly mode?: AttestMode | undefined;
  /** `attest-key` given as the key's PEM text (a secret): masked, kept in memory only. */
  readonly keyText?: string | undefined;
  /** `attest-key` given as the path of a PEM file. */
  readonly keyFile?: string | undefined;
  /** `attest-keyless`. */
  readonly keyless: boolean;
}

/**
 * The inputs `attest`, `attest-key` and `attest-keyless`. `attest-key` holds either the private
 * key's PEM text (what a workflow passes from a secret: it is masked in the log at once, each
 * line too, and never written to a file) or the path of a PEM file. `attest: key` without a key
 * is refused here, before the step does anything.
 */
export function attestInputs(): AttestInputs {
  const given = optionalInput(ATTEST_INPUTS.attest);
  const mode = given === undefined ? undefined : choiceInput(ATTEST_INPUTS.attest, ATTEST_MODES, 'none');
  const key = optionalInput(ATTEST_INPUTS.attestKey);
  let keyText: string | undefined;
  let keyFile: string | undefined;
  if (key !== undefined && (key.includes('-----BEGIN') || /[\r\n]/.test(key))) {
    // The runner masks a multi-line value added at once only where it appears whole: each line too.
    core.setSecret(key);
    for (const line of key.split(/\r?\n/)) if (line.trim() !== '' && !line.startsWith('-----')) core.setSecret(line.trim());
    if (!key.includes('-----BEGIN'))
      throw new KarooError(
        'input',
        `input "${ATTEST_INPUTS.attestKey}" is neither a PEM private key nor a file path; pass the key's PEM text (e.g. the ATTEST_KEY secret) or the path of a PEM file`,
      );
    keyText = key;
  } else keyFile = key;
  if (mode === 'key' && key === undefined)
    throw new KarooError(
      'input',
      `attest: key needs a PEM private key in input "${ATTEST_INPUTS.attestKey}" (candidate.yml passes the ATTEST_KEY secret); pass it, or use attest: keyless or none`,
    );
  return { mode, keyText, keyFile, keyless: booleanInput(ATTEST_INPUTS.attestKeyless, false) };
}

/** What `signerFrom` of @karoo/attest takes. */
export interface SigningOptions {
  readonly keyless?: boolean | undefined;
  readonly keyText?: string | undefined;
  readonly key?: string | undefined;
  readonly configKey?: string | undefined;
  readonly token?: string | undefined;
}

/**
 * The signing the inputs ask for, for `signerFrom` of @karoo/attest: `attest` decides when given
 * (`none` signs nothing, not even with karoo.yml's signing key); without it, as before,
 * `attest-keyless`, else `attest-key`, else karoo.yml `attestations.signing-key`.
 */
export function signingOptions(i: AttestInputs | undefined, configKey: string | undefined, token: string | undefined): SigningOptions {
  const key = { keyText: i?.keyText, key: i?.keyFile };
  switch (i?.mode) {
    case 'none':
      return {};
    case 'keyless':
      return { keyless: true, token };
    case 'key':
      return key;
    default:
      return { keyless: i?.keyless ?? false, ...key, configKey, token };
  }
}
