import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { blobFileName, canonicalJson, checkDescriptor, type Digest, KarooError, sha256Of, writeFileAtomic } from '@karoo/common';
import {
  type BlobSource,
  type ByteRange,
  type Descriptor,
  type PutBlobResult,
  REF_NAME_ANNOTATION,
  type ManifestInfo,
  type Store,
  type StoredManifest,
  MEDIA_TYPES,
} from './types.js';
import {
  blobMismatch,
  checkReference,
  checkTag,
  Hasher,
  isDigestRef,
  parseManifestInfo,
  referrerDescriptor,
  sleep,
  SizeExceededError,
} from './util.js';

interface IndexJson {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

const LAYOUT_VERSION = canonicalJson({ imageLayoutVersion: '1.0.0' });

/**
 * An OCI image layout directory (image-spec image-layout.md): `oci-layout`, `index.json`,
 * `blobs/sha256/<hex>`. Blobs are written to a temp file, checked, then renamed into place;
 * `index.json` is rewritten atomically under a lock file, so concurrent builds into the same
 * directory are safe. Tags are `org.opencontainers.image.ref.name` annotations; every stored
 * manifest (candidates and their referrers) is listed in `index.json`.
 */
export class LayoutStore implements Store {
  readonly kind = 'oci-layout' as const;
  readonly ref: string;
  readonly path: string;

  constructor(path: string) {
    this.path = resolve(path);
    this.ref = `oci-layout:${path}`;
  }

  refFor(digest: Digest): string {
    return `oci-layout:${this.path}@${digest}`;
  }

  /** Where a blob lives: `blobs/sha256/<hex>`; anything but a valid digest is refused (never a path outside the layout). */
  blobPath(digest: Digest): string {
    return join(this.path, 'blobs', 'sha256', blobFileName(digest));
  }

