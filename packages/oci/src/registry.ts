import { type Readable } from 'node:stream';
import { blobFileName, canonicalJson, type Digest, isDigest, KarooError, type Progress, sha256Of, silentProgress } from '@karoo/common';
import { type RetryOptions, Transport } from '@karoo/transport';
import { type Credentials, RegistryAuth } from './auth.js';
import { drain, header, readBody, type HttpResponse } from './http.js';
import {
  type BlobSource,
  type ByteRange,
  type Descriptor,
  MANIFEST_ACCEPT,
  MEDIA_TYPES,
  type PutBlobResult,
  type Store,
  type StoredManifest,
} from './types.js';
import {
  ByteSlice,
  checkReference,
  checkTag,
  isDigestRef,
  manifestTypes,
  parseManifestInfo,
  parseReferrersList,
  referrerDescriptor,
  referrersTag,
} from './util.js';

/** The transport's one retry policy (attempts, backoff, the cap on Retry-After). */
export type RetryPolicy = RetryOptions;

export interface RegistryStoreOptions {
  /** `host[:port]`. */
  readonly registry: string;
  readonly repository: string;
  readonly credentials?: Credentials | undefined;
  /** `https` unless the host is a loopback address. */
  readonly scheme: 'http' | 'https';
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** Blobs larger than this are uploaded in chunks (PATCH). Default 256 MiB. */
  readonly chunkThreshold?: number | undefined;
  /** Chunk size of chunked uploads. Default 64 MiB. */
  readonly chunkSize?: number | undefined;
  readonly progress?: Progress | undefined;
}

interface Call {
  readonly method: string;
  /** A path under the registry (`/v2/…`) or an absolute URL (upload locations). */
  readonly target: string | URL;
  readonly headers?: Record<string, string> | undefined;
  readonly body?: (() => Readable | Uint8Array) | undefined;
  readonly scopes: readonly string[];
  /** Retry in place on broken connections and 429/502/503/504 (false for upload bodies: the upload is restarted instead). */
  readonly retry?: boolean | undefined;
}

const MAX_MANIFEST = 4 << 20;

/**
 * A store in an OCI registry, over the distribution API (opencontainers/distribution-spec):
 * HEAD/GET/PUT of blobs and manifests (manifests always with an OCI `Accept` header),
 * monolithic (POST + PUT) and chunked (POST + PATCH… + PUT) uploads, cross-repository
 * mount, tag listing, and referrers through the referrers API or the `sha256-<hex>` tag
 * fallback for registries without it. Requests go through @karoo/transport (its one retry
 * policy; an upload that breaks is resumed or started over under the same policy); blobs are
 * streamed, never held whole in memory.
 */
export class RegistryStore implements Store {
  readonly kind = 'registry' as const;
  readonly ref: string;
  readonly registry: string;
  readonly repository: string;
  private readonly base: URL;
  private readonly auth: RegistryAuth;
  private readonly transport: Transport;
  private readonly chunkThreshold: number;
  private readonly chunkSize: number;
  private readonly progress: Progress;
  /** Undefined until known: does the registry answer the referrers API? */
  private referrersApi: boolean | undefined;
  /**
   * Manifests this store has seen by digest (read, checked or written): a digest names one
   * content for ever, so a second question about it in the same process (build's "is the
   * candidate there?", then the evidence look-up's) costs no request. Nothing is trusted more
   * for it: a read still hashes what it gets.
   */
  private readonly seen = new Map<string, Descriptor>();

  constructor(options: RegistryStoreOptions) {
    this.registry = options.registry;
    this.repository = options.repository;
    this.ref = `${options.registry}/${options.repository}`;
    this.base = new URL(`${options.scheme}://${options.registry}`);
    this.chunkThreshold = options.chunkThreshold ?? 256 << 20;
    this.chunkSize = options.chunkSize ?? 64 << 20;
    this.progress = options.progress ?? silentProgress;
    this.transport = new Transport({ retry: options.retry, onRetry: (m) => this.progress.warn(m) });
    this.auth = new RegistryAuth(options.registry, options.credentials, this.transport);
  }

  refFor(digest: Digest): string {
    return `${this.ref}@${digest}`;
  }

