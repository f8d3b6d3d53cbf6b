import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';

export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Sent as is; a stream is piped and never held whole in memory. */
  readonly body?: Readable | Uint8Array | undefined;
  /** Idle time after which the request fails with ETIMEDOUT. */
  readonly idleTimeoutMs?: number | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: IncomingMessage;
  readonly url: URL;
}

const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 32 }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: 32 }),
};

/** Error codes of a connection that broke: a retry may help. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ECONNABORTED', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

export function isTransientNetworkError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && TRANSIENT_CODES.has(code)) return true;
  return e instanceof Error && /socket hang up|aborted/i.test(e.message);
}

/** Hosts a registry may be reached on over plain HTTP (as other OCI clients do). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** One HTTP exchange. The response body is left unread for the caller. */
export function send(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolvePromise, reject) => {
    const isHttps = req.url.protocol === 'https:';
    const make = isHttps ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { 'user-agent': 'karoo/0.1.0', ...req.headers };
    if (req.body instanceof Uint8Array) headers['content-length'] = String(req.body.length);
    let settled = false;
    const r = make(req.url, { method: req.method, headers, agent: isHttps ? agents.https : agents.http }, (res) => {
      settled = true;
      const body = req.body;
      if (body && !(body instanceof Uint8Array) && !body.readableEnded) {
        // The server answered before reading everything (e.g. 401): stop sending.
        body.unpipe(r);
        body.destroy();
      }
      resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url });
    });
    r.setTimeout(req.idleTimeoutMs ?? 120_000, () => {
      const e = new Error(`no data for ${(req.idleTimeoutMs ?? 120_000) / 1000} s`) as NodeJS.ErrnoException;
      e.code = 'ETIMEDOUT';
      r.destroy(e);
    });
    r.on('error', (e) => {
      if (!settled) reject(e);
    });
    const body = req.body;
    if (body === undefined) r.end();
    else if (body instanceof Uint8Array) r.end(body);
    else {
      body.on('error', (e) => r.destroy(e));
      body.pipe(r);
    }
  });
}

/** Reads and discards a response body so the connection can be reused. */
export async function drain(res: HttpResponse): Promise<void> {
  try {
    for await (const _ of res.body) {
      /* discard */
    }
  } catch {
    /* the connection is gone anyway */
  }
}

export async function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    const b = c as Buffer;
    n += b.length;
    if (n > limit) {
      res.body.destroy();
      throw new Error(`response from ${res.url.host} is larger than ${limit} bytes`);
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
