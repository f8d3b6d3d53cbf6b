import { errorMessage, isKarooError, parseDigest } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import type { Store } from '@karoo/oci';
import type { AttestationInfo } from '@karoo/report';

/**
 * The candidate's signed attestations for the report: every Sigstore bundle referring to it
 * (@karoo/attest inspectAttestations), verified with the public keys and workflow identity of
 * karoo.yml `attestations`. Keyed: the key id and whether the signature verified. Keyless: the
 * workflow identity the signed statement names, verified against `attestations.trusted-root`;
 * without a trusted root it is marked unchecked (shown as signed (keyless), not verified here).
 */
export async function candidateAttestations(store: Store, candidate: string, config: KarooConfig | undefined): Promise<AttestationInfo[]> {
  const {
    inspectAttestations,
    loadTrustedRoot,
    loadVerificationKey,
    parseWorkflowIdentity,
    readBundles,
    SLSA_PROVENANCE,
    TEST_CONFIGURATION,
    TEST_RESULT,
  } = await import('@karoo/attest');
  const subject = parseDigest(candidate, 'candidate');
  const keys = await Promise.all((config?.attestations?.keys ?? []).map((k) => loadVerificationKey(k)));
  // Keyless bundles verify against attestations.trusted-root (Sigstore's trust root, offline); without one they cannot be checked here.
  const trustedRootPath = config?.attestations?.trustedRoot;
  const trustedRoot = trustedRootPath ? await loadTrustedRoot(trustedRootPath) : undefined;
  const statuses = await inspectAttestations(store, subject, { keys, identity: config?.attestations?.identity, trustedRoot });
  // What each bundle's statement says about its maker (read without trusting it: shown as a name, never as a verdict).
  const named = new Map<string, string>();
  const { bundles } = await readBundles(store, subject);
  for (const b of bundles) {
    const uri = workflowUriOf(b.bundle, TEST_CONFIGURATION.workflow);
    const id = uri ? parseWorkflowIdentity(uri) : undefined;
    if (id) named.set(b.digest, `${id.repository}/${id.workflow}@${id.ref}`);
  }
  return statuses.map((s) => {
    const kind = s.predicateType === SLSA_PROVENANCE ? 'provenance' : s.predicateType === TEST_RESULT ? 'test-result' : 'other';
    const signing = s.signing === 'keyed' ? 'key' : s.signing === 'keyless' ? 'keyless' : 'unknown';
    const signer =
      signing === 'key'
        ? (s.keyid ?? keyHintOf(bundles.find((b) => b.digest === s.digest)?.bundle))
        : signing === 'keyless'
          ? named.get(s.digest)
          : undefined;
    return {
      digest: s.digest,
      kind,
      signing,
      ...(signer ? { signer } : {}),
      verified: s.verified,
      ...(signing === 'keyless' && !trustedRoot ? { checked: false } : {}),
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.environment ? { environment: s.environment } : {}),
      ...(s.result ? { result: s.result } : {}),
    };
  });
}

/** Looks the attestations up, or says why it could not (the report then shows none rather than failing). */
export async function candidateAttestationsOrWarn(
  store: Store,
  candidate: string,
  config: KarooConfig | undefined,
  warn: (m: string) => void,
): Promise<AttestationInfo[] | undefined> {
  try {
    return await candidateAttestations(store, candidate, config);
  } catch (e) {
    if (isKarooError(e) && e.kind === 'input') throw e;
    warn(`cannot read the attestations of ${candidate} from ${store.ref} (${errorMessage(e)}); the report says nothing about signatures`);
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The workflow identity URI an (unverified) bundle's statement names: the test result's workflow, or the provenance's builder. */
function workflowUriOf(bundle: unknown, workflowName: string): string | undefined {
  if (!isObject(bundle) || !isObject(bundle.dsseEnvelope) || typeof bundle.dsseEnvelope.payload !== 'string') return undefined;
  let s: unknown;
  try {
    s = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(s) || !isObject(s.predicate)) return undefined;
  const p = s.predicate;
  if (Array.isArray(p.configuration)) {
    const w = (p.configuration as unknown[]).find((c) => isObject(c) && c.name === workflowName);
    if (isObject(w) && typeof w.uri === 'string') return w.uri;
  }
  const builder = isObject(p.runDetails) && isObject(p.runDetails.builder) ? p.runDetails.builder.id : undefined;
  return typeof builder === 'string' ? builder : undefined;
}

/** The key id a keyed bundle says signed it (its public key hint), for a signature that did not verify. */
function keyHintOf(bundle: unknown): string | undefined {
  if (!isObject(bundle) || !isObject(bundle.verificationMaterial) || !isObject(bundle.verificationMaterial.publicKey)) return undefined;
  const hint = bundle.verificationMaterial.publicKey.hint;
  return typeof hint === 'string' && /^[A-Za-z0-9+/=:._-]{1,200}$/.test(hint) ? hint : undefined;
}