  private get pull(): string[] {
    return [`repository:${this.repository}:pull`];
  }
  private get push(): string[] {
    return [`repository:${this.repository}:pull,push`];
  }
  private path(rest: string): string {
    return `/v2/${this.repository}/${rest}`;
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    blobFileName(digest); // a URL path is built from it: refuse anything but sha256:<64 hex>
    const res = await this.call({ method: 'HEAD', target: this.path(`blobs/${digest}`), scopes: this.pull });
    await drain(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await this.failure(res, `HEAD blob ${digest}`);
  }

  async getBlob(digest: Digest, range?: ByteRange): Promise<Readable> {
    blobFileName(digest);
    const headers: Record<string, string> = {};
    if (range) headers.range = `bytes=${range.start}-${range.end - 1}`;
    const res = await this.call({ method: 'GET', target: this.path(`blobs/${digest}`), headers, scopes: this.pull });
    if (range && res.status === 200) return res.body.pipe(new ByteSlice(range)); // the server ignored Range
    if (res.status === 200 || (range && res.status === 206)) return res.body;
    if (res.status === 404) {
      await drain(res);
      throw new KarooError('integrity', `blob ${digest} is missing from ${this.ref}`, { detail: { digest, missing: true } });
    }
    throw await this.failure(res, `GET blob ${digest}`);
  }

  async mountBlob(blob: { digest: Digest; size: number }, fromRepository: string): Promise<boolean> {
    if (fromRepository === this.repository) return false;
    const q = new URLSearchParams({ mount: blob.digest, from: fromRepository });
    const res = await this.call({
      method: 'POST',
      target: `${this.path('blobs/uploads/')}?${q}`,
      headers: { 'content-length': '0' },
      scopes: [...this.push, `repository:${fromRepository}:pull`],
    });
    await drain(res);
    if (res.status === 201) return true;
    if (res.status === 202) {
      // The registry could not mount and opened an upload instead: cancel it.
      const loc = header(res, 'location');
      if (loc) await this.call({ method: 'DELETE', target: new URL(loc, this.base), scopes: this.push }).then(drain, () => undefined);
      return false;
    }
    throw await this.failure(res, `mount ${blob.digest} from ${fromRepository}`);
  }

  async putBlob(blob: { digest: Digest; size: number }, source: BlobSource): Promise<PutBlobResult> {
    blobFileName(blob.digest);
    const chunked = blob.size > this.chunkThreshold;
    if (chunked) await this.uploadChunked(blob, source);
    // A broken upload body cannot be replayed in place: the whole upload starts over.
    else await this.transport.run(() => this.uploadMonolithic(blob, source));
    return { bytes: blob.size, how: chunked ? 'chunked' : 'uploaded' };
  }

  private async startUpload(): Promise<URL> {
    const res = await this.call({
      method: 'POST',
      target: this.path('blobs/uploads/'),
      headers: { 'content-length': '0' },
      scopes: this.push,
    });
    await drain(res);
    if (res.status !== 202) throw await this.failure(res, 'start blob upload');
    const loc = header(res, 'location');
    if (!loc) throw new KarooError('unavailable', `registry ${this.registry} opened an upload without a Location header`);
    return new URL(loc, this.base);
  }

  private async uploadMonolithic(blob: { digest: Digest; size: number }, source: BlobSource): Promise<void> {
    const url = await this.startUpload();
    url.searchParams.set('digest', blob.digest);
    const res = await this.call({
      method: 'PUT',
      target: url,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body: () => source.open(),
      scopes: this.push,
      retry: false,
    });
    await drain(res);
    if (res.status !== 201) throw await this.failure(res, `upload blob ${blob.digest}`);
  }

  /** POST, PATCH per chunk, PUT; an attempt after a break resumes where the registry says the upload stands. */
  private async uploadChunked(blob: { digest: Digest; size: number }, source: BlobSource): Promise<void> {
    let url: URL | undefined;
    let offset = 0;
    await this.transport.run(async () => {
      const resumed = url && (await this.uploadStatus(url).catch(() => undefined));
      if (resumed) ({ url, offset } = resumed);
      else ({ url, offset } = { url: await this.startUpload(), offset: 0 });
      while (offset < blob.size) {
        const end = Math.min(offset + this.chunkSize, blob.size);
        const res = await this.call({
          method: 'PATCH',
          target: url,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(end - offset),
            'content-range': `${offset}-${end - 1}`,
          },
          body: () => source.open({ start: offset, end }),
          scopes: this.push,
          retry: false,
        });
        await drain(res);
        if (res.status !== 202) throw await this.failure(res, `upload chunk ${offset}-${end - 1} of ${blob.digest}`);
        url = new URL(header(res, 'location') ?? url.href, this.base);
        offset = end;
      }
      const done = new URL(url.href);
      done.searchParams.set('digest', blob.digest);
      const res = await this.call({ method: 'PUT', target: done, headers: { 'content-length': '0' }, scopes: this.push, retry: false });
      await drain(res);
      if (res.status !== 201) throw await this.failure(res, `finish upload of ${blob.digest}`);
    });
  }

