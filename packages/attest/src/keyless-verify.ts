import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KarooError } from '@karoo/common';
import type { bundleFromJSON } from '@sigstore/bundle';
import type { toSignedEntity, TrustMaterial, Verifier } from '@sigstore/verify';

/** The OIDC issuer of GitHub Actions' tokens on github.com (Fulcio extension 1.3.6.1.4.1.57264.1.8). */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
export const GITHUB_SERVER_URL = 'https://github.com';

/** Fulcio's certificate extensions karoo reads (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
export const FULCIO_OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  buildConfigUri: '1.3.6.1.4.1.57264.1.18',
} as const;

/** A Sigstore trusted root read from karoo.yml `attestations.trusted-root`, ready to verify with. */
export interface KeylessTrust {
  readonly source: string;
  readonly material: TrustMaterial;
  /** Certificate transparency logs the root names: when there are any, a certificate must carry an SCT from one. */
  readonly ctlogs: number;
  /** @sigstore/bundle and @sigstore/verify, loaded with the root so that verifying stays synchronous. */
  readonly lib: {
    readonly bundleFromJSON: typeof bundleFromJSON;
    readonly Verifier: typeof Verifier;
    readonly toSignedEntity: typeof toSignedEntity;
  };
}

/**
 * Reads a Sigstore `trusted_root.json` (the protobuf-specs TrustedRoot in JSON: Fulcio CAs,
 * Rekor logs, timestamp authorities, CT logs). Nothing is fetched: the file is the whole trust.
 * An unreadable or malformed file is an input error naming it.
 */
export async function loadTrustedRoot(path: string): Promise<KeylessTrust> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new KarooError(
      'input',
      `attestations.trusted-root ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`,
    );
  }
  const { TrustedRoot } = await import('@sigstore/protobuf-specs');
  const { toTrustMaterial, Verifier, toSignedEntity } = await import('@sigstore/verify');
  const { bundleFromJSON } = await import('@sigstore/bundle');
  try {
    const root = TrustedRoot.fromJSON(JSON.parse(text));
    if (root.certificateAuthorities.length === 0) throw new Error('it names no certificate authority');
    return { source: path, material: toTrustMaterial(root), ctlogs: root.ctlogs.length, lib: { bundleFromJSON, Verifier, toSignedEntity } };
  } catch (e) {
    throw new KarooError(
      'input',
      `attestations.trusted-root ${path} is not a Sigstore trusted_root.json (${(e as Error).message.split('\n')[0]}); give the trusted root of the Sigstore instance that signs your workflows`,
    );
  }
}

/** The workflow identity a keyless certificate names (from its Fulcio extensions). */
export interface CertificateIdentity {
  readonly issuer?: string | undefined;
  readonly buildSignerUri?: string | undefined;
  readonly sourceRepositoryUri?: string | undefined;
  readonly sourceRepositoryRef?: string | undefined;
  /** The top-level workflow of the run, `SERVER/OWNER/REPO/WORKFLOW@REF` (the caller, when the signer is a reusable workflow). */
  readonly buildConfigUri?: string | undefined;
}

/** What karoo.yml `attestations.identity` asks of a keyless certificate. */
export interface KeylessIdentityPolicy {
  readonly repository?: string | undefined;
  readonly workflow?: string | undefined;
  readonly ref?: string | undefined;
  readonly issuer?: string | undefined;
  readonly serverUrl?: string | undefined;
}

/** A keyless bundle that verified: the signed payload, and who signed it. */
export interface KeylessVerified {
  readonly payload: Buffer;
  readonly payloadType: string;
  /** hex sha256 of the certificate's public key (SPKI DER). */
  readonly keyid: string;
  readonly identity: CertificateIdentity;
  /** The verified signing times (transparency log or timestamp authority). */
  readonly signedAt: readonly Date[];
}

/**
 * Verifies a keyless Sigstore bundle (JSON) with @sigstore/verify against a configured trusted
 * root, offline: the certificate chains to one of the root's Fulcio CAs and was valid at a
 * verified signing time (a transparency-log entry's integrated time, or an RFC 3161 timestamp,
 * each verified against the root; a bundle with neither is refused, since nothing else says when
 * a short-lived certificate signed), an SCT when the root names CT logs, and the DSSE signature
 * by the certificate's key over PAE. Then the certificate's Fulcio extensions must name the
 * issuer, repository, workflow and ref of `want`. Throws one line (no prefix) on failure.
 */
