import { canonicalJson, type Digest, errorMessage, hexOf, isKarooError, KarooError, parseDigest } from '@karoo/common';
import { ANNOTATIONS, type Descriptor, OCI, referrerFor, type Referrer } from '@karoo/candidate';
import { bufferSource, parseManifestInfo, readVerifiedBlob, type Store } from '@karoo/oci';
import { type Envelope, type Signer, signEnvelope, type VerificationKey, verifyEnvelope } from './dsse.js';
import { type KeylessSigner, signKeyless } from './keyless.js';
import { type KeylessTrust, verifyKeylessBundle } from './keyless-verify.js';
import {
  IN_TOTO_PAYLOAD_TYPE,
  isObject,
  type ResourceDescriptor,
  parseWorkflowIdentity,
  type Statement,
  statementBytes,
  statementProblem,
  TEST_CONFIGURATION,
  TEST_RESULT,
} from './statement.js';

/** Media type of a Sigstore bundle v0.3: the artifactType and the layer of an attestation referrer. */
export const SIGSTORE_BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** The manifest annotations cosign and GitHub's attest action write on a bundle referrer. */
export const BUNDLE_ANNOTATIONS = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
} as const;

/** A Sigstore bundle holding a DSSE envelope (JSON form of the v0.3 protobuf). */
export interface SigstoreBundle {
  readonly mediaType: typeof SIGSTORE_BUNDLE;
  readonly verificationMaterial: Readonly<Record<string, unknown>>;
  readonly dsseEnvelope: Envelope;
}

/**
 * Signs a statement with a key: a DSSE envelope over its canonical bytes, in a Sigstore bundle
 * whose verification material is the key's hint (its keyid). No transparency-log entry: a keyed
 * bundle is verified with the public key, as `cosign verify-attestation --key` does.
 */
export function signStatement(statement: Statement<unknown>, signer: Signer): SigstoreBundle {
  return {
    mediaType: SIGSTORE_BUNDLE,
    verificationMaterial: { publicKey: { hint: signer.keyid }, tlogEntries: [] },
    dsseEnvelope: signEnvelope(statementBytes(statement), IN_TOTO_PAYLOAD_TYPE, signer),
  };
}

/**
 * The OCI referrer of a candidate that carries one bundle, laid out as cosign's bundle
 * specification and GitHub's attest action do: image manifest, empty config, `artifactType`
 * and the one layer the bundle media type, annotations content `dsse-envelope` and the predicate type.
 */
export function attestationReferrer(
  candidate: Descriptor,
  bundle: SigstoreBundle | Uint8Array,
  predicateType: string,
  created?: string,
): Referrer {
  const bytes = bundle instanceof Uint8Array ? bundle : new TextEncoder().encode(canonicalJson(bundle));
  return referrerFor({
    subject: candidate,
    artifactType: SIGSTORE_BUNDLE,
    payloads: [{ mediaType: SIGSTORE_BUNDLE, content: bytes }],
    annotations: {
      [BUNDLE_ANNOTATIONS.content]: 'dsse-envelope',
      [BUNDLE_ANNOTATIONS.predicateType]: predicateType,
      ...(created ? { [ANNOTATIONS.created]: created } : {}),
    },
  });
}

/** Pushes an attestation referrer (blobs, then the manifest) to the candidate's store. */
export async function pushAttestation(store: Store, artifact: Referrer): Promise<Descriptor> {
  for (const b of artifact.blobs) {
    if (!(await store.hasBlob(b.descriptor.digest))) await store.putBlob(b.descriptor, bufferSource(b.bytes));
  }
  await store.putManifest(artifact.manifestBytes, OCI.imageManifest);
  return artifact.descriptor;
}

/** A key karoo holds (Signer), or keyless signing inside GitHub Actions (KeylessSigner). */
export type AttestSigner = Signer | KeylessSigner;

/** A line naming how a statement is signed, for progress messages. */
export function describeSigner(signer: AttestSigner): string {
  return 'kind' in signer ? 'keyless (Sigstore, through @actions/attest)' : `key ${signer.keyid.slice(0, 16)}…`;
}

/**
 * Signs a statement and attaches it to the candidate: what the build (provenance) and
 * acceptance (test result) call. With a key: a keyed bundle (signStatement); keyless: the
 * bundle @actions/attest returns (also stored with GitHub's attestations API).
 */
