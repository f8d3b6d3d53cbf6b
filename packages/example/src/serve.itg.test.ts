import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serveIndex, type IndexServer } from './serve.js';
import { SIMPLE_HTML, SIMPLE_JSON, wheelFile, writeIndex } from './tree.js';
import { buildWheel } from './wheel.js';

const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';
let tmp: string;
let server: IndexServer;
let authed: IndexServer;
const wheel = buildWheel({ name: 'cam-core', version: '1.0.0', files: { 'cam_core/__init__.py': '' } });

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'karoo-serve-'));
  await writeIndex(join(tmp, 'idx'), [{ name: 'cam-core', files: [wheelFile(wheel)] }]);
  server = await serveIndex(join(tmp, 'idx'));
  authed = await serveIndex(join(tmp, 'idx'), { auth: { username: 'ci', password: 's3cr:et' } });
});
afterAll(async () => {
  await server?.close();
  await authed?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('serveIndex', () => {
  it('listens on 127.0.0.1 only, on an ephemeral port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+\/$/);
    expect(server.port).toBeGreaterThan(0);
    expect(server.urlFor('simple/')).toBe(`${server.url}simple/`);
  });

  it('negotiates PEP 691 JSON and HTML for the same directory URL', async () => {
    server.clearLog();
    const j = await fetch(server.urlFor('simple/cam-core/'), { headers: { accept: PIP_ACCEPT } });
    expect(j.status).toBe(200);
    expect(j.headers.get('content-type')).toBe(SIMPLE_JSON);
    expect(j.headers.get('vary')).toBe('Accept');
    const body = (await j.json()) as { files: Array<{ url: string; hashes: { sha256: string } }> };
    expect(body.files[0]!.hashes.sha256).toBe(wheel.sha256);
    // The JSON's relative URL resolves against the page to the wheel.
    const file = await fetch(new URL(body.files[0]!.url, server.urlFor('simple/cam-core/')));
    expect(Buffer.from(await file.arrayBuffer()).equals(wheel.data)).toBe(true);

    const h = await fetch(server.urlFor('simple/cam-core/'));
    expect(h.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await h.text()).toContain(`#sha256=${wheel.sha256}`);
    const v1html = await fetch(server.urlFor('simple/cam-core/'), { headers: { accept: SIMPLE_HTML } });
    expect(v1html.headers.get('content-type')).toBe(SIMPLE_HTML);
    const q = await fetch(server.urlFor(`simple/cam-core/?format=${encodeURIComponent(SIMPLE_JSON)}`));
    expect(q.headers.get('content-type')).toBe(SIMPLE_JSON);
    const no = await fetch(server.urlFor('simple/cam-core/'), { headers: { accept: 'application/xml' } });
    expect(no.status).toBe(406);

    expect(server.requests.map((r) => [r.path, r.status, r.contentType])).toEqual([
      ['/simple/cam-core/', 200, SIMPLE_JSON],
      ['/files/cam_core-1.0.0-py3-none-any.whl', 200, 'application/zip'],
      ['/simple/cam-core/', 200, 'text/html; charset=utf-8'],
      ['/simple/cam-core/', 200, SIMPLE_HTML],
      [`/simple/cam-core/?format=${encodeURIComponent(SIMPLE_JSON)}`, 200, SIMPLE_JSON],
      ['/simple/cam-core/', 406, 'text/plain; charset=utf-8'],
    ]);
    expect(server.count('/files/')).toBe(1);
    expect(server.count((r) => r.contentType === SIMPLE_JSON)).toBe(2);
  });

  it('redirects a directory URL without its slash, as pip expects', async () => {
    const r = await fetch(server.urlFor('simple/cam-core'), { redirect: 'manual' });
    expect(r.status).toBe(301);
    expect(r.headers.get('location')).toBe('/simple/cam-core/');
    const followed = await fetch(server.urlFor('simple/Cam-Core'.toLowerCase()), { headers: { accept: PIP_ACCEPT } });
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(server.urlFor('simple/cam-core/'));
  });

  it('serves PEP 658 metadata, HEAD, and 404 for unknown or escaping paths', async () => {
    const m = await fetch(server.urlFor(`files/${wheel.filename}.metadata`));
    expect(Buffer.from(await m.arrayBuffer()).equals(wheel.metadata)).toBe(true);
    const head = await fetch(server.urlFor(`files/${wheel.filename}`), { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(wheel.size));
    expect((await fetch(server.urlFor('simple/nope/'))).status).toBe(404);
    expect((await fetch(`${server.url}files/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
    expect((await fetch(server.urlFor('files/'))).status).toBe(404); // a directory without an index page
    expect((await fetch(server.urlFor('simple/'), { method: 'POST' })).status).toBe(405);
  });

  it('requires basic auth when configured, and logs the user', async () => {
    authed.clearLog();
    expect((await fetch(authed.urlFor('simple/'))).status).toBe(401);
    const bad = await fetch(authed.urlFor('simple/'), {
      headers: { authorization: `Basic ${Buffer.from('ci:wrong').toString('base64')}` },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Basic /);
    const ok = await fetch(authed.urlFor('simple/'), {
      headers: { authorization: `Basic ${Buffer.from('ci:s3cr:et').toString('base64')}` },
    });
    expect(ok.status).toBe(200);
    expect(authed.urlFor('simple/', { auth: true })).toBe(`http://ci:s3cr%3Aet@127.0.0.1:${authed.port}/simple/`);
    expect(authed.requests.map((r) => [r.status, r.user])).toEqual([
      [401, undefined],
      [401, undefined],
      [200, 'ci'],
    ]);
  });

  it('refuses a missing directory with a clear error', async () => {
    await expect(serveIndex(join(tmp, 'missing'))).rejects.toThrow(
      `index directory ${join(tmp, 'missing')} does not exist; generate it first`,
    );
  });
});
