import type { Signer } from '@karoo/attest';
import type { KarooConfig } from '@karoo/config';

/** The `--attest-key` option of the commands that push attestations (build, accept, up). */
export const ATTEST_KEY_OPTION = ['--attest-key <file>', 'sign attestations with this PEM private key (Ed25519 or ECDSA P-256; default: karoo.yml attestations.signing-key)'] as const;

/**
 * The key karoo signs attestations with: `--attest-key FILE`, else karoo.yml
 * `attestations.signing-key`; undefined when neither is given (nothing is signed). A file that is
 * not such a key is an input error naming it.
 */
export async function signingKeyFrom(option: string | undefined, config: KarooConfig | undefined): Promise<Signer | undefined> {
  const path = option ?? config?.attestations?.signingKey;
  if (!path) return undefined;
  const { loadSigningKey } = await import('@karoo/attest');
  return loadSigningKey(path);
}