  /** Where an interrupted upload stands (GET on its location: `Range: 0-<last>`); undefined when it cannot be resumed. */
  private async uploadStatus(url: URL): Promise<{ url: URL; offset: number } | undefined> {
    const res = await this.call({ method: 'GET', target: url, scopes: this.push });
    await drain(res);
    if (res.status !== 204) return undefined;
    const m = /^(?:bytes=)?0-(\d+)$/.exec(header(res, 'range') ?? '');
    // "0-0" cannot tell 0 bytes from 1: start again rather than guess.
    if (!m || m[1] === '0') return undefined;
    return { url: new URL(header(res, 'location') ?? url.href, this.base), offset: Number(m[1]) + 1 };
  }

  async hasManifest(reference: string): Promise<Descriptor | undefined> {
    checkReference(reference);
    const known = this.seen.get(reference);
    if (known) return known;
    const res = await this.call({
      method: 'HEAD',
      target: this.path(`manifests/${reference}`),
      headers: { accept: MANIFEST_ACCEPT },
      scopes: this.pull,
    });
    await drain(res);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await this.failure(res, `HEAD manifest ${reference}`);
    const claimed = header(res, 'docker-content-digest') ?? (isDigestRef(reference) ? reference : undefined);
    // A registry's header is not trusted to be a digest: anything else is read and hashed instead.
    const digest = isDigest(claimed) ? claimed : undefined;
    if (!digest) return (await this.getManifest(reference)).descriptor;
    const d = {
      mediaType: (header(res, 'content-type') ?? MEDIA_TYPES.imageManifest).split(';')[0]!.trim(),
      digest,
      size: Number(header(res, 'content-length') ?? 0),
    };
    if (reference === digest) this.seen.set(digest, d);
    return d;
  }

  async getManifest(reference: string): Promise<StoredManifest> {
    checkReference(reference);
    const res = await this.call({
      method: 'GET',
      target: this.path(`manifests/${reference}`),
      headers: { accept: MANIFEST_ACCEPT },
      scopes: this.pull,
    });
    if (res.status === 404) {
      await drain(res);
      throw new KarooError('input', `manifest ${reference} is not in ${this.ref}`, { detail: { reference, notFound: true } });
    }
    if (res.status !== 200) throw await this.failure(res, `GET manifest ${reference}`);
    const bytes = await readBody(res, MAX_MANIFEST);
    const digest = sha256Of(bytes);
    if (isDigestRef(reference) && digest !== reference) {
      throw new KarooError('integrity', `registry ${this.registry} returned manifest bytes with digest ${digest} for ${reference}`);
    }
    // Only the type fields are read here; callers parse (and check) the descriptors they use.
    const info = manifestTypes(bytes, `manifest ${reference} in ${this.ref}`);
    const mediaType = info.mediaType ?? (header(res, 'content-type') ?? MEDIA_TYPES.imageManifest).split(';')[0]!.trim();
    const descriptor = { mediaType, digest, size: bytes.length, ...(info.artifactType ? { artifactType: info.artifactType } : {}) };
    this.seen.set(digest, descriptor);
    return { descriptor, bytes };
  }

  async putManifest(bytes: Uint8Array, mediaType: string, options: { tag?: string | undefined } = {}): Promise<Descriptor> {
    if (options.tag !== undefined) checkTag(options.tag);
    const digest = sha256Of(bytes);
    const info = parseManifestInfo(bytes, `manifest ${digest}`);
    const res = await this.call({
      method: 'PUT',
      target: this.path(`manifests/${options.tag ?? digest}`),
      headers: { 'content-type': mediaType },
      body: () => bytes,
      scopes: this.push,
    });
    await drain(res);
    if (res.status !== 201) throw await this.failure(res, `PUT manifest ${options.tag ?? digest}`);
    const stored = header(res, 'docker-content-digest');
    if (stored && stored !== digest) throw new KarooError('integrity', `registry ${this.registry} stored manifest ${digest} as ${stored}`);
    const written = { mediaType, digest, size: bytes.length, ...(info.artifactType ? { artifactType: info.artifactType } : {}) };
    this.seen.set(digest, written);
    if (info.subject) {
      if (header(res, 'oci-subject')) this.referrersApi = true;
      else await this.addToReferrersIndex(info.subject.digest, referrerDescriptor({ ...info, mediaType }, digest, bytes.length));
    }
    return written;
  }

  /** The referrers tag schema: an image index under tag `sha256-<hex>` listing the subject's referrers. */
  private async addToReferrersIndex(subject: Digest, entry: Descriptor): Promise<void> {
    const tag = referrersTag(subject);
    const current = await this.readReferrersIndex(tag);
    if (current.some((d) => d.digest === entry.digest)) return;
    const manifests = [...current, entry].sort((a, b) => (a.digest < b.digest ? -1 : 1));
    const index = canonicalJson({ schemaVersion: 2, mediaType: MEDIA_TYPES.imageIndex, manifests });
    await this.putManifest(Buffer.from(index), MEDIA_TYPES.imageIndex, { tag });
  }

