// Build downloads locked files with a private index's credentials only from that index's own
// origin (issue 11 §3): two real servers on 127.0.0.1, on different ports, record every request.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LockedFile, LockedPackage } from '@karoo/lock';
import { downloadLockedFile, indexAuthHeaders } from './download.js';

const DATA = Buffer.from('wheel bytes '.repeat(1000));
const SHA = createHash('sha256').update(DATA).digest('hex');
const env = { IX_USER: 'ci', IX_PASS: 's3cret-token' };
const basic = `Basic ${Buffer.from('ci:s3cret-token').toString('base64')}`;

interface Origin {
  url: string;
  seen: Array<{ path: string; headers: IncomingHttpHeaders }>;
  server: Server;
}

/** `/file.whl` answers DATA (401 without the credentials when `auth`); `/to-other/file.whl` redirects to `other`. */
async function origin(options: { auth: boolean; other?: () => string }): Promise<Origin> {
  const seen: Origin['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    if (req.url?.startsWith('/to-other/') && options.other)
      return void res.writeHead(302, { location: `${options.other()}file.whl` }).end();
    if (options.auth && req.headers.authorization !== basic)
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
    if (req.url !== '/file.whl') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': String(DATA.length) }).end(DATA);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen, server };
}

let index: Origin;
let cdn: Origin;
let dir: string;
const indexes = () => [{ name: 'private', url: `${index.url}simple/`, usernameEnv: 'IX_USER', passwordEnv: 'IX_PASS' }];
const pkg: LockedPackage = { name: 'acme-lib', version: '1.0.0', files: [] };
const file = (url: string): LockedFile => ({ name: 'acme_lib-1.0.0-py3-none-any.whl', url, sha256: SHA, size: DATA.length });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-download-'));
  // One directory per download: a file already there is reused without a request.
  for (const d of ['a', 'b', 'c', 'd', 'e']) await mkdir(join(dir, d));
  cdn = await origin({ auth: false });
  index = await origin({ auth: true, other: () => cdn.url });
});
afterAll(async () => {
  for (const o of [index, cdn]) {
    o?.server.closeAllConnections();
    await new Promise<void>((r) => (o ? o.server.close(() => r()) : r()));
  }
  await rm(dir, { recursive: true, force: true });
});

describe('downloads with index credentials', () => {
  it('sends them to the index own origin, so an authenticated index works', async () => {
    const got = await downloadLockedFile(pkg, file(`${index.url}file.whl`), join(dir, 'a'), {
      headersFor: indexAuthHeaders(indexes(), env),
    });
    expect(
      createHash('sha256')
        .update(await readFile(got.path))
        .digest('hex'),
    ).toBe(SHA);
    expect(index.seen.at(-1)?.headers.authorization).toBe(basic);
  });

  it('never to a file on another origin, nor after a redirect there', async () => {
    cdn.seen.length = 0;
    await downloadLockedFile(pkg, file(`${cdn.url}file.whl`), join(dir, 'b'), { headersFor: indexAuthHeaders(indexes(), env) });
    await downloadLockedFile(pkg, file(`${index.url}to-other/file.whl`), join(dir, 'c'), { headersFor: indexAuthHeaders(indexes(), env) });
    expect(cdn.seen.map((s) => s.path)).toEqual(['/file.whl', '/file.whl']);
    for (const s of cdn.seen) expect(JSON.stringify(s.headers)).not.toMatch(/s3cret|Basic /);
    // The redirect itself came from the index, which got the credentials.
    expect(index.seen.at(-1)).toMatchObject({ path: '/to-other/file.whl', headers: { authorization: basic } });
  });

  it('are refused over plain HTTP to a host that is not loopback, before anything is sent', async () => {
    // 0.0.0.0 reaches the 127.0.0.1 server, but is not a loopback name: as good as a remote host.
    const remote = index.url.replace('127.0.0.1', '0.0.0.0');
    const seen = index.seen.length;
    const headersFor = indexAuthHeaders(
      [{ name: 'private', url: `${remote}simple/`, usernameEnv: 'IX_USER', passwordEnv: 'IX_PASS' }],
      env,
    );
    await expect(downloadLockedFile(pkg, file(`${remote}file.whl`), join(dir, 'e'), { headersFor })).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringMatching(/^index "private" at http:\/\/0\.0\.0\.0:\d+ would get its credentials .* over plain HTTP/),
    });
    expect(index.seen.length).toBe(seen);
  });

  it('without them an authenticated index answers 401, named with what to set', async () => {
    await expect(
      downloadLockedFile(pkg, file(`${index.url}file.whl`), join(dir, 'd'), { headersFor: indexAuthHeaders(indexes(), {}) }),
    ).rejects.toThrow(/answered 401; set the index credentials/);
    // Told karoo.yml's indexes, it names the index and the variables: empty here, or refused.
    await expect(
      downloadLockedFile(pkg, file(`${index.url}file.whl`), join(dir, 'd'), {
        headersFor: indexAuthHeaders(indexes(), {}),
        logins: { indexes: indexes(), env: { GITHUB_EVENT_NAME: 'pull_request' } },
      }),
    ).rejects.toThrow(
      /^index "private" refused access to \S+ \S+ \(\S+\.whl\) \(HTTP 401\): IX_USER and IX_PASS are empty here\. GitHub gives the run of a pull request from a fork no secrets/,
    );
    const wrong = { ...env, IX_PASS: 'wrong' };
    await expect(
      downloadLockedFile(pkg, file(`${index.url}file.whl`), join(dir, 'd'), {
        headersFor: indexAuthHeaders(indexes(), wrong),
        logins: { indexes: indexes(), env: wrong },
      }),
    ).rejects.toThrow(/\(HTTP 401\): it did not accept the login in IX_USER\/IX_PASS; check those credentials$/);
  });
});
