import { setMaxListeners } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AttestSigner } from '@karoo/attest';
import {
  type Candidate,
  candidateFor,
  type CandidateInput,
  type LockRenderers,
  OCI,
  type Provenance,
  provenanceFor,
} from '@karoo/candidate';
import { type Digest, type IndexAuthConfig, KAROO_VERSION, KarooError, type Progress, silentProgress } from '@karoo/common';
import type { Lock } from '@karoo/lock';
import { bufferSource, fileSource, LayoutStore, type Store } from '@karoo/oci';
import pLimit from 'p-limit';
import { downloadLockedFile, indexAuthHeaders } from './download.js';

export interface BuildOptions extends CandidateInput {
  readonly lock: Lock;
  readonly store: Store;
  readonly renderers?: LockRenderers | undefined;
  /** Parallel downloads and uploads. Default 8. */
  readonly concurrency?: number | undefined;
  /**
   * A directory that keeps downloaded files (named by sha256) between builds, e.g. the
   * action's cache. Files there are re-hashed before use. Default: a temp directory.
   */
  readonly downloadDir?: string | undefined;
  /**
   * Files the caller has already downloaded and checked against this lock (sha256 hex → path),
   * e.g. rebuild's scratch downloads: used as they are, not fetched or hashed again, and linked
   * into a layout store. The caller must leave them unchanged until build returns.
   */
  readonly verifiedFiles?: ReadonlyMap<string, string> | undefined;
  /** Other repositories of the same registry to mount missing blobs from. */
  readonly mountFrom?: readonly string[] | undefined;
  /** Also tag the candidate. */
  readonly tag?: string | undefined;
  /** Provenance to attach as a referrer when the candidate is new (lockDigest is filled in). */
  readonly provenance?: Omit<Provenance, 'lockDigest'> | undefined;
  /**
   * Signs the provenance when the candidate is new: an in-toto statement with the SLSA
   * Provenance v1 predicate (@karoo/attest), attached as a Sigstore bundle referrer. Its time and
   * run come from `provenance` when given.
   */
  readonly attest?: AttestSigner | undefined;
  /**
   * The indexes of karoo.yml: a file on an index's own origin is downloaded with that index's
   * credentials (from `env`), any other file without (indexAuthHeaders).
   */
  readonly indexes?: readonly IndexAuthConfig[] | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Extra request headers for a URL; overrides `indexes`. */
  readonly headersFor?: ((url: URL) => Record<string, string> | undefined) | undefined;
  readonly progress?: Progress | undefined;
}

export interface BuildResult {
  readonly candidate: Digest;
  readonly candidateRef: string;
  readonly existed: boolean;
  /** Bytes sent to the store: uploaded blobs and manifests (0 when the candidate existed). */
  readonly pushedBytes: number;
  /** Bytes fetched from the index (0 when every needed file was in the download directory or the store). */
  readonly downloadedBytes: number;
  /** Manifest + config + layers. */
  readonly size: number;
  readonly layers: number;
  readonly blobs: { readonly uploaded: number; readonly reused: number; readonly mounted: number };
  readonly provenance?: Digest | undefined;
  /** Digest of the signed SLSA provenance attestation, when a signing key was given. */
  readonly attestation?: Digest | undefined;
  readonly system: string;
  readonly lockDigest: Digest;
}

/**
 * Builds the candidate of a lock into a store. The digest is computed first, from the lock
 * alone: if the store has it, nothing is downloaded or uploaded. Otherwise every locked file
 * the store lacks is downloaded (bounded parallel, streamed, checked against the lock's sha256
 * and size) and, once checked, uploaded while the other files are still downloading; the
 * config and lock files go up alongside. The manifest goes last, only when every file was
 * checked and every blob is in: a candidate is never visible half-pushed, a file that does not
 * match the lock stops the build before it, and no blob reaches the store unchecked.
 */
