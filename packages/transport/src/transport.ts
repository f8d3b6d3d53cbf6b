import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import {
  basicAuthHeader,
  credentialsForAny,
  errorMessage,
  type IndexAuthConfig,
  KAROO_VERSION,
  KarooError,
  networkCause,
} from '@karoo/common';
import type { Dispatcher } from 'undici';
import { parseRetryAfter, RETRY_STATUS, RetryableError, type RetryOptions, isTransientNetworkError, withRetry } from './retry.js';

/** What every karoo request says it is. */
export const USER_AGENT = `karoo/${KAROO_VERSION}`;

/** Extra headers for one URL (credentials, decided by the URL's origin); asked again after every redirect. */
export type HeadersFor = (url: URL) => Record<string, string> | undefined;

export interface HttpRequest {
  readonly method: string;
  readonly url: URL | string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * The body, or a function making it (called once per attempt, so the request can be retried).
   * A stream given directly is sent once: a retryable failure is thrown (RetryableError) for the
   * caller to restart from the start.
   */
  readonly body?: Uint8Array | Readable | (() => Uint8Array | Readable) | undefined;
  /** Retry in place on RETRY_STATUS and broken connections (default true; false throws RetryableError instead). */
  readonly retry?: boolean | undefined;
  /** Follow redirects (default: for GET and HEAD). Credentials given in `headers` never follow to another origin. */
  readonly followRedirects?: boolean | undefined;
  /** Longest wait for response headers, and between two pieces of the body. Default: the transport's. */
  readonly idleTimeoutMs?: number | undefined;
  /** Credentials by origin for this request, asked for every hop (after the transport's own). */
  readonly headersFor?: HeadersFor | undefined;
  /** Names the request in messages instead of `METHOD origin/path`. */
  readonly what?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Unread: consume it, or drain() it so the connection is reused. */
  readonly body: Readable;
  /** The URL that answered (after redirects), without user info. */
  readonly url: URL;
}

