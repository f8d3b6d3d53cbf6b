import { canonicalJson, type Digest, isDigest, KarooError } from '@karoo/common';
import { ANNOTATIONS, type Descriptor, type InlineBlob, OCI, referrerFor } from '@karoo/candidate';
import { bufferSource, parseManifestInfo, readVerifiedBlob, type Store } from '@karoo/oci';

/** karoo's media types for promotion bookkeeping. */
export const PROMOTION = {
  /** `artifactType` (and payload media type) of a promotion record; `subject` = the candidate. */
  record: 'application/vnd.karoo.promotion.v1+json',
} as const;

/** Manifest annotation naming the environment of a record. */
export const ENVIRONMENT_ANNOTATION = 'dev.karoo.environment';

const ENV_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * The tags an environment owns in a store. `env-<name>` is the user-facing one (what the
 * environment runs, a plain OCI tag any client can pull); `.record` is the head of the
 * environment's hash-chained history; `sequence(n, record)` names every committed record by its
 * place in the chain (`env-<name>.record-<n>-<first 16 hex of its digest>`), so that two records
 * committed at the same place — a fork — are both visible in the tag list. Environment names
 * have no dots, so these never collide.
 */
export function environmentTags(environment: string): { env: string; record: string; sequence(n: number, record: Digest): string } {
  if (!ENV_NAME.test(environment)) {
    throw new KarooError('input', `environment name "${environment}" must be lowercase letters, digits and dashes (as in karoo.yml)`);
  }
  return {
    env: `env-${environment}`,
    record: `env-${environment}.record`,
    sequence: (n, record) => `env-${environment}.record-${n}-${record.slice('sha256:'.length, 'sha256:'.length + 16)}`,
  };
}

/** The sequence tags of one environment among a store's tags: place in the chain and digest prefix. */
export function sequenceTags(environment: string, tags: readonly string[]): Array<{ tag: string; sequence: number; prefix: string }> {
  const out: Array<{ tag: string; sequence: number; prefix: string }> = [];
  const start = `env-${environment}.record-`;
  for (const tag of tags) {
    if (!tag.startsWith(start)) continue;
    const m = /^([1-9][0-9]{0,9})-([0-9a-f]{16})$/.exec(tag.slice(start.length));
    if (m) out.push({ tag, sequence: Number(m[1]), prefix: m[2]! });
  }
  return out.sort((a, b) => a.sequence - b.sequence || (a.prefix < b.prefix ? -1 : 1));
}

/** Environments that have a history in a store, from its `env-<name>.record` tags. */
export function environmentsInTags(tags: readonly string[]): string[] {
  return tags
    .map((t) => /^env-([a-z0-9][a-z0-9-]*)\.record$/.exec(t)?.[1])
    .filter((n): n is string => !!n)
    .sort();
}

/** Where and by what a promotion was made (a workflow run, or a person at a terminal). */
export interface RunInfo {
  readonly id?: string | undefined;
  readonly attempt?: string | undefined;
  readonly url?: string | undefined;
  readonly repository?: string | undefined;
  readonly workflow?: string | undefined;
  /** The commit the run was started on (source, not the release: the release is the candidate). */
  readonly sha?: string | undefined;
}

/** One check of a gate, as it was evaluated. */
export interface GateCheck {
  /** The earlier environment the requirement is about. */
  readonly environment: string;
  readonly requirement: 'evidence' | 'soak' | 'history';
  readonly met: boolean;
  /** One human line: what was found, or what is missing. */
  readonly detail: string;
}

/** A promotion record: who moved which candidate into which environment, when and why. */
export interface PromotionRecord {
  readonly schema: 'karoo.promotion/v1';
  readonly kind: 'promotion' | 'rollback';
  readonly environment: string;
  readonly candidate: Digest;
  readonly system?: string | undefined;
  /** sha256 over the candidate digest and the environment's configuration digest, when known. */
  readonly systemId?: Digest | undefined;
  readonly previousCandidate?: Digest | undefined;
  /** The record this one follows in the environment's history (a hash chain). */
  readonly previousRecord?: Digest | undefined;
  /** Place in the environment's history, 1 for its first promotion (absent in records written before karoo numbered them). */
  readonly sequence?: number | undefined;
  readonly actor: string;
  readonly reason?: string | undefined;
  readonly run?: RunInfo | undefined;
  /** ISO 8601 UTC. */
  readonly time: string;
  readonly gate?: readonly GateCheck[] | undefined;
  /**
   * Only in records written before the record came first: the GitHub Deployment is now created
   * after the record is committed, and its payload names the record instead.
   */
  readonly deployment?: { readonly id: number; readonly url?: string | undefined } | undefined;
}