  /** A directory inside the layout for files on their way into it (same file system, so renames and links work). */
  async stagingDir(): Promise<string> {
    const dir = join(this.path, '.karoo-tmp', randomBytes(6).toString('hex'));
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async init(): Promise<void> {
    await mkdir(join(this.path, 'blobs', 'sha256'), { recursive: true });
    if (!(await exists(join(this.path, 'oci-layout')))) await writeFileAtomic(join(this.path, 'oci-layout'), LAYOUT_VERSION);
    if (!(await exists(join(this.path, 'index.json')))) await writeFileAtomic(join(this.path, 'index.json'), canonicalJson(emptyIndex()));
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    return exists(this.blobPath(digest));
  }

  async putBlob(blob: { digest: Digest; size: number }, source: BlobSource): Promise<PutBlobResult> {
    await this.init();
    const final = this.blobPath(blob.digest);
    const tmp = join(this.path, 'blobs', 'sha256', `.${blobFileName(blob.digest).slice(0, 16)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      if (source.path && source.verified) {
        // Already checked while it was written: link it (no copy) when on the same file system.
        try {
          const st = await stat(source.path);
          if (st.size !== blob.size)
            throw blobMismatch(`blob ${blob.digest} at ${source.path}`, blob, { digest: '(not read)', size: st.size });
          await link(source.path, tmp);
          await rename(tmp, final);
          return { bytes: blob.size, how: 'linked' };
        } catch (e) {
          if ((e as KarooError).kind === 'integrity') throw e;
          await rm(tmp, { force: true });
        }
      }
      const hasher = new Hasher(blob.size);
      try {
        await pipeline(source.open(), hasher, createWriteStream(tmp, { flags: 'wx' }));
      } catch (e) {
        if (e instanceof SizeExceededError)
          throw blobMismatch(`blob ${blob.digest}`, blob, { digest: '(not read)', size: `more than ${blob.size}` });
        throw e;
      }
      const digest = hasher.digest();
      if (digest !== blob.digest || hasher.bytes !== blob.size)
        throw blobMismatch(`blob ${blob.digest}`, blob, { digest, size: hasher.bytes });
      await rename(tmp, final);
      return { bytes: blob.size, how: 'copied' };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async getBlob(digest: Digest, range?: ByteRange): Promise<Readable> {
    const p = this.blobPath(digest);
    if (!(await exists(p)))
      throw new KarooError('integrity', `blob ${digest} is missing from ${this.ref}`, { detail: { digest, missing: true } });
    return createReadStream(p, range ? { start: range.start, end: range.end - 1, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 });
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  async hasManifest(reference: string): Promise<Descriptor | undefined> {
    checkReference(reference);
    const index = await this.readIndex();
    if (isDigestRef(reference)) return index.manifests.find((d) => d.digest === reference);
    return index.manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === reference);
  }

  async getManifest(reference: string): Promise<StoredManifest> {
    const d = await this.hasManifest(reference);
    if (!d) throw new KarooError('input', `manifest ${reference} is not in ${this.ref}`, { detail: { reference, notFound: true } });
    const p = this.blobPath(d.digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(p);
    } catch {
      throw new KarooError('integrity', `manifest ${d.digest} is listed in ${join(this.path, 'index.json')} but its blob is missing`);
    }
    const actual = sha256Of(bytes);
    if (actual !== d.digest || bytes.length !== d.size)
      throw blobMismatch(`manifest ${d.digest} in ${this.ref}`, d, { digest: actual, size: bytes.length });
    const { annotations, ...rest } = d;
    const kept = annotations ? Object.fromEntries(Object.entries(annotations).filter(([k]) => k !== REF_NAME_ANNOTATION)) : {};
    return { descriptor: { ...rest, ...(Object.keys(kept).length ? { annotations: kept } : {}) }, bytes };
  }

  async putManifest(bytes: Uint8Array, mediaType: string, options: { tag?: string | undefined } = {}): Promise<Descriptor> {
    if (options.tag !== undefined) checkTag(options.tag);
    const digest = sha256Of(bytes);
    const info = parseManifestInfo(bytes, `manifest ${digest}`);
    await this.init();
    for (const b of [...(info.config ? [info.config] : []), ...(info.layers ?? []), ...(info.manifests ?? [])]) {
      if (!(await this.hasBlob(b.digest))) {
        throw new KarooError(
          'integrity',
          `manifest ${digest} references ${b.digest}, which is not in ${this.ref}; push blobs before the manifest`,
        );
      }
    }
    await this.putBlob({ digest, size: bytes.length }, { open: () => bufferReadable(bytes) });
    const entry: Descriptor = {
      mediaType,
      digest,
      size: bytes.length,
      ...(info.artifactType ? { artifactType: info.artifactType } : {}),
      ...(options.tag !== undefined ? { annotations: { [REF_NAME_ANNOTATION]: options.tag } } : {}),
    };
    await this.updateIndex((manifests) => {
      const tag = options.tag;
      let list = manifests;
      if (tag !== undefined) list = list.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== tag);
      else if (list.some((d) => d.digest === digest)) return list;
      return [...list, entry];
    });
    return { mediaType, digest, size: bytes.length, artifactType: entry.artifactType };
  }

  async listTags(): Promise<string[]> {
    const index = await this.readIndex();
    return [...new Set(index.manifests.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter((t): t is string => !!t))].sort();
  }

  async referrers(subject: Digest, artifactType?: string): Promise<Descriptor[]> {
    const index = await this.readIndex();
    const out = new Map<string, Descriptor>();
    for (const d of index.manifests) {
      if (d.mediaType !== MEDIA_TYPES.imageManifest && d.mediaType !== MEDIA_TYPES.imageIndex) continue;
      if (out.has(d.digest)) continue;
      let info;
      try {
        info = parseManifestInfo(await readFile(this.blobPath(d.digest)), `manifest ${d.digest} in ${this.ref}`);
      } catch {
        // Malformed: still listed when it names this subject (as a registry's referrers list would),
        // so readers report it as invalid; it must not hide the others, nor fail the listing.
        info = await this.looseReferrer(d.digest, subject);
        if (!info) continue;
      }
      if (info.subject?.digest !== subject) continue;
      const r = referrerDescriptor({ ...info, mediaType: d.mediaType }, d.digest, d.size);
      if (artifactType === undefined || r.artifactType === artifactType) out.set(d.digest, r);
    }
    return [...out.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1));
  }

  /** Only `artifactType` and whether `subject.digest` is the given digest, of a manifest that does not parse in full. */
  private async looseReferrer(digest: Digest, subject: Digest): Promise<ManifestInfo | undefined> {
    try {
      const v = JSON.parse((await readFile(this.blobPath(digest))).toString('utf8')) as {
        subject?: { digest?: unknown };
        artifactType?: unknown;
      };
      if (v?.subject?.digest !== subject) return undefined;
      return {
        subject: { mediaType: MEDIA_TYPES.imageManifest, digest: subject, size: 0 },
        ...(typeof v.artifactType === 'string' ? { artifactType: v.artifactType } : {}),
      };
    } catch {
      return undefined;
    }
  }

  /** Removes a staging directory (and the staging root when it is left empty). */
  async releaseStaging(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    await rmdir(join(this.path, '.karoo-tmp')).catch(() => undefined);
  }

  private async readIndex(): Promise<IndexJson> {
    let text: string;
    try {
      text = await readFile(join(this.path, 'index.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
      throw e;
    }
    try {
      const v = JSON.parse(text) as IndexJson;
      if (!Array.isArray(v.manifests)) throw new Error('no manifests array');
      return { ...v, manifests: v.manifests.map((d, i) => checkDescriptor(d, `manifests[${i}]`)) };
    } catch (e) {
      throw new KarooError(
        'integrity',
        `${join(this.path, 'index.json')} is not an OCI image index (${(e as Error).message}); the layout is damaged`,
      );
    }
  }

  private async updateIndex(change: (manifests: Descriptor[]) => Descriptor[]): Promise<void> {
    const lockPath = join(this.path, 'index.json.lock');
    const release = await acquire(lockPath);
    try {
      const index = await this.readIndex();
      const next = change(index.manifests);
      if (next === index.manifests) return;
      next.sort(
        (a, b) => cmp(a.annotations?.[REF_NAME_ANNOTATION] ?? '', b.annotations?.[REF_NAME_ANNOTATION] ?? '') || cmp(a.digest, b.digest),
      );
      await writeFileAtomic(join(this.path, 'index.json'), canonicalJson({ ...emptyIndex(), manifests: next }));
    } finally {
      await release();
    }
  }
}

function emptyIndex(): IndexJson {
  return { schemaVersion: 2, mediaType: MEDIA_TYPES.imageIndex, manifests: [] };
}

function bufferReadable(bytes: Uint8Array): Readable {
  return Readable.from([Buffer.from(bytes)]);
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** A lock file taken with O_EXCL; a lock older than a minute is taken to be left by a crashed writer. */
async function acquire(lockPath: string): Promise<() => Promise<void>> {
  const started = Date.now();
  for (let i = 0; ; i++) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.close();
      return () => rm(lockPath, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        const st = await stat(lockPath);
        if (Date.now() - st.mtimeMs > 60_000) await rm(lockPath, { force: true });
      } catch {
        /* gone already */
      }
      if (Date.now() - started > 120_000)
        throw new KarooError('unavailable', `${lockPath} is held by another writer; remove it if no karoo process is running`);
      await sleep(Math.min(200, 5 * (i + 1)));
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