export async function attest(
  store: Store,
  candidate: Descriptor,
  statement: Statement<unknown>,
  signer: AttestSigner,
  created?: string,
): Promise<Descriptor> {
  const problem = statementProblem(statement);
  if (problem) throw new KarooError('internal', `the ${statement.predicateType} statement karoo built is not valid: ${problem}`);
  if (!statement.subject.some((s) => s.digest?.sha256 === hexOf(candidate.digest as Digest))) {
    throw new KarooError('internal', `the statement is not about candidate ${candidate.digest}`);
  }
  return pushAttestation(store, attestationReferrer(candidate, await signAttestation(statement, signer), statement.predicateType, created));
}

/** Signs a statement (keyed or keyless) into the bundle attestationReferrer carries; nothing is pushed. */
export async function signAttestation(statement: Statement<unknown>, signer: AttestSigner): Promise<SigstoreBundle | Uint8Array> {
  const problem = statementProblem(statement);
  if (problem) throw new KarooError('internal', `the ${statement.predicateType} statement karoo built is not valid: ${problem}`);
  return 'kind' in signer ? signKeyless(statement, signer) : signStatement(statement, signer);
}

/** A bundle referrer of a candidate, read and checked against its digests (not yet verified). */
export interface StoredBundle {
  readonly digest: Digest;
  readonly predicateType?: string | undefined;
  readonly bundle: unknown;
}

/** Every Sigstore bundle referring to the candidate, read back byte-checked; unreadable ones listed with a reason. */
export async function readBundles(
  store: Store,
  candidate: Digest | string,
): Promise<{ bundles: StoredBundle[]; invalid: Array<{ digest: string; reason: string }> }> {
  const subject = parseDigest(candidate, 'candidate');
  const bundles: StoredBundle[] = [];
  const invalid: Array<{ digest: string; reason: string }> = [];
  for (const d of await store.referrers(subject, SIGSTORE_BUNDLE)) {
    if (d.artifactType !== undefined && d.artifactType !== SIGSTORE_BUNDLE) continue;
    try {
      const m = await store.getManifest(d.digest);
      const manifest = parseManifestInfo(m.bytes, `attestation ${d.digest} in ${store.ref}`);
      if (manifest.artifactType !== SIGSTORE_BUNDLE) continue;
      if (manifest.subject?.digest !== subject)
        throw new KarooError('integrity', `attestation ${d.digest} refers to ${manifest.subject?.digest ?? 'nothing'}, not ${subject}`);
      const layer = (manifest.layers ?? []).find((l) => l.mediaType === SIGSTORE_BUNDLE);
      if (!layer) throw new KarooError('integrity', `attestation ${d.digest} has no ${SIGSTORE_BUNDLE} layer`);
      const bytes = await readVerifiedBlob(store, layer, `attestation ${d.digest}`, BUNDLE_MAX);
      let bundle: unknown;
      try {
        bundle = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new KarooError('integrity', `attestation ${d.digest}: the bundle is not JSON`);
      }
      bundles.push({ digest: parseDigest(d.digest), predicateType: manifest.annotations?.[BUNDLE_ANNOTATIONS.predicateType], bundle });
    } catch (e) {
      if (isKarooError(e) && (e.kind === 'integrity' || e.kind === 'input')) invalid.push({ digest: d.digest, reason: errorMessage(e) });
      else throw e;
    }
  }
  return { bundles: bundles.sort((a, b) => cmp(a.digest, b.digest)), invalid };
}

/** Who may have produced an attestation a gate counts: karoo.yml `attestations.identity`. */
export interface IdentityPolicy {
  /** `owner/repo`. */
  readonly repository?: string | undefined;
  /** The workflow file, e.g. `.github/workflows/karoo-candidate.yml`. */
  readonly workflow?: string | undefined;
  /** The git ref the workflow ran on, e.g. `refs/heads/main`. */
  readonly ref?: string | undefined;
  /** Keyless only: the OIDC issuer the certificate must name (default GitHub Actions' on github.com). */
  readonly issuer?: string | undefined;
  /** Keyless only: the GitHub server the certificate's repository is on (default `https://github.com`). */
  readonly serverUrl?: string | undefined;
}

export interface VerifyPolicy {
  readonly keys: readonly VerificationKey[];
  readonly identity?: IdentityPolicy | undefined;
  /** karoo.yml `attestations.trusted-root` (loadTrustedRoot): keyless bundles verify against it; absent, they are refused. */
  readonly trustedRoot?: KeylessTrust | undefined;
}

/** A bundle that verified: a trusted key signed an in-toto statement about the candidate, from the allowed workflow. */
export interface VerifiedAttestation {
  readonly digest: Digest;
  /** The key's id; keyless: hex sha256 of the certificate's public key. */
  readonly keyid: string;
  readonly statement: Statement;
  /** Keyless: the workflow run the certificate was issued to (its Build Config URI, `SERVER/OWNER/REPO/WORKFLOW@REF`). */
  readonly signer?: string | undefined;
}

