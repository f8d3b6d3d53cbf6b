// A self-hosted runner behind a company's proxy (HTTP_PROXY): the index is reachable only
// through the proxy (its name, index.test, is known to no DNS; the proxy resolves it), and the
// proxy, like a real gateway, cannot reach the runner's loopback. karoo's own requests to the
// index must take the proxy; the real pip's requests to karoo's merged index on 127.0.0.1 must
// not: that index's secret path and its pages (which carry a private index's credentials) are
// for the resolver alone.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@karoo/config';
import { buildWheel, serveIndex, wheelFile, writeIndex, type IndexServer } from '@karoo/example';
import { startTestProxy, type TestProxy } from '../../../test/support/http-proxy.js';
import { Transport } from '@karoo/transport';
import { IndexClient } from './index-client.js';
import { isolatedPipEnv } from './python.js';
import { resolveLock } from './resolve.js';

const PROXY_VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'] as const;
let saved: Partial<Record<(typeof PROXY_VARS)[number], string | undefined>>;
let root: string;
let index: IndexServer;
let proxy: TestProxy;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'karoo-resolve-proxy-'));
  const w = (name: string, version: string, requires: string[] = []) =>
    wheelFile(buildWheel({ name, version, requires, files: { [`${name.replace(/-/g, '_')}/__init__.py`]: '' }, requiresPython: '>=3.8' }));
  await writeIndex(join(root, 'ix'), [
    { name: 'acme-app', files: [w('acme-app', '1.0.0', ['acme-lib>=1.0'])] },
    { name: 'acme-lib', files: [w('acme-lib', '1.0.0')] },
  ]);
  index = await serveIndex(root);
  proxy = await startTestProxy({ login: { user: 'runner', pass: 'gate-pass' } });
  saved = Object.fromEntries(PROXY_VARS.map((k) => [k, process.env[k]]));
  for (const k of PROXY_VARS) delete process.env[k];
  // As a runner's .env names them: one proxy for both schemes, with a login; no no_proxy.
  process.env.HTTP_PROXY = process.env.HTTPS_PROXY = proxy.url.replace('//', '//runner:gate-pass@');
}, 60_000);

afterAll(async () => {
  for (const k of PROXY_VARS) {
    if (saved?.[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await proxy?.close();
  await index?.close();
  await rm(root, { recursive: true, force: true });
});

describe('resolve behind an HTTP proxy', () => {
  it('reaches the index through the proxy, with its login, and keeps pip’s requests to the merged index on 127.0.0.1 off it', async () => {
    const url = index.urlFor('ix/simple/').replace('127.0.0.1', 'index.test');
    const config = parseConfig(
      `system: acme\nleaves: [acme-app]\nindexes:\n  - name: corp\n    url: ${url}\ntarget:\n  python: "3.11"\n  platforms: [manylinux_2_28_x86_64]\n`,
      join(root, 'karoo.yml'),
    );
    const r = await resolveLock({ config, env: process.env });
    expect(r.lock.packages.map((p) => `${p.name}==${p.version}`)).toEqual(['acme-app==1.0.0', 'acme-lib==1.0.0']);
    expect(r.lock.incompleteEntries()).toEqual([]);

    const authorities = new Set(proxy.calls.map((c) => c.authority));
    // karoo's index client and pip both went to the index by its name, through the proxy, logged in.
    expect(authorities).toEqual(new Set([new URL(url).host]));
    for (const c of proxy.calls) expect(c.proxyAuthorization).toBe(`Basic ${Buffer.from('runner:gate-pass').toString('base64')}`);
    expect(proxy.calls.some((c) => c.method === 'GET' || c.method === 'CONNECT')).toBe(true);
    // The index saw the requests (by way of the proxy), pages and files.
    expect(index.requests.some((q) => q.path.startsWith('/ix/simple/acme-lib/'))).toBe(true);
  }, 120_000);

  it('says the proxy wants a login, not that the index is down, when the proxy variable has none', async () => {
    const url = index.urlFor('ix/simple/').replace('127.0.0.1', 'index.test');
    const config = parseConfig(`system: acme\nleaves: [acme-app]\nindexes:\n  - name: corp\n    url: ${url}\n`, join(root, 'karoo.yml'));
    const env = { ...process.env, HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url };
    const before = { ...process.env };
    Object.assign(process.env, { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url });
    try {
      // Its own connection pool, made with these variables (the shared one has the login).
      const client = new IndexClient(env, new Transport({ connectTimeoutMs: 5_000 }));
      await expect(resolveLock({ config, env, client })).rejects.toMatchObject({
        kind: 'input',
        message: `index "corp" page ${url}acme-app/: the proxy ${proxy.url}/ (HTTP_PROXY) wants a login (407); give it in HTTP_PROXY as http://user:password@host:port`,
      });
    } finally {
      Object.assign(process.env, { HTTP_PROXY: before.HTTP_PROXY, HTTPS_PROXY: before.HTTPS_PROXY });
    }
  });

  it('hands pip a no_proxy that keeps loopback, after the environment’s own entries; `*` stays as it is', () => {
    const env = { PATH: '/usr/bin', HTTPS_PROXY: 'http://gw:3128', NO_PROXY: '.corp.example' };
    expect(isolatedPipEnv(env).no_proxy).toBe('.corp.example,localhost,127.0.0.1,::1,[::1]');
    expect(isolatedPipEnv(env).NO_PROXY).toBe('.corp.example,localhost,127.0.0.1,::1,[::1]');
    expect(isolatedPipEnv({ ...env, no_proxy: 'a.example' }).no_proxy).toBe('a.example,localhost,127.0.0.1,::1,[::1]');
    expect(isolatedPipEnv({ ...env, NO_PROXY: '*' }).NO_PROXY).toBe('*');
    expect(isolatedPipEnv({ PATH: '/usr/bin' }).no_proxy).toBe('localhost,127.0.0.1,::1,[::1]');
  });
});
