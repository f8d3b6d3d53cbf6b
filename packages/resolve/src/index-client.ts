import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  basicAuthHeader,
  credentialsFor,
  errorMessage,
  isKarooError,
  KarooError,
  networkCause,
  refusedAccessMessage,
  urlWithUserinfo,
} from '@karoo/common';
import type { IndexConfig } from '@karoo/config';
import { normalizeName, parseInstant } from '@karoo/lock';
import { drain, header, proxyFor, readBody, type HttpResponse, transport as defaultTransport, type Transport } from '@karoo/transport';

/** One file listed on a project page of a PEP 503/691 index. */
export interface IndexFile {
  readonly filename: string;
  /** Absolute URL without fragment and without credentials. */
  readonly url: string;
  readonly sha256?: string | undefined;
  readonly size?: number | undefined;
  readonly yanked: boolean;
  readonly requiresPython?: string | undefined;
  /** PEP 658/714: the index serves `<url>.metadata`; the sha256 of that file when given. */
  readonly coreMetadata?: { readonly sha256?: string | undefined } | undefined;
  /** PEP 700 `upload-time` as the index gives it (JSON pages only), when it is an RFC 3339 date-time. */
  readonly uploadTime?: string | undefined;
}

export interface ProjectPage {
  readonly index: IndexConfig;
  readonly project: string;
  readonly files: readonly IndexFile[];
  /** sha256 of the page's bytes as served: changes whenever the index adds, yanks or replaces a file. */
  readonly pageDigest: string;
  readonly format: 'json' | 'html';
}

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
/** Largest project page karoo reads (PyPI's biggest JSON pages are tens of MB). */
const MAX_PAGE = 256 << 20;

/**
 * `Authorization: Basic …` for a request to `url`, when the index has credentials and `url` is
 * on the index's own origin (the decision is @karoo/common's credentialsFor, shared with build).
 */
export function authorizationFor(url: string, ix: IndexConfig | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const c = ix && credentialsFor(url, ix, env);
  return c ? basicAuthHeader(c) : undefined;
}

/**
 * `url` with the index's credentials in it, for a resolver process that needs them, when
 * credentialsFor allows them for that URL; otherwise `url` unchanged. Such a URL goes only to
 * a child process or over loopback, never into anything written.
 */
export function urlWithCredentials(url: string, ix: IndexConfig | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const c = ix && credentialsFor(url, ix, env);
  return c ? urlWithUserinfo(url, c) : url;
}

/** Removes user and password from a URL: nothing karoo writes ever holds credentials. */
export function stripCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return url;
  }
}

/**
 * Reads project pages of PEP 503 (HTML) and PEP 691 (JSON) indexes over http(s) or file://.
 * Pages are cached per client, so one resolve never asks twice.
 */
export class IndexClient {
  private readonly cache = new Map<string, Promise<ProjectPage | undefined>>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly transport: Transport;
  /** Count of page requests made, for tests and progress. */
  requests = 0;

  constructor(env: NodeJS.ProcessEnv = process.env, transport: Transport = defaultTransport) {
    this.env = env;
    this.transport = transport;
  }

