// Plain HTTP carries nothing to a host that is not loopback: a registry named by such a host is
// spoken to over https only, and a registry's challenge pointing the token request (with the
// registry credentials) at a plain-http realm elsewhere is refused before anything is sent.
// Real servers on 127.0.0.1; 0.0.0.0 reaches them but is not a loopback name (as good as remote).
import { afterAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Digest } from '@karoo/common';
import { openStore } from '@karoo/oci';

const digest = `sha256:${'a'.repeat(64)}` as Digest;
const servers: Server[] = [];

async function serve(
  handle: (url: string, res: import('node:http').ServerResponse) => void,
): Promise<{ port: number; seen: Array<{ url: string; headers: IncomingHttpHeaders }> }> {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    handle(req.url ?? '', res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen };
}

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

describe('plain HTTP to a registry', () => {
  it('is used for a loopback registry and never for another host: that one is asked over https', async () => {
    const registry = await serve((_url, res) => res.writeHead(404).end());
    const fast = { retry: { attempts: 1 }, env: {} };
    expect(await openStore(`127.0.0.1:${registry.port}/acme/cam`, fast).hasBlob(digest)).toBe(false);
    expect(registry.seen.map((s) => s.url)).toEqual([`/v2/acme/cam/blobs/${digest}`]);

    // The same server under a name that is not loopback: karoo speaks TLS to it, which a plain
    // HTTP server cannot answer, so no HTTP request reaches it.
    await expect(openStore(`0.0.0.0:${registry.port}/acme/cam`, fast).hasBlob(digest)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(registry.seen).toHaveLength(1);
  });

  it('refuses a challenge whose token realm is plain HTTP on another host, sending the credentials nowhere', async () => {
    const tokens = await serve((_url, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t"}'));
    const registry = await serve((_url, res) =>
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://0.0.0.0:${tokens.port}/token",service="reg",scope="repository:acme/cam:pull"`,
        })
        .end(),
    );
    const store = openStore(`127.0.0.1:${registry.port}/acme/cam`, {
      retry: { attempts: 1 },
      credentials: { username: 'ci', password: 's3cret' },
    });
    await expect(store.hasBlob(digest)).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringMatching(
        /sends tokens from http:\/\/0\.0\.0\.0:\d+\/token; karoo fetches tokens over https only \(plain http only on loopback\)/,
      ),
    });
    expect(registry.seen).toHaveLength(1);
    expect(tokens.seen).toEqual([]);
  });
});
