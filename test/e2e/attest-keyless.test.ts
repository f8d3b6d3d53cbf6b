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
 * never became visible.
 *
 * Then the stand-ins sign as GitHub's Sigstore instance would (no transparency log): Fulcio issues a
 * certificate from a test CA with the Fulcio extensions of the token's workflow identity, the
 * timestamp authority answers with an RFC 3161 timestamp (test/support/sigstore-ca.ts), and
 * GitHub's attestations API takes the bundle. The bundle `@actions/attest` built is attached to
 * the candidate, and karoo's verifier (the gate's) accepts it against the trusted_root.json of
 * that test instance and the workflow identity, and refuses it for another workflow. Needs root
 * (port 443) and openssl.
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
import { loadTrustedRoot, readBundles, SLSA_PROVENANCE, verifyBundle } from '@karoo/attest';
import type { Digest } from '@karoo/common';
import { writePylock } from '@karoo/lock';
import { LayoutStore } from '@karoo/oci';
import { karoo, ROOT } from '../support/cli.js';
import { makeCa, makeTsa, type TestCa, type TestTsa, trustedRootJson } from '../support/sigstore-ca.js';
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
const seen: { oidc: Seen[]; fulcio: Seen[]; tsa: Seen[]; api: Seen[] } = { oidc: [], fulcio: [], tsa: [], api: [] };
/** Whether the Fulcio stand-in issues certificates (else it refuses, as an unreachable Sigstore fails). */
let fulcioIssues = false;
let sigstoreCa: TestCa;
let sigstoreTsa: TestTsa;
const SERVER = 'https://ghe.karoo.test';
const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = '.github/workflows/karoo-candidate.yml';
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const SUBJECT = 'repo:acme/cam:ref:refs/heads/main';
const JWT = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url({ iss: 'https://token.actions.githubusercontent.com', sub: SUBJECT, aud: 'sigstore', repository: 'acme/cam', ref: 'refs/heads/main', workflow_ref: 'acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main', job_workflow_ref: 'karoo-org/karoo/.github/workflows/candidate.yml@refs/tags/v1' })}.c3RhbmQtaW4`;

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
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=karoo test CA',
  );
  ssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'tls.key',
    '-out',
    'tls.csr',
    '-subj',
    '/CN=fulcio.ghe.karoo.test',
  );
  await writeFile(join(work, 'san.ext'), 'subjectAltName=DNS:fulcio.ghe.karoo.test,DNS:timestamp.ghe.karoo.test,DNS:ghe.karoo.test\n');
  sigstoreCa = makeCa(join(work, 'sigstore'), 'fulcio');
  sigstoreTsa = makeTsa(sigstoreCa);
  ssl(
    'x509',
    '-req',
    '-in',
    'tls.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'tls.pem',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );

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
      const host = (req.headers.host ?? '').replace(/:443$/, '');
      if (host === 'timestamp.ghe.karoo.test') {
        record(seen.tsa)(req, body);
        const q = JSON.parse(body) as { artifactHash: string; hashAlgorithm: string };
        res
          .writeHead(200, { 'content-type': 'application/timestamp-reply' })
          .end(sigstoreTsa.timestampDigest(Buffer.from(q.artifactHash, 'base64')));
        return;
      }
      if (host === 'ghe.karoo.test') {
        record(seen.api)(req, body);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 4242 }));
        return;
      }
      record(seen.fulcio)(req, body);
      if (!fulcioIssues) {
        res
          .writeHead(403, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 7, message: 'stand-in: Sigstore cannot be reached from this machine' }));
        return;
      }
      // Fulcio: a certificate for the requested key, with the identity of the token's claims (the
      // caller's workflow_ref as Build Config URI, the reusable job_workflow_ref as Build Signer URI).
      const r = JSON.parse(body) as { credentials: { oidcIdentityToken: string }; publicKeyRequest: { publicKey: { content: string } } };
      const claims = JSON.parse(Buffer.from(r.credentials.oidcIdentityToken.split('.')[1]!, 'base64url').toString('utf8')) as {
        iss: string;
        repository: string;
        workflow_ref: string;
        job_workflow_ref: string;
        ref: string;
      };
      const leaf = sigstoreCa.issueFor(r.publicKeyRequest.publicKey.content, {
        server: SERVER,
        repository: claims.repository,
        workflow: claims.workflow_ref.slice(claims.repository.length + 1, claims.workflow_ref.indexOf('@')),
        ref: claims.ref,
        issuer: claims.iss,
        signer: `${SERVER}/${claims.job_workflow_ref}`,
      });
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end(JSON.stringify({ signedCertificateEmbeddedSct: { chain: { certificates: [leaf, ...sigstoreCa.chainPem] } } }));
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

/** What a job with `id-token: write` on a GHES server `ghe.karoo.test` has, with the stand-ins reached on 127.0.0.1. */
function runnerEnv(): NodeJS.ProcessEnv {
  return {
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
    GITHUB_API_URL: `${SERVER}/api/v3`,
  };
}

it('signs through @actions/attest: the OIDC and Fulcio requests are what Sigstore expects; a refusal fails the build before the candidate is visible', async () => {
  const wheels = await makeWheels(join(work, 'wheels'), [{ name: 'acme-cam', version: '1.0.0', size: 1500 }]);
  const lock = join(work, 'pylock.toml');
  await writeFile(lock, writePylock(wheels.lock()));
  const store = join(work, 'store');
  const r = await karoo(['build', '--lock', lock, '--system', 'cam', '--store', `oci-layout:${store}`, '--attest-keyless'], {
    env: runnerEnv(),
  });

  // The runner was asked for an OIDC token for Sigstore, with the job's request token.
  expect(seen.oidc).toHaveLength(1);
  const tokenUrl = new URL(seen.oidc[0]!.url, 'http://x');
  expect(tokenUrl.pathname).toBe('/_apis/token');
  expect(tokenUrl.searchParams.get('audience')).toBe('sigstore');
  expect(seen.oidc[0]!.headers.authorization).toBe('Bearer oidc-request-token');

  // Fulcio was asked for a certificate for that identity, proving possession of a fresh key.
  expect(seen.fulcio.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/v2/signingCert']);
  const req = JSON.parse(seen.fulcio[0]!.body) as {
    credentials: { oidcIdentityToken: string };
    publicKeyRequest: { publicKey: { content: string }; proofOfPossession: string };
  };
  expect(req.credentials.oidcIdentityToken).toBe(JWT);
  const publicKey = createPublicKey(req.publicKeyRequest.publicKey.content);
  expect(verify('sha256', Buffer.from(SUBJECT), publicKey, Buffer.from(req.publicKeyRequest.proofOfPossession, 'base64'))).toBe(true);

  // Sigstore refused: one line naming keyless signing, exit 4, and no candidate was made visible.
  expect(r.code).toBe(4);
  expect(r.stderr).toMatch(/keyless signing of the https:\/\/slsa\.dev\/provenance\/v1 attestation failed \(@actions\/attest/);
  const index = join(store, 'index.json');
  const manifests = existsSync(index) ? ((JSON.parse(readFileSync(index, 'utf8')) as { manifests?: unknown[] }).manifests ?? []) : [];
  expect(manifests).toEqual([]);
});

it("the bundle @actions/attest makes with a (stand-in) GitHub Sigstore instance is attached and verifies with karoo's verifier against its trusted root and the workflow identity", async () => {
  fulcioIssues = true;
  seen.fulcio.length = 0;
  const wheels = await makeWheels(join(work, 'wheels-2'), [{ name: 'acme-cam', version: '2.0.0', size: 1500 }]);
  const lock = join(work, 'pylock-2.toml');
  await writeFile(lock, writePylock(wheels.lock()));
  const store = join(work, 'store-2');
  const r = await karoo(['build', '--lock', lock, '--system', 'cam', '--store', `oci-layout:${store}`, '--attest-keyless', '--json'], {
    env: runnerEnv(),
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const built = JSON.parse(r.stdout) as { candidate: Digest; attestation?: Digest };

  // Fulcio issued, the timestamp authority stamped the signature, the attestations API got the bundle.
  expect(seen.fulcio).toHaveLength(1);
  expect(seen.tsa.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/v1/timestamp']);
  expect(seen.api.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/v3/repos/acme/cam/attestations']);
  const sent = JSON.parse(seen.api[0]!.body) as { bundle: unknown };

  // The same bundle is the candidate's provenance referrer, and it verifies: chain to the test
  // instance's root at the timestamp, the DSSE signature, the certificate's workflow identity.
  const trustedRoot = join(work, 'trusted_root.json');
  await writeFile(trustedRoot, JSON.stringify(trustedRootJson(sigstoreCa, sigstoreTsa)));
  const trust = await loadTrustedRoot(trustedRoot);
  const prov = (await readBundles(new LayoutStore(store), built.candidate)).bundles.find((b) => b.predicateType === SLSA_PROVENANCE)!;
  expect(prov.digest).toBe(built.attestation);
  expect(prov.bundle).toEqual(sent.bundle);
  const identity = { repository: 'acme/cam', workflow: WORKFLOW, ref: 'refs/heads/main', issuer: ISSUER, serverUrl: SERVER };
  const v = verifyBundle(prov, built.candidate, { keys: [], trustedRoot: trust, identity });
  expect(v.signer).toBe(`${SERVER}/acme/cam/${WORKFLOW}@refs/heads/main`);
  expect(v.statement.predicateType).toBe(SLSA_PROVENANCE);
  expect(() =>
    verifyBundle(prov, built.candidate, {
      keys: [],
      trustedRoot: trust,
      identity: { ...identity, workflow: '.github/workflows/release.yml' },
    }),
  ).toThrow(/workflow \.github\/workflows\/karoo-candidate\.yml is not \.github\/workflows\/release\.yml/);
  // Without the trusted root, a keyless bundle does not verify at all.
  expect(() => verifyBundle(prov, built.candidate, { keys: [], identity })).toThrow(
    /no trusted root is configured: set karoo\.yml attestations\.trusted-root/,
  );
});
