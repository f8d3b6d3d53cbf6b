// Index credentials go only to the index's own origin (issue 11 §3). A private index with basic
// auth whose pages link files on a second origin (another server on 127.0.0.1, another port): the
// real pip resolves through karoo's merged index, karoo probes sizes, and the second origin
// records every request header it gets.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type IndexConfig, type KarooConfig } from '@karoo/config';
import { buildWheel, serveIndex, wheelFile, writeIndex, type BuiltWheel, type IndexServer } from '@karoo/example';
import { IndexClient } from './index-client.js';
import { writeLockFiles } from './lockfiles.js';
import { serveMergedIndex } from './merged-index.js';
import { findPython, isolatedPipEnv } from './python.js';
import { resolveLock } from './resolve.js';

const USER = 'ci';
const PASS = 's3cret-token';
const env = { ...process.env, IX_USER: USER, IX_PASS: PASS };
const basic = Buffer.from(`${USER}:${PASS}`).toString('base64');

let root: string;
let index: IndexServer;
let cdn: { url: string; requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders }>; close(): Promise<void> };
const wheels: Record<string, BuiltWheel> = {};

function wheel(name: string, version: string, requires: string[] = []): BuiltWheel {
  const w = buildWheel({
    name,
    version,
    requires,
    files: { [`${name.replace(/-/g, '_')}/__init__.py`]: `__version__ = "${version}"\n` },
    requiresPython: '>=3.8',
  });
  wheels[w.filename] = w;
  return w;
}

/** A plain file server on its own port (a CDN the index links to) that records every request with its headers. */
async function serveRecordingFiles(dir: string): Promise<typeof cdn> {
  const requests: typeof cdn.requests = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/files\//, ''));
    const path = join(dir, name);
    stat(path).then(
      (s) => {
        if (name.includes('/') || !s.isFile()) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(s.size) });
        if (req.method === 'HEAD') res.end();
        else createReadStream(path).pipe(res);
      },
      () => void res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'karoo-resolve-creds-'));
  const projects = [
    { name: 'acme-app', files: [wheelFile(wheel('acme-app', '1.0.0', ['acme-lib>=1.0']))] },
    { name: 'acme-lib', files: [wheelFile(wheel('acme-lib', '1.0.0'))] },
  ];
  // "cdn": pages link every file on the second origin. "own": pages link files on the index itself.
  await writeIndex(join(root, 'cdn'), projects);
  await writeIndex(join(root, 'own'), projects);
  cdn = await serveRecordingFiles(join(root, 'cdn', 'files'));
  for (const project of await readdir(join(root, 'cdn', 'simple'), { withFileTypes: true })) {
    if (!project.isDirectory()) continue;
    const page = join(root, 'cdn', 'simple', project.name, 'index.html');
    await writeFile(page, (await readFile(page, 'utf8')).replaceAll('href="../../files/', `href="${cdn.url}files/`));
  }
  // HTML only: PEP 503 pages carry no sizes, so karoo probes each file's size itself.
  index = await serveIndex(root, { auth: { username: USER, password: PASS }, formats: ['html'] });
}, 60_000);

afterAll(async () => {
  await index?.close();
  await cdn?.close();
  await rm(root, { recursive: true, force: true });
});

function config(tree: string): KarooConfig {
  return parseConfig(
    `system: acme\nleaves: [acme-app]\nindexes:\n  - name: private\n    url: ${index.urlFor(`${tree}/simple/`)}\n    username-env: IX_USER\n    password-env: IX_PASS\ntarget:\n  python: "3.11"\n  platforms: [manylinux_2_28_x86_64]\n`,
    join(root, 'karoo.yml'),
  );
}

