import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isKarooError, type Progress } from '@karoo/common';
import { parseConfig, type KarooConfig } from '@karoo/config';
import { buildWheel, exampleUploadTime, publishToIndex, serveIndex, wheelFile, writeIndex, type IndexServer } from '@karoo/example';
import { type Lock, normalizeInstant, parseInstant } from '@karoo/lock';
import { readExistingLock, writeLockFiles } from './lockfiles.js';
import { resolveLock, type ResolveResult } from './resolve.js';

// The CAM example's committed indexes (JSON pages with PEP 700 upload times), copied so that
// tests can "publish" to them, served on 127.0.0.1; the real pip resolves through karoo's
// merged index, which is where the cutoff is applied.
const exampleDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'cam');
let root: string;
let json: IndexServer;
let html: IndexServer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'karoo-as-of-'));
  await cp(join(exampleDir, 'index'), join(root, 'index'), { recursive: true });
  json = await serveIndex(join(root, 'index'));
  // The same tree as a PEP 503 index that only speaks HTML: no upload times anywhere.
  html = await serveIndex(join(root, 'index'), { formats: ['html'] });
}, 60_000);

afterAll(async () => {
  await json?.close();
  await html?.close();
  await rm(root, { recursive: true, force: true });
});

/** The example's own karoo.yml, its indexes pointed at the servers. */
async function config(publicServer: IndexServer = json, privateServer: IndexServer = json, extra = ''): Promise<KarooConfig> {
  const text = (await readFile(join(exampleDir, 'karoo.yml'), 'utf8'))
    .replace('url: ./index/private/simple', `url: ${privateServer.urlFor('private/simple/')}`)
    .replace('url: ./index/public/simple', `url: ${publicServer.urlFor('public/simple/')}`);
  return parseConfig(`${text}\n${extra}`, join(exampleDir, 'karoo.yml'));
}

function recorder(): Progress & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => {}, warn: (m) => warnings.push(m) };
}

const pins = (lock: Lock) => Object.fromEntries(lock.packages.map((p) => [p.name, p.version]));

function stub(name: string, version: string): ReturnType<typeof buildWheel> {
  return buildWheel({
    name,
    version,
    requiresPython: '>=3.8',
    files: { [`${name.replace(/-/g, '_')}/__init__.py`]: `__version__ = "${version}"\n` },
  });
}

/** Tomorrow's public index: newer versions of two third-party dependencies the example locks. */
async function publishNewerThirdParty(uploadTime: string): Promise<void> {
  await publishToIndex(join(root, 'index', 'public'), [
    { name: 'tinyproto', files: [{ ...wheelFile(stub('tinyproto', '2.1.1')), uploadTime }] },
    { name: 'wheel', files: [{ ...wheelFile(stub('wheel', '0.99.0')), uploadTime }] },
  ]);
}

