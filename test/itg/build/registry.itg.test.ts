import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import { candidateFor, KAROO, OCI } from '@karoo/candidate';
import { exportTar, importTar, LayoutStore, openStore, referrersTag, RegistryStore, type Store, verifyManifest } from '@karoo/oci';
import { startProxy, startRegistry, type RunningProxy, type RunningRegistry } from '../../support/registry.js';
import { makeWheels, serveFiles, type FileServer, type Wheels } from '../../support/wheels.js';

let work: string;
let wheels: Wheels;
let files: FileServer;
let registry: RunningRegistry;
const specs = [
  { name: 'acme-cam', version: '1.0.0', size: 40_000 },
  { name: 'katcp', version: '0.9', size: 300_000 },
  { name: 'numpy', version: '1.26.4', size: 120_000 },
  { name: 'six', version: '1.16.0', size: 5_000 },
];
const fast = { retry: { attempts: 4, baseMs: 5, maxMs: 20 } };
const store = (host: string, repo: string, extra: Parameters<typeof openStore>[1] = {}) =>
  openStore(`${host}/${repo}`, { ...fast, env: {}, ...extra });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-reg-itg-'));
  wheels = await makeWheels(join(work, 'files'), specs);
  files = await serveFiles(wheels.dir);
  registry = await startRegistry();
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  await files?.stop();
  await rm(work, { recursive: true, force: true });
});

const blobPathInRegistry = (r: RunningRegistry, hex: string) =>
  join(r.dir, 'data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');

