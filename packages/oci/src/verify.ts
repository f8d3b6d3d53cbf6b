import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { type Digest, isKarooError, KarooError, OCI_ANNOTATIONS, parseDigest, sha256Of } from '@karoo/common';
import type { Descriptor, Store } from './types.js';
import { blobsOf, Hasher, parseManifestInfo, SizeExceededError } from './util.js';

export interface VerifyResult {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly artifactType?: string | undefined;
  /** Blobs read and checked (config and layers). */
  readonly blobs: number;
  /** Bytes read, manifest included. */
  readonly bytes: number;
}

/** What a descriptor is, for messages: `layer "numpy-1.26.4-….whl"`, `config`. */
export function describeBlob(d: Descriptor, role: string): string {
  const title = d.annotations?.[OCI_ANNOTATIONS.title];
  return `${role}${title ? ` "${title}"` : ''} ${d.digest}`;
}

/**
 * Re-reads every blob of a manifest and checks digest and size. Fails on the first bad blob,
 * naming it (integrity error). Manifests that are indexes are checked recursively.
 */
export async function verifyManifest(store: Store, reference: string): Promise<VerifyResult> {
  const digest = parseDigest(reference, 'candidate');
  const m = await store.getManifest(digest);
  const info = parseManifestInfo(m.bytes, `manifest ${digest}`);
  let bytes = m.bytes.length;
  let blobs = 0;
  for (const child of info.manifests ?? []) {
    const r = await verifyManifest(store, child.digest);
    bytes += r.bytes;
    blobs += r.blobs;
  }
  const list = blobsOf(info);
  for (let i = 0; i < list.length; i++) {
    const d = list[i]!;
    const role = i === 0 && info.config ? 'config' : `layer ${info.config ? i : i + 1}`;
    await verifyBlob(store, d, `${describeBlob(d, role)} of ${digest}`);
    bytes += d.size;
    blobs++;
  }
  return { digest, mediaType: m.descriptor.mediaType, artifactType: info.artifactType, blobs, bytes };
}

/** Streams one blob from the store through sha256 and checks it against its descriptor. */
export async function verifyBlob(store: Store, d: Descriptor, what: string): Promise<void> {
  const hasher = new Hasher(d.size);
  try {
    await pipeline(await store.getBlob(d.digest), hasher, new Writable({ write: (_c, _e, cb) => cb() }));
  } catch (e) {
    if (e instanceof SizeExceededError) {
      throw new KarooError('integrity', `${what} is damaged: more than the expected ${d.size} bytes in ${store.ref}`, {
        detail: { digest: d.digest },
      });
    }
    if (isKarooError(e) && e.kind === 'integrity')
      throw new KarooError('integrity', `${what} is missing from ${store.ref}`, { detail: { digest: d.digest, missing: true } });
    throw e;
  }
  const actual = hasher.digest();
  if (actual !== d.digest || hasher.bytes !== d.size) {
    throw new KarooError(
      'integrity',
      `${what} is damaged in ${store.ref}: it holds ${actual} (${hasher.bytes} bytes), expected ${d.digest} (${d.size} bytes)`,
      { detail: { digest: d.digest, expected: { digest: d.digest, size: d.size }, actual: { digest: actual, size: hasher.bytes } } },
    );
  }
}

/**
 * Reads one small blob (a config, a JSON payload, a bundle) into memory and checks it against its
 * descriptor: never more than `maxBytes` (a descriptor may claim anything), never more than the
 * descriptor's size, and the bytes' sha256 and length must be the descriptor's. Integrity error
 * otherwise, naming `what` and the store; the caller decides what a bad blob means for it.
 */
export async function readVerifiedBlob(store: Store, d: Descriptor, what: string, maxBytes: number): Promise<Buffer> {
  if (d.size > maxBytes)
    throw new KarooError(
      'integrity',
      `${what}: ${d.digest} in ${store.ref} claims ${d.size} bytes, more than the ${maxBytes} such a blob may have`,
    );
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of await store.getBlob(d.digest)) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
    n += b.length;
    if (n > d.size)
      throw new KarooError('integrity', `${what} is damaged: more than the expected ${d.size} bytes of ${d.digest} in ${store.ref}`);
    chunks.push(b);
  }
  const bytes = Buffer.concat(chunks);
  const actual = sha256Of(bytes);
  if (actual !== d.digest || bytes.length !== d.size) {
    throw new KarooError(
      'integrity',
      `${what} is damaged in ${store.ref}: it holds ${actual} (${bytes.length} bytes), expected ${d.digest} (${d.size} bytes); run karoo verify`,
    );
  }
  return bytes;
}
