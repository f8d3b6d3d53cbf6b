import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { loadConfig } from '@karoo/config';
import type { CatalogFile } from './cam.js';
import { serveIndex, type IndexServer } from './serve.js';
import { SIMPLE_JSON } from './tree.js';

// The real pip against the committed example indexes, served by serveIndex or read as file://.
jest.setTimeout(180_000);
const run = promisify(execFile);
const exampleDir = fileURLToPath(new URL('../../../examples/cam/', import.meta.url));
const indexDir = join(exampleDir, 'index');
const TARGET = [
  '--only-binary=:all:',
  '--python-version',
  '3.11',
  '--platform',
  'manylinux_2_28_x86_64',
  '--platform',
  'manylinux_2_17_x86_64',
];

/**
 * The interpreters to test with, themselves rather than pyenv shims: $KAROO_PYTHON, else
 * /usr/bin/python3 (Debian's pip) and whatever python3 on PATH really is, when that differs.
 */
async function findPythons(): Promise<Array<{ py: string; pip: string }>> {
  const candidates: string[] = [];
  if (process.env.KAROO_PYTHON) candidates.push(process.env.KAROO_PYTHON);
  else {
    if (existsSync('/usr/bin/python3')) candidates.push('/usr/bin/python3');
    const onPath = await run('python3', ['-c', 'import sys; print(sys.executable)']).then(
      (r) => r.stdout.trim(),
      () => undefined,
    );
    if (onPath) candidates.push(onPath);
  }
  const out: Array<{ py: string; pip: string }> = [];
  for (const py of candidates) {
    const pip = await run(py, ['-c', 'import pip; print(pip.__version__)'], { env: cleanEnv() }).then(
      (r) => r.stdout.trim(),
      () => undefined,
    );
    const real = await run(py, ['-c', 'import os, sys; print(os.path.realpath(sys.executable))']).then(
      (r) => r.stdout.trim(),
      () => py,
    );
    if (pip && !out.some((o) => o.py === real)) out.push({ py: real, pip });
  }
  if (out.length === 0) throw new Error('no python3 with pip found; run scripts/ensure-deps.sh');
  return out;
}

const atLeast = (v: string, major: number, minor: number) => {
  const [a = 0, b = 0] = v.split('.').map(Number);
  return a > major || (a === major && b >= minor);
};

