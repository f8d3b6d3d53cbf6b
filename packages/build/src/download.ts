import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { type Digest, type IndexAuthConfig, indexForUrl, KarooError, refusedAccessMessage, sha256File } from '@karoo/common';
import type { LockedFile, LockedPackage } from '@karoo/lock';
import { Hasher } from '@karoo/oci';
import { drain, type HeadersFor, indexCredentials, redact, Transport, transport as defaultTransport } from '@karoo/transport';

/**
 * Request headers that carry the credentials of a private index, for `DownloadOptions.headersFor`:
 * only for URLs on that index's own origin, never over plain HTTP except to loopback (the one
 * decision, @karoo/common's credentialsFor, that resolve uses too). Re-asked after every redirect.
 */
export function indexAuthHeaders(indexes: readonly IndexAuthConfig[], env: NodeJS.ProcessEnv = process.env): HeadersFor | undefined {
  return indexCredentials(indexes, env);
}

export interface DownloadOptions {
  /** Extra request headers for a URL (credentials of a private index: see indexAuthHeaders). */
  readonly headersFor?: HeadersFor | undefined;
  /** Attempts in all (default: the transport's policy). */
  readonly attempts?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The transport (its retry policy and warnings); default @karoo/transport's. */
  readonly transport?: Transport | undefined;
  /** karoo.yml's indexes and the environment: a 401/403 from one of them says which login to set or check (refusedAccessMessage). */
  readonly logins?: { readonly indexes: readonly IndexAuthConfig[]; readonly env: NodeJS.ProcessEnv } | undefined;
}

export interface Downloaded {
  readonly path: string;
  /** Bytes fetched (0 when the file was already in the download directory). */
  readonly fetched: number;
}

/**
 * Fetches one locked file into `dir/<sha256>` (http(s), file:// or an absolute path), streamed to
 * disk through sha256; the file appears only when its hash and size match the lock. A file already
 * there is re-hashed and reused.
 */
export async function downloadLockedFile(
  pkg: LockedPackage,
  file: LockedFile,
  dir: string,
  options: DownloadOptions = {},
): Promise<Downloaded> {
  const expected = `sha256:${file.sha256}` as Digest;
  const path = join(dir, file.sha256);
  if (await exists(path)) {
    const have = await sha256File(path);
    if (have.digest === expected && have.size === file.size) return { path, fetched: 0 };
    await rm(path, { force: true });
  }
  if (!file.url) {
    throw new KarooError(
      'input',
      `lock entry "${pkg.name} ${pkg.version}" has no URL for ${file.name}; re-run \`karoo resolve\` so every file has a URL`,
    );
  }
  const url = file.url;
  const what = `${pkg.name} ${pkg.version} (${file.name})`;
  const base = options.transport ?? defaultTransport;
  const transport = base.with({
    headersFor: options.headersFor,
    ...(options.attempts !== undefined ? { retry: { ...base.retry, attempts: options.attempts } } : {}),
  });
  // A body that breaks half-way is fetched again from the start, under the transport's one policy.
  const attempt = async (): Promise<Downloaded> => {
    const tmp = `${path}.${randomBytes(6).toString('hex')}.part`;
    try {
      const source = await open(url, transport, options.signal, (u, status) => {
        const ix = options.logins && indexForUrl(u, options.logins.indexes);
        return ix && refusedAccessMessage(ix, what, status, options.logins!.env);
      });
      const hasher = new Hasher(file.size ?? Number.POSITIVE_INFINITY);
      try {
        await pipeline(source, hasher, createWriteStream(tmp), { signal: options.signal });
      } catch (e) {
        if ((e as Error).name === 'SizeExceededError') {
          throw integrity(what, file, expected, `more than ${file.size} bytes`);
        }
        throw e;
      }
      const actual = hasher.digest();
      if (actual !== expected || (file.size !== undefined && hasher.bytes !== file.size)) {
        throw integrity(what, file, expected, `${actual} (${hasher.bytes} bytes)`);
      }
      await rename(tmp, path);
      return { path, fetched: hasher.bytes };
    } finally {
      await rm(tmp, { force: true });
    }
  };
  try {
    return await transport.run(attempt, options.signal);
  } catch (e) {
    if ((e as Error).name === 'AbortError' || (e instanceof KarooError && e.kind !== 'unavailable')) throw e;
    throw new KarooError('unavailable', `cannot download ${what} from ${redact(url)}: ${(e as Error).message}`, { cause: e });
  }
}

function integrity(what: string, file: LockedFile, expected: Digest, actual: string): KarooError {
  return new KarooError(
    'integrity',
    `${what} from ${redact(file.url ?? '')} does not match the lock: expected ${expected}${file.size !== undefined ? ` (${file.size} bytes)` : ''}, got ${actual}; the candidate was not pushed`,
    { detail: { file: file.name, url: redact(file.url ?? ''), expected, actual } },
  );
}

async function open(
  url: string,
  transport: Transport,
  signal: AbortSignal | undefined,
  refused: (url: URL, status: number) => string | undefined,
): Promise<Readable> {
  if (isAbsolute(url)) return createReadStream(url, { highWaterMark: 1 << 20 });
  const u = new URL(url);
  if (u.protocol === 'file:') return createReadStream(fileURLToPath(u), { highWaterMark: 1 << 20 });
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new KarooError('input', `cannot download ${redact(url)}: only http(s) and file URLs are supported`);
  const res = await transport.request({ method: 'GET', url: u, signal, what: `GET ${redact(u)}` });
  if (res.status !== 200) {
    await drain(res);
    const status = res.status;
    const kind = status >= 500 ? 'unavailable' : 'input';
    const login = status === 401 || status === 403 ? refused(u, status) : undefined;
    throw new KarooError(
      kind,
      login ??
        `${redact(u)} answered ${status}${status === 401 || status === 403 ? '; set the index credentials (karoo.yml username-env/password-env)' : ''}`,
      {
        detail: { url: redact(u), status },
      },
    );
  }
  return res.body;
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
