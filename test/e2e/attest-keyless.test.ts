/**
 * Issue 15 §4, keyless: `karoo build --attest-keyless` inside GitHub Actions signs through
 * `@actions/attest` (Sigstore). Sigstore cannot be reached from here, so this test goes as far
 * as the first request that would leave the runner and checks it: the OIDC token request to the
 * runner (audience `sigstore`, the request token), and the certificate request to Fulcio (the
 * runner's OIDC token, a fresh public key, a proof of possession that verifies over the token's
 * subject). Fulcio is a stand-in on 127.0.0.1:443 with a test CA (NODE_EXTRA_CA_CERTS), reached
 * as `fulcio.ghe.karoo.test` (GitHub's own Sigstore instance of a server `ghe.karoo.test`;
 * test/support/loopback-dns.cjs resolves `.karoo.test` to 127.0.0.1). It refuses, as an
 * unreachable Sigstore would fail: the build exits 4 naming keyless signing, and the candidate
 * never became visible. Needs root (port 443) and openssl.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { writePylock } from '@karoo/lock';
import { karoo, ROOT } from '../support/cli.js';
import { makeWheels } from '../support/wheels.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let work: string;
let oidc: Server;
let fulcio: Server;
const seen: { oidc: Seen[]; fulcio: Seen[] } = { oidc: [], fulcio: [] };
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const SUBJECT = 'repo:acme/cam:ref:refs/heads/main';
const JWT = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url({ iss: 'https://token.actions.githubusercontent.com', sub: SUBJECT, aud: 'sigstore', repository: 'acme/cam', job_workflow_ref: 'acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main' })}.c3RhbmQtaW4`;

function record(into: Seen[]) {
  return (req: IncomingMessage, body: string) => into.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, '127.0.0.1', () => res());
  });
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-keyless-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=karoo test CA');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=fulcio.ghe.karoo.test');
  await writeFile(join(work, 'san.ext'), 'subjectAltName=DNS:fulcio.ghe.karoo.test,DNS:timestamp.ghe.karoo.test\n');
  ssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.pem', '-days', '1', '-extfile', 'san.ext');

  oidc = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      record(seen.oidc)(req, body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: JWT }));
    });
  });
  fulcio = createHttpsServer({ key: readFileSync(join(work, 'tls.key')), cert: readFileSync(join(work, 'tls.pem')) }, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      record(seen.fulcio)(req, body);
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 7, message: 'stand-in: Sigstore cannot be reached from this machine' }));
    });
  }) as unknown as Server;
  await listen(oidc, 0);
  await listen(fulcio, 443);
}, 60_000);
afterAll(async () => {
  await new Promise((r) => oidc?.close(r));
  await new Promise((r) => fulcio?.close(r));
  await rm(work, { recursive: true, force: true });
});

it('signs through @actions/attest: the OIDC and Fulcio requests are what Sigstore expects; a refusal fails the build before the candidate is visible', async () => {
  const wheels = await makeWheels(join(work, 'wheels'), [{ name: 'acme-cam', version: '1.0.0', size: 1500 }]);
  const lock = join(work, 'pylock.toml');
  await writeFile(lock, writePylock(wheels.lock()));
  const store = join(work, 'store');
  const r = await karoo(['build', '--lock', lock, '--system', 'cam', '--store', `oci-layout:${store}`, '--attest-keyless'], {
    env: {
      NODE_OPTIONS: `--require ${join(ROOT, 'test/support/loopback-dns.cjs')}`,
      NODE_EXTRA_CA_CERTS: join(work, 'ca.pem'),
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://ghe.karoo.test',
      GITHUB_REPOSITORY: 'acme/cam',
      GITHUB_TOKEN: 'ghs_job_token',
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(oidc.address() as AddressInfo).port}/_apis/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-request-token',
      KAROO_SIGSTORE: 'github',
      HTTPS_PROXY: '',
      https_proxy: '',
    },
  });

  // The runner was asked for an OIDC token for Sigstore, with the job's request token.
  expect(seen.oidc).toHaveLength(1);
  const tokenUrl = new URL(seen.oidc[0]!.url, 'http://x');
  expect(tokenUrl.pathname).toBe('/_apis/token');
  expect(tokenUrl.searchParams.get('audience')).toBe('sigstore');
  expect(seen.oidc[0]!.headers.authorization).toBe('Bearer oidc-request-token');

  // Fulcio was asked for a certificate for that identity, proving possession of a fresh key.
  expect(seen.fulcio.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/v2/signingCert']);
  const req = JSON.parse(seen.fulcio[0]!.body) as { credentials: { oidcIdentityToken: string }; publicKeyRequest: { publicKey: { content: string }; proofOfPossession: string } };
  expect(req.credentials.oidcIdentityToken).toBe(JWT);
  const publicKey = createPublicKey(req.publicKeyRequest.publicKey.content);
  expect(verify('sha256', Buffer.from(SUBJECT), publicKey, Buffer.from(req.publicKeyRequest.proofOfPossession, 'base64'))).toBe(true);

  // Sigstore refused: one line naming keyless signing, exit 4, and no candidate was made visible.
  expect(r.code).toBe(4);
  expect(r.stderr).toMatch(/keyless signing of the https:\/\/slsa\.dev\/provenance\/v1 attestation failed \(@actions\/attest/);
  const index = join(store, 'index.json');
  const manifests = existsSync(index) ? (JSON.parse(readFileSync(index, 'utf8')) as { manifests?: unknown[] }).manifests ?? [] : [];
  expect(manifests).toEqual([]);
});
