/**
 * rebuild and challenge against real parts: wheels generated here, a PEP 503/691 index tree
 * served on 127.0.0.1 (JSON and HTML), an OCI layout and the real registry. The index changes
 * after the candidate was built: a file replaced (same name, other bytes), deleted, yanked.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from '@karoo/build';
import { defaultLockRenderers } from '@karoo/candidate';
import type { Digest } from '@karoo/common';
import type { IndexConfig } from '@karoo/config';
import { buildWheel, type BuiltWheel, type IndexServer, serveIndex, wheelFile, writeIndex } from '@karoo/example';
import { Lock } from '@karoo/lock';
import { exportTar, importTar, LayoutStore, openStore } from '@karoo/oci';
import { startRegistry, type RunningRegistry } from '../../../test/support/registry.js';
import { challenge, rebuild } from './index.js';

const SPECS = [
  { name: 'acme-cam', version: '1.0.0' },
  { name: 'katcp', version: '0.9.3' },
  { name: 'tornado-lite', version: '6.0' },
];
const wheel = (name: string, version: string, body = 'original') =>
  buildWheel({
    name,
    version,
    requiresPython: '>=3.9',
    files: { [`${name.replace(/-/g, '_')}/__init__.py`]: `# ${name} ${version}: ${body}\n${'x = 1\n'.repeat(200)}` },
  });

let work: string;
let wheels: BuiltWheel[];
let server: IndexServer;
let indexDir: string;
let lock: Lock;
let store: LayoutStore;
let digest: Digest;
let index: IndexConfig;

/** Rewrites the served index: `change` maps each original wheel to what the index serves now (undefined: deleted). */
async function publish(dir: string, change: (w: BuiltWheel) => { wheel: BuiltWheel; yanked?: string } | undefined = (w) => ({ wheel: w })) {
  const projects = wheels.flatMap((w) => {
    const c = change(w);
    return c ? [{ name: w.name, files: [wheelFile(c.wheel, { yanked: c.yanked })] }] : [];
  });
  await writeIndex(dir, projects);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-rebuild-itg-'));
  wheels = SPECS.map((s) => wheel(s.name, s.version));
  indexDir = join(work, 'index');
  await publish(indexDir);
  server = await serveIndex(indexDir);
  index = { name: 'private', url: server.urlFor('simple/'), private: true };
  lock = Lock.create(
    wheels.map((w) => ({
      name: w.name,
      version: w.version,
      index: index.url,
      files: [{ name: w.filename, url: server.urlFor(`files/${w.filename}`), sha256: w.sha256, size: w.size }],
    })),
    { target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' }, leaves: { 'acme-cam': '1.0.0' } },
  );
  store = new LayoutStore(join(work, 'store'));
  digest = (await build({ lock, store, system: 'cam' })).candidate;
}, 60_000);

afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

const katcp = () => wheels.find((w) => w.name === 'katcp')!;
const tornado = () => wheels.find((w) => w.name === 'tornado-lite')!;

