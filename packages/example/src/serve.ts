import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { KarooError } from '@karoo/common';
import { SIMPLE_HTML, SIMPLE_JSON } from './tree.js';

export type IndexFormat = 'json' | 'html';

export interface ServeIndexOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Require HTTP basic auth with these credentials. */
  readonly auth?: { readonly username: string; readonly password: string };
  /** Which representations of directory pages the server offers (default both). */
  readonly formats?: readonly IndexFormat[];
}

export interface IndexRequest {
  readonly method: string;
  /** Path and query as requested. */
  readonly path: string;
  readonly accept: string | undefined;
  readonly status: number;
  readonly contentType: string | undefined;
  /** The basic-auth user name when the request carried valid credentials. */
  readonly user: string | undefined;
}

export interface IndexServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  readonly port: number;
  /** URL of a path under the root (`urlFor('private/simple/')`); with `auth: true` the credentials are embedded. */
  urlFor(path: string, options?: { auth?: boolean }): string;
  /** Every request answered so far, in order. */
  readonly requests: readonly IndexRequest[];
  /** Number of requests whose path starts with `prefix` (or that match `filter`). */
  count(filter?: string | ((r: IndexRequest) => boolean)): number;
  clearLog(): void;
  close(): Promise<void>;
}

interface Choice {
  format: IndexFormat;
  contentType: string;
}

const HTML_TYPE = 'text/html; charset=utf-8';

function parseAccept(header: string | undefined): Array<{ type: string; q: number }> {
  if (header === undefined || header.trim() === '') return [{ type: '*/*', q: 1 }];
  return header.split(',').flatMap((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!type) return [];
    let q = 1;
    for (const p of params) {
      const m = /^q=([0-9.]+)$/.exec(p);
      if (m) q = Number(m[1]);
    }
    return Number.isFinite(q) ? [{ type, q }] : [];
  });
}

/** PEP 691 content negotiation: the best representation the client accepts, or undefined (406). */
export function negotiate(accept: string | undefined, offered: readonly IndexFormat[]): Choice | undefined {
  const ranges = parseAccept(accept);
  const candidates: Array<Choice & { types: string[] }> = [];
  if (offered.includes('json'))
    candidates.push({ format: 'json', contentType: SIMPLE_JSON, types: [SIMPLE_JSON, 'application/vnd.pypi.simple.latest+json'] });
  if (offered.includes('html')) {
    candidates.push({ format: 'html', contentType: SIMPLE_HTML, types: [SIMPLE_HTML, 'application/vnd.pypi.simple.latest+html'] });
    candidates.push({ format: 'html', contentType: HTML_TYPE, types: ['text/html'] });
  }
  let best: { c: Choice; q: number; specific: number; order: number } | undefined;
  candidates.forEach((c, order) => {
    for (const r of ranges) {
      let specific = -1;
      if (c.types.includes(r.type)) specific = 2;
      else if (r.type === '*/*' || r.type === `${c.types[0]!.split('/')[0]}/*`) specific = r.type === '*/*' ? 0 : 1;
      if (specific < 0 || r.q <= 0) continue;
      // A wildcard answers with plain HTML when HTML is offered: it is what a browser or old client wants.
      const pref = specific === 2 ? 0 : c.contentType === HTML_TYPE ? 0 : 1;
      const rank = { c: { format: c.format, contentType: c.contentType }, q: r.q, specific, order: pref * 10 + order };
      if (
        !best ||
        rank.q > best.q ||
        (rank.q === best.q && (rank.specific > best.specific || (rank.specific === best.specific && rank.order < best.order)))
      )
        best = rank;
    }
  });
  return best?.c;
}

const FILE_TYPES: Record<string, string> = {
  '.whl': 'application/zip',
  '.metadata': 'text/plain; charset=utf-8',
  '.html': HTML_TYPE,
  '.json': 'application/json',
};

