// karoo's transport behind a company's proxy (a self-hosted runner's HTTP(S)_PROXY): the real
// undici through a forward proxy on 127.0.0.1 that resolves every name to 127.0.0.1, so a server
// here is reachable as `index.test` only by way of the proxy. What a user reads when the proxy
// wants a login, refuses one, is down or will not reach a host.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isKarooError } from '@karoo/common';
import { readBody, Transport } from '@karoo/transport';
import { startTestProxy, type TestProxy } from '../../../test/support/http-proxy.js';

const VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'] as const;
let saved: Record<string, string | undefined>;
let server: Server;
let port: number;
const proxies: TestProxy[] = [];

beforeAll(async () => {
  saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  server = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`served ${req.url}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  for (const k of VARS) delete process.env[k];
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  for (const k of VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function proxy(options: Parameters<typeof startTestProxy>[0] = {}): Promise<TestProxy> {
  const p = await startTestProxy(options);
  proxies.push(p);
  return p;
}

/** A transport with its own connection pool (made now, from the environment as it is). */
const fresh = () => new Transport({ retry: { attempts: 2, baseMs: 5, maxMs: 10 }, connectTimeoutMs: 2_000 });
const failure = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isKarooError(e)) throw new Error(`expected a KarooError, got ${String(e)}`);
  return e;
};

describe('Transport behind an HTTP proxy', () => {
  it('reaches a host by way of the proxy with the login in HTTP_PROXY, and 127.0.0.1 directly', async () => {
    const p = await proxy({ login: { user: 'runner', pass: 'gate-pass' } });
    process.env.HTTP_PROXY = p.url.replace('//', '//runner:gate-pass@');
    const t = fresh();
    const res = await t.request({ method: 'GET', url: `http://index.test:${port}/simple/` });
    expect(res.status).toBe(200);
    expect(await readBody(res, 1024)).toEqual(Buffer.from('served /simple/'));
    expect(p.calls).toEqual([
      {
        method: 'CONNECT',
        authority: `index.test:${port}`,
        proxyAuthorization: `Basic ${Buffer.from('runner:gate-pass').toString('base64')}`,
      },
    ]);
    const local = await t.request({ method: 'GET', url: `http://127.0.0.1:${port}/direct` });
    expect(await readBody(local, 1024)).toEqual(Buffer.from('served /direct'));
    expect(p.calls).toHaveLength(1);
  });

  it('says the proxy wants a login, naming the variable, when HTTP_PROXY has none', async () => {
    const p = await proxy({ login: { user: 'runner', pass: 'gate-pass' } });
    process.env.HTTP_PROXY = p.url;
    const e = await failure(fresh().request({ method: 'GET', url: `http://index.test:${port}/simple/` }));
    expect(e.kind).toBe('input');
    expect(e.message).toBe(
      `GET http://index.test:${port}/simple/: the proxy ${p.url}/ (HTTP_PROXY) wants a login (407); give it in HTTP_PROXY as http://user:password@host:port`,
    );
  });

  it('says the proxy refused its login, never showing the password', async () => {
    const p = await proxy({ login: { user: 'runner', pass: 'gate-pass' } });
    process.env.https_proxy = p.url.replace('//', '//runner:not-the-pass@');
    const e = await failure(fresh().request({ method: 'GET', url: `https://index.test:${port}/simple/` }));
    expect(e.kind).toBe('input');
    expect(e.message).toMatch(
      /: the proxy http:\/\/127\.0\.0\.1:\d+\/ \(https_proxy\) refused its login \(407\); check the user and password in https_proxy$/,
    );
    expect(JSON.stringify({ m: e.message, d: e.detail })).not.toContain('not-the-pass');
  });

  it('names the proxy when it is down, not the host behind it', async () => {
    const p = await proxy();
    await p.close();
    process.env.HTTP_PROXY = p.url;
    const e = await failure(fresh().request({ method: 'GET', url: `http://index.test:${port}/simple/` }));
    expect(e.message).toBe(
      `GET http://index.test:${port}/simple/ by way of the proxy ${p.url}/ (HTTP_PROXY): ECONNREFUSED (gave up after 2 attempts)`,
    );
  });

  it('retries a proxy’s 502 and reports a refusal (403) with what to check', async () => {
    let n = 0;
    const flaky = await proxy({ refuse: () => (++n === 1 ? 502 : undefined) });
    process.env.HTTP_PROXY = flaky.url;
    const res = await fresh().request({ method: 'GET', url: `http://index.test:${port}/again` });
    expect(res.status).toBe(200);
    await readBody(res, 1024);
    expect(flaky.calls.map((c) => c.method)).toEqual(['CONNECT', 'CONNECT']);

    const strict = await proxy({ refuse: (a) => (a.startsWith('blocked.test') ? 403 : undefined) });
    process.env.HTTP_PROXY = strict.url;
    const e = await failure(fresh().request({ method: 'GET', url: `http://blocked.test:${port}/x` }));
    expect(e.kind).toBe('unavailable');
    expect(e.message).toBe(
      `GET http://blocked.test:${port}/x: the proxy ${strict.url}/ (HTTP_PROXY) answered 403; check that it lets this runner reach http://blocked.test:${port}, or name the host in NO_PROXY`,
    );
  });

  it('goes direct for a host in NO_PROXY, and to the proxy otherwise', async () => {
    // 127.0.0.2 is this machine too, but not a name karoo keeps off the proxy by itself.
    const other = createServer((req, res) => res.writeHead(200).end(`direct ${req.url}`));
    await new Promise<void>((r) => other.listen(0, '127.0.0.2', r));
    try {
      const url = `http://127.0.0.2:${(other.address() as AddressInfo).port}/x`;
      const p = await proxy();
      process.env.HTTP_PROXY = p.url;
      process.env.NO_PROXY = 'example.invalid, 127.0.0.2';
      expect(await readBody(await fresh().request({ method: 'GET', url }), 1024)).toEqual(Buffer.from('direct /x'));
      expect(p.calls).toEqual([]);
      process.env.NO_PROXY = 'example.invalid';
      const e = await failure(fresh().request({ method: 'GET', url }));
      expect(e.message).toContain('(HTTP_PROXY) answered 502');
      expect(p.calls.length).toBeGreaterThan(0);
    } finally {
      other.closeAllConnections();
      await new Promise((r) => other.close(r));
    }
  });

  it('refuses a proxy variable that is not an HTTP proxy URL, without echoing it', async () => {
    process.env.HTTPS_PROXY = 'http://user:s3cret@[bad';
    const e = await failure(fresh().request({ method: 'GET', url: `https://index.test:${port}/` }));
    expect(e.kind).toBe('input');
    expect(e.message).toBe('HTTPS_PROXY is not a proxy URL; set it as http://host:port (with user:password@ before the host for a login)');
    expect(e.message).not.toContain('s3cret');
    process.env.HTTPS_PROXY = 'socks5://127.0.0.1:1080';
    expect((await failure(fresh().request({ method: 'GET', url: `https://index.test:${port}/` }))).message).toBe(
      'HTTPS_PROXY names a socks5 proxy; karoo speaks to HTTP proxies only (http://host:port)',
    );
  });
});
