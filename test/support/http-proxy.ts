// A forward proxy on 127.0.0.1, as a self-hosted runner's HTTP(S)_PROXY names (Squid, a
// corporate gateway): it tunnels `CONNECT host:port` and forwards absolute-form requests
// (`GET http://host:port/path`). Every host is resolved to 127.0.0.1, so a test can address a
// server on this machine by a name that no DNS knows (`index.test`): the request reaches it only
// through the proxy. It records what it was asked for and the Proxy-Authorization it got, and
// can demand a login (407 without it). Like a company's gateway, it cannot reach the client's own
// loopback: a request for 127.0.0.1, localhost or [::1] is recorded and answered 502.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface ProxyCall {
  /** `CONNECT` or the forwarded method. */
  readonly method: string;
  /** host:port as the client named it. */
  readonly authority: string;
  readonly proxyAuthorization: string | undefined;
}

export interface TestProxy {
  /** http://127.0.0.1:port (add user info for a login). */
  readonly url: string;
  readonly calls: ProxyCall[];
  close(): Promise<void>;
}

export interface TestProxyOptions {
  readonly login?: { user: string; pass: string };
  /** A status to answer for this host:port instead of reaching it (a gateway's policy, an unreachable host). */
  readonly refuse?: (authority: string) => number | undefined;
}

export async function startTestProxy(options: TestProxyOptions = {}): Promise<TestProxy> {
  const calls: ProxyCall[] = [];
  const expected = options.login ? `Basic ${Buffer.from(`${options.login.user}:${options.login.pass}`).toString('base64')}` : undefined;
  const sockets = new Set<Socket>();
  const allowed = (req: IncomingMessage) => expected === undefined || req.headers['proxy-authorization'] === expected;
  const portOf = (authority: string, dflt: number) => Number(/:(\d+)$/.exec(authority)?.[1] ?? dflt);
  const loopback = (authority: string) => /^(127\.[\d.]+|localhost|\[::1\])(:\d+)?$/i.test(authority);
  const refusal = (authority: string) => options.refuse?.(authority) ?? (loopback(authority) ? 502 : undefined);

  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? '/');
    calls.push({ method: req.method ?? '', authority: target.host, proxyAuthorization: req.headers['proxy-authorization'] });
    if (!allowed(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test proxy"' }).end();
      return;
    }
    const refused = refusal(target.host);
    if (refused) {
      res.writeHead(refused).end('refused by the test proxy\n');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest(
      { host: '127.0.0.1', port: portOf(target.host, 80), method: req.method, path: target.pathname + target.search, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const authority = req.url ?? '';
    calls.push({ method: 'CONNECT', authority, proxyAuthorization: req.headers['proxy-authorization'] });
    if (!allowed(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test proxy"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const refused = refusal(authority);
    if (refused) {
      client.end(`HTTP/1.1 ${refused} Refused\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const upstream = connect(portOf(authority, 443), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