/**
 * Verifies one stored bundle for a candidate: the bundle's form, the DSSE signature by one of the
 * trusted keys over the exact payload (nothing is read from the payload before that), the payload
 * type, the statement's form, its subject (this candidate), and the workflow identity it names.
 * Throws an integrity error with the reason.
 */
export function verifyBundle(stored: StoredBundle, candidate: Digest, policy: VerifyPolicy): VerifiedAttestation {
  const what = `attestation ${stored.digest}`;
  const bad = (reason: string): never => {
    throw new KarooError('integrity', `${what}: ${reason}`);
  };
  const b = stored.bundle;
  if (!isObject(b) || b.mediaType !== SIGSTORE_BUNDLE) bad(`not a ${SIGSTORE_BUNDLE} bundle`);
  const bundle = b as Record<string, unknown>;
  if (!isObject(bundle.verificationMaterial)) bad('the bundle has no verificationMaterial');
  if (!isObject(bundle.dsseEnvelope)) bad('the bundle holds no DSSE envelope');
  const vm = bundle.verificationMaterial as Record<string, unknown>;
  let signed: { payload: Buffer; payloadType: string; keyid: string; signer?: string | undefined };
  if ('certificate' in vm || 'x509CertificateChain' in vm) {
    // Keyless: the certificate and its Fulcio identity are what is trusted, never a claim in the statement.
    if (!policy.trustedRoot)
      bad(
        'it is signed keylessly (a Sigstore certificate) and no trusted root is configured: set karoo.yml attestations.trusted-root to the trusted_root.json of the Sigstore instance your workflows sign with',
      );
    try {
      const k = verifyKeylessBundle(bundle, policy.trustedRoot!, policy.identity ?? {});
      signed = { payload: k.payload, payloadType: k.payloadType, keyid: k.keyid, signer: k.identity.buildConfigUri };
    } catch (e) {
      return bad(errorMessage(e));
    }
  } else {
    if (policy.keys.length === 0) bad('no attestation keys are configured (karoo.yml attestations.keys), so no signature can be trusted');
    const v = verifyEnvelope(bundle.dsseEnvelope, policy.keys, what);
    signed = { payload: v.payload, payloadType: v.payloadType, keyid: v.key.keyid };
  }
  const { payload, payloadType } = signed;
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) bad(`payloadType ${payloadType} is not ${IN_TOTO_PAYLOAD_TYPE}`);
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch {
    return bad('the signed payload is not JSON');
  }
  const problem = statementProblem(statement);
  if (problem) bad(`not an in-toto Statement v1: ${problem}`);
  const s = statement as Statement;
  const hex = hexOf(candidate);
  if (!s.subject.some((x) => x.digest?.sha256 === hex)) {
    bad(
      `its subject is ${s.subject.map((x) => (x.digest?.sha256 ? `sha256:${x.digest.sha256}` : '?')).join(', ')}, not candidate ${candidate}: a statement about another candidate`,
    );
  }
  if (
    signed.signer === undefined &&
    policy.identity &&
    [policy.identity.repository, policy.identity.workflow, policy.identity.ref].some((v) => v !== undefined)
  ) {
    const uri = configurationOf(s, TEST_CONFIGURATION.workflow)?.uri ?? builderOf(s);
    const id = uri ? parseWorkflowIdentity(uri) : undefined;
    if (!id) bad('it names no workflow identity, and karoo.yml attestations.identity requires one');
    const want = policy.identity;
    const wrong = (['repository', 'workflow', 'ref'] as const).filter((k) => want[k] !== undefined && want[k] !== id![k]);
    if (wrong.length > 0) {
      bad(
        `it was made by ${uri}, not by the workflow karoo.yml attestations.identity allows (${wrong.map((k) => `${k} ${want[k]}`).join(', ')})`,
      );
    }
  }
  return { digest: stored.digest, keyid: signed.keyid, statement: s, ...(signed.signer !== undefined ? { signer: signed.signer } : {}) };
}

/** A test-result attestation that verified, as a gate uses it. */
export interface VerifiedTestResult {
  readonly digest: Digest;
  readonly environment?: string | undefined;
  readonly systemId?: Digest | undefined;
  readonly result: 'PASSED' | 'WARNED' | 'FAILED';
  readonly keyid: string;
}

/**
 * The verified test-result attestations of a candidate (see verifyBundle), and every bundle that
 * does not verify, with the reason. Provenance and other predicate types are left out.
 */