describe('rebuild', () => {
  test('an unchanged index: the rebuild gives the same digest, from the indexes by file name', async () => {
    await publish(indexDir);
    const r = await rebuild({ store, candidate: digest, indexes: [index] });
    expect(r).toMatchObject({ candidate: digest, rebuildable: true, rebuilt: digest, source: 'indexes', problems: [], kind: undefined });
    expect(r.files.map((f) => [f.name, f.status, f.yanked])).toEqual(wheels.map((w) => [w.filename, 'same', false]).sort());
    // The scratch store is gone: nothing of it is left in the temp directory given.
    const scratch = join(work, 'scratch');
    await rm(scratch, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(scratch));
    await rebuild({ store, candidate: digest, indexes: [index], tmpDir: scratch });
    expect(await readdir(scratch)).toEqual([]);
  });

  test("with the lock it was built from: downloaded from the lock's URLs", async () => {
    await publish(indexDir);
    server.clearLog();
    const r = await rebuild({ store, candidate: digest, lock });
    expect(r).toMatchObject({ rebuildable: true, rebuilt: digest, source: 'lock' });
    expect(r.files.every((f) => f.url === server.urlFor(`files/${f.name}`))).toBe(true);
    expect(server.count('/files/')).toBe(wheels.length);
  });

  test('a file replaced (same name, other bytes) is named with what the index serves now: integrity', async () => {
    const other = wheel('katcp', '0.9.3', 'rebuilt by someone else');
    expect(other.filename).toBe(katcp().filename);
    await publish(indexDir, (w) => ({ wheel: w.name === 'katcp' ? other : w }));
    for (const opts of [{ indexes: [index] }, { lock }]) {
      const r = await rebuild({ store, candidate: digest, ...opts });
      expect(r).toMatchObject({
        rebuildable: false,
        rebuilt: undefined,
        kind: 'integrity',
        counts: { same: 2, changed: 1, missing: 0, yanked: 0 },
      });
      const f = r.files.find((x) => x.name === katcp().filename)!;
      expect(f).toMatchObject({ status: 'changed', actual: { sha256: other.sha256, size: other.size } });
      expect(r.problems).toEqual([expect.stringContaining(`${katcp().filename}: replaced: `)]);
      expect(r.problems[0]).toContain(`sha256:${katcp().sha256}`);
    }
  });

  test('a file deleted from the index is named: no index lists it, or its URL answers 404: unavailable', async () => {
    await publish(indexDir, (w) => (w.name === 'tornado-lite' ? undefined : { wheel: w }));
    const byName = await rebuild({ store, candidate: digest, indexes: [index] });
    expect(byName).toMatchObject({ rebuildable: false, kind: 'unavailable', counts: { missing: 1, same: 2 } });
    expect(byName.files.find((f) => f.name === tornado().filename)).toMatchObject({
      status: 'missing',
      reason: expect.stringContaining('no index lists it'),
    });
    const byUrl = await rebuild({ store, candidate: digest, lock });
    expect(byUrl.files.find((f) => f.name === tornado().filename)).toMatchObject({
      status: 'missing',
      reason: `deleted: ${server.urlFor(`files/${tornado().filename}`)} answered 404`,
    });
    expect(byUrl.kind).toBe('unavailable');
    // A file:// index (a static tree in a clone): the file is gone from the disk.
    const fileLock = Lock.create(
      lock.packages.map((p) => ({
        ...p,
        index: undefined,
        files: p.files.map((f) => ({ ...f, url: pathToFileURL(join(indexDir, 'files', f.name)).href })),
      })),
      lock.meta,
    );
    const byPath = await rebuild({ store, candidate: digest, lock: fileLock });
    expect(byPath.files.map((f) => f.status)).toEqual(byPath.files.map((f) => (f.name === tornado().filename ? 'missing' : 'same')));
    expect(byPath.files.find((f) => f.name === tornado().filename)!.reason).toBe(
      `deleted: ${pathToFileURL(join(indexDir, 'files', tornado().filename)).href} does not exist`,
    );
  });

  test.each([['json'], ['html']] as const)(
    'a file yanked on the index (%s page) is named even though it still downloads: conflict',
    async (format) => {
      await publish(indexDir, (w) => ({ wheel: w, yanked: w.name === 'katcp' ? 'broken protocol' : undefined }));
      const only = await serveIndex(indexDir, { formats: [format] });
      try {
        const ix = { ...index, url: only.urlFor('simple/') };
        const r = await rebuild({ store, candidate: digest, indexes: [ix] });
        // Every file is the same and the digest is rebuilt, but the index withdrew one.
        expect(r).toMatchObject({ rebuildable: true, rebuilt: digest, kind: 'conflict', counts: { same: 3, yanked: 1 } });
        expect(r.files.find((f) => f.name === katcp().filename)).toMatchObject({ status: 'same', yanked: true, index: 'private' });
        expect(r.problems).toEqual([`${katcp().filename}: yanked on private (still downloadable, same bytes)`]);
      } finally {
        await only.close();
      }
    },
  );

  test('replaced, deleted and yanked at once: each file named, the worst decides (integrity)', async () => {
    const other = wheel('katcp', '0.9.3', 'tampered');
    await publish(indexDir, (w) =>
      w.name === 'tornado-lite' ? undefined : w.name === 'katcp' ? { wheel: other } : { wheel: w, yanked: '' },
    );
    const r = await rebuild({ store, candidate: digest, indexes: [index] });
    expect(r.kind).toBe('integrity');
    expect(Object.fromEntries(r.files.map((f) => [f.package, [f.status, f.yanked]]))).toEqual({
      'acme-cam': ['same', true],
      katcp: ['changed', false],
      'tornado-lite': ['missing', undefined],
    });
    expect(r.problems).toHaveLength(3);
  });

  test('--mirror: every file looked up by name on another index and downloaded from there; credentials stay on their own origin', async () => {
    // The origin lost everything; a mirror (another origin, requiring credentials) has the same files.
    await publish(indexDir, () => undefined);
    const mirrorDir = join(work, 'mirror');
    await publish(mirrorDir);
    const mirror = await serveIndex(mirrorDir, { auth: { username: 'mirror-user', password: 'mirror-secret' } });
    try {
      const env = {
        ...process.env,
        MIRROR_USER: 'mirror-user',
        MIRROR_PASSWORD: 'mirror-secret',
        PRIVATE_USER: 'mirror-user',
        PRIVATE_PASSWORD: 'mirror-secret',
      };
      const ix = {
        name: 'mirror',
        url: mirror.urlFor('simple/'),
        private: false,
        usernameEnv: 'MIRROR_USER',
        passwordEnv: 'MIRROR_PASSWORD',
      };
      const r = await rebuild({ store, candidate: digest, mirror: ix, lock, env });
      expect(r).toMatchObject({ rebuildable: true, rebuilt: digest, source: 'mirror' });
      expect(r.files.every((f) => f.url?.startsWith(mirror.url))).toBe(true);
      expect(mirror.requests.filter((q) => q.path.startsWith('/files/')).every((q) => q.user === 'mirror-user')).toBe(true);

      // The private index's credentials never go to another origin: a lock whose URLs point at
      // the mirror gets 401 there, although the mirror would take the private index's credentials.
      const onMirror = Lock.create(
        lock.packages.map((p) => ({ ...p, files: p.files.map((f) => ({ ...f, url: mirror.urlFor(`files/${f.name}`) })) })),
        lock.meta,
      );
      const noCreds = await rebuild({
        store,
        candidate: digest,
        lock: onMirror,
        indexes: [{ ...index, usernameEnv: 'PRIVATE_USER', passwordEnv: 'PRIVATE_PASSWORD' }],
        env,
      });
      expect(noCreds).toMatchObject({ rebuildable: false, source: 'lock', kind: 'unavailable' });
      expect(noCreds.files.map((f) => f.reason)).toEqual(
        noCreds.files.map((f) => expect.stringContaining(`${mirror.urlFor(`files/${f.name}`)} answered 401`)),
      );
    } finally {
      await mirror.close();
      await publish(indexDir);
    }
  });

  test('the same files giving another digest (a candidate whose lock file another writer rendered) is named: integrity', async () => {
    await publish(indexDir);
    const other = new LayoutStore(join(work, 'other-writer'));
    const renderers = {
      pylock: (l: Lock) => `# written by another tool\n${defaultLockRenderers.pylock(l)}`,
      requirements: defaultLockRenderers.requirements,
    };
    const foreign = (await build({ lock, store: other, system: 'cam', renderers })).candidate;
    expect(foreign).not.toBe(digest);
    const r = await rebuild({ store: other, candidate: foreign, indexes: [index] });
    expect(r).toMatchObject({ rebuildable: false, rebuilt: digest, kind: 'integrity', counts: { same: 3 } });
    expect(r.problems).toEqual([
      `the rebuild gives ${digest}, not ${foreign}, from the same files`,
      expect.stringMatching(/^layer pylock\.toml: stored sha256:[0-9a-f]{64} has no equal in the rebuild$/),
    ]);
  });

  test('from the real registry as the candidate store', async () => {
    await publish(indexDir);
    let registry: RunningRegistry | undefined;
    try {
      registry = await startRegistry();
      const reg = openStore(`${registry.host}/acme/cam`);
      expect((await build({ lock, store: reg, system: 'cam' })).candidate).toBe(digest);
      const r = await rebuild({ store: reg, candidate: digest, indexes: [index] });
      expect(r).toMatchObject({ rebuildable: true, rebuilt: digest, store: reg.ref });
    } finally {
      await registry?.stop();
    }
  }, 60_000);

  test("bad input: a digest not in the store, nowhere to look, a lock that is not the candidate's", async () => {
    await expect(rebuild({ store, candidate: `sha256:${'c'.repeat(64)}`, indexes: [index] })).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringContaining('is not in oci-layout:'),
    });
    await expect(rebuild({ store, candidate: digest })).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringMatching(/names no file URLs.*--mirror/),
    });
    const other = Lock.create(lock.packages.slice(1), lock.meta);
    await expect(rebuild({ store, candidate: digest, lock: other })).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringContaining(`was built from ${lock.digest}`),
    });
  });
});