/**
 * Serves a directory (an index tree from writeIndex, or a folder of several) over HTTP on
 * 127.0.0.1 only. Directory URLs answer with `index.json` or `index.html` by PEP 691 content
 * negotiation (also `?format=<media type>`); a directory URL without its trailing slash is
 * redirected to it, as PyPI does. Every request is logged for tests to read.
 */
export async function serveIndex(dir: string, options: ServeIndexOptions = {}): Promise<IndexServer> {
  const root = resolve(dir);
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new KarooError('input', `index directory ${dir} does not exist; generate it first`);
  const formats = options.formats ?? ['json', 'html'];
  const requests: IndexRequest[] = [];
  const expected = options.auth && createHash('sha256').update(`${options.auth.username}:${options.auth.password}`).digest();

  // A request is logged as its headers go out, so a client that has its answer sees it in the log.
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let user: string | undefined;
    const record = (status: number, contentType: string | undefined) =>
      requests.push({ method: req.method ?? '', path: req.url ?? '', accept: req.headers.accept, status, contentType, user });
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      record(status, 'text/plain; charset=utf-8');
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (expected) {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
      const given = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : undefined;
      const ok = given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), expected);
      if (!ok) return send(401, 'authentication required\n', { 'www-authenticate': 'Basic realm="karoo index"' });
      user = options.auth!.username;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return send(400, 'bad path\n');
    }
    const segments = rel.split('/').filter((s) => s !== '');
    if (rel.includes('\0') || segments.some((s) => s === '..' || s === '.' || s.includes('\\'))) return send(404, 'not found\n');
    const path = join(root, ...segments);
    if (path !== root && !path.startsWith(root + sep)) return send(404, 'not found\n');
    const info = await stat(path).catch(() => undefined);
    if (!info) return send(404, 'not found\n');

    let file = path;
    let contentType: string;
    if (info.isDirectory()) {
      if (!url.pathname.endsWith('/')) return send(301, 'moved\n', { location: `${url.pathname}/${url.search}` });
      const have: IndexFormat[] = [];
      for (const f of formats)
        if (
          await stat(join(path, `index.${f}`)).then(
            (s) => s.isFile(),
            () => false,
          )
        )
          have.push(f);
      if (have.length === 0) return send(404, 'not found\n');
      const choice = negotiate(url.searchParams.get('format') ?? req.headers.accept, have);
      if (!choice) return send(406, `not acceptable; offered: ${have.map((f) => (f === 'json' ? SIMPLE_JSON : SIMPLE_HTML)).join(', ')}\n`);
      file = join(path, `index.${choice.format}`);
      contentType = choice.contentType;
    } else if (info.isFile()) {
      const ext = /\.[a-z]+$/.exec(path)?.[0] ?? '';
      contentType = FILE_TYPES[ext] ?? 'application/octet-stream';
    } else return send(404, 'not found\n');

    const size = (await stat(file)).size;
    record(200, contentType);
    res.writeHead(200, { 'content-type': contentType, 'content-length': String(size), vary: 'Accept', 'cache-control': 'no-cache' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((ok, fail) => {
      const s = createReadStream(file);
      s.on('error', fail);
      res.on('finish', ok);
      res.on('close', ok);
      s.pipe(res);
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          accept: req.headers.accept,
          status: 500,
          contentType: 'text/plain',
          user: undefined,
        });
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`internal error: ${String(e)}\n`);
      } else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  }).catch((e: unknown) => {
    throw new KarooError('unavailable', `cannot listen on 127.0.0.1:${options.port ?? 0} to serve ${dir}: ${(e as Error).message}`);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    port,
    urlFor(path, o = {}) {
      const u = new URL(path.replace(/^\/+/, ''), url);
      if (o.auth && options.auth) {
        u.username = encodeURIComponent(options.auth.username);
        u.password = encodeURIComponent(options.auth.password);
      }
      return u.href;
    },
    requests,
    count(filter) {
      if (filter === undefined) return requests.length;
      return requests.filter(typeof filter === 'string' ? (r) => r.path.startsWith(filter) : filter).length;
    },
    clearLog() {
      requests.length = 0;
    },
    close() {
      return new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
    },
  };
}
