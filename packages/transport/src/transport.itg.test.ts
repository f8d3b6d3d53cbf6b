import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exitCodeOf, isKarooError } from '@karoo/common';
import { indexCredentials, readBody, RETRY_STATUS, Transport, USER_AGENT } from '@karoo/transport';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  userAgent: string | undefined;
  at: number;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A real HTTP server on 127.0.0.1 (or `localhost`), answering with `handler`, recording every request. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void, host = '127.0.0.1') {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({
      method: req.method!,
      url: req.url!,
      authorization: req.headers.authorization,
      userAgent: req.headers['user-agent'],
      at: Date.now(),
    });
    handler(req, res, seen.length);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://${host}:${port}`, seen };
}

const fast = new Transport({ retry: { attempts: 3, baseMs: 5, maxMs: 20 } });

describe('the one transport, against a real server on 127.0.0.1', () => {
  it('waits out a 503 for as long as Retry-After (seconds) says, then succeeds', async () => {
    const s = await serve((_req, res, n) => {
      if (n === 1) res.writeHead(503, { 'retry-after': '1' }).end('busy');
      else res.end('ok');
    });
    const retries: string[] = [];
    const t = new Transport({ retry: { attempts: 3, baseMs: 5, maxMs: 20 }, onRetry: (m) => retries.push(m) });
    const res = await t.request({ method: 'GET', url: `${s.url}/a` });
    expect(res.status).toBe(200);
    expect((await readBody(res, 100)).toString()).toBe('ok');
    expect(s.seen).toHaveLength(2);
    // The backoff alone (≤ 20 ms) would be far shorter: the wait is the server's.
    expect(s.seen[1]!.at - s.seen[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(retries).toEqual([expect.stringMatching(/GET http:\/\/127\.0\.0\.1:\d+\/a answered 503; retrying in 1 s \(attempt 2 of 3\)/)]);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    let until = 0;
    const s = await serve((_req, res, n) => {
      if (n === 1) {
        // An HTTP-date has whole seconds: ask for the second after next.
        until = (Math.floor(Date.now() / 1000) + 2) * 1000;
        res.writeHead(429, { 'retry-after': new Date(until).toUTCString() }).end();
      } else res.end('ok');
    });
    const res = await fast.request({ method: 'GET', url: `${s.url}/d` });
    expect(res.status).toBe(200);
    await readBody(res, 10);
    expect(s.seen).toHaveLength(2);
    expect(s.seen[1]!.at).toBeGreaterThanOrEqual(until - 5); // clock granularity of the two timestamps
  });

  it('gives up after the attempts with an unavailable error (exit 4)', async () => {
    const s = await serve((_req, res) => res.writeHead(503, { 'retry-after': '0' }).end());
    const err = await fast.request({ method: 'GET', url: `${s.url}/down` }).catch((e: unknown) => e);
    expect(isKarooError(err)).toBe(true);
    expect(err).toMatchObject({ kind: 'unavailable' });
    expect(exitCodeOf(err)).toBe(4);
    expect((err as Error).message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/down answered 503 \(gave up after 3 attempts\)/);
    expect(s.seen).toHaveLength(3);
  });

  it('gives up at once when Retry-After asks for more than the cap', async () => {
    const s = await serve((_req, res) => res.writeHead(503, { 'retry-after': '3600' }).end());
    const t = new Transport({ retry: { attempts: 5, maxRetryAfterMs: 10_000 } });
    const err = await t.request({ method: 'GET', url: `${s.url}/maint` }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unavailable' });
    expect((err as Error).message).toMatch(/answered 503 and asked to retry after 3600 s, longer than karoo waits \(10 s\)/);
    expect(s.seen).toHaveLength(1);
  });

  it('retries a connection the server drops', async () => {
    const s = await serve((req, res, n) => {
      if (n === 1) req.socket.destroy();
      else res.end('ok');
    });
    const res = await fast.request({ method: 'GET', url: `${s.url}/drop` });
    expect(res.status).toBe(200);
    await readBody(res, 10);
    expect(s.seen).toHaveLength(2);
  });

  it.each([400, 401, 403, 404, 409, 500])('does not retry %i: the answer goes back to the caller', async (status) => {
    const s = await serve((_req, res) => res.writeHead(status).end());
    const res = await fast.request({ method: 'GET', url: `${s.url}/x` });
    expect(res.status).toBe(status);
    await readBody(res, 10);
    expect(s.seen).toHaveLength(1);
  });

  it('retries exactly 429, 502, 503 and 504', () => {
    expect([...RETRY_STATUS].sort()).toEqual([429, 502, 503, 504]);
  });

  it('a stream body is sent once: a retryable answer is thrown for the caller to start over', async () => {
    const { Readable } = await import('node:stream');
    const s = await serve((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(503).end());
    });
    const err = await fast
      .request({ method: 'PUT', url: `${s.url}/up`, body: Readable.from([Buffer.from('abc')]) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RetryableError', kind: 'unavailable', status: 503 });
    expect(s.seen).toHaveLength(1);
  });

  it("drops the caller's Authorization on a redirect to another origin, keeps it on the same origin", async () => {
    const other = await serve((_req, res) => res.end('elsewhere'), 'localhost');
    const s = await serve((req, res) => {
      if (req.url === '/same') res.writeHead(302, { location: '/moved' }).end();
      else if (req.url === '/cross') res.writeHead(307, { location: `${other.url}/file` }).end();
      else res.end('here');
    });
    const auth = { authorization: 'Bearer secret-token' };
    await readBody(await fast.request({ method: 'GET', url: `${s.url}/same`, headers: auth }), 100);
    expect(s.seen.map((x) => [x.url, x.authorization])).toEqual([
      ['/same', 'Bearer secret-token'],
      ['/moved', 'Bearer secret-token'],
    ]);
    const res = await fast.request({ method: 'GET', url: `${s.url}/cross`, headers: auth });
    expect((await readBody(res, 100)).toString()).toBe('elsewhere');
    expect(res.url.origin).toBe(new URL(other.url).origin);
    expect(s.seen.at(-1)).toMatchObject({ url: '/cross', authorization: 'Bearer secret-token' });
    expect(other.seen).toEqual([expect.objectContaining({ url: '/file', authorization: undefined })]);
  });

  it('attaches index credentials by the origin of each hop, and user info only to its own origin', async () => {
    const cdn = await serve((_req, res) => res.end('cdn'), 'localhost');
    const index = await serve((req, res) => {
      if (req.url === '/simple/to-cdn') res.writeHead(302, { location: `${cdn.url}/f.whl` }).end();
      else res.end('index');
    });
    const env = { IX_USER: 'alice', IX_PASS: 's3cret' };
    const t = fast.with({
      headersFor: indexCredentials([{ name: 'private', url: `${index.url}/simple/`, usernameEnv: 'IX_USER', passwordEnv: 'IX_PASS' }], env),
    });
    const basic = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    await readBody(await t.request({ method: 'GET', url: `${index.url}/simple/to-cdn` }), 100);
    expect(index.seen.at(-1)).toMatchObject({ authorization: basic });
    expect(cdn.seen.at(-1)).toMatchObject({ url: '/f.whl', authorization: undefined });
    // Another origin asked directly gets nothing either.
    await readBody(await t.request({ method: 'GET', url: `${cdn.url}/g.whl` }), 100);
    expect(cdn.seen.at(-1)).toMatchObject({ authorization: undefined });

    const withUserinfo = new URL(`${index.url}/simple/to-cdn`);
    withUserinfo.username = 'bob';
    withUserinfo.password = 'pw';
    await readBody(await fast.request({ method: 'GET', url: withUserinfo }), 100);
    expect(index.seen.at(-1)).toMatchObject({ authorization: `Basic ${Buffer.from('bob:pw').toString('base64')}` });
    expect(cdn.seen.at(-1)).toMatchObject({ authorization: undefined });
  });

  it("sends karoo's user agent with the version from package.json", async () => {
    const s = await serve((_req, res) => res.end());
    await readBody(await fast.request({ method: 'HEAD', url: `${s.url}/` }), 10);
    expect(s.seen[0]!.userAgent).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^karoo\/\d+\.\d+\.\d+/);
  });
});