describe('private index credentials', () => {
  it('never reach a second origin the index page links files on, and the lock is still complete', async () => {
    cdn.requests.length = 0;
    const r = await resolveLock({ config: config('cdn'), env });

    // pip read the PEP 658 metadata from the second origin and karoo probed the sizes there...
    expect(cdn.requests.some((q) => q.method === 'GET' && q.path.endsWith('.whl.metadata'))).toBe(true);
    expect(cdn.requests.some((q) => q.method === 'HEAD' && q.path.endsWith('.whl'))).toBe(true);
    // ...and never with the credentials, in any header.
    for (const q of cdn.requests) {
      expect(q.headers.authorization).toBeUndefined();
      expect(JSON.stringify(q.headers)).not.toContain(basic);
      expect(JSON.stringify(q.headers)).not.toContain(PASS);
    }
    // The index itself got them: every page it served was asked for with valid credentials.
    expect(index.requests.filter((q) => q.path.startsWith('/cdn/simple/') && q.status === 200).length).toBeGreaterThan(0);
    expect(index.requests.filter((q) => q.path.startsWith('/cdn/') && q.status !== 200)).toEqual([]);

    expect(r.lock.incompleteEntries()).toEqual([]);
    expect(r.lock.packages.map((p) => `${p.name}==${p.version}`)).toEqual(['acme-app==1.0.0', 'acme-lib==1.0.0']);
    for (const p of r.lock.packages) {
      const f = p.files[0]!;
      const w = wheels[f.name]!;
      expect(f).toEqual({ name: w.filename, url: `${cdn.url}files/${w.filename}`, sha256: w.sha256, size: w.data.byteLength });
    }
  }, 90_000);

  it('go with files on the index own origin, so an authenticated index without a CDN still resolves', async () => {
    const r = await resolveLock({ config: config('own'), env });
    expect(r.lock.incompleteEntries()).toEqual([]);
    for (const p of r.lock.packages) expect(p.files[0]!.url!.startsWith(index.urlFor('own/files/'))).toBe(true);
  }, 90_000);

  it('are refused over plain HTTP to a host that is not loopback, before anything is sent', async () => {
    // 0.0.0.0 reaches this machine's 127.0.0.1 server, but is not a loopback name: as good as a remote host.
    const remote = parseConfig(
      `system: acme\nleaves: [acme-app]\nindexes:\n  - name: private\n    url: ${index.urlFor('own/simple/').replace('127.0.0.1', '0.0.0.0')}\n    username-env: IX_USER\n    password-env: IX_PASS\n`,
      join(root, 'karoo.yml'),
    );
    index.clearLog();
    await expect(resolveLock({ config: remote, env })).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringMatching(
        /^index "private" at http:\/\/0\.0\.0\.0:\d+ would get its credentials \(IX_USER, IX_PASS\) over plain HTTP; use an https:\/\/ URL for it in karoo\.yml/,
      ),
    });
    expect(index.requests).toEqual([]);
  });

  it('are not handed to another local process that guesses the merged index URL', async () => {
    const ix: IndexConfig = config('own').indexes[0]!;
    const merged = await serveMergedIndex(new IndexClient(env), [ix], env);
    try {
      const { origin, pathname } = new URL(merged.url);
      // The resolver's own URL lists the private files with the credentials pip needs for them.
      const mine = await fetch(`${merged.url}acme-lib/`);
      expect(mine.status).toBe(200);
      expect(await mine.text()).toContain(`${USER}:${PASS}@`);
      // Anyone else on the machine who finds the port gets nothing: the plain path, another token, the root.
      for (const guess of [
        '/simple/acme-lib/',
        `/${'0'.repeat(64)}/simple/acme-lib/`,
        `${pathname.slice(0, 64)}/simple/acme-lib/`,
        '/',
        '/simple/',
      ]) {
        const res = await fetch(`${origin}${guess}`);
        const body = await res.text();
        expect({ guess, status: res.status }).toEqual({ guess, status: 404 });
        expect(body).not.toContain(PASS);
      }
      expect(pathname).toMatch(/^\/[0-9a-f]{64}\/simple\/$/);
    } finally {
      await merged.close();
    }
  }, 30_000);

  it('stay out of the requirements.txt karoo writes, which real pip installs on its own with credentials of its own (~/.netrc)', async () => {
    const r = await resolveLock({ config: config('own'), env });
    const out = join(root, 'lock-own');
    await mkdir(out, { recursive: true });
    await writeLockFiles(out, r.lock);
    const text = await readFile(join(out, 'requirements.txt'), 'utf8');
    expect(text).not.toContain(PASS);
    expect(text).toContain(`\n--index-url ${index.urlFor('own/simple/')}\n`);

    const python = await findPython(env);
    const install = async (home: string) => {
      const target = await mkdtemp(join(root, 'target-'));
      // The dead index on the command line is only a fallback that keeps pip off the network if the
      // file named no index: an --index-url inside the file replaces it, as pip documents.
      const args = [
        '-m',
        'pip',
        '--isolated',
        'install',
        '--no-input',
        '--require-hashes',
        '--target',
        target,
        '--index-url',
        'http://127.0.0.1:9/simple/',
        '-r',
        join(out, 'requirements.txt'),
      ];
      const { NETRC: _, ...rest } = isolatedPipEnv({ ...process.env, HOME: home });
      return new Promise<{ code: number; out: string; target: string }>((resolve) =>
        execFile(python, args, { env: rest }, (e, stdout, stderr) =>
          resolve({ code: e ? Number(e.code ?? 1) : 0, out: `${stdout}${stderr}`, target }),
        ),
      );
    };
    const home = join(root, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, '.netrc'), `machine 127.0.0.1 login ${USER} password ${PASS}\n`, { mode: 0o600 });
    const ok = await install(home);
    expect({ code: ok.code, out: ok.out.slice(-600) }).toEqual({ code: 0, out: expect.any(String) });
    expect((await readdir(ok.target)).filter((f) => f.endsWith('.dist-info')).sort()).toEqual([
      'acme_app-1.0.0.dist-info',
      'acme_lib-1.0.0.dist-info',
    ]);

    // Without pip's own credentials the index refuses: the file itself carries none.
    const bare = join(root, 'home-bare');
    await mkdir(bare, { recursive: true });
    index.clearLog();
    const refused = await install(bare);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toContain('No matching distribution found for acme-app==1.0.0');
    expect(index.requests.some((q) => q.path.startsWith('/own/simple/acme-app') && q.status === 401)).toBe(true);
  }, 120_000);
});
