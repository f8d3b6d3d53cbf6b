import type { AttestSigner } from '@karoo/attest';
import type { KarooConfig } from '@karoo/config';

/** The `--attest-key` option of the commands that push attestations (build, accept, up). */
export const ATTEST_KEY_OPTION = [
  '--attest-key <file>',
  'sign attestations with this PEM private key (Ed25519 or ECDSA P-256; default: karoo.yml attestations.signing-key)',
] as const;
/** The `--attest-keyless` option: inside GitHub Actions, Sigstore through @actions/attest. */
export const ATTEST_KEYLESS_OPTION = [
  '--attest-keyless',
  'inside GitHub Actions (permissions id-token: write, attestations: write; GITHUB_TOKEN): sign attestations keylessly with Sigstore, so gh attestation verify works',
] as const;

/**
 * How karoo signs attestations: `--attest-keyless` (GitHub Actions' OIDC identity, Sigstore),
 * `--attest-key FILE`, else karoo.yml `attestations.signing-key`; undefined when none is given
 * (nothing is signed). A file that is not such a key, or keyless signing without its
 * permissions, is an input error naming what to do.
 */
export async function signingKeyFrom(
  option: string | undefined,
  config: KarooConfig | undefined,
  keyless = false,
): Promise<AttestSigner | undefined> {
  if (!keyless && !option && !config?.attestations?.signingKey) return undefined; // nothing to sign with: load nothing
  const { signerFrom } = await import('@karoo/attest');
  return signerFrom({ keyless, key: option, configKey: config?.attestations?.signingKey, token: process.env.GITHUB_TOKEN || undefined });
}