describe('upload-time cutoff (as-of) with the real pip', () => {
  let today: ResolveResult;
  let todayNone: ResolveResult;

  it('records every locked file’s upload time, and as-of leaves takes the newest upload among the chosen leaf builds', async () => {
    today = await resolveLock({ config: await config(), asOf: 'leaves' });
    todayNone = await resolveLock({ config: await config() });
    for (const { file } of today.lock.files()) expect(parseInstant(file.uploadTime ?? '')).toBeDefined();
    const leafTimes = today.leaves.flatMap((l) => today.lock.get(l.name)!.files.map((f) => f.uploadTime!)).sort();
    expect(today.asOf).toEqual({ policy: 'leaves', time: leafTimes[leafTimes.length - 1], notApplied: [] });
    expect(today.lock.meta.asOf).toEqual(today.asOf);
    // Every third-party file of the example is older than the leaf builds: the cutoff hides nothing today.
    expect(today.lock.digest).toBe(todayNone.lock.digest);
    expect(todayNone.lock.meta.asOf).toBeUndefined();
  }, 120_000);

  it('the cutoff is part of the no-op check: the same cutoff reuses the lock, another resolves', async () => {
    const same = await resolveLock({ config: await config(), asOf: 'leaves', previous: today.lock });
    expect(same.resolved).toBe(false);
    const without = await resolveLock({ config: await config(), asOf: 'none', previous: today.lock });
    expect(without.resolved).toBe(true);
    expect(without.lock.meta.asOf).toBeUndefined();
  }, 120_000);

  it('an explicit cutoff hides later leaf builds and later dependencies; a cutoff equal to an upload time includes that file', async () => {
    const cutoff = exampleUploadTime('private', 1);
    const r = await resolveLock({ config: await config(), asOf: cutoff });
    expect(r.asOf).toEqual({ policy: 'time', time: normalizeInstant(cutoff), notApplied: [] });
    for (const { pkg, file } of r.lock.files()) {
      expect([pkg.name, parseInstant(file.uploadTime!)! <= parseInstant(cutoff)!]).toEqual([pkg.name, true]);
    }
    // The second build of each leaf (uploaded exactly at the cutoff) is the newest it sees; the pin (3.0.0) still holds.
    expect(Object.fromEntries(r.leaves.map((l) => [l.name, l.version]))).toEqual({
      'cam-core': '1.1.0',
      'cam-katcp': '0.9.0',
      'cam-store': '1.1.0',
      'cam-proxy': '2.0.0',
      'cam-monitor': '0.2.0',
      'cam-scheduler': '3.0.0',
      'cam-portal': '1.1.0',
      'cam-signal': '1.1.0',
    });
  }, 120_000);

  it('a cutoff before every build of a leaf is one clear input error', async () => {
    let err: unknown;
    try {
      await resolveLock({ config: await config(), asOf: '2025-05-01T00:00:00Z' });
    } catch (e) {
      err = e;
    }
    expect(isKarooError(err) && err.kind).toBe('input');
    expect((err as Error).message).toMatch(/^leaf "cam-core" has no build uploaded at or before the cutoff 2025-05-01T00:00:00.000Z/);
    await expect(resolveLock({ config: await config(), asOf: 'last tuesday' })).rejects.toThrow(
      'as-of "last tuesday" is not an RFC 3339 date-time',
    );
  });

  it('after newer third-party versions are published, the same leaf builds resolve to the identical lock with the cutoff, and to a different one without', async () => {
    await publishNewerThirdParty('2025-07-01T09:30:00.000000Z');
    const tomorrow = await resolveLock({ config: await config(), asOf: 'leaves' });
    expect(tomorrow.lock.digest).toBe(today.lock.digest);
    expect(tomorrow.asOf).toEqual(today.asOf);
    // What the cutoff lets through did not change, so neither did the inputs digest: with the
    // previous lock, nothing is resolved at all.
    expect(tomorrow.lock.meta.inputsDigest).toBe(today.lock.meta.inputsDigest);
    const reused = await resolveLock({ config: await config(), asOf: 'leaves', previous: today.lock });
    expect(reused.resolved).toBe(false);

    const explicit = await resolveLock({ config: await config(), asOf: today.asOf!.time });
    expect(explicit.lock.digest).toBe(today.lock.digest);

    const uncut = await resolveLock({ config: await config() });
    expect(uncut.lock.digest).not.toBe(today.lock.digest);
    expect(pins(uncut.lock)).toEqual({ ...pins(today.lock), tinyproto: '2.1.1', wheel: '0.99.0' });
  }, 180_000);

  it('karoo.yml as-of is the default, and the resolve option overrides it', async () => {
    const fromFile = await resolveLock({ config: await config(json, json, 'as-of: leaves') });
    expect(fromFile.lock.digest).toBe(today.lock.digest);
    const overridden = await resolveLock({ config: await config(json, json, 'as-of: leaves'), asOf: 'none' });
    expect(overridden.lock.get('tinyproto')?.version).toBe('2.1.1');
  }, 180_000);

  it('an HTML-only index gives no upload times: the cutoff names the locked projects it could not apply to', async () => {
    // Private index with upload times (JSON), public index HTML-only.
    const progress = recorder();
    const r = await resolveLock({ config: await config(html, json), asOf: 'leaves', progress });
    const publicUrl = html.urlFor('public/simple/');
    const fromPublic = r.lock.packages
      .filter((p) => p.index === publicUrl)
      .map((p) => p.name)
      .sort();
    expect(fromPublic.length).toBeGreaterThan(0);
    expect(r.asOf).toEqual({ policy: 'leaves', time: today.asOf!.time, notApplied: fromPublic });
    for (const p of r.lock.packages)
      for (const f of p.files) expect([p.name, f.uploadTime === undefined]).toEqual([p.name, p.index === publicUrl]);
    expect(progress.warnings.join('\n')).toContain(`could not apply to ${fromPublic.join(', ')}`);
    // So what was published since is visible there: the report is the truth, not a promise.
    expect(r.lock.get('tinyproto')?.version).toBe('2.1.1');

    // Both indexes HTML-only: the leaf builds have no upload times either, so there is no cutoff at all.
    const none = recorder();
    const all = await resolveLock({ config: await config(html, html), asOf: 'leaves', progress: none });
    expect(all.asOf).toEqual({ policy: 'leaves', notApplied: all.lock.packages.map((p) => p.name).sort() });
    expect(none.warnings.join('\n')).toContain('the private index gives no upload times for the chosen leaf builds');
  }, 180_000);
});

describe('a cutoff taken from upload times finer than a millisecond (PyPI gives microseconds)', () => {
  it('is recorded to the instant, so resolving again with the recorded time chooses the same leaf build', async () => {
    const dir = join(root, 'micro');
    await writeIndex(join(dir, 'private'), [
      {
        name: 'acme-app',
        files: [
          { ...wheelFile(stub('acme-app', '1.0.0')), uploadTime: '2026-01-01T00:00:00Z' },
          { ...wheelFile(stub('acme-app', '1.1.0')), uploadTime: '2026-01-15T10:20:30.123456Z' },
        ],
      },
    ]);
    const server = await serveIndex(dir);
    try {
      const config = parseConfig(
        `system: acme\nleaves: [acme-app]\nindexes:\n  - name: private\n    url: ${server.urlFor('private/simple/')}\ntarget:\n  python: "3.11"\n  platforms: [manylinux_2_28_x86_64]\n`,
        join(dir, 'karoo.yml'),
      );
      const byLeaves = await resolveLock({ config, asOf: 'leaves' });
      expect(pins(byLeaves.lock)).toEqual({ 'acme-app': '1.1.0' });
      expect(byLeaves.asOf?.time).toBe('2026-01-15T10:20:30.123456Z');
      // Written and read back, the lock names the same instant.
      await writeLockFiles(join(dir, 'lock'), byLeaves.lock);
      expect((await readExistingLock(join(dir, 'lock')))?.meta.asOf).toEqual(byLeaves.asOf);
      // The recorded time as an explicit cutoff sees the same leaf build (a time cut to the
      // millisecond, 10:20:30.123Z, would be before it and choose 1.0.0).
      const again = await resolveLock({ config, asOf: byLeaves.asOf!.time });
      expect(pins(again.lock)).toEqual({ 'acme-app': '1.1.0' });
      expect(again.lock.digest).toBe(byLeaves.lock.digest);
    } finally {
      await server.close();
    }
  }, 120_000);
});