/** This machine's pip configuration must not leak in (PIP_FIND_LINKS is set here): drop every PIP_* variable. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_') && !k.startsWith('KAROO_')) env[k] = v;
  return { ...env, PIP_DISABLE_PIP_VERSION_CHECK: '1', ...extra };
}

interface Resolved {
  version: string;
  url: string;
  sha256: string;
}

const PYTHONS = await findPythons();
let py = PYTHONS[0]!.py;
let tmp: string;
let priv: IndexServer;
let pub: IndexServer;
let catalog: CatalogFile[];
const children: ChildProcess[] = [];

async function pipResolve(
  requirements: string[],
  indexUrl: string,
  extraIndexUrl: string,
  extraArgs: string[] = [],
): Promise<Map<string, Resolved>> {
  const dir = await mkdtemp(join(tmp, 'resolve-'));
  const report = join(dir, 'report.json');
  const args = ['-m', 'pip', '--isolated', 'install', '--dry-run', '--ignore-installed', '--report', report, '--index-url', indexUrl];
  args.push('--extra-index-url', extraIndexUrl, ...TARGET, '--target', join(dir, 'target'), ...extraArgs, ...requirements);
  try {
    await run(py, args, { env: cleanEnv(), maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; code?: number };
    throw new Error(
      `pip failed (exit ${err.code}): ${(err.stderr ?? '')
        .split('\n')
        .filter((l) => l.startsWith('ERROR'))
        .join(' | ')}`,
      { cause: e },
    );
  }
  const r = JSON.parse(await readFile(report, 'utf8')) as {
    install: Array<{
      metadata: { name: string; version: string };
      download_info: { url: string; archive_info: { hashes?: { sha256: string }; hash?: string } };
    }>;
  };
  return new Map(
    r.install.map((i) => [
      i.metadata.name,
      {
        version: i.metadata.version,
        url: i.download_info.url,
        sha256: i.download_info.archive_info.hashes?.sha256 ?? i.download_info.archive_info.hash!.replace('sha256=', ''),
      },
    ]),
  );
}

const versions = (m: Map<string, Resolved>) => Object.fromEntries([...m].map(([k, v]) => [k, v.version]).sort());

const PORTAL = {
  'cam-core': '1.2.0',
  'cam-katcp': '0.9.1',
  'cam-portal': '1.2.0',
  'cam-proxy': '2.1.0',
  'cam-store': '2.0.0',
  tinyproto: '2.1.0',
  wheel: '0.38.4',
};
const SYSTEM_PINS = [
  'cam-core==1.2.0',
  'cam-katcp==0.9.1',
  'cam-store==2.0.0',
  'cam-proxy==2.2.0.dev3',
  'cam-monitor==0.3.0',
  'cam-scheduler==3.0.0',
  'cam-portal==1.2.0',
];
const SYSTEM = {
  'cam-core': '1.2.0',
  'cam-katcp': '0.9.1',
  'cam-monitor': '0.3.0',
  'cam-portal': '1.2.0',
  'cam-proxy': '2.2.0.dev3',
  'cam-scheduler': '3.0.0',
  'cam-store': '2.0.0',
  pip: '23.0.1',
  procstat: '0.4.0',
  setuptools: '66.1.1',
  tinyproto: '2.1.0',
  wheel: '0.38.4',
};

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'karoo-pip-'));
  priv = await serveIndex(join(indexDir, 'private'));
  pub = await serveIndex(join(indexDir, 'public'));
  catalog = (JSON.parse(await readFile(join(indexDir, 'catalog.json'), 'utf8')) as { files: CatalogFile[] }).files;
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await priv?.close();
  await pub?.close();
  await rm(tmp, { recursive: true, force: true });
});

function checkAgainstCatalog(resolved: Map<string, Resolved>): void {
  for (const [name, r] of resolved) {
    const file = r.url.slice(r.url.lastIndexOf('/') + 1);
    const entry = catalog.find((f) => f.filename === file);
    expect(entry).toBeDefined();
    expect(r.sha256).toBe(entry!.sha256);
    expect(entry!.project).toBe(name);
  }
}

describe.each(PYTHONS)('the example indexes under the real pip ($pip, $py)', ({ py: python, pip }) => {
  beforeAll(() => {
    py = python;
  });
  afterAll(() => {
    py = PYTHONS[0]!.py;
  });

  it('resolve cam-portal through the PEP 691 JSON API with PEP 658 metadata', async () => {
    priv.clearLog();
    pub.clearLog();
    const r = await pipResolve(['cam-portal==1.2.0', 'cam-proxy==2.1.0'], priv.urlFor('simple/'), pub.urlFor('simple/'));
    expect(versions(r)).toEqual(PORTAL);
    checkAgainstCatalog(r);
    // Our packages come from the private index, third-party ones from the public one.
    for (const [name, x] of r) expect(x.url.startsWith(name.startsWith('cam-') ? priv.url : pub.url)).toBe(true);
    // The cam-core marker (python_version < "3.11") kept tomli-compat out; the extra cam-store[client] brought tinyproto
    // (the newest one allowed: 2.2.0rc1 is a pre-release, 3.0.0 requires Python >= 3.12); cam-katcp[speedups] was not asked for.
    expect(r.has('tomli-compat')).toBe(false);
    expect(r.has('fastcrc')).toBe(false);
    // pip asked for JSON and got it; it read metadata files instead of downloading every candidate wheel.
    // (A project missing from one index is a 404 there: the public index has no cam-portal.)
    const pages = [...priv.requests, ...pub.requests].filter((q) => q.path.startsWith('/simple/') && q.status !== 404);
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.map((q) => [q.status, q.contentType])).toEqual(pages.map(() => [200, SIMPLE_JSON]));
    expect(pub.count((q) => q.path === '/simple/cam-portal/' && q.status === 404)).toBe(1);
    // pip >= 23.1 reads PEP 714 `core-metadata` from JSON; older pips download whole wheels from JSON pages.
    if (atLeast(pip, 23, 1)) expect(priv.count((q) => q.path.endsWith('.metadata'))).toBeGreaterThan(0);
    expect(priv.count('/files/cam_katcp-0.9.2')).toBe(0); // yanked: not even looked at
  });

  it('resolve the whole system for the target: markers, extras, platform wheels', async () => {
    const r = await pipResolve(SYSTEM_PINS, priv.urlFor('simple/'), pub.urlFor('simple/'));
    expect(versions(r)).toEqual(SYSTEM);
    checkAgainstCatalog(r);
    // sys_platform == "linux" pulled procstat in, as its manylinux wheel; the win32-only wincounters stayed out.
    expect(r.get('procstat')!.url).toMatch(/procstat-0\.4\.0-py3-none-manylinux_2_17_x86_64\.manylinux2014_x86_64\.whl$/);
    expect(r.has('wincounters')).toBe(false);
    // Debian's real wheels are real dependencies.
    for (const d of ['pip', 'setuptools', 'wheel'])
      expect(catalog.find((f) => f.project === d && f.origin === 'debian')!.version).toBe(SYSTEM[d as 'pip']);
  });

  it('hold a decoy: pip alone takes the public cam-proxy 99.0.0 unless the leaf is pinned', async () => {
    const r = await pipResolve(['cam-portal==1.2.0'], priv.urlFor('simple/'), pub.urlFor('simple/'));
    expect(r.get('cam-proxy')!.version).toBe('99.0.0');
    expect(r.get('cam-proxy')!.url.startsWith(pub.url)).toBe(true);
  });

  it('skip the yanked file and pre-releases unless asked for exactly', async () => {
    const r = await pipResolve(['cam-katcp', 'cam-store'], priv.urlFor('simple/'), pub.urlFor('simple/'));
    expect(r.get('cam-katcp')!.version).toBe('0.9.1');
    expect(r.get('cam-store')!.version).toBe('2.0.0');
    expect(r.get('cam-core')!.version).toBe('1.2.0');
    const pre = await pipResolve(['cam-store==2.1.0b1'], priv.urlFor('simple/'), pub.urlFor('simple/'));
    expect(pre.get('cam-store')!.version).toBe('2.1.0b1');
  });

  it('work as plain PEP 503 HTML too', async () => {
    const hp = await serveIndex(join(indexDir, 'private'), { formats: ['html'] });
    const hq = await serveIndex(join(indexDir, 'public'), { formats: ['html'] });
    try {
      const r = await pipResolve(['cam-portal==1.2.0', 'cam-proxy==2.1.0'], hp.urlFor('simple/'), hq.urlFor('simple/'));
      expect(versions(r)).toEqual(PORTAL);
      const pages = [...hp.requests, ...hq.requests].filter((q) => q.path.startsWith('/simple/') && q.status === 200);
      expect(pages.length).toBeGreaterThan(0);
      expect(pages.every((q) => q.contentType === 'application/vnd.pypi.simple.v1+html')).toBe(true);
      // PEP 658 from HTML: metadata files instead of candidate wheels.
      expect(hp.count((q) => q.path.endsWith('.metadata') && q.status === 200)).toBeGreaterThan(0);
    } finally {
      await hp.close();
      await hq.close();
    }
  });

  it('work as file:// indexes', async () => {
    const r = await pipResolve(
      ['cam-portal==1.2.0', 'cam-proxy==2.1.0'],
      pathToFileURL(join(indexDir, 'private/simple')).href + '/',
      pathToFileURL(join(indexDir, 'public/simple')).href + '/',
    );
    expect(versions(r)).toEqual(PORTAL);
    checkAgainstCatalog(r);
    expect(r.get('cam-portal')!.url).toBe(pathToFileURL(join(indexDir, 'private/files/cam_portal-1.2.0-py3-none-any.whl')).href);
  });

  it('work behind basic auth with credentials in the URL', async () => {
    const secured = await serveIndex(join(indexDir, 'private'), { auth: { username: 'ci', password: 'p@ss word' } });
    try {
      const r = await pipResolve(['cam-core==1.2.0'], secured.urlFor('simple/', { auth: true }), pub.urlFor('simple/'));
      expect(r.get('cam-core')!.version).toBe('1.2.0');
      expect(secured.requests.some((q) => q.status === 200 && q.user === 'ci')).toBe(true);
      await expect(pipResolve(['cam-core==1.2.0'], secured.urlFor('simple/'), pub.urlFor('simple/'), ['--no-input'])).rejects.toThrow(
        /pip failed/,
      );
      expect(secured.requests.some((q) => q.status === 401)).toBe(true);
    } finally {
      await secured.close();
    }
  });
});

describe('the example wheels installed by pip --require-hashes', () => {
  let venv: string;
  let lockFile: string;

  beforeAll(async () => {
    const r = await pipResolve(SYSTEM_PINS, priv.urlFor('simple/'), pub.urlFor('simple/'));
    lockFile = join(tmp, 'requirements.txt');
    await writeFile(lockFile, [...r].map(([n, x]) => `${n}==${x.version} --hash=sha256:${x.sha256}\n`).join(''));
    venv = join(tmp, 'venv');
    await run(py, ['-m', 'venv', '--without-pip', venv], { env: cleanEnv() });
    const args = [
      '-m',
      'pip',
      '--isolated',
      '--python',
      join(venv, 'bin/python'),
      'install',
      '--no-index',
      '--require-hashes',
      '--no-deps',
    ];
    args.push('--find-links', join(indexDir, 'private/files'), '--find-links', join(indexDir, 'public/files'), '-r', lockFile);
    await run(py, args, { env: cleanEnv(), maxBuffer: 16 << 20 });
  });

  /** Starts a console script of the venv on 127.0.0.1, port 0; resolves with its URL once it listens. */
  async function start(script: string, config: Record<string, unknown>, env: Record<string, string> = {}): Promise<string> {
    const cfg = join(tmp, `${script}-${children.length}.json`);
    await writeFile(cfg, JSON.stringify(config));
    const child = spawn(join(venv, 'bin', script), ['--config', cfg, '--bind', '127.0.0.1', '--port', '0'], {
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout! });
    return new Promise<string>((ok, fail) => {
      lines.on('line', (l) => {
        const m = /listening on (http:\/\/127\.0\.0\.1:[0-9]+)/.exec(l);
        if (m) ok(m[1]!);
      });
      child.on('exit', (code) => fail(new Error(`${script} exited with ${code} before listening: ${stderr.slice(-500)}`)));
    });
  }

  const get = async (url: string) => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, unknown>;
  };

  it('installs exactly the lock, and a service answers /health and /version', async () => {
    const url = await start('cam-store', { node: 'store-1', environment: 'integration' });
    expect(await get(`${url}/health`)).toMatchObject({ status: 'ok', service: 'cam-store', node: 'store-1', environment: 'integration' });
    const v = (await get(`${url}/version`)) as { version: string; requires: Record<string, string>; installed: Record<string, string> };
    expect(v.version).toBe('2.0.0');
    expect(v.requires).toEqual({ 'cam-core': '1.2.0', 'cam-katcp': '0.9.1', tinyproto: '2.1.0' });
    expect(v.installed).toEqual(SYSTEM);
  });

  it('runs the whole system on 127.0.0.1 and passes the acceptance tests', async () => {
    const config = await loadConfig(join(exampleDir, 'karoo.yml'));
    const env = config.environments.find((e) => e.name === 'integration')!;
    const values: Record<string, unknown> = { ...config.values, ...env.values };
    const render = async (template: string, node: { name: string; role: string }, local: Record<string, unknown>) => {
      const text = await readFile(join(exampleDir, 'deploy/templates', template), 'utf8');
      const scope: Record<string, unknown> = { values: { ...values, ...local }, node, environment: env.name };
      const rendered = text.replace(/\{\{\s*([a-z_.]+)\s*(\|\s*json\s*)?\}\}/g, (_, path: string, json?: string) => {
        const v = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], scope);
        if (v === undefined) throw new Error(`template ${template}: ${path} is not defined`);
        return json ? JSON.stringify(v) : String(v);
      });
      return JSON.parse(rendered) as Record<string, unknown>;
    };
    const inventory: {
      environment: string;
      nodes: Array<{ name: string; role: string; address: string; services: Array<{ name: string; port: number }> }>;
    } = {
      environment: env.name,
      nodes: config.nodes.map((n) => ({ name: n.name, role: n.role, address: '127.0.0.1', services: [] })),
    };
    const place = (node: string, name: string, url: string) =>
      inventory.nodes.find((n) => n.name === node)!.services.push({ name, port: Number(new URL(url).port) });
    const byRole = (role: string) => config.nodes.filter((n) => n.role === role);

    const local: Record<string, unknown> = {};
    for (const n of byRole('store')) {
      const url = await start('cam-store', await render('cam-store.json', n, { data_dir: join(tmp, 'data', n.name) }));
      place(n.name, 'cam-store', url);
      local.store_url = url;
    }
    const proxies: string[] = [];
    const services: Array<{ name: string; url: string }> = [];
    for (const n of byRole('control')) {
      const p = await start('cam-proxy', await render('cam-proxy.json', n, local));
      const s = await start('cam-scheduler', await render('cam-scheduler.json', n, local));
      place(n.name, 'cam-proxy', p);
      place(n.name, 'cam-scheduler', s);
      proxies.push(p);
      services.push({ name: 'cam-proxy', url: p }, { name: 'cam-scheduler', url: s });
    }
    local.proxy_urls = proxies;
    local.portal_proxy_url = proxies[0];
    for (const n of byRole('monitor')) {
      const m = await start('cam-monitor', await render('cam-monitor.json', n, local));
      place(n.name, 'cam-monitor', m);
      services.push({ name: 'cam-monitor', url: m });
      local.portal_services = services;
      place(n.name, 'cam-portal', await start('cam-portal', await render('cam-portal.json', n, local)));
    }
    const invFile = join(tmp, 'inventory.json');
    await writeFile(invFile, JSON.stringify(inventory, null, 2));
    const valuesFile = join(tmp, 'values.json');
    await writeFile(valuesFile, JSON.stringify({ ...values, ...local }));

    const accept = async (lock: string) => {
      const junit = join(tmp, `junit-${Date.now()}.xml`);
      const env2 = cleanEnv({ KAROO_INVENTORY: invFile, KAROO_LOCK: lock, KAROO_VALUES: valuesFile, KAROO_ENVIRONMENT: 'integration' });
      const r = await run(py, [join(exampleDir, 'tests/acceptance/run.py'), '--junit', junit], { env: env2 }).then(
        (x) => ({ code: 0, out: x.stdout + x.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
      return { ...r, junit: await readFile(junit, 'utf8') };
    };
    const good = await accept(lockFile);
    // The compiled extension's test runs on deployed nodes over SSH: skipped here (this lock has no cam-signal).
    expect(good.out).toMatch(/^10 passed, 0 failed, 1 skipped$/m);
    expect(good.code).toBe(0);
    expect(good.junit).toMatch(/<testsuite name="cam-acceptance" tests="11" failures="0" errors="0" skipped="1"/);

    // The same tests fail when the running versions are not the lock's.
    await mkdir(join(tmp, 'wrong'), { recursive: true });
    const wrong = join(tmp, 'wrong/requirements.txt');
    await writeFile(wrong, (await readFile(lockFile, 'utf8')).replace('cam-core==1.2.0', 'cam-core==1.1.0'));
    const bad = await accept(wrong);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/cam-core installed 1\.2\.0, locked 1\.1\.0/);
    expect(bad.junit).toMatch(/<failure /);
  });
});