export interface TransportOptions {
  readonly retry?: Partial<RetryOptions> | undefined;
  /** Credentials by origin for every request of this transport (see indexCredentials). */
  readonly headersFor?: HeadersFor | undefined;
  /** Told before each retry (a progress warning). */
  readonly onRetry?: ((message: string) => void) | undefined;
  /** Default 120 s. */
  readonly idleTimeoutMs?: number | undefined;
  /** Default 30 s. */
  readonly connectTimeoutMs?: number | undefined;
  readonly maxRedirects?: number | undefined;
  readonly dispatcher?: Dispatcher | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

// undici is loaded on the first request: it is large, and most karoo commands that link this
// package (digest, a build into a layout that has the candidate) never send one.
let undici: Promise<typeof import('undici')> | undefined;
const loadUndici = () => (undici ??= import('undici'));

/** A proxy variable of the environment: the lower-case name first, as curl and pip read them; empty is unset. */
function proxyVariable(env: NodeJS.ProcessEnv, lower: string): { variable: string; url: string } | undefined {
  const upper = lower.toUpperCase();
  const variable = env[lower] !== undefined ? lower : upper;
  const value = env[variable]?.trim();
  if (!value) return undefined;
  // `proxy.corp:3128`, as curl and pip take it, is http://proxy.corp:3128.
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The value is not echoed: it may hold the proxy's password.
    throw new KarooError(
      'input',
      `${variable} is not a proxy URL; set it as http://host:port (with user:password@ before the host for a login)`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new KarooError(
      'input',
      `${variable} names a ${parsed.protocol.slice(0, -1)} proxy; karoo speaks to HTTP proxies only (http://host:port)`,
    );
  return { variable, url };
}

/**
 * The proxy settings of the environment (`https_proxy`, `http_proxy`, `no_proxy`, or their
 * upper-case names), or undefined when no proxy is named or `no_proxy` is `*`. Like the
 * runner's own client, karoo never sends loopback traffic (an index or registry on this
 * machine) to the proxy.
 */
export function proxyFromEnv(env: NodeJS.ProcessEnv = process.env): { httpProxy: string; httpsProxy: string; noProxy: string } | undefined {
  const http = proxyVariable(env, 'http_proxy');
  const https = proxyVariable(env, 'https_proxy');
  const noProxy = noProxyWithLoopback(env);
  if ((!http && !https) || noProxy === undefined) return undefined;
  // Both always given ('' for none), so undici reads nothing of the environment itself.
  return { httpProxy: http?.url ?? '', httpsProxy: https?.url ?? '', noProxy };
}

/**
 * `no_proxy` (or `NO_PROXY`) with loopback added after the environment's own entries — `::1`
 * as Python's requests matches it, `[::1]` as undici does — or undefined when it is `*` (no
 * proxy for anything). For karoo's requests and for the pip it runs alike.
 */
export function noProxyWithLoopback(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const own = (env.no_proxy ?? env.NO_PROXY ?? '').trim();
  if (own === '*') return undefined;
  return [own, 'localhost', '127.0.0.1', '::1', '[::1]'].filter(Boolean).join(',');
}

/**
 * The proxy a request for `url` goes through (the variable that names it, its URL without the
 * login, and whether it has one), or undefined when it goes direct: the choice undici's
 * EnvHttpProxyAgent makes with proxyFromEnv's settings (a `no_proxy` entry matches its host
 * and subdomains, on its port if it names one; https falls back on the http proxy), made again
 * here for messages.
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): { variable: string; url: string; login: boolean } | undefined {
  const settings = proxyFromEnv(env);
  if (!settings) return undefined;
  const host = url.hostname.toLowerCase();
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  for (const entry of settings.noProxy.split(/[,\s]/)) {
    if (!entry) continue;
    const m = /^(.+):(\d+)$/.exec(entry);
    const name = (m ? m[1]! : entry).replace(/^\*?\./, '').toLowerCase();
    if (m && Number(m[2]) !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return undefined;
  }
  const chosen = (url.protocol === 'https:' ? proxyVariable(env, 'https_proxy') : undefined) ?? proxyVariable(env, 'http_proxy');
  return chosen && { variable: chosen.variable, url: redact(chosen.url), login: new URL(chosen.url).username !== '' };
}

/**
 * What a failed attempt tells the caller: a KarooError naming the request and, when it went
 * through a proxy, the proxy and the variable that names it (never its login), with a
 * RetryableError for what may pass on another attempt.
 */
function networkFailure(what: string, target: URL, e: unknown): KarooError {
  const proxy = proxyFor(target);
  const tunnel = /^Proxy response \((\d+)\)/.exec(errorMessage(e));
  if (proxy && tunnel) {
    const status = Number(tunnel[1]);
    const via = `the proxy ${proxy.url} (${proxy.variable})`;
    if (status === 407)
      return new KarooError(
        'input',
        proxy.login
          ? `${what}: ${via} refused its login (407); check the user and password in ${proxy.variable}`
          : `${what}: ${via} wants a login (407); give it in ${proxy.variable} as http://user:password@host:port`,
      );
    // No cause: undici's error is an AbortError, which would read as a timeout; the message says it all.
    if (RETRY_STATUS.has(status)) return new RetryableError(`${what}: ${via} answered ${status}`, { status });
    return new KarooError(
      'unavailable',
      `${what}: ${via} answered ${status}; check that it lets this runner reach ${target.origin}, or name the host in NO_PROXY`,
    );
  }
  const message = proxy
    ? `${what} by way of the proxy ${proxy.url} (${proxy.variable}): ${networkCause(e)}`
    : `${what}: ${networkCause(e)}`;
  if (isTransientNetworkError(e)) return new RetryableError(message, { cause: e });
  return new KarooError('unavailable', message, { cause: e });
}

let sharedAgent: Promise<Dispatcher> | undefined;
/**
 * One connection pool per process (keep-alive), shared by every transport with the default
 * connect timeout; through the environment's proxy when it names one (a self-hosted runner
 * behind a company's gateway).
 */
function agent(connectTimeoutMs: number | undefined): Promise<Dispatcher> {
  const make = async (timeout: number) => {
    const { Agent, EnvHttpProxyAgent } = await loadUndici();
    const options = { connect: { timeout }, keepAliveTimeout: 10_000 };
    const proxy = proxyFromEnv();
    return proxy ? new EnvHttpProxyAgent({ ...options, ...proxy }) : new Agent(options);
  };
  if (connectTimeoutMs !== undefined) return make(connectTimeoutMs);
  sharedAgent ??= make(30_000);
  return sharedAgent;
}

/** `url` without user info, for messages. */
export function redact(url: URL | string): string {
  try {
    const u = new URL(String(url));
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return String(url).replace(/\/\/[^/@]*@/, '//');
  }
}

/**
 * karoo's one HTTP client, on undici: every request carries karoo's user agent, times out when
 * idle, follows redirects (GET/HEAD) without carrying credentials to another origin, and is
 * retried through one policy (RETRY_STATUS and broken connections; `Retry-After` in seconds or
 * as an HTTP-date honoured up to a cap; backoff otherwise). Credentials are attached in one
 * place, by the origin of each hop (`headersFor`, e.g. indexCredentials), and user info in a URL
 * becomes an Authorization header for that URL's origin only. Giving up is a KarooError
 * `unavailable`; other answers (4xx, 500…) are returned for the caller to judge.
 */
export class Transport {
  readonly retry: Partial<RetryOptions>;
  private readonly options: TransportOptions;
  private dispatcherPromise: Promise<Dispatcher> | undefined;
  /** The transport whose connection pool this one shares (see with()). */
  private poolOf: Transport | undefined;

  constructor(options: TransportOptions = {}) {
    this.options = options;
    this.retry = options.retry ?? {};
  }

  private dispatcher(): Promise<Dispatcher> {
    if (this.poolOf) return this.poolOf.dispatcher();
    this.dispatcherPromise ??= this.options.dispatcher ? Promise.resolve(this.options.dispatcher) : agent(this.options.connectTimeoutMs);
    return this.dispatcherPromise;
  }

  /** A transport with these options changed, sharing the connection pool. */
  with(options: TransportOptions): Transport {
    const t = new Transport({ ...this.options, ...options });
    if (!options.dispatcher && options.connectTimeoutMs === undefined) t.poolOf = this;
    return t;
  }

  /** One request, with redirects and (unless `retry: false` or the body is a stream) retries. */
  request(req: HttpRequest): Promise<HttpResponse> {
    const replayable = req.body === undefined || typeof req.body === 'function' || req.body instanceof Uint8Array;
    if (req.retry === false || !replayable) return this.once(req);
    return withRetry(() => this.once(req), { policy: this.retry, onRetry: this.options.onRetry, signal: req.signal });
  }

  /** Runs a whole operation (e.g. an upload started over) under this transport's retry policy. */
  run<T>(attempt: (n: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(attempt, { policy: this.retry, onRetry: this.options.onRetry, signal });
  }

  /** One attempt: follows redirects, throws RetryableError on a retryable status or a broken connection. */
  private async once(req: HttpRequest): Promise<HttpResponse> {
    const start = new URL(String(req.url));
    let url = start;
    let method = req.method.toUpperCase();
    let body = req.body;
    const follow = req.followRedirects ?? (method === 'GET' || method === 'HEAD');
    const maxRedirects = this.options.maxRedirects ?? 5;
    const idle = req.idleTimeoutMs ?? this.options.idleTimeoutMs ?? 120_000;
    for (let hop = 0; ; hop++) {
      const headers = this.headersFor(req, url, start);
      const target = new URL(url.href);
      target.username = '';
      target.password = '';
      const what = req.what ?? `${method} ${target.origin}${target.pathname}`;
      const payload = typeof body === 'function' ? body() : body;
      if (payload instanceof Uint8Array && headers['content-length'] === undefined) headers['content-length'] = String(payload.length);
      let res: Dispatcher.ResponseData;
      try {
        const [{ request }, dispatcher] = await Promise.all([loadUndici(), this.dispatcher()]);
        res = await request(target, {
          method: method as Dispatcher.HttpMethod,
          headers,
          body: payload ?? null,
          dispatcher,
          headersTimeout: idle,
          bodyTimeout: idle,
          signal: req.signal ?? null,
        });
      } catch (e) {
        if (payload instanceof Readable) payload.destroy();
        // The caller's abort goes on as it is; undici's own aborts (a proxy refusing the tunnel) are failures.
        if (req.signal?.aborted) throw e;
        if (e instanceof KarooError) throw e;
        throw networkFailure(what, target, e);
      }
      const status = res.statusCode;
      if (payload instanceof Readable && !payload.readableEnded) {
        // The server answered before reading everything (e.g. 401): stop sending.
        payload.destroy();
      }
      if (RETRY_STATUS.has(status)) {
        await drainBody(res.body);
        const retryAfter = res.headers['retry-after'];
        throw new RetryableError(`${what} answered ${status}`, {
          status,
          retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
        });
      }
      const location = res.headers.location;
      if (follow && REDIRECTS.has(status) && location !== undefined) {
        await drainBody(res.body);
        if (hop >= maxRedirects) throw new KarooError('unavailable', `${what}: more than ${maxRedirects} redirects`);
        url = new URL(Array.isArray(location) ? location[0]! : location, target);
        if (url.protocol !== 'http:' && url.protocol !== 'https:')
          throw new KarooError('input', `${what} redirected to ${redact(url)}, which is not http(s)`);
        if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
          method = method === 'HEAD' ? 'HEAD' : 'GET';
          body = undefined;
        }
        continue;
      }
      return { status, headers: res.headers, body: res.body, url: target };
    }
  }

  /**
   * The headers of one hop: karoo's user agent, the caller's headers (its Authorization and
   * Cookie only on the first URL's origin), then credentials for this hop's own origin
   * (the transport's and the request's headersFor, or the URL's user info).
   */
  private headersFor(req: HttpRequest, url: URL, start: URL): Record<string, string> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    const sameOrigin = url.origin === start.origin;
    for (const [k, v] of Object.entries(req.headers ?? {})) {
      const name = k.toLowerCase();
      if (!sameOrigin && (name === 'authorization' || name === 'cookie' || name === 'proxy-authorization')) continue;
      headers[name] = v;
    }
    for (const decide of [this.options.headersFor, req.headersFor]) {
      for (const [k, v] of Object.entries(decide?.(url) ?? {})) headers[k.toLowerCase()] = v;
    }
    if (url.username || url.password) {
      headers.authorization = basicAuthHeader({ username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
    }
    return headers;
  }
}

/**
 * Credentials of private indexes, by origin: for a URL on an index's own origin, that index's
 * Authorization header; for any other URL, none. The decision is @karoo/common's
 * credentialsForAny (plain HTTP only to loopback), asked again for every redirect hop.
 */
export function indexCredentials(indexes: readonly IndexAuthConfig[], env: NodeJS.ProcessEnv = process.env): HeadersFor | undefined {
  if (indexes.length === 0) return undefined;
  return (url) => {
    const match = credentialsForAny(url, indexes, env);
    return match ? { authorization: basicAuthHeader(match.credentials) } : undefined;
  };
}

async function drainBody(body: Readable): Promise<void> {
  try {
    for await (const _ of body) {
      /* discard */
    }
  } catch {
    /* the connection is gone anyway */
  }
}

/** Reads and discards a response body so the connection can be reused. */
export function drain(res: HttpResponse): Promise<void> {
  return drainBody(res.body);
}

/** The whole body, refusing more than `limit` bytes. */
export async function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    const b = c as Buffer;
    n += b.length;
    if (n > limit) {
      res.body.destroy();
      throw new KarooError('unavailable', `response from ${res.url.host} is larger than ${limit} bytes`);
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** A response header's (first) value. */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The transport with the default policy, for code that has no options of its own. */
export const transport = new Transport();
