import { KarooError } from '@karoo/common';
import type { Statement } from './statement.js';

/**
 * Keyless signing inside GitHub Actions (a job with `permissions: id-token: write,
 * attestations: write`): the statement is signed with a short-lived Sigstore certificate for the
 * workflow's OIDC identity and stored with GitHub's attestations API, through `@actions/attest`,
 * so `gh attestation verify oci://… --owner OWNER` works on the candidate.
 */
export interface KeylessSigner {
  readonly kind: 'keyless';
  /** A token with `attestations: write` (the job's GITHUB_TOKEN). */
  readonly token: string;
  /** `public-good` (public repositories) or `github` (GitHub's own Sigstore, private repositories); default: by the repository's visibility. */
  readonly sigstore?: 'public-good' | 'github' | undefined;
}

/**
 * The keyless signer when this process may sign keylessly: inside GitHub Actions with an OIDC
 * token request URL (the job has `id-token: write`) and a token. Throws an input error naming
 * the missing permission or token otherwise.
 */
export function keylessSignerFromEnv(token: string | undefined, env: NodeJS.ProcessEnv = process.env): KeylessSigner {
  if (env.GITHUB_ACTIONS !== 'true')
    throw new KarooError(
      'input',
      'keyless attestations are signed inside GitHub Actions only; outside it, give a key (--attest-key FILE or karoo.yml attestations.signing-key)',
    );
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new KarooError(
      'input',
      "keyless attestations need the job's OIDC token: give the job `permissions: id-token: write` (and `attestations: write`)",
    );
  }
  if (!token)
    throw new KarooError(
      'input',
      "keyless attestations are stored through GitHub's attestations API: pass the job's token (GITHUB_TOKEN, with `attestations: write`)",
    );
  const s = env.KAROO_SIGSTORE;
  return { kind: 'keyless', token, sigstore: s === 'public-good' || s === 'github' ? s : undefined };
}

/**
 * Signs a statement keylessly with `@actions/attest` and returns the Sigstore bundle (JSON, v0.3:
 * DSSE envelope, Fulcio certificate, transparency-log entry or timestamp). `@actions/attest`
 * serialises the statement itself from the same subject, predicate type and predicate.
 * Sigstore or the API unreachable, or refusing, is an `unavailable` error naming the step.
 */
export async function signKeyless(statement: Statement<unknown>, signer: KeylessSigner): Promise<Uint8Array> {
  const { attest } = await import('@actions/attest');
  let bundle: unknown;
  try {
    const a = await attest({
      subjects: statement.subject.map((s) => ({ name: s.name ?? '', digest: { ...(s.digest ?? {}) } })),
      predicateType: statement.predicateType,
      predicate: statement.predicate as object,
      token: signer.token,
      sigstore: signer.sigstore,
    });
    bundle = a.bundle;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new KarooError(
      'unavailable',
      `keyless signing of the ${statement.predicateType} attestation failed (@actions/attest: Sigstore or GitHub's attestations API): ${why.split('\n')[0]}; check the job's permissions (id-token: write, attestations: write) or sign with a key (--attest-key)`,
      { cause: e },
    );
  }
  return new TextEncoder().encode(JSON.stringify(bundle));
}

/**
 * How karoo signs, from what a step was given (one reading for the CLI and the actions):
 * keyless when asked (inside GitHub Actions), else the key's PEM text given (kept in memory),
 * else the key file given, else karoo.yml `attestations.signing-key`; undefined when none
 * (nothing is signed).
 */
export async function signerFrom(
  o: {
    readonly keyless?: boolean | undefined;
    /** The private key's PEM text (an action's secret input), never written to disk. */
    readonly keyText?: string | undefined;
    readonly key?: string | undefined;
    readonly configKey?: string | undefined;
    readonly token?: string | undefined;
  },
  env: NodeJS.ProcessEnv = process.env,
): Promise<import('./store.js').AttestSigner | undefined> {
  if (o.keyless) return keylessSignerFromEnv(o.token, env);
  const { loadSigningKey, signerFromPem } = await import('./dsse.js');
  if (o.keyText) return signerFromPem(o.keyText);
  const path = o.key ?? o.configKey;
  if (!path) return undefined;
  return loadSigningKey(path);
}
