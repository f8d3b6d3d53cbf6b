import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { errorMessage } from '@karoo/common';
import type { IndexConfig } from '@karoo/config';
import { normalizeName, parseInstant } from '@karoo/lock';
import { type IndexClient, type IndexFile, urlWithCredentials } from './index-client.js';

export interface MergedIndex {
  /**
   * `http://127.0.0.1:PORT/<token>/simple/`: the one index URL the resolver is given. The token
   * is 256 random bits, new for every run; any other path answers 404.
   */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A private-first view of several indexes, served on 127.0.0.1 for the resolver: a project
 * the private index has is listed with the private files only; other projects with the files
 * of every extra index. So a public package can never shadow a private name, whatever its
 * version (dependency confusion), which pip's `--extra-index-url` alone cannot promise.
 * Pages are PEP 503 HTML with PEP 658 metadata links; file URLs point at the original indexes,
 * with an index's credentials only in URLs on that index's own origin (credentialsFor). Those
 * pages are for the resolver alone: they are served only under a random path, so another
 * process on the machine that finds the port learns nothing.
 */
export async function serveMergedIndex(
  client: IndexClient,
  indexes: readonly IndexConfig[],
  env: NodeJS.ProcessEnv = process.env,
  options: MergedIndexOptions = {},
): Promise<MergedIndex> {
  const failures: unknown[] = [];
  const asOf = options.asOf;

  const pageFor = async (name: string): Promise<Array<{ ix: IndexConfig; file: IndexFile }> | undefined> => {
    // The cutoff filters after the private-first choice: a private project whose files are all
    // newer than the cutoff is empty, never replaced by a public one of the same name.
    const out = (await mergedFiles(client, indexes, name)).filter(({ file }) => visibleAt(file, asOf));
    return out.length > 0 ? out : undefined;
  };

  const token = randomBytes(32).toString('hex');
  const server: Server = createServer((req, res) => {
    const m = /^\/([0-9a-f]{64})\/simple\/([^/?#]+)\/?(?:\?.*)?$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !m || !timingSafeEqual(Buffer.from(m[1]!), Buffer.from(token))) {
      res.writeHead(404).end();
      return;
    }
    const name = normalizeName(decodeURIComponent(m[2]!));
    // html() is inside the chain: a refusal to send credentials is a failure like any other.
    pageFor(name)
      .then((files) => files && html(name, files, env))
      .then(
        (page) => {
          if (!page) {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
            return;
          }
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
        },
        (e: unknown) => {
          // The resolver only sees a 502; the real cause is rethrown to the caller of close().
          failures.push(e);
          res.writeHead(502, { 'content-type': 'text/plain' }).end(errorMessage(e));
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/${token}/simple/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (failures.length > 0) throw failures[0];
    },
  };
}

export interface MergedIndexOptions {
  /**
   * Upload-time cutoff, nanoseconds since the epoch (parseInstant): files the index received
   * later are not listed. Files without an upload time (PEP 503 HTML pages) are listed: the
   * cutoff cannot apply to them, which resolve reports.
   */
  readonly asOf?: bigint | undefined;
}

/**
 * The files of `name` in the private-first view: the private index's files when it has the
 * project, else the files of every extra index. What the merged index serves before the cutoff.
 */
export async function mergedFiles(
  client: IndexClient,
  indexes: readonly IndexConfig[],
  name: string,
): Promise<Array<{ ix: IndexConfig; file: IndexFile }>> {
  for (const ix of indexes.filter((x) => x.private)) {
    const page = await client.page(ix, name);
    if (page && page.files.length > 0) return page.files.map((file) => ({ ix, file }));
  }
  const out: Array<{ ix: IndexConfig; file: IndexFile }> = [];
  for (const ix of indexes.filter((x) => !x.private)) {
    const page = await client.page(ix, name);
    for (const file of page?.files ?? []) out.push({ ix, file });
  }
  return out;
}

/** True when `file` is visible under the cutoff: uploaded at or before it, or of unknown upload time. */
export function visibleAt(file: IndexFile, asOf: bigint | undefined): boolean {
  if (asOf === undefined || file.uploadTime === undefined) return true;
  const t = parseInstant(file.uploadTime);
  return t === undefined || t <= asOf;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function html(name: string, files: Array<{ ix: IndexConfig; file: IndexFile }>, env: NodeJS.ProcessEnv): string {
  const links = files.map(({ ix, file }) => {
    // The resolver downloads files straight from where the index links them: with the index's
    // credentials on the index's own origin only, never on a host the page merely names.
    const href = `${urlWithCredentials(file.url, ix, env)}${file.sha256 ? `#sha256=${file.sha256}` : ''}`;
    const attrs = [`href="${esc(href)}"`];
    if (file.requiresPython) attrs.push(`data-requires-python="${esc(file.requiresPython)}"`);
    if (file.yanked) attrs.push('data-yanked=""');
    if (file.coreMetadata) {
      const v = file.coreMetadata.sha256 ? `sha256=${file.coreMetadata.sha256}` : 'true';
      attrs.push(`data-dist-info-metadata="${v}"`, `data-core-metadata="${v}"`);
    }
    return `<a ${attrs.join(' ')}>${esc(file.filename)}</a><br/>`;
  });
  return `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for ${esc(name)}</title></head><body>\n${links.join('\n')}\n</body></html>\n`;
}
