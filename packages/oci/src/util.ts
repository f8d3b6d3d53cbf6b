import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { checkAnnotations, checkDescriptor, type Digest, hexOf, KarooError, malformedManifest, parseDigest } from '@karoo/common';
import { type BlobSource, type Descriptor, type ManifestInfo, MEDIA_TYPES } from './types.js';

/** A source reading a local file. */
export function fileSource(path: string, verified = false): BlobSource {
  return {
    path,
    verified,
    open: (range) =>
      createReadStream(path, range ? { start: range.start, end: range.end - 1, highWaterMark: 1 << 20 } : { highWaterMark: 1 << 20 }),
  };
}

/** A source holding its bytes in memory (small blobs: configs, lock files, manifests). */
export function bufferSource(bytes: Uint8Array): BlobSource {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { open: (range) => Readable.from(range ? [buf.subarray(range.start, range.end)] : [buf], { objectMode: false }) };
}

/** A pass-through stream that hashes and counts what flows through it. */
export class Hasher extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly limit = Number.POSITIVE_INFINITY) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      cb(new SizeExceededError(this.limit));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }
  private result: Digest | undefined;
  digest(): Digest {
    this.result ??= `sha256:${this.hash.digest('hex')}` as Digest;
    return this.result;
  }
}

/** Passes on only the bytes [start, end) of what flows through it. */
export class ByteSlice extends Transform {
  private pos = 0;
  constructor(private readonly range: { start: number; end: number }) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const from = Math.max(this.range.start - this.pos, 0);
    const to = Math.min(this.range.end - this.pos, chunk.length);
    this.pos += chunk.length;
    cb(null, from < to ? chunk.subarray(from, to) : undefined);
  }
}

export class SizeExceededError extends Error {
  override name = 'SizeExceededError';
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

export function blobMismatch(
  what: string,
  expected: { digest: Digest; size: number },
  actual: { digest: Digest | string; size: number | string },
): KarooError {
  return new KarooError(
    'integrity',
    `${what}: expected ${expected.digest} (${expected.size} bytes), got ${actual.digest} (${actual.size} bytes)`,
    { detail: { expected, actual } },
  );
}

/** Stored JSON that must be an object; anything else (not JSON, a list, null) is an integrity error saying `notObject`. */
function jsonObject(bytes: Uint8Array, notObject: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch {
    v = undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new KarooError('integrity', notObject);
  return v as Record<string, unknown>;
}

/**
 * Reads a manifest or an index and checks every descriptor in it (config, layers, manifests,
 * subject) with checkDescriptor: digests `sha256:` + 64 lowercase hex, sizes safe non-negative
 * integers, media types strings. What comes back holds only checked fields, so no digest from
 * stored JSON reaches a path or a URL unchecked. Anything malformed is an integrity error.
 */
export function parseManifestInfo(bytes: Uint8Array, what: string): ManifestInfo {
  const o = jsonObject(bytes, `${what} is not a JSON manifest`);
  const bad = malformedManifest(what);
  if (o.mediaType !== undefined && typeof o.mediaType !== 'string') bad('mediaType is not a string');
  if (o.artifactType !== undefined && typeof o.artifactType !== 'string') bad('artifactType is not a string');
  const list = (field: 'layers' | 'manifests'): Descriptor[] | undefined => {
    const l = o[field];
    if (l === undefined) return undefined;
    if (!Array.isArray(l)) return bad(`${field} is not a list`);
    return l.map((d, i) => checkDescriptor(d, `${what}: ${field}[${i}]`));
  };
  const annotations = checkAnnotations(o.annotations, bad);
  const layers = list('layers');
  const manifests = list('manifests');
  return {
    ...(o.mediaType !== undefined ? { mediaType: o.mediaType as string } : {}),
    ...(o.artifactType !== undefined ? { artifactType: o.artifactType as string } : {}),
    ...(o.config !== undefined ? { config: checkDescriptor(o.config, `${what}: config`) } : {}),
    ...(layers ? { layers } : {}),
    ...(manifests ? { manifests } : {}),
    ...(o.subject !== undefined ? { subject: checkDescriptor(o.subject, `${what}: subject`) } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

/** Only `mediaType` and `artifactType` of a manifest or index (each a string or absent): what a store reports about it. */
export function manifestTypes(bytes: Uint8Array, what: string): { mediaType?: string; artifactType?: string } {
  const o = jsonObject(bytes, `${what} is not a JSON manifest`);
  for (const k of ['mediaType', 'artifactType'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') malformedManifest(what)(`${k} is not a string`);
  }
  return {
    ...(typeof o.mediaType === 'string' ? { mediaType: o.mediaType } : {}),
    ...(typeof o.artifactType === 'string' ? { artifactType: o.artifactType } : {}),
  };
}

/**
 * The descriptors of a referrers list (the referrers API's answer or the `sha256-<hex>` fallback
 * index): every entry checked on its own; a malformed one is passed to `onInvalid` and left
 * out, so one bad push cannot hide a subject's other referrers.
 */
export function parseReferrersList(bytes: Uint8Array, what: string, onInvalid: (problem: string) => void = () => undefined): Descriptor[] {
  const list = jsonObject(bytes, `${what} is not a JSON image index`).manifests;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new KarooError('integrity', `${what}: manifests is not a list`);
  const out: Descriptor[] = [];
  list.forEach((d, i) => {
    try {
      out.push(checkDescriptor(d, `${what}: manifests[${i}]`));
    } catch (e) {
      onInvalid((e as Error).message);
    }
  });
  return out;
}

/** The media type of a manifest: its own `mediaType`, else guessed from its shape. */
export function manifestMediaType(info: ManifestInfo): string {
  if (info.mediaType) return info.mediaType;
  return info.manifests ? MEDIA_TYPES.imageIndex : MEDIA_TYPES.imageManifest;
}

/** The blobs a manifest references (config and layers), in manifest order. */
export function blobsOf(info: ManifestInfo): Descriptor[] {
  return [...(info.config ? [info.config] : []), ...(info.layers ?? [])];
}

/** The descriptor a referrers list holds for a manifest (distribution-spec: artifactType and annotations copied). */
export function referrerDescriptor(info: ManifestInfo, digest: Digest, size: number): Descriptor {
  return {
    mediaType: manifestMediaType(info),
    digest,
    size,
    artifactType: info.artifactType ?? info.config?.mediaType,
    annotations: info.annotations && Object.keys(info.annotations).length > 0 ? info.annotations : undefined,
  };
}

/** Tag of the referrers fallback index (distribution-spec "referrers tag schema"): `sha256-<hex>`. */
export function referrersTag(subject: Digest): string {
  return `sha256-${hexOf(subject)}`;
}

export function isDigestRef(reference: string): reference is Digest {
  return /^sha256:[0-9a-f]{64}$/.test(reference);
}

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export function checkTag(tag: string): string {
  if (!TAG_RE.test(tag))
    throw new KarooError('input', `tag "${tag}" is not a valid OCI tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  return tag;
}

export function checkReference(reference: string): string {
  if (reference.startsWith('sha256:')) return parseDigest(reference);
  return checkTag(reference);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Reads a whole (small) stream into memory, refusing more than `limit` bytes. */
export async function readAll(stream: AsyncIterable<unknown>, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    n += b.length;
    if (n > limit) throw new KarooError('integrity', `${what} is larger than ${limit} bytes`);
    parts.push(b);
  }
  return Buffer.concat(parts);
}