describe('build into a real registry (Debian docker-registry 2.8)', () => {
  test('pushes the candidate; a second build downloads and uploads nothing', async () => {
    const s = store(registry.host, 'acme/cam');
    const lock = wheels.lock(files.url);
    const first = await build({ lock, store: s, system: 'cam' });
    expect(first.existed).toBe(false);
    expect(first.candidate).toBe(candidateFor(lock, { system: 'cam' }).digest);
    expect(first.candidateRef).toBe(`${registry.host}/acme/cam@${first.candidate}`);
    expect(first.blobs.uploaded).toBe(specs.length + 3);
    expect(first.downloadedBytes).toBe(specs.reduce((n, s) => n + s.size, 0));
    const stored = await s.getManifest(first.candidate);
    expect(Buffer.compare(stored.bytes, Buffer.from(candidateFor(lock, { system: 'cam' }).manifestBytes))).toBe(0);
    expect((await verifyManifest(s, first.candidate)).blobs).toBe(specs.length + 3);

    const before = files.requests.length;
    const again = await build({ lock, store: s, system: 'cam' });
    expect(again).toMatchObject({ existed: true, pushedBytes: 0, downloadedBytes: 0, candidate: first.candidate });
    expect(files.requests.length).toBe(before);
  });

  test('a candidate that differs by one wheel uploads only that wheel, the lock files, config and manifest', async () => {
    const s = store(registry.host, 'acme/onechange');
    await build({ lock: wheels.lock(files.url), store: s, system: 'cam' });
    const changed = await makeWheels(
      join(work, 'changed'),
      specs.map((x) => (x.name === 'six' ? { ...x, version: '1.17.0', size: 6_000 } : x)),
    );
    const srv = await serveFiles(changed.dir);
    try {
      const lock = changed.lock(srv.url);
      const r = await build({ lock, store: s, system: 'cam' });
      const c = candidateFor(lock, { system: 'cam' });
      const minimal = 6_000 + c.inline.reduce((n, b) => n + b.bytes.length, 0) + c.manifestBytes.length;
      expect(r.blobs.uploaded).toBe(4);
      expect(r.pushedBytes).toBe(minimal);
      expect(srv.requests).toEqual([changed.fileName({ name: 'six', version: '1.17.0', size: 0 })]);
    } finally {
      await srv.stop();
    }
  });

  test('a file whose bytes do not match the lock stops the build, naming package, expected and actual hash; its blob and the candidate are not pushed', async () => {
    const s = store(registry.host, 'acme/bad') as RegistryStore;
    const good = wheels.lock(files.url);
    const evil = good.packages.map((p) =>
      p.name === 'numpy'
        ? { ...p, files: p.files.map((f) => ({ ...f, url: `${files.url}${wheels.fileName(specs[1]!)}`, size: 300_000 })) }
        : p,
    );
    const { Lock } = await import('@karoo/lock');
    const lock = Lock.create(evil, good.meta);
    const numpyHex = good.get('numpy')!.files[0]!.sha256;
    const katcpHex = wheels.hashes[wheels.fileName(specs[1]!)]!;
    await expect(build({ lock, store: s, system: 'cam' })).rejects.toThrow(
      new RegExp(`numpy 1\\.26\\.4 .*expected sha256:${numpyHex} .*got sha256:${katcpHex}.*the candidate was not pushed`),
    );
    // Files that matched may already be uploaded (uploads overlap downloads); the bad one never,
    // and no manifest: nothing is visible.
    expect(await s.hasBlob(`sha256:${numpyHex}` as never)).toBe(false);
    expect(await s.hasManifest(candidateFor(lock, { system: 'cam' }).digest)).toBeUndefined();
    expect(await s.listTags()).toEqual([]);
  });

  test('chunked uploads (PATCH), resumed after a dropped connection', async () => {
    const proxy = await startProxy(registry.host);
    try {
      const s = store(proxy.host, 'acme/chunked', { chunkThreshold: 64 * 1024, chunkSize: 50_000 });
      proxy.fault({ method: 'PATCH', path: /\/blobs\/uploads\//, fault: 'reset' });
      const r = await build({ lock: wheels.lock(files.url), store: s, system: 'cam', concurrency: 1 });
      const patches = proxy.log.filter((l) => l.startsWith('PATCH'));
      expect(patches[0]).toMatch(/ 0$/); // the dropped one
      expect(patches.filter((l) => l.endsWith(' 202')).length).toBeGreaterThanOrEqual(
        Math.ceil(300_000 / 50_000) + Math.ceil(120_000 / 50_000),
      );
      await verifyManifest(store(registry.host, 'acme/chunked'), r.candidate);
    } finally {
      await proxy.stop();
    }
  });

  test('retries with backoff on 503, 429 and dropped connections', async () => {
    const proxy = await startProxy(registry.host);
    try {
      proxy.fault({ method: 'HEAD', path: /\/manifests\//, fault: '503' });
      proxy.fault({ method: 'HEAD', path: /\/blobs\/sha256:/, fault: '429' });
      proxy.fault({ method: 'PUT', path: /\/blobs\/uploads\//, fault: 'reset' });
      proxy.fault({ method: 'PUT', path: /\/manifests\/sha256:/, fault: '503' });
      const r = await build({ lock: wheels.lock(files.url), store: store(proxy.host, 'acme/retry'), system: 'cam' });
      expect(proxy.log.filter((l) => / (503|429|0)$/.test(l))).toHaveLength(4);
      await verifyManifest(store(registry.host, 'acme/retry'), r.candidate);
      // A registry that keeps failing gives up with a message that says so.
      proxy.fault({ method: 'HEAD', path: /\/manifests\//, fault: '503', times: 10 });
      await expect(store(proxy.host, 'acme/retry').hasManifest(r.candidate)).rejects.toThrow(/answered 503 \(gave up after 4 attempts\)/);
    } finally {
      await proxy.stop();
    }
  });

  test("a manifest known by digest is asked for once per store: a build that finds its candidate, then promotion's check of it", async () => {
    const lock = wheels.lock(files.url);
    const built = await build({ lock, store: store(registry.host, 'acme/seen'), system: 'cam' });
    await store(registry.host, 'acme/seen').putManifest(
      Buffer.from(candidateFor(lock, { system: 'cam' }).manifestBytes),
      OCI.imageManifest,
      {
        tag: 'nightly',
      },
    );
    const proxy = await startProxy(registry.host);
    try {
      const s = store(proxy.host, 'acme/seen');
      const manifestRequests = () => proxy.log.filter((l) => l.includes('/manifests/'));
      expect((await build({ lock, store: s, system: 'cam' })).existed).toBe(true);
      expect(await s.hasManifest(built.candidate)).toMatchObject({ digest: built.candidate });
      expect((await s.getManifest(built.candidate)).descriptor.digest).toBe(built.candidate);
      expect(await s.hasManifest(built.candidate)).toMatchObject({ digest: built.candidate });
      // One HEAD (the build's), one GET (its bytes, hashed again); nothing more for the same digest.
      expect(manifestRequests()).toEqual([
        `HEAD /v2/acme/seen/manifests/${built.candidate} 200`,
        `GET /v2/acme/seen/manifests/${built.candidate} 200`,
      ]);
      // A tag can move: asked every time. A digest not there: asked again, never remembered as absent.
      await s.hasManifest('nightly');
      await s.hasManifest('nightly');
      const absent = `sha256:${'0'.repeat(64)}`;
      expect(await s.hasManifest(absent)).toBeUndefined();
      expect(await s.hasManifest(absent)).toBeUndefined();
      expect(manifestRequests().slice(2)).toEqual([
        'HEAD /v2/acme/seen/manifests/nightly 200',
        'HEAD /v2/acme/seen/manifests/nightly 200',
        `HEAD /v2/acme/seen/manifests/${absent} 404`,
        `HEAD /v2/acme/seen/manifests/${absent} 404`,
      ]);
    } finally {
      await proxy.stop();
    }
  });

  test('cross-repository mount: blobs already in another repository are mounted, not downloaded or uploaded', async () => {
    const proxy = await startProxy(registry.host);
    try {
      const lock = wheels.lock(files.url);
      await build({ lock, store: store(registry.host, 'acme/source'), system: 'cam' });
      const before = files.requests.length;
      const r = await build({ lock, store: store(proxy.host, 'other/target'), system: 'cam', mountFrom: ['acme/source'] });
      expect(r.blobs.mounted).toBe(specs.length + 3 - r.blobs.uploaded);
      expect(r.blobs.mounted).toBeGreaterThanOrEqual(specs.length);
      expect(r.downloadedBytes).toBe(0);
      expect(files.requests.length).toBe(before);
      expect(proxy.log.filter((l) => l.startsWith('POST') && l.endsWith(' 201')).length).toBe(r.blobs.mounted);
      await verifyManifest(store(registry.host, 'other/target'), r.candidate);
    } finally {
      await proxy.stop();
    }
  });

  test('provenance is a referrer found through the sha256-<hex> tag fallback (no referrers API here)', async () => {
    const s = store(registry.host, 'acme/prov');
    const lock = wheels.lock(files.url);
    const r = await build({
      lock,
      store: s,
      system: 'cam',
      provenance: { builtAt: '2025-03-04T05:06:07Z', builder: 'karoo test', commit: 'deadbeef' },
    });
    expect(r.candidate).toBe(candidateFor(lock, { system: 'cam' }).digest);
    const refs = await s.referrers(r.candidate);
    expect(refs).toEqual([expect.objectContaining({ digest: r.provenance, artifactType: KAROO.provenance })]);
    expect(await s.referrers(r.candidate, 'application/vnd.other')).toEqual([]);
    expect(await s.listTags()).toContain(referrersTag(r.candidate));
    const p = JSON.parse((await s.getManifest(r.provenance!)).bytes.toString('utf8'));
    expect(p.subject.digest).toBe(r.candidate);
  });

  test('an altered blob in the registry storage is named by verify', async () => {
    const s = store(registry.host, 'acme/alter');
    const r = await build({ lock: wheels.lock(files.url), store: s, system: 'cam' });
    const hex = wheels.hashes[wheels.fileName(specs[2]!)]!;
    const p = blobPathInRegistry(registry, hex);
    const orig = await readFile(p);
    const bad = Buffer.from(orig);
    bad[100] = bad[100]! ^ 0xff;
    await writeFile(p, bad);
    try {
      await expect(verifyManifest(s, r.candidate)).rejects.toThrow(
        new RegExp(`layer \\d "${wheels.fileName(specs[2]!)}" sha256:${hex} .* is damaged`),
      );
    } finally {
      await writeFile(p, orig);
    }
  });

  test('export from the registry gives the same tar bytes as from an OCI layout; import into another repository verifies', async () => {
    const lock = wheels.lock(files.url);
    const reg = store(registry.host, 'acme/export');
    const r = await build({ lock, store: reg, system: 'cam' });
    const layout = new LayoutStore(join(work, 'export-layout'));
    await build({ lock, store: layout, system: 'cam' });
    await exportTar(reg, r.candidate, join(work, 'from-registry.tar'));
    await exportTar(layout, r.candidate, join(work, 'from-layout.tar'));
    expect(sha(join(work, 'from-registry.tar'))).toBe(sha(join(work, 'from-layout.tar')));
    const imported = await importTar(join(work, 'from-layout.tar'), store(registry.host, 'airgap/cam'));
    expect(imported.roots).toEqual([r.candidate]);
    await verifyManifest(store(registry.host, 'airgap/cam'), r.candidate);
  });

  const skopeo = spawnSync('skopeo', ['--version']).status === 0;
  (skopeo ? test : test.skip)('skopeo (an independent client) copies the candidate to an OCI layout with the same digests', async () => {
    const lock = wheels.lock(files.url);
    const r = await build({ lock, store: store(registry.host, 'acme/skopeo'), system: 'cam' });
    const raw = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/acme/skopeo@${r.candidate}`]);
    expect(raw.status).toBe(0);
    expect(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`).toBe(r.candidate);
    const dir = join(work, 'skopeo-oci');
    const cp = spawnSync(
      'skopeo',
      ['copy', '--src-tls-verify=false', `docker://${registry.host}/acme/skopeo@${r.candidate}`, `oci:${dir}:cand`],
      { encoding: 'utf8' },
    );
    expect(cp.stderr).toBe('');
    expect(cp.status).toBe(0);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests[0].digest).toBe(r.candidate);
    for (const f of lock.files()) {
      const p = join(dir, 'blobs/sha256', f.file.sha256);
      expect(existsSync(p)).toBe(true);
      expect(sha(p)).toBe(f.file.sha256);
    }
    // And karoo reads what skopeo wrote.
    expect((await verifyManifest(new LayoutStore(dir), r.candidate)).blobs).toBe(specs.length + 3);
  });
});

describe('authentication', () => {
  let basic: RunningRegistry;
  beforeAll(async () => {
    basic = await startRegistry({ basicAuth: { username: 'ci', password: 's3cret' } });
  }, 30_000);
  afterAll(async () => basic?.stop());

  test('htpasswd basic auth: no credentials, wrong and right password', async () => {
    const lock = wheels.lock(files.url);
    await expect(build({ lock, store: store(basic.host, 'acme/cam'), system: 'cam' })).rejects.toThrow(
      /requires credentials; set KAROO_REGISTRY_USERNAME/,
    );
    await expect(
      build({ lock, store: store(basic.host, 'acme/cam', { credentials: { username: 'ci', password: 'nope' } }), system: 'cam' }),
    ).rejects.toThrow(/refused the credentials of user "ci"/);
    const s = store(basic.host, 'acme/cam', { env: { KAROO_REGISTRY_USERNAME: 'ci', KAROO_REGISTRY_PASSWORD: 's3cret' } });
    const r = await build({ lock, store: s, system: 'cam' });
    await verifyManifest(s, r.candidate);
  });

  test('bearer token challenge flow (realm, service, scope) through a token endpoint', async () => {
    const proxy: RunningProxy = await startProxy(registry.host, { bearer: { username: 'robot', password: 'tok' } });
    try {
      const lock = wheels.lock(files.url);
      await expect(build({ lock, store: store(proxy.host, 'acme/bearer'), system: 'cam' })).rejects.toThrow(/requires credentials/);
      await expect(
        build({ lock, store: store(proxy.host, 'acme/bearer', { credentials: { username: 'robot', password: 'bad' } }), system: 'cam' }),
      ).rejects.toThrow(/refused/);
      const s: Store = store(proxy.host, 'acme/bearer', { credentials: { username: 'robot', password: 'tok' } });
      proxy.tokenRequests.length = 0;
      const r = await build({ lock, store: s, system: 'cam' });
      await verifyManifest(s, r.candidate);
      const scopes = proxy.tokenRequests.map((q) => new URLSearchParams(q).getAll('scope').join(' '));
      expect(scopes).toContain('repository:acme/bearer:pull,push');
      expect(proxy.tokenRequests.every((q) => new URLSearchParams(q).get('service') === 'karoo-test-registry')).toBe(true);
      // Tokens are cached per scope set (one for pull, one for pull+push), shared by parallel requests.
      expect(proxy.tokenRequests.length).toBeLessThanOrEqual(2);
      expect(proxy.log.filter((l) => !l.startsWith('GET /token')).length).toBeGreaterThan(10);
    } finally {
      await proxy.stop();
    }
  });
});

function sha(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}