export async function build(options: BuildOptions): Promise<BuildResult> {
  const { lock, store } = options;
  const progress = options.progress ?? silentProgress;
  const c: Candidate = candidateFor(lock, options, options.renderers);
  const base = {
    candidate: c.digest,
    candidateRef: store.refFor(c.digest),
    size: c.totalSize,
    layers: c.manifest.layers.length,
    system: options.system,
    lockDigest: lock.digest,
  };
  if (await store.hasManifest(c.digest)) {
    progress.info(`candidate ${c.digest} is already in ${store.ref}; nothing to do`);
    if (options.tag !== undefined) await store.putManifest(c.manifestBytes, OCI.imageManifest, { tag: options.tag });
    return {
      ...base,
      existed: true,
      pushedBytes: 0,
      downloadedBytes: 0,
      blobs: { uploaded: 0, reused: c.manifest.layers.length + 1, mounted: 0 },
    };
  }

  const limit = pLimit(options.concurrency ?? 8);
  const present = await Promise.all(
    [...c.files.map((f) => f.descriptor), ...c.inline.map((b) => b.descriptor)].map((d) => limit(() => store.hasBlob(d.digest))),
  );
  let missing = c.files.filter((_, i) => !present[i]);
  const missingInline = c.inline.filter((_, i) => !present[c.files.length + i]);
  let reused = present.filter(Boolean).length;

  let mounted = 0;
  for (const from of options.mountFrom ?? []) {
    if (missing.length === 0) break;
    const ok = await Promise.all(missing.map((f) => limit(() => store.mountBlob(f.descriptor, from))));
    mounted += ok.filter(Boolean).length;
    missing = missing.filter((_, i) => !ok[i]);
  }
  progress.info(
    `candidate ${c.digest}: ${c.files.length} files, ${reused} blobs already in ${store.ref}${mounted ? `, ${mounted} mounted` : ''}, ${missing.length} to download`,
  );

  const ownDir = options.downloadDir === undefined;
  const dir = options.downloadDir
    ? resolve(options.downloadDir)
    : store instanceof LayoutStore
      ? await store.stagingDir()
      : await mkdtemp(join(tmpdir(), 'karoo-build-'));
  await mkdir(dir, { recursive: true });
  let downloadedBytes = 0;
  let pushedBytes = 0;
  let uploaded = 0;
  try {
    // Each file is downloaded and checked, then uploaded while others still download: the
    // download, the hashing and the upload overlap across files. One bad file stops the rest.
    const logins = { indexes: options.indexes ?? [], env: options.env ?? process.env };
    const headersFor = options.headersFor ?? indexAuthHeaders(logins.indexes, logins.env);
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    const stopped = () => new KarooError('internal', 'skipped after an earlier failure');
    const settled = await Promise.allSettled([
      ...missing.map((f) =>
        limit(async () => {
          if (abort.signal.aborted) throw stopped();
          try {
            const checked = options.verifiedFiles?.get(f.file.sha256);
            const d =
              checked !== undefined
                ? { path: checked, fetched: 0 }
                : await downloadLockedFile(f.pkg, f.file, dir, { headersFor, signal: abort.signal, logins });
            downloadedBytes += d.fetched;
            if (abort.signal.aborted) throw stopped();
            // Our own temp files (and files the caller checked) may be linked into a layout store;
            // files in a directory the caller keeps are copied (and re-checked), so the store
            // never shares their inode.
            const r = await store.putBlob(
              { digest: f.descriptor.digest, size: f.descriptor.size },
              fileSource(d.path, ownDir || checked !== undefined),
            );
            pushedBytes += r.bytes;
            uploaded++;
          } catch (e) {
            abort.abort();
            throw e;
          }
        }),
      ),
      ...missingInline.map((b) =>
        limit(async () => {
          if (abort.signal.aborted) throw stopped();
          const r = await store.putBlob({ digest: b.descriptor.digest, size: b.descriptor.size }, bufferSource(b.bytes));
          pushedBytes += r.bytes;
          uploaded++;
        }),
      ),
    ]);
    // Report the failure that caused the others to stop, not an abort it caused.
    const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as Error);
    if (failures.length)
      throw (
        failures.find((e) => e instanceof KarooError && e.kind !== 'internal') ??
        failures.find((e) => e.name !== 'AbortError') ??
        failures[0]
      );
    if (missing.length) progress.info(`downloaded, checked and uploaded ${missing.length} files (${downloadedBytes} bytes fetched)`);

    // Signed before the candidate becomes visible: a signing failure (keyless: Sigstore unreachable) leaves nothing half-done.
    const signed = options.attest ? await signProvenance(c, options, options.attest) : undefined;
    // Every file checked and every blob in: only now does the candidate become visible.
    await store.putManifest(c.manifestBytes, OCI.imageManifest, { tag: options.tag });
    pushedBytes += c.manifestBytes.length;
    reused = c.manifest.layers.length + 1 - uploaded - mounted;
    progress.info(`pushed candidate ${c.digest} to ${store.ref} (${uploaded} blobs, ${pushedBytes} bytes)`);

    let provenance: Digest | undefined;
    if (options.provenance) {
      const p = provenanceFor(c.descriptor, { ...options.provenance, lockDigest: lock.digest });
      for (const b of p.blobs) {
        if (!(await store.hasBlob(b.descriptor.digest))) await store.putBlob(b.descriptor, bufferSource(b.bytes));
      }
      await store.putManifest(p.manifestBytes, OCI.imageManifest);
      provenance = p.digest;
    }
    let attestation: Digest | undefined;
    if (signed) {
      const { attestationReferrer, pushAttestation } = await import('@karoo/attest');
      attestation = (await pushAttestation(store, attestationReferrer(c.descriptor, signed.bundle, signed.predicateType, signed.builtAt)))
        .digest as Digest;
    }
    if (attestation) progress.info(`signed SLSA provenance ${attestation} pushed to ${store.ref}`);
    return { ...base, existed: false, pushedBytes, downloadedBytes, blobs: { uploaded, reused, mounted }, provenance, attestation };
  } finally {
    if (ownDir && store instanceof LayoutStore) await store.releaseStaging(dir);
    else if (ownDir) await rm(dir, { recursive: true, force: true });
  }
}

/** The signed SLSA provenance of a new candidate: every locked file by sha256, the lock digest and system as external parameters. */
async function signProvenance(
  c: Candidate,
  options: BuildOptions,
  signer: AttestSigner,
): Promise<{ bundle: Awaited<ReturnType<typeof import('@karoo/attest').signAttestation>>; predicateType: string; builtAt: string }> {
  const { provenanceStatement, signAttestation } = await import('@karoo/attest');
  const { lock } = options;
  const p = options.provenance;
  const builtAt = p?.builtAt ?? new Date().toISOString();
  const statement = provenanceStatement({
    candidate: { name: options.system, digest: c.digest },
    lockDigest: lock.digest,
    system: options.system,
    target: (lock.meta.target ?? options.target) as Readonly<Record<string, unknown>> | undefined,
    files: lock.packages.flatMap((pkg) =>
      pkg.files.map((f) => ({ name: f.name, url: f.url, sha256: f.sha256, package: `${pkg.name}==${pkg.version}` })),
    ),
    builder: p?.builder ?? `karoo ${KAROO_VERSION}`,
    builtAt,
    run: p,
  });
  return { bundle: await signAttestation(statement, signer), predicateType: statement.predicateType, builtAt };
}
