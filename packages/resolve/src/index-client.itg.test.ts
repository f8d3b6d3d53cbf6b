import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IndexConfig } from '@karoo/config';
import { IndexClient } from './index-client.js';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const html = `<!DOCTYPE html><html><body>
<a href="../../files/cam_core-1.0-py3-none-any.whl#sha256=${H1}" data-requires-python="&gt;=3.8">cam_core-1.0-py3-none-any.whl</a>
<a href='../../files/cam_core-2.0-py3-none-any.whl#sha256=${H2}' data-yanked="broken">cam_core-2.0-py3-none-any.whl</a>
</body></html>`;
const json = JSON.stringify({
  meta: { 'api-version': '1.1' },
  name: 'cam-core',
  files: [
    {
      filename: 'cam_core-1.0-py3-none-any.whl',
      url: '../../files/cam_core-1.0-py3-none-any.whl',
      hashes: { sha256: H1 },
      size: 1234,
      yanked: false,
    },
  ],
});

let server: Server;
let base: string;
const seen: Array<{ url: string; accept: string; auth: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', accept: String(req.headers.accept), auth: String(req.headers.authorization ?? '') });
    if (req.url === '/json/simple/cam-core/') {
      res.writeHead(200, { 'content-type': 'application/vnd.pypi.simple.v1+json' }).end(json);
    } else if (req.url === '/html/simple/cam-core/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else if (req.url?.startsWith('/locked/')) {
      res.writeHead(401).end();
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const ix = (url: string, extra: Partial<IndexConfig> = {}): IndexConfig => ({ name: 'private', url, private: true, ...extra });

describe('index client', () => {
  it('asks for PEP 691 JSON first and reads sizes and hashes from it', async () => {
    const page = await new IndexClient().page(ix(`${base}/json/simple/`), 'Cam_Core');
    expect(page?.format).toBe('json');
    expect(page?.files).toEqual([
      {
        filename: 'cam_core-1.0-py3-none-any.whl',
        url: `${base}/json/files/cam_core-1.0-py3-none-any.whl`,
        sha256: H1,
        size: 1234,
        yanked: false,
        requiresPython: undefined,
        coreMetadata: undefined,
      },
    ]);
    expect(seen.at(-1)?.accept).toContain('application/vnd.pypi.simple.v1+json');
    expect(seen.at(-1)?.url).toBe('/json/simple/cam-core/');
  });

  it('reads PEP 503 HTML: fragments, yanked flags, escaped attributes', async () => {
    const page = await new IndexClient().page(ix(`${base}/html/simple/`), 'cam-core');
    expect(page?.format).toBe('html');
    expect(page?.files.map((f) => [f.filename, f.sha256, f.yanked, f.requiresPython])).toEqual([
      ['cam_core-1.0-py3-none-any.whl', H1, false, '>=3.8'],
      ['cam_core-2.0-py3-none-any.whl', H2, true, undefined],
    ]);
  });

  it('asks once per project and index', async () => {
    const client = new IndexClient();
    await Promise.all([client.page(ix(`${base}/html/simple/`), 'cam-core'), client.page(ix(`${base}/html/simple/`), 'CAM.core')]);
    expect(client.requests).toBe(1);
  });

  it('returns undefined for an absent project, and names the index when refused or unreachable', async () => {
    expect(await new IndexClient().page(ix(`${base}/html/simple/`), 'nothing-here')).toBeUndefined();
    await expect(
      new IndexClient({ IX_USER: 'u', IX_PASS: 'p' }).page(
        ix(`${base}/locked/simple/`, { usernameEnv: 'IX_USER', passwordEnv: 'IX_PASS' }),
        'x',
      ),
    ).rejects.toThrow(/index "private" refused access to x \(HTTP 401\): it did not accept the login in IX_USER\/IX_PASS/);
    expect(seen.at(-1)?.auth).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    const closed = await closedPort();
    await expect(new IndexClient().page(ix(`http://127.0.0.1:${closed}/simple/`), 'x')).rejects.toThrow(
      new RegExp(`index "private" at http://127.0.0.1:${closed}/simple/ is unreachable \\(ECONNREFUSED\\)`),
    );
  });

  it('reads file:// indexes, preferring index.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'karoo-ix-'));
    await mkdir(join(dir, 'simple', 'cam-core'), { recursive: true });
    await writeFile(join(dir, 'simple', 'cam-core', 'index.html'), html);
    const url = `${pathToFileURL(join(dir, 'simple')).href}/`;
    const page = await new IndexClient().page(ix(url), 'cam-core');
    expect(page?.files[0]?.url).toBe(`${pathToFileURL(join(dir, 'files')).href}/cam_core-1.0-py3-none-any.whl`);
    expect(await new IndexClient().page(ix(url), 'other')).toBeUndefined();
    await expect(new IndexClient().page(ix(`${pathToFileURL(join(dir, 'missing')).href}/`), 'x')).rejects.toThrow(
      /does not exist; check its url/,
    );
  });
});