/** A record as read back from a store, with its own digest. */
export interface StoredRecord extends PromotionRecord {
  readonly digest: Digest;
}

/** An artifact ready to push: its blobs, then its manifest. */
export interface Artifact {
  readonly digest: Digest;
  readonly manifestBytes: Uint8Array;
  readonly blobs: readonly InlineBlob[];
}

export function recordArtifact(candidate: Descriptor, record: PromotionRecord): Artifact {
  const r = referrerFor({
    subject: candidate,
    artifactType: PROMOTION.record,
    payloads: [{ mediaType: PROMOTION.record, content: canonicalJson(record), title: 'promotion.json' }],
    annotations: { [ANNOTATIONS.created]: record.time, [ENVIRONMENT_ANNOTATION]: record.environment },
  });
  return { digest: r.digest, manifestBytes: r.manifestBytes, blobs: r.blobs };
}

/** Pushes blobs the store lacks, then the manifest (under `tag` when given). */
export async function pushArtifact(store: Store, artifact: Artifact, tag?: string): Promise<Digest> {
  for (const b of artifact.blobs) {
    if (!(await store.hasBlob(b.descriptor.digest))) await store.putBlob(b.descriptor, bufferSource(b.bytes));
  }
  // Untagged first: an OCI layout lists a manifest only through index.json, where moving a tag
  // drops the entry it left; the untagged entry keeps the artifact in the store for good.
  if (tag !== undefined && store.kind === 'oci-layout') await store.putManifest(artifact.manifestBytes, OCI.imageManifest);
  const d = await store.putManifest(artifact.manifestBytes, OCI.imageManifest, { tag });
  if (d.digest !== artifact.digest) throw new KarooError('integrity', `${store.ref} stored ${artifact.digest} as ${d.digest}`);
  return artifact.digest;
}

/** The digest a tag points at now, or undefined when the tag does not exist. */
export async function tagTarget(store: Store, tag: string): Promise<Digest | undefined> {
  const d = await store.hasManifest(tag);
  return d?.digest as Digest | undefined;
}

/** The JSON payload (first layer of `mediaType`) of an artifact, its bytes checked against their digest. */
export async function readPayload(store: Store, digest: Digest, artifactType: string): Promise<unknown> {
  const m = await store.getManifest(digest); // checked against its digest by the store
  // Every descriptor is checked here: no digest from stored JSON reaches a blob read unchecked.
  const manifest = parseManifestInfo(m.bytes, `${artifactType} ${digest} in ${store.ref}`);
  if (manifest.artifactType !== artifactType) {
    throw new KarooError(
      'integrity',
      `${digest} in ${store.ref} is a ${manifest.artifactType ?? 'manifest without artifactType'}, not a ${artifactType}`,
    );
  }
  const layer = manifest.layers?.find((l) => l.mediaType === artifactType);
  if (!layer) throw new KarooError('integrity', `${artifactType} ${digest} in ${store.ref} has no payload layer`);
  const bytes = await readVerifiedBlob(store, layer, `payload of ${digest}`, 1 << 20);
  return JSON.parse(bytes.toString('utf8')) as unknown;
}

export async function readRecord(store: Store, digest: Digest): Promise<StoredRecord> {
  const v = (await readPayload(store, digest, PROMOTION.record)) as Partial<PromotionRecord> | null;
  if (
    !v ||
    v.schema !== 'karoo.promotion/v1' ||
    typeof v.environment !== 'string' ||
    !isDigest(v.candidate) ||
    typeof v.time !== 'string'
  ) {
    throw new KarooError('integrity', `promotion record ${digest} in ${store.ref} is not a karoo.promotion/v1 record`);
  }
  if (v.previousRecord !== undefined && !isDigest(v.previousRecord))
    throw new KarooError('integrity', `promotion record ${digest}: previousRecord is not a digest`);
  if (v.sequence !== undefined && !(Number.isSafeInteger(v.sequence) && v.sequence >= 1))
    throw new KarooError('integrity', `promotion record ${digest}: sequence is not a positive integer`);
  return { ...(v as PromotionRecord), digest };
}
