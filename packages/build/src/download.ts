import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { basicAuthHeader, credentialsForAny, type Digest, type IndexAuthConfig, KarooError, sha256File } from '@karoo/common';
import type { LockedFile, LockedPackage } from '@karoo/lock';
import { Hasher } from '@karoo/oci';

const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 32 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 32 }) };

/**
 * Request headers that carry the credentials of a private index, for `DownloadOptions.headersFor`:
 * only for URLs on that index's own origin, never over plain HTTP except to loopback (the one
 * decision, @karoo/common's credentialsFor, that resolve uses too). Re-asked after every redirect.
 */
export function indexAuthHeaders(indexes: readonly IndexAuthConfig[], env: NodeJS.ProcessEnv = process.env): ((url: URL) => Record<string, string> | undefined) | undefined {
  if (indexes.length === 0) return undefined;
  return (url) => {
    const match = credentialsForAny(url, indexes, env);
    return match ? { authorization: basicAuthHeader(match.credentials) } : undefined;
  };
}

export interface DownloadOptions {
  /** Extra request headers for a URL (credentials of a private index: see indexAuthHeaders). */
  readonly headersFor?: ((url: URL) => Record<string, string> | undefined) | undefined;
  readonly attempts?: number | undefined;
  readonly signal?: AbortSignal | undefined;
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
export async function downloadLockedFile(pkg: LockedPackage, file: LockedFile, dir: string, options: DownloadOptions = {}): Promise<Downloaded> {
  const expected = `sha256:${file.sha256}` as Digest;
  const path = join(dir, file.sha256);
  if (await exists(path)) {
    const have = await sha256File(path);
    if (have.digest === expected && have.size === file.size) return { path, fetched: 0 };
    await rm(path, { force: true });
  }
  if (!file.url) {
    throw new KarooError('input', `lock entry "${pkg.name} ${pkg.version}" has no URL for ${file.name}; re-run \`karoo resolve\` so every file has a URL`);
  }
  const what = `${pkg.name} ${pkg.version} (${file.name})`;
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    const tmp = `${path}.${randomBytes(6).toString('hex')}.part`;
    try {
      const source = await open(file.url, options);
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
    } catch (e) {
      await rm(tmp, { force: true });
      if (e instanceof KarooError && e.kind !== 'unavailable') throw e;
      if ((e as Error).name === 'AbortError') throw e;
      if (attempt >= attempts || !transient(e)) {
        throw new KarooError('unavailable', `cannot download ${what} from ${redact(file.url)}: ${(e as Error).message}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
    }
  }
}

function integrity(what: string, file: LockedFile, expected: Digest, actual: string): KarooError {
  return new KarooError(
    'integrity',
    `${what} from ${redact(file.url ?? '')} does not match the lock: expected ${expected}${file.size !== undefined ? ` (${file.size} bytes)` : ''}, got ${actual}; nothing was pushed`,
    { detail: { file: file.name, url: redact(file.url ?? ''), expected, actual } },
  );
}

function transient(e: unknown): boolean {
  if (e instanceof KarooError) return e.kind === 'unavailable';
  const code = (e as NodeJS.ErrnoException).code;
  return code === undefined || ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN'].includes(code) || /socket hang up|aborted/i.test(String(e));
}

function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//');
}

async function open(url: string, options: DownloadOptions): Promise<Readable> {
  if (isAbsolute(url)) return createReadStream(url, { highWaterMark: 1 << 20 });
  const u = new URL(url);
  if (u.protocol === 'file:') return createReadStream(fileURLToPath(u), { highWaterMark: 1 << 20 });
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new KarooError('input', `cannot download ${redact(url)}: only http(s) and file URLs are supported`);
  return get(u, options, 0);
}

function get(u: URL, options: DownloadOptions, redirects: number): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const https = u.protocol === 'https:';
    const headers: Record<string, string> = { 'user-agent': 'karoo/0.1.0', ...options.headersFor?.(u) };
    if (u.username || u.password) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    }
    const target = new URL(u.href);
    target.username = '';
    target.password = '';
    const req = (https ? httpsRequest : httpRequest)(target, { headers, agent: https ? agents.https : agents.http, signal: options.signal }, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location && redirects < 5) {
        res.resume();
        resolve(get(new URL(res.headers.location, target), options, redirects + 1));
        return;
      }
      if (status !== 200) {
        res.resume();
        const kind = status === 429 || status >= 500 ? 'unavailable' : 'input';
        reject(new KarooError(kind, `${redact(u.href)} answered ${status}${status === 401 || status === 403 ? '; set the index credentials (karoo.yml username-env/password-env)' : ''}`));
        return;
      }
      resolve(res);
    });
    req.setTimeout(120_000, () => req.destroy(Object.assign(new Error('no data for 120 s'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