  /** The project's page, or undefined when the index does not have the project. */
  page(index: IndexConfig, project: string): Promise<ProjectPage | undefined> {
    const name = normalizeName(project);
    const key = `${index.url}\0${name}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.fetchPage(index, name);
      this.cache.set(key, p);
    }
    return p;
  }

  private async fetchPage(index: IndexConfig, name: string): Promise<ProjectPage | undefined> {
    const pageUrl = new URL(`${name}/`, index.url).href;
    this.requests++;
    if (pageUrl.startsWith('file:')) return this.fileUrlPage(index, name, pageUrl);
    let res: HttpResponse;
    try {
      // The index's credentials go with each hop on the index's own origin only (redirects included).
      res = await this.transport.request({
        method: 'GET',
        url: pageUrl,
        headers: { accept: `${JSON_TYPE}, text/html;q=0.1` },
        headersFor: (url) => {
          const auth = authorizationFor(url.href, index, this.env);
          return auth ? { authorization: auth } : undefined;
        },
        idleTimeoutMs: 30_000,
        what: `index "${index.name}" page ${stripCredentials(pageUrl)}`,
      });
    } catch (e) {
      if (isKarooError(e) && e.kind === 'input') throw e;
      // Still answering 429/502/503/504 after the retries: the index is there but not serving.
      if ((e as { cause?: { status?: unknown } }).cause?.status !== undefined)
        throw new KarooError('unavailable', `${errorMessage(e)}; try again or check the index`, { cause: e });
      // Through a proxy, the transport's message names the proxy: "check the index" would mislead.
      if (proxyFor(new URL(pageUrl), this.env)) throw new KarooError('unavailable', errorMessage(e), { cause: e });
      const cause = networkCause(e);
      throw new KarooError(
        'unavailable',
        `index "${index.name}" at ${stripCredentials(index.url)} is unreachable (${cause}); check its URL in karoo.yml and that it is serving`,
        { cause: e },
      );
    }
    if (res.status === 404) {
      await drain(res);
      return undefined;
    }
    if (res.status === 401 || res.status === 403) {
      await drain(res);
      throw new KarooError('input', refusedAccessMessage(index, name, res.status, this.env));
    }
    if (res.status < 200 || res.status > 299) {
      await drain(res);
      throw new KarooError(
        'unavailable',
        `index "${index.name}" answered HTTP ${res.status} for ${stripCredentials(pageUrl)}; try again or check the index`,
      );
    }
    const body = await readBody(res, MAX_PAGE);
    const type = header(res, 'content-type') ?? '';
    const base = stripCredentials(res.url.href);
    const format = type.includes(JSON_TYPE) || type.includes('application/json') ? 'json' : 'html';
    return this.build(index, name, base, body, format);
  }

  private async fileUrlPage(index: IndexConfig, name: string, pageUrl: string): Promise<ProjectPage | undefined> {
    const dir = fileURLToPath(pageUrl);
    for (const [file, format] of [
      ['index.json', 'json'],
      ['index.html', 'html'],
    ] as const) {
      try {
        const body = await readFile(`${dir}${file}`);
        return this.build(index, name, pageUrl, body, format);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        throw new KarooError('unavailable', `index "${index.name}": cannot read ${dir}${file} (${code ?? errorMessage(e)})`);
      }
    }
    // No page for the project: tell "the index has no such project" from "there is no index".
    if (!(await stat(fileURLToPath(index.url)).catch(() => undefined))?.isDirectory()) {
      throw new KarooError('unavailable', `index "${index.name}" at ${index.url} does not exist; check its url in karoo.yml`);
    }
    return undefined;
  }

  private build(index: IndexConfig, project: string, base: string, body: Buffer, format: 'json' | 'html'): ProjectPage {
    const files = format === 'json' ? parseJsonPage(body, base, index) : parseHtmlPage(body.toString('utf8'), base);
    return { index, project, files, pageDigest: createHash('sha256').update(body).digest('hex'), format };
  }
}

function splitFragment(href: string, base: string): { url: string; sha256?: string } {
  const abs = new URL(href, base);
  const frag = abs.hash.slice(1);
  abs.hash = '';
  const m = /(?:^|&)sha256=([0-9a-fA-F]{64})/.exec(frag);
  return { url: stripCredentials(abs.href), ...(m ? { sha256: m[1]!.toLowerCase() } : {}) };
}

function parseJsonPage(body: Buffer, base: string, index: IndexConfig): IndexFile[] {
  let doc: { files?: Array<Record<string, unknown>> };
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new KarooError('unavailable', `index "${index.name}" served invalid JSON at ${base}`);
  }
  return (doc.files ?? []).map((f) => {
    const { url, sha256: fragHash } = splitFragment(String(f.url), base);
    const hashes = (f.hashes ?? {}) as Record<string, string>;
    const sha = hashes.sha256?.toLowerCase() ?? fragHash;
    return {
      filename: String(f.filename),
      url,
      sha256: sha,
      size: typeof f.size === 'number' ? f.size : undefined,
      yanked: f.yanked !== undefined && f.yanked !== false,
      requiresPython: typeof f['requires-python'] === 'string' ? (f['requires-python'] as string) : undefined,
      coreMetadata: metadataFlag(f['core-metadata'] ?? f['dist-info-metadata']),
      // Anything but a date-time counts as no upload time: the cutoff then reports the project.
      uploadTime: typeof f['upload-time'] === 'string' && parseInstant(f['upload-time']) !== undefined ? f['upload-time'] : undefined,
    };
  });
}

function metadataFlag(v: unknown): IndexFile['coreMetadata'] {
  if (v === undefined || v === false || v === 'false') return undefined;
  if (typeof v === 'string') {
    const m = /^sha256=([0-9a-fA-F]{64})$/.exec(v);
    return m ? { sha256: m[1]!.toLowerCase() } : {};
  }
  if (typeof v === 'object' && v !== null) {
    const sha = (v as Record<string, unknown>).sha256;
    return typeof sha === 'string' ? { sha256: sha.toLowerCase() } : {};
  }
  return v === true ? {} : undefined;
}

const ANCHOR = /<a\s([^>]*)>([^<]*)<\/a\s*>/gi;
const ATTR = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

function unescapeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|lt|gt|amp|quot|apos|#39);/gi, (_, e: string) => {
    const l = e.toLowerCase();
    if (l === 'lt') return '<';
    if (l === 'gt') return '>';
    if (l === 'amp') return '&';
    if (l === 'quot') return '"';
    if (l === 'apos' || l === '#39') return "'";
    return String.fromCodePoint(l.startsWith('#x') ? parseInt(l.slice(2), 16) : parseInt(l.slice(1), 10));
  });
}

function parseHtmlPage(html: string, base: string): IndexFile[] {
  const out: IndexFile[] = [];
  for (const a of html.matchAll(ANCHOR)) {
    const attrs = new Map<string, string>();
    for (const m of a[1]!.matchAll(ATTR)) attrs.set(m[1]!.toLowerCase(), unescapeHtml(m[2] ?? m[3] ?? m[4] ?? ''));
    const href = attrs.get('href');
    if (!href) continue;
    const { url, sha256 } = splitFragment(href, base);
    const filename = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? unescapeHtml(a[2]!.trim()));
    out.push({
      filename,
      url,
      sha256,
      size: undefined,
      yanked: attrs.has('data-yanked'),
      requiresPython: attrs.get('data-requires-python'),
      coreMetadata: metadataFlag(attrs.get('data-core-metadata') ?? attrs.get('data-dist-info-metadata')),
    });
  }
  return out;
}