export async function verifiedTestResults(
  store: Store,
  candidate: Digest | string,
  policy: VerifyPolicy,
): Promise<{ results: VerifiedTestResult[]; rejected: Array<{ digest: string; reason: string }> }> {
  const subject = parseDigest(candidate, 'candidate');
  const { bundles, invalid } = await readBundles(store, subject);
  const rejected = [...invalid];
  const results: VerifiedTestResult[] = [];
  for (const b of bundles) {
    if (b.predicateType !== undefined && b.predicateType !== TEST_RESULT) continue;
    let v: VerifiedAttestation;
    try {
      v = verifyBundle(b, subject, policy);
    } catch (e) {
      if (isKarooError(e) && e.kind === 'integrity') {
        rejected.push({ digest: b.digest, reason: errorMessage(e) });
        continue;
      }
      throw e;
    }
    if (v.statement.predicateType !== TEST_RESULT) continue;
    const p = v.statement.predicate as { result: VerifiedTestResult['result'] };
    const system = configurationOf(v.statement, TEST_CONFIGURATION.system);
    const env = system?.annotations?.environment;
    results.push({
      digest: v.digest,
      environment: typeof env === 'string' ? env : undefined,
      systemId: system?.digest?.sha256 ? parseDigest(system.digest.sha256) : undefined,
      result: p.result,
      keyid: v.keyid,
    });
  }
  return { results, rejected };
}

/** One attestation of a candidate as `karoo attestations` shows it: verified (with the key) or not (with the reason). */
export interface AttestationStatus {
  readonly digest: string;
  readonly predicateType?: string | undefined;
  /** `keyed` (a public key hint) or `keyless` (a Sigstore certificate), from the bundle's verification material. */
  readonly signing?: 'keyed' | 'keyless' | undefined;
  readonly verified: boolean;
  readonly keyid?: string | undefined;
  /** Keyless and verified: the workflow run the certificate was issued to (`SERVER/OWNER/REPO/WORKFLOW@REF`). */
  readonly signer?: string | undefined;
  /** test-result: PASSED | WARNED | FAILED, and the environment it names. */
  readonly result?: string | undefined;
  readonly environment?: string | undefined;
  readonly reason?: string | undefined;
}

/**
 * Every attestation referring to a candidate, each verified against the policy (keys and
 * identity) — provenance and test results alike. Nothing is thrown for a bundle that does not
 * verify; it is listed with the reason.
 */
export async function inspectAttestations(store: Store, candidate: Digest | string, policy: VerifyPolicy): Promise<AttestationStatus[]> {
  const subject = parseDigest(candidate, 'candidate');
  const { bundles, invalid } = await readBundles(store, subject);
  const out: AttestationStatus[] = invalid.map((i) => ({ digest: i.digest, verified: false, reason: i.reason }));
  for (const b of bundles) {
    const vm = isObject(b.bundle) && isObject(b.bundle.verificationMaterial) ? b.bundle.verificationMaterial : {};
    const signing = 'publicKey' in vm ? 'keyed' : 'certificate' in vm || 'x509CertificateChain' in vm ? 'keyless' : undefined;
    try {
      const v = verifyBundle(b, subject, policy);
      const p = v.statement.predicate as { result?: unknown };
      const env = configurationOf(v.statement, TEST_CONFIGURATION.system)?.annotations?.environment;
      out.push({
        digest: b.digest,
        predicateType: v.statement.predicateType,
        signing,
        verified: true,
        keyid: v.keyid,
        signer: v.signer,
        result: typeof p.result === 'string' ? p.result : undefined,
        environment: typeof env === 'string' ? env : undefined,
      });
    } catch (e) {
      if (!(isKarooError(e) && e.kind === 'integrity')) throw e;
      out.push({ digest: b.digest, predicateType: b.predicateType, signing, verified: false, reason: errorMessage(e) });
    }
  }
  return out.sort((a, b) => cmp(a.digest, b.digest));
}

function configurationOf(s: Statement, name: string): ResourceDescriptor | undefined {
  const c = (s.predicate as { configuration?: unknown }).configuration;
  return Array.isArray(c) ? (c as ResourceDescriptor[]).find((x) => x.name === name) : undefined;
}

function builderOf(s: Statement): string | undefined {
  const id = (s.predicate as { runDetails?: { builder?: { id?: unknown } } }).runDetails?.builder?.id;
  return typeof id === 'string' ? id : undefined;
}

/** Sigstore bundles are small: a descriptor claiming more is refused unread. */
const BUNDLE_MAX = 16 << 20;

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
