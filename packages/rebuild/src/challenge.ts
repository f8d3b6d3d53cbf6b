import { ANNOTATIONS, type Descriptor, parseManifest } from '@karoo/candidate';
import { type Digest, errorMessage, isKarooError, KarooError, type Progress, parseDigest, silentProgress } from '@karoo/common';
import { type Store, verifyBlob } from '@karoo/oci';
import pLimit from 'p-limit';

/** One store's copy of one blob: `ok` (present, re-hashed to its digest and size), `missing`, or `damaged`. */
export interface ChallengeCopy {
  readonly store: string;
  readonly status: 'ok' | 'missing' | 'damaged';
  /** What the store holds when damaged (re-hashed), as far as it could be read. */
  readonly actual?: { readonly digest?: string | undefined; readonly size?: number | string | undefined } | undefined;
  readonly reason?: string | undefined;
}

export interface ChallengeBlob {
  readonly role: 'manifest' | 'config' | 'layer';
  /** The layer's file name (`org.opencontainers.image.title`), when it has one. */
  readonly title?: string | undefined;
  readonly digest: Digest;
  readonly size: number;
  readonly copies: readonly ChallengeCopy[];
  /** True when every store holds exactly these bytes. */
  readonly same: boolean;
}

export interface ChallengeResult {
  readonly candidate: Digest;
  readonly stores: readonly string[];
  readonly blobs: readonly ChallengeBlob[];
  /** Blobs that are not the same in every store. */
  readonly differences: number;
  readonly identical: boolean;
  /** One line per difference, naming the blob and the store. */
  readonly problems: readonly string[];
}

export interface ChallengeOptions {
  readonly concurrency?: number | undefined;
  readonly progress?: Progress | undefined;
}

/**
 * Compares the copies of a candidate in two (or more) stores blob by blob — the manifest, the
 * config and every layer — re-hashing each copy: present in each store, and the same bytes?
 * In the spirit of `guix challenge`: an air-gapped site checks its copy against the origin.
 * Never throws for a difference (the result names each); throws when no store holds an intact
 * manifest of the candidate, since then there is no list of blobs to compare.
 */
export async function challenge(
  candidate: Digest | string,
  stores: readonly Store[],
  options: ChallengeOptions = {},
): Promise<ChallengeResult> {
  const digest = parseDigest(candidate, 'candidate');
  if (stores.length < 2) throw new KarooError('input', `challenge needs at least two stores (got ${stores.length}); pass --store twice`);
  const progress = options.progress ?? silentProgress;
  const limit = pLimit(options.concurrency ?? 4);

  const manifests = await Promise.all(stores.map((s) => readManifestCopy(s, digest)));
  const intact = manifests.find((m) => m.bytes !== undefined);
  if (!intact?.bytes) {
    throw new KarooError(
      'integrity',
      `no store holds an intact manifest of ${digest}: ${manifests.map((m) => `${m.copy.store}: ${m.copy.reason ?? m.copy.status}`).join('; ')}`,
    );
  }
  const manifest = parseManifest(intact.bytes, `manifest ${digest}`);
  const blobs: ChallengeBlob[] = [
    {
      role: 'manifest',
      digest,
      size: intact.bytes.length,
      copies: manifests.map((m) => m.copy),
      same: manifests.every((m) => m.copy.status === 'ok'),
    },
  ];
  const list: Array<{ role: 'config' | 'layer'; d: Descriptor }> = [
    { role: 'config', d: manifest.config },
    ...manifest.layers.map((d) => ({ role: 'layer' as const, d })),
  ];
  progress.info(`challenge ${digest}: ${list.length + 1} blobs in ${stores.length} stores`);
  for (const { role, d } of list) {
    const copies = await Promise.all(stores.map((s) => limit(() => blobCopy(s, d))));
    blobs.push({
      role,
      title: d.annotations?.[ANNOTATIONS.title],
      digest: d.digest,
      size: d.size,
      copies,
      same: copies.every((c) => c.status === 'ok'),
    });
  }
  const problems: string[] = [];
  for (const b of blobs) {
    for (const c of b.copies) {
      if (c.status === 'ok') continue;
      problems.push(`${b.role}${b.title ? ` "${b.title}"` : ''} ${b.digest}: ${c.status} in ${c.store}${c.reason ? ` (${c.reason})` : ''}`);
    }
  }
  const differences = blobs.filter((b) => !b.same).length;
  progress.info(
    differences === 0
      ? `every blob of ${digest} is the same in ${stores.map((s) => s.ref).join(' and ')}`
      : `${differences} of ${blobs.length} blobs of ${digest} differ`,
  );
  return { candidate: digest, stores: stores.map((s) => s.ref), blobs, differences, identical: differences === 0, problems };
}

async function readManifestCopy(store: Store, digest: Digest): Promise<{ copy: ChallengeCopy; bytes?: Buffer }> {
  try {
    // Asked by digest, the store checks the bytes against it.
    const m = await store.getManifest(digest);
    return { copy: { store: store.ref, status: 'ok' }, bytes: m.bytes };
  } catch (e) {
    if (isKarooError(e) && e.kind === 'input' && e.detail?.notFound)
      return { copy: { store: store.ref, status: 'missing', reason: 'not in the store' } };
    if (isKarooError(e) && e.kind === 'integrity') {
      const actual = e.detail?.actual as { digest?: string; size?: number | string } | undefined;
      return { copy: { store: store.ref, status: 'damaged', actual, reason: errorMessage(e) } };
    }
    if (isKarooError(e) && e.kind === 'input') return { copy: { store: store.ref, status: 'missing', reason: errorMessage(e) } };
    throw e;
  }
}

async function blobCopy(store: Store, d: Descriptor): Promise<ChallengeCopy> {
  if (!(await store.hasBlob(d.digest))) return { store: store.ref, status: 'missing', reason: 'not in the store' };
  try {
    await verifyBlob(store, d, `blob ${d.digest}`);
    return { store: store.ref, status: 'ok' };
  } catch (e) {
    if (!isKarooError(e) || e.kind !== 'integrity') throw e;
    if (e.detail?.missing) return { store: store.ref, status: 'missing', reason: 'not in the store' };
    const actual = e.detail?.actual as { digest?: string; size?: number } | undefined;
    return {
      store: store.ref,
      status: 'damaged',
      actual: actual ?? { size: `more than ${d.size}` },
      reason: actual ? `holds ${actual.digest} (${actual.size} bytes)` : `holds more than ${d.size} bytes`,
    };
  }
}