  private async readReferrersIndex(tag: string): Promise<Descriptor[]> {
    try {
      const m = await this.getManifest(tag);
      return parseReferrersList(m.bytes, `referrers index ${tag} in ${this.ref}`, (problem) => this.progress.warn(`${problem}; skipped`));
    } catch (e) {
      if ((e as KarooError).detail?.notFound) return [];
      throw e;
    }
  }

  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let target: string | URL = `${this.path('tags/list')}?n=1000`;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.call({ method: 'GET', target, headers: { accept: 'application/json' }, scopes: this.pull });
      if (res.status === 404) {
        await drain(res);
        return tags;
      }
      if (res.status !== 200) throw await this.failure(res, 'list tags');
      const body = JSON.parse((await readBody(res, 64 << 20)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res, 'link') ?? '');
      if (!next) break;
      target = new URL(next[1]!, this.base);
    }
    return [...new Set(tags)].sort();
  }

  async referrers(subject: Digest, artifactType?: string): Promise<Descriptor[]> {
    blobFileName(subject);
    let list: Descriptor[] | undefined;
    if (this.referrersApi !== false) {
      const q = artifactType ? `?${new URLSearchParams({ artifactType })}` : '';
      const res = await this.call({
        method: 'GET',
        target: `${this.path(`referrers/${subject}`)}${q}`,
        headers: { accept: MEDIA_TYPES.imageIndex },
        scopes: this.pull,
      });
      const type = (header(res, 'content-type') ?? '').split(';')[0]!.trim();
      if (res.status === 200 && type === MEDIA_TYPES.imageIndex) {
        this.referrersApi = true;
        list = parseReferrersList(await readBody(res, MAX_MANIFEST), `referrers of ${subject} in ${this.ref}`, (problem) =>
          this.progress.warn(`${problem}; skipped`),
        );
      } else {
        await drain(res);
        if (res.status >= 500) throw await this.failure(res, `referrers of ${subject}`);
        this.referrersApi = false;
      }
    }
    list ??= await this.readReferrersIndex(referrersTag(subject));
    return list.filter((d) => artifactType === undefined || d.artifactType === artifactType).sort((a, b) => (a.digest < b.digest ? -1 : 1));
  }

  /**
   * One request with the registry's auth; redirects (GET/HEAD, the token never sent to another
   * origin) and retries are the transport's. A 401 records the registry's challenge and asks again.
   */
  private async call(c: Call): Promise<HttpResponse> {
    const url = typeof c.target === 'string' ? new URL(c.target, this.base) : c.target;
    const sameHost = url.host === this.base.host;
    for (let authTries = 0; ; authTries++) {
      const auth = sameHost ? await this.auth.header(c.scopes) : undefined;
      const res = await this.transport.request({
        method: c.method,
        url,
        headers: { ...c.headers, ...(auth ? { authorization: auth } : {}) },
        body: c.body,
        retry: c.retry ?? true,
        what: `${c.method} ${url.pathname} on ${this.registry}`,
      });
      if (res.status === 401 && sameHost && res.url.host === this.base.host && authTries < 2) {
        await this.auth.unauthorized(res, c.scopes, auth !== undefined);
        continue;
      }
      return res;
    }
  }

  private async failure(res: HttpResponse, what: string): Promise<KarooError> {
    let detail = '';
    let codes: string[] = [];
    try {
      const text = (await readBody(res, 64 << 10)).toString('utf8');
      try {
        const j = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
        codes = (j.errors ?? []).map((e) => e.code ?? '');
        detail = (j.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
      } catch {
        detail = text.trim().split('\n')[0]!.slice(0, 200);
      }
    } catch {
      /* no body */
    }
    const integrity = codes.some(
      (c) => c === 'DIGEST_INVALID' || c === 'SIZE_INVALID' || c === 'BLOB_UNKNOWN' || c === 'MANIFEST_BLOB_UNKNOWN',
    );
    const kind = integrity
      ? 'integrity'
      : res.status === 401 || res.status === 403 || (res.status >= 400 && res.status < 500)
        ? 'input'
        : 'unavailable';
    const hint =
      res.status === 401 || res.status === 403 ? '; check the registry credentials and that they may push to this repository' : '';
    return new KarooError(
      kind,
      `registry ${this.registry}: ${what} in ${this.repository} failed with ${res.status}${detail ? ` (${detail})` : ''}${hint}`,
      {
        detail: { status: res.status, codes },
      },
    );
  }
}
