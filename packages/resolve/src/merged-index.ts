import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { errorMessage } from '@karoo/common';
import type { IndexConfig } from '@karoo/config';
import { normalizeName } from '@karoo/lock';
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
export async function serveMergedIndex(client: IndexClient, indexes: readonly IndexConfig[], env: NodeJS.ProcessEnv = process.env): Promise<MergedIndex> {
  const privateIndexes = indexes.filter((ix) => ix.private);
  const extraIndexes = indexes.filter((ix) => !ix.private);
  const failures: unknown[] = [];

  const pageFor = async (name: string): Promise<Array<{ ix: IndexConfig; file: IndexFile }> | undefined> => {
    for (const ix of privateIndexes) {
      const page = await client.page(ix, name);
      if (page && page.files.length > 0) return page.files.map((file) => ({ ix, file }));
    }
    const out: Array<{ ix: IndexConfig; file: IndexFile }> = [];
    for (const ix of extraIndexes) {
      const page = await client.page(ix, name);
      for (const file of page?.files ?? []) out.push({ ix, file });
    }
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
    pageFor(name).then((files) => files && html(name, files, env)).then(
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