export function verifyKeylessBundle(bundleJson: unknown, trust: KeylessTrust, want: KeylessIdentityPolicy): KeylessVerified {
  if (!want.repository) {
    throw new Error(
      "it is signed keylessly, and karoo.yml attestations.identity names no repository: set attestations.identity (repository, workflow, ref) so only your workflows' certificates count",
    );
  }
  const { bundleFromJSON, Verifier, toSignedEntity } = trust.lib;
  let bundle: ReturnType<typeof bundleFromJSON>;
  try {
    bundle = bundleFromJSON(bundleJson);
  } catch (e) {
    throw new Error(`not a valid Sigstore bundle (${firstLine(e)})`, { cause: e });
  }
  if (bundle.content.$case !== 'dsseEnvelope') throw new Error('the bundle holds no DSSE envelope');
  const entity = toSignedEntity(bundle);
  if (entity.key.$case !== 'certificate') throw new Error('the bundle carries no certificate');
  // @sigstore/verify checks the chain once per verified timestamp: with none, nothing would be checked.
  if (entity.timestamps.length === 0) {
    throw new Error(
      'it has no transparency-log entry and no RFC 3161 timestamp, so nothing verifies when its short-lived certificate signed; re-sign with a Sigstore instance that logs or timestamps',
    );
  }
  const timestamps: Date[] = [];
  try {
    const verifier = new Verifier(trust.material, { ctlogThreshold: trust.ctlogs > 0 ? 1 : 0, tlogThreshold: 0, tsaThreshold: 0 });
    verifier.verify(entity);
  } catch (e) {
    throw new Error(`Sigstore verification against ${trust.source} failed: ${describe(e)}`, { cause: e });
  }
  for (const t of entity.timestamps) {
    if (t.$case === 'transparency-log') timestamps.push(new Date(Number(t.tlogEntry.integratedTime) * 1000));
    else timestamps.push(t.timestamp.signingTime);
  }
  const cert = entity.key.certificate;
  const identity = certificateIdentity(cert);
  const problems = identityProblems(identity, want);
  if (problems.length > 0)
    throw new Error(
      `its certificate was issued to ${identity.buildConfigUri ?? 'no workflow'} (signer ${identity.buildSignerUri ?? '?'}, repository ${identity.sourceRepositoryUri ?? '?'}, ref ${identity.sourceRepositoryRef ?? '?'}, issuer ${identity.issuer ?? '?'}), not to what karoo.yml attestations.identity allows: ${problems.join('; ')}`,
    );
  const env = bundle.content.dsseEnvelope;
  return {
    payload: Buffer.from(env.payload),
    payloadType: env.payloadType,
    keyid: createHash('sha256').update(cert.publicKey).digest('hex'),
    identity,
    signedAt: timestamps,
  };
}

type Certificate = {
  extension(
    oid: string,
  ): { value: Buffer; valueObj: { subs: Array<{ tag: { number: number; isUniversal(): boolean }; value: Buffer }> } } | undefined;
};

/** Reads the Fulcio extensions of a certificate; v2 extensions are DER UTF8Strings, the v1 issuer raw bytes. */
export function certificateIdentity(cert: Certificate): CertificateIdentity {
  const utf8 = (oid: string): string | undefined => {
    const inner = cert.extension(oid)?.valueObj.subs[0];
    return inner && inner.tag.isUniversal() && inner.tag.number === 12 ? inner.value.toString('utf8') : undefined;
  };
  return {
    issuer: utf8(FULCIO_OID.issuer) ?? cert.extension(FULCIO_OID.issuerV1)?.value.toString('utf8'),
    buildSignerUri: utf8(FULCIO_OID.buildSignerUri),
    sourceRepositoryUri: utf8(FULCIO_OID.sourceRepositoryUri),
    sourceRepositoryRef: utf8(FULCIO_OID.sourceRepositoryRef),
    buildConfigUri: utf8(FULCIO_OID.buildConfigUri),
  };
}

/**
 * What does not match: the issuer; the repository (Source Repository URI = SERVER/OWNER/REPO,
 * compared whole with the server, so a same-named repository on another forge does not match);
 * the workflow (Build Config URI = SERVER/OWNER/REPO/WORKFLOW@REF: the run's top-level workflow,
 * in that repository — what karoo.yml `identity.workflow` names for keyed attestations too; the
 * Build Signer URI differs from it only when that workflow called a reusable one, such as
 * karoo's own `candidate.yml`, which the top-level workflow at that ref chose); the ref (Source
 * Repository Ref, and the Build Config URI's ref).
 */
export function identityProblems(id: CertificateIdentity, want: KeylessIdentityPolicy): string[] {
  const server = want.serverUrl ?? GITHUB_SERVER_URL;
  const issuer = want.issuer ?? GITHUB_ACTIONS_ISSUER;
  const out: string[] = [];
  if (id.issuer !== issuer) out.push(`issuer ${id.issuer ?? 'none'} is not ${issuer}`);
  const repoUri = `${server}/${want.repository}`;
  if (id.sourceRepositoryUri !== repoUri) out.push(`repository ${id.sourceRepositoryUri ?? 'none'} is not ${repoUri}`);
  const config = id.buildConfigUri ?? '';
  const at = config.lastIndexOf('@');
  const configPath = at < 0 ? config : config.slice(0, at);
  const configRef = at < 0 ? undefined : config.slice(at + 1);
  if (!configPath.startsWith(`${repoUri}/`)) out.push(`workflow ${config || 'none'} is not in ${repoUri}`);
  else if (want.workflow !== undefined && configPath !== `${repoUri}/${want.workflow}`)
    out.push(`workflow ${configPath.slice(repoUri.length + 1)} is not ${want.workflow}`);
  if (want.ref !== undefined) {
    if (id.sourceRepositoryRef !== want.ref) out.push(`ref ${id.sourceRepositoryRef ?? 'none'} is not ${want.ref}`);
    else if (configRef !== want.ref) out.push(`the workflow ran at ${configRef ?? 'no ref'}, not ${want.ref}`);
  }
  return out;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** @sigstore/verify's errors carry a code and, for a chain failure, the cause: name both. */
function describe(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const cause = (e as { cause?: unknown }).cause;
  const base = `${typeof code === 'string' ? `${code}: ` : ''}${firstLine(e)}`;
  return cause instanceof Error ? `${base} (${firstLine(cause)})` : base;
}
