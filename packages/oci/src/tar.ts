import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import {
  blobFileName,
  canonicalJson,
  type Digest,
  KarooError,
  OCI_ANNOTATIONS,
  parseDigest,
  type Progress,
  silentProgress,
} from '@karoo/common';
import { extract as tarExtract, pack as tarPack, type Header, type Pack } from 'tar-stream';
import { copyArtifact } from './copy.js';
import { LayoutStore } from './layout.js';
import { type Descriptor, MEDIA_TYPES, type Store } from './types.js';
import { blobsOf, Hasher, manifestMediaType, parseManifestInfo, referrerDescriptor, SizeExceededError } from './util.js';
import { verifyManifest } from './verify.js';

/** Fixed header fields of every entry: no times, owners or host-dependent modes. */
const FIXED = { mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' } as const;

export interface ExportResult {
  readonly digest: Digest;
  readonly out: string;
  /** Manifests written (the candidate and its referrers). */
  readonly manifests: number;
  readonly blobs: number;
  readonly bytes: number;
}

interface Entry {
  readonly digest: Digest;
  readonly size: number;
  readonly bytes?: Buffer | undefined;
  readonly what: string;
}

/**
 * Writes a manifest, its blobs and its referrers as an OCI image layout in a tar whose bytes
 * depend only on the content: entries sorted, mtime 0, uid/gid 0, modes 0644/0755, no pax
 * records. Every blob is checked while it is streamed; the tar appears only when complete.
 */
export async function exportTar(
  store: Store,
  reference: string,
  out: string,
  options: { progress?: Progress } = {},
): Promise<ExportResult> {
  const progress = options.progress ?? silentProgress;
  const root = parseDigest(reference, 'candidate');
  const entries = new Map<string, Entry>();
  const listed: Descriptor[] = [];
  const seen = new Set<string>();
  const visit = async (digest: Digest, listedAs: 'root' | 'referrer' | 'child'): Promise<void> => {
    if (seen.has(digest)) return;
    seen.add(digest);
    const m = await store.getManifest(digest);
    const info = parseManifestInfo(m.bytes, `manifest ${digest}`);
    entries.set(blobFileName(digest), { digest, size: m.bytes.length, bytes: m.bytes, what: `manifest ${digest}` });
    if (listedAs === 'root') {
      listed.push({
        mediaType: manifestMediaType(info),
        digest,
        size: m.bytes.length,
        ...(info.artifactType ? { artifactType: info.artifactType } : {}),
      });
    } else if (listedAs === 'referrer') listed.push(referrerDescriptor(info, digest, m.bytes.length));
    for (const c of info.manifests ?? []) await visit(c.digest, 'child');
    for (const b of blobsOf(info)) {
      const title = b.annotations?.[OCI_ANNOTATIONS.title];
      entries.set(blobFileName(b.digest), {
        digest: b.digest,
        size: b.size,
        what: `blob ${b.digest}${title ? ` ("${title}")` : ''} of ${digest}`,
      });
    }
    for (const r of await store.referrers(digest)) await visit(r.digest, 'referrer');
  };
  await visit(root, 'root');
  const [first, ...rest] = listed;
  const index = canonicalJson({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.imageIndex,
    manifests: [first!, ...rest.sort((a, b) => (a.digest < b.digest ? -1 : 1))],
  });

  const abs = resolve(out);
  await mkdir(dirname(abs), { recursive: true });
  const tmp = join(dirname(abs), `.${randomBytes(6).toString('hex')}.tar.tmp`);
  const pack = tarPack();
  const written = pipeline(pack, createWriteStream(tmp));
  let bytes = 0;
  try {
    const add = (header: Partial<Header> & { name: string }, body?: string | Buffer) =>
      new Promise<void>((res, rej) => {
        const cb = (e?: Error | null) => (e ? rej(e) : res());
        if (body === undefined) pack.entry({ ...FIXED, ...header }, cb);
        else pack.entry({ ...FIXED, ...header }, body, cb);
      });
    await add({ name: 'blobs/', type: 'directory', mode: 0o755 });
    await add({ name: 'blobs/sha256/', type: 'directory', mode: 0o755 });
    for (const hex of [...entries.keys()].sort()) {
      const e = entries.get(hex)!;
      const header = { name: `blobs/sha256/${hex}`, type: 'file' as const, mode: 0o644, size: e.size };
      if (e.bytes) await add(header, e.bytes);
      else await streamEntry(pack, { ...FIXED, ...header }, store, e);
      bytes += e.size;
    }
    await add({ name: 'index.json', type: 'file', mode: 0o644 }, index);
    await add({ name: 'oci-layout', type: 'file', mode: 0o644 }, canonicalJson({ imageLayoutVersion: '1.0.0' }));
    pack.finalize();
    await written;
    await rename(tmp, abs);
  } catch (e) {
    pack.destroy();
    await written.catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  progress.info(`exported ${root} (${listed.length} manifests, ${entries.size} blobs) to ${out}`);
  return { digest: root, out, manifests: listed.length, blobs: entries.size, bytes };
}

async function streamEntry(pack: Pack, header: Partial<Header> & { name: string }, store: Store, e: Entry): Promise<void> {
  const hasher = new Hasher(e.size);
  let entryDone!: Promise<void>;
  const sink = await new Promise<Writable>((res) => {
    entryDone = new Promise<void>((ok, fail) => {
      const w = pack.entry(header, (err) => (err ? fail(err) : ok()));
      res(w as unknown as Writable);
    });
  });
  try {
    await pipeline(await store.getBlob(e.digest), hasher, sink);
  } catch (err) {
    if (err instanceof SizeExceededError)
      throw new KarooError('integrity', `${e.what} in ${store.ref} is larger than ${e.size} bytes; export stopped`);
    throw err;
  }
  await entryDone;
  const actual = hasher.digest();
  if (actual !== e.digest || hasher.bytes !== e.size) {
    throw new KarooError('integrity', `${e.what} is damaged in ${store.ref}: it holds ${actual} (${hasher.bytes} bytes); export stopped`);
  }
}

export interface ImportResult {
  /** The manifests listed in the tar's index.json that refer to nothing (the candidates). */
  readonly roots: Digest[];
  readonly manifests: number;
  readonly uploadedBlobs: number;
  readonly uploadedBytes: number;
}

const BLOB_NAME = /^(?:\.\/)?blobs\/sha256\/([0-9a-f]{64})$/;
const DIR_NAME = /^(?:\.\/)?(?:blobs\/?|blobs\/sha256\/?|\.\/?)$/;

/** Limits of `importTar`: what a tar may hold before it is refused. */
export interface ImportLimits {
  /** Entries of any kind (default 100 000). */
  readonly maxEntries?: number | undefined;
  /** Sum of the sizes of all entries (default 64 GiB). */
  readonly maxBytes?: number | undefined;
}

export const DEFAULT_IMPORT_LIMITS = { maxEntries: 100_000, maxBytes: 64 * 1024 ** 3 } as const;

/**
 * Reads an OCI layout tar (as `exportTar` writes it) into a staging layout, checking every
 * blob against its name, the entry count and the total size against `limits`, and every
 * descriptor of index.json and the manifests. Each listed manifest is verified there (all its
 * blobs present and matching) before anything is copied into `store`; then the manifests
 * (and their blobs) are copied, candidates before referrers, and the candidates verified in
 * `store`. Entries other than an OCI layout's are refused. Nothing of a refused tar reaches `store`.
 */
export async function importTar(
  file: string,
  store: Store,
  options: { progress?: Progress; limits?: ImportLimits } = {},
): Promise<ImportResult> {
  const progress = options.progress ?? silentProgress;
  const maxEntries = options.limits?.maxEntries ?? DEFAULT_IMPORT_LIMITS.maxEntries;
  const maxBytes = options.limits?.maxBytes ?? DEFAULT_IMPORT_LIMITS.maxBytes;
  const staging =
    store instanceof LayoutStore
      ? await store.stagingDir()
      : join((await import('node:os')).tmpdir(), `karoo-import-${randomBytes(6).toString('hex')}`);
  const temp = new LayoutStore(staging);
  try {
    await mkdir(join(staging, 'blobs', 'sha256'), { recursive: true });
    let indexText: string | undefined;
    const extract = tarExtract();
    let readError: unknown;
    const reading = pipeline(createReadStream(file), extract).catch((e: unknown) => {
      readError = e;
    });
    let entries = 0;
    let total = 0;
    try {
      for await (const entry of extract) {
        const name = entry.header.name;
        const size = entry.header.size ?? 0;
        if (++entries > maxEntries) {
          throw new KarooError(
            'input',
            `${file} holds more than ${maxEntries} entries; refused (an exported candidate holds one per blob)`,
          );
        }
        if (!Number.isSafeInteger(size) || size < 0)
          throw new KarooError('input', `${file}: entry "${name}" has an impossible size (${size}); the tar is damaged`);
        total += size;
        if (total > maxBytes) throw new KarooError('input', `${file} holds more than ${maxBytes} bytes; refused (import limit)`);
        const blob = BLOB_NAME.exec(name);
        if (entry.header.type === 'directory' && DIR_NAME.test(name)) {
          entry.resume();
        } else if (entry.header.type === 'file' && blob) {
          const digest = `sha256:${blob[1]}` as Digest;
          const hasher = new Hasher(size);
          await pipeline(entry, hasher, createWriteStream(join(staging, 'blobs', 'sha256', blob[1]!)));
          if (hasher.digest() !== digest || hasher.bytes !== size) {
            throw new KarooError(
              'integrity',
              `${file}: entry ${name} holds ${hasher.digest()}, not the blob its name says; the tar is damaged`,
            );
          }
        } else if (entry.header.type === 'file' && (name === 'index.json' || name === './index.json')) {
          indexText = await readEntry(entry);
        } else if (entry.header.type === 'file' && (name === 'oci-layout' || name === './oci-layout')) {
          await readEntry(entry);
        } else {
          throw new KarooError(
            'input',
            `${file}: unexpected entry "${name}" (${entry.header.type}); an OCI layout tar from karoo export holds only oci-layout, index.json and blobs/sha256/*`,
          );
        }
      }
    } catch (e) {
      extract.destroy();
      await reading;
      throw e;
    }
    await reading;
    if (readError) throw new KarooError('input', `${file} is not a readable tar (${(readError as Error).message})`);
    if (indexText === undefined) throw new KarooError('input', `${file} has no index.json; it is not an OCI layout tar`);
    // index.json's descriptors are checked (digest, size, media type) before any is used.
    const listed = parseManifestInfo(Buffer.from(indexText), `${file}: index.json`).manifests ?? [];
    const roots: Digest[] = [];
    const referrers: Digest[] = [];
    for (const d of listed) {
      let bytes: Buffer;
      try {
        bytes = await readFile(temp.blobPath(d.digest));
      } catch {
        throw new KarooError('input', `${file}: index.json lists ${d.digest}, but the tar holds no such blob`);
      }
      if (bytes.length !== d.size)
        throw new KarooError('integrity', `${file}: index.json says ${d.digest} is ${d.size} bytes, the tar holds ${bytes.length}`);
      const info = parseManifestInfo(bytes, `${file}: manifest ${d.digest}`);
      (info.subject ? referrers : roots).push(d.digest);
    }
    await writeFile(join(staging, 'index.json'), canonicalJson({ schemaVersion: 2, mediaType: MEDIA_TYPES.imageIndex, manifests: listed }));
    await writeFile(join(staging, 'oci-layout'), canonicalJson({ imageLayoutVersion: '1.0.0' }));
    // Every manifest is verified in the staging layout (every blob present, digest and size) before the store sees any.
    for (const d of [...roots, ...referrers]) await verifyManifest(temp, d);
    let manifests = 0;
    let uploadedBlobs = 0;
    let uploadedBytes = 0;
    for (const d of [...roots, ...referrers]) {
      const r = await copyArtifact(temp, store, d, { referrers: false, sourceVerified: true, progress });
      manifests += r.manifests.length;
      uploadedBlobs += r.uploadedBlobs;
      uploadedBytes += r.uploadedBytes;
    }
    for (const d of roots) await verifyManifest(store, d);
    return { roots, manifests, uploadedBlobs, uploadedBytes };
  } finally {
    if (store instanceof LayoutStore) await store.releaseStaging(staging);
    else await rm(staging, { recursive: true, force: true });
  }
}

async function readEntry(entry: AsyncIterable<unknown>): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of entry) {
    n += (c as Buffer).length;
    if (n > 16 << 20) throw new KarooError('input', 'index.json in the tar is larger than 16 MiB');
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}
