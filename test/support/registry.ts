/**
 * Real OCI registries for integration tests: the CNCF distribution registry from Debian's
 * `docker-registry` package (unpacked by scripts/ensure-deps.sh), started on 127.0.0.1 with a
 * temp config, anonymous or with htpasswd basic auth; and a proxy in front of it that can add
 * the bearer-token challenge flow (with its own token endpoint) and inject faults (503, 429,
 * dropped connections) once each. Reusable by any test that needs a registry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';

/** Where ensure-deps.sh unpacks docker-registry (same search order), or undefined. */
export function registryBinary(): string | undefined {
  const candidates = [
    process.env.KAROO_REGISTRY_BIN,
    process.env.KAROO_TOOLS && join(process.env.KAROO_TOOLS, 'docker-registry/usr/bin/docker-registry'),
    '/var/cache/karoo/tools/docker-registry/usr/bin/docker-registry',
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'karoo/tools/docker-registry/usr/bin/docker-registry'),
    '/usr/bin/docker-registry',
  ];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, usable as the registry part of a store reference. */
  readonly host: string;
  readonly dir: string;
  readonly credentials?: { username: string; password: string } | undefined;
  stop(): Promise<void>;
}

/** Starts Debian's docker-registry on 127.0.0.1 with filesystem storage in a temp dir and deletion enabled. */
export async function startRegistry(options: { basicAuth?: { username: string; password: string } } = {}): Promise<RunningRegistry> {
  const bin = registryBinary();
  if (!bin) throw new Error('docker-registry is not unpacked; run scripts/ensure-deps.sh');
  const dir = await mkdtemp(join(tmpdir(), 'karoo-registry-'));
  const port = await freePort();
  const auth = options.basicAuth ? `auth:\n  htpasswd:\n    realm: karoo-test\n    path: ${join(dir, 'htpasswd')}\n` : '';
  if (options.basicAuth) {
    // bcrypt cost 4: the registry checks the hash on every request, cost 10 makes tests slow.
    await writeFile(join(dir, 'htpasswd'), `${options.basicAuth.username}:${bcrypt.hashSync(options.basicAuth.password, 4)}\n`);
  }
  await writeFile(
    join(dir, 'config.yml'),
    `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: ${randomBytes(16).toString('hex')}
${auth}`,
  );
  const child = spawn(bin, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const host = `127.0.0.1:${port}`;
  await waitReady(host, child, () => stderr);
  return {
    host,
    dir,
    credentials: options.basicAuth,
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export type Fault = '503' | '429' | 'reset';

export interface FaultRule {
  readonly method?: string;
  /** Matched against the request path. */
  readonly path: RegExp;
  readonly fault: Fault;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  /** Sent as `Retry-After` (seconds) with a 503 or 429 (a 429 sends 0 without it). */
  readonly retryAfter?: number;
  /** Answer the fault only after this many milliseconds (a slow registry). */
  readonly delayMs?: number;
}

export interface RunningProxy {
  readonly host: string;
  /** Every request the proxy saw: `METHOD PATH STATUS`. */
  readonly log: string[];
  /** Token endpoint requests (query strings). */
  readonly tokenRequests: string[];
  /** Adds a fault for the next matching request(s). */
  fault(rule: FaultRule): void;
  stop(): Promise<void>;
}

/**
 * A proxy on 127.0.0.1 in front of a registry. With `bearer`, it answers requests without a
 * valid token with `401 WWW-Authenticate: Bearer realm=…/token,service=…,scope=repository:NAME:ACTIONS`
 * and issues opaque tokens bound to scopes from its /token endpoint (basic credentials checked),
 * as GHCR and Docker Hub do. Faults fire once per rule (or `times`).
 */
export async function startProxy(
  upstream: string,
  options: { bearer?: { username: string; password: string }; service?: string } = {},
): Promise<RunningProxy> {
  const log: string[] = [];
  const tokenRequests: string[] = [];
  const faults: FaultRule[] = [];
  const tokens = new Map<string, Set<string>>();
  const service = options.service ?? 'karoo-test-registry';
  let selfHost = '';

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${selfHost}`);
    const done = (status: number) => log.push(`${req.method} ${url.pathname} ${status}`);
    const rule = faults.find((f) => (f.method === undefined || f.method === req.method) && f.path.test(url.pathname) && (f.times ?? 1) > 0);
    if (rule) {
      rule.times = (rule.times ?? 1) - 1;
      done(rule.fault === 'reset' ? 0 : Number(rule.fault));
      if (rule.fault === 'reset') {
        req.socket.destroy();
        return;
      }
      req.resume();
      const retryAfter = rule.retryAfter !== undefined ? String(rule.retryAfter) : rule.fault === '429' ? '0' : undefined;
      const answer = () => {
        res.writeHead(Number(rule.fault), {
          'content-type': 'application/json',
          ...(retryAfter !== undefined ? { 'retry-after': retryAfter } : {}),
        });
        res.end(
          JSON.stringify({
            errors: [{ code: rule.fault === '429' ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: 'injected by the test proxy' }],
          }),
        );
      };
      if (rule.delayMs) setTimeout(answer, rule.delayMs);
      else answer();
      return;
    }
    if (options.bearer && url.pathname === '/token') {
      tokenRequests.push(url.search);
      const want = `Basic ${Buffer.from(`${options.bearer.username}:${options.bearer.password}`).toString('base64')}`;
      req.resume();
      if (req.headers.authorization !== want || url.searchParams.get('service') !== service) {
        done(401);
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      const token = randomBytes(16).toString('hex');
      tokens.set(token, new Set(url.searchParams.getAll('scope').flatMap(expandScope)));
      done(200);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
      return;
    }
    if (options.bearer) {
      const need = requiredScope(req.method ?? 'GET', url);
      const tok = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const granted = tok ? tokens.get(tok) : undefined;
      const ok = granted && need.every((s) => granted.has(s));
      if (!ok) {
        req.resume();
        const scope = need.length ? `,scope="${collapse(need)}"` : '';
        done(401);
        res
          .writeHead(401, {
            'content-type': 'application/json',
            'www-authenticate': `Bearer realm="http://${selfHost}/token",service="${service}"${scope}${granted ? ',error="insufficient_scope"' : ''}`,
          })
          .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const up = request({ host: '127.0.0.1', port: Number(upstream.split(':')[1]), method: req.method, path: req.url, headers }, (ures) => {
      done(ures.statusCode ?? 0);
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  selfHost = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: selfHost,
    log,
    tokenRequests,
    fault: (rule) => faults.push(rule),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** `repository:a/b:pull,push` → [`repository:a/b:pull`, `repository:a/b:push`]. */
function expandScope(scope: string): string[] {
  const i = scope.lastIndexOf(':');
  return scope
    .slice(i + 1)
    .split(',')
    .map((a) => `${scope.slice(0, i)}:${a}`);
}

function collapse(scopes: string[]): string {
  const byRepo = new Map<string, string[]>();
  for (const s of scopes) {
    const i = s.lastIndexOf(':');
    byRepo.set(s.slice(0, i), [...(byRepo.get(s.slice(0, i)) ?? []), s.slice(i + 1)]);
  }
  return [...byRepo].map(([r, a]) => `${r}:${a.join(',')}`).join(' ');
}

function requiredScope(method: string, url: URL): string[] {
  const m = /^\/v2\/(.+?)\/(blobs|manifests|tags|referrers)\//.exec(url.pathname);
  if (!m) return [];
  const repo = `repository:${m[1]}`;
  const write = !['GET', 'HEAD'].includes(method);
  const out = write ? [`${repo}:pull`, `${repo}:push`] : [`${repo}:pull`];
  const from = url.searchParams.get('from');
  if (from) out.push(`repository:${from}:pull`);
  return out;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitReady(host: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < 15_000) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr()}`);
    const status = await new Promise<number>((r) => {
      const req = request({ host: '127.0.0.1', port: Number(host.split(':')[1]), path: '/v2/', method: 'GET' }, (res) => {
        res.resume();
        r(res.statusCode ?? 0);
      });
      req.on('error', () => r(0));
      req.end();
    });
    if (status === 200 || status === 401) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stopChild(child);
  throw new Error(`docker-registry did not get ready on ${host}: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}