describe('challenge', () => {
  async function airgapped(name: string): Promise<LayoutStore> {
    const tar = join(work, `${name}.tar`);
    await exportTar(store, digest, tar);
    const copy = new LayoutStore(join(work, name));
    await importTar(tar, copy);
    return copy;
  }

  test('an identical air-gapped copy: every blob the same', async () => {
    const copy = await airgapped('airgap-same');
    const r = await challenge(digest, [store, copy]);
    expect(r).toMatchObject({ identical: true, differences: 0, problems: [] });
    expect(r.blobs.map((b) => b.role)).toEqual(['manifest', 'config', 'layer', 'layer', 'layer', 'layer', 'layer']);
    expect(r.blobs.every((b) => b.copies.length === 2 && b.copies.every((c) => c.status === 'ok'))).toBe(true);
  });

  test('one corrupted blob and one deleted blob in the copy are named, with the store', async () => {
    const copy = await airgapped('airgap-bad');
    const k = katcp();
    const t = tornado();
    await writeFile(
      copy.blobPath(`sha256:${k.sha256}` as Digest),
      Buffer.concat([Buffer.from(k.data.subarray(0, 100)), Buffer.from('X'), Buffer.from(k.data.subarray(101))]),
    );
    await rm(copy.blobPath(`sha256:${t.sha256}` as Digest));
    const r = await challenge(digest, [store, copy]);
    expect(r).toMatchObject({ identical: false, differences: 2 });
    const bad = r.blobs.filter((b) => !b.same);
    expect(bad.map((b) => [b.title, b.copies.map((c) => c.status)])).toEqual([
      [k.filename, ['ok', 'damaged']],
      [t.filename, ['ok', 'missing']],
    ]);
    expect(bad[0]!.copies[1]!.actual).toMatchObject({ size: k.size });
    expect(bad[0]!.copies[1]!.actual!.digest).not.toBe(`sha256:${k.sha256}`);
    expect(r.problems).toEqual([
      expect.stringMatching(new RegExp(`^layer "${k.filename}" sha256:${k.sha256}: damaged in oci-layout:.*airgap-bad \\(holds sha256:`)),
      expect.stringMatching(new RegExp(`^layer "${t.filename}" sha256:${t.sha256}: missing in oci-layout:.*airgap-bad`)),
    ]);
  });

  test('a damaged manifest in one store: the other store gives the blob list', async () => {
    const copy = await airgapped('airgap-manifest');
    await writeFile(copy.blobPath(digest), '{"schemaVersion":2}');
    const r = await challenge(digest, [copy, store]);
    expect(r.blobs[0]).toMatchObject({ role: 'manifest', same: false, copies: [{ status: 'damaged' }, { status: 'ok' }] });
    expect(r.blobs).toHaveLength(7);
  });
});
