import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKarooError } from '@karoo/common';
import { parseConfig, type KarooConfig } from '@karoo/config';
import { buildWheel, serveIndex, wheelFile, writeIndex, type IndexServer, type BuiltWheel } from '@karoo/example';
import { readLockFile } from '@karoo/lock';
import { resolveLock } from './resolve.js';
import { IndexClient } from './index-client.js';
import { readExistingLock, writeLockFiles } from './lockfiles.js';

// A private and a public index built from generated wheels, served on 127.0.0.1 by the same
// static server the example uses; the real pip resolves against them.
let root: string;
let server: IndexServer;

function wheel(name: string, version: string, requires: string[] = [], extras: Record<string, string[]> = {}, tag?: string): BuiltWheel {
  const mod = name.replace(/-/g, '_');
  return buildWheel({
    name,
    version,
    requires,
    extras,
    files: { [`${mod}/__init__.py`]: `__version__ = "${version}"\n` },
    requiresPython: '>=3.8',
    ...(tag ? { tag } : {}),
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'karoo-resolve-itg-'));
  await writeIndex(join(root, 'private'), [
    {
      name: 'acme-app',
      files: [
        wheelFile(wheel('acme-app', '1.0.0', ['acme-lib>=1.0'])),
        wheelFile(
          wheel('acme-app', '1.1.0', [
            'acme-lib>=1.1',
            'colorlib[fast]>=2',
            'winonly>=1; sys_platform == "win32"',
            'newpy>=1; python_version >= "3.12"',
          ]),
        ),
        wheelFile(wheel('acme-app', '1.2.0.dev4', ['acme-lib>=1.1'])),
        wheelFile(wheel('acme-app', '1.3.0', ['acme-lib>=1.1']), { yanked: 'broken build' }),
      ],
    },
    { name: 'acme-lib', files: [wheelFile(wheel('acme-lib', '1.0.0')), wheelFile(wheel('acme-lib', '1.1.0'))] },
    { name: 'acme-nightly', files: [wheelFile(wheel('acme-nightly', '0.1.0.dev1')), wheelFile(wheel('acme-nightly', '0.1.0rc1'))] },
    { name: 'acme-cp312', files: [wheelFile(wheel('acme-cp312', '1.0.0', [], {}, 'cp312-cp312-manylinux_2_17_x86_64'))] },
  ]);
  await writeIndex(join(root, 'public'), [
    // The decoy: a higher version of a private name, which must never be chosen.
    { name: 'acme-lib', files: [wheelFile(wheel('acme-lib', '99.0.0'))] },
    {
      name: 'colorlib',
      files: [
        wheelFile(wheel('colorlib', '2.0.0', [], { fast: ['speedups>=1'] })),
        wheelFile(wheel('colorlib', '2.1.0', [], { fast: ['speedups>=1'] })),
      ],
    },
    { name: 'speedups', files: [wheelFile(wheel('speedups', '1.0.0'))] },
    { name: 'newpy', files: [wheelFile(wheel('newpy', '1.0.0'))] },
  ]);
  server = await serveIndex(root);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

function config(extra = '', leaves = '  - acme-app', python = '3.11'): KarooConfig {
  return parseConfig(
    `system: acme
leaves:
${leaves}
indexes:
  - name: private
    url: ${server.urlFor('private/simple/')}
  - name: public
    url: ${server.urlFor('public/simple/')}
    private: false
target:
  python: "${python}"
  platforms: [manylinux_2_28_x86_64]
${extra}`,
    join(root, 'karoo.yml'),
  );
}

async function failure(p: Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isKarooError(e)) return { kind: e.kind, message: e.message };
    throw e;
  }
  throw new Error('expected a failure');
}

describe('resolve with the real pip', () => {
  it('takes the newest allowed leaf build and pins the closure for the target', async () => {
    const r = await resolveLock({ config: config() });
    expect(r.leaves).toEqual([{ name: 'acme-app', version: '1.1.0', extras: [], reason: 'newest', index: 'private' }]);
    const pins = Object.fromEntries(r.lock.packages.map((p) => [p.name, p.version]));
    // winonly is excluded by its marker, newpy by python_version on the 3.11 target, speedups comes with the extra.
    expect(pins).toEqual({ 'acme-app': '1.1.0', 'acme-lib': '1.1.0', colorlib: '2.1.0', speedups: '1.0.0' });
    for (const p of r.lock.packages) {
      expect(p.files).toHaveLength(1);
      expect(p.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(p.files[0]!.size).toBeGreaterThan(0);
      expect(p.files[0]!.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
    }
    // The private name comes from the private index although the public one has 99.0.0.
    expect(r.lock.get('acme-lib')?.index).toBe(server.urlFor('private/simple/'));
    expect(r.lock.meta.leaves).toEqual({ 'acme-app': '1.1.0' });
    expect(r.resolved).toBe(true);
  }, 60_000);

  it('resolves for the target, not for the machine running it', async () => {
    const r = await resolveLock({ config: config('', '  - acme-app', '3.12') });
    expect(r.lock.get('newpy')?.version).toBe('1.0.0');
  }, 60_000);

  it('honours allow-prerelease and explicit pins per leaf', async () => {
    const pre = await resolveLock({ config: config('', '  - name: acme-app\n    allow-prerelease: true') });
    expect(pre.leaves[0]?.version).toBe('1.2.0.dev4');
    const pinned = await resolveLock({ config: config('', '  - name: acme-app\n    pin: "1.0.0"') });
    expect(pinned.leaves[0]).toMatchObject({ version: '1.0.0', reason: 'pinned' });
    expect(pinned.lock.get('acme-lib')?.version).toBe('1.1.0');
  }, 60_000);

  it('reuses a current lock without resolving, and resolves again when the index changes', async () => {
    const first = await resolveLock({ config: config() });
    const client = new IndexClient();
    // beforeResolver (the action restores pip's HTTP cache in it) is for resolutions that run pip only.
    const before: string[] = [];
    const again = await resolveLock({
      config: config(),
      previous: first.lock,
      client,
      beforeResolver: async () => void before.push('again'),
    });
    expect(again.resolved).toBe(false);
    expect(before).toEqual([]);
    expect(again.lock.digest).toBe(first.lock.digest);
    expect(again.diff.changed).toBe(false);

    // A new build of the leaf is published: the next resolve picks it and reports the move.
    const scratch = await mkdtemp(join(tmpdir(), 'karoo-resolve-itg2-'));
    try {
      await writeIndex(join(scratch, 'private'), [
        {
          name: 'acme-app',
          files: [
            wheelFile(wheel('acme-app', '1.1.0', ['acme-lib>=1.1', 'colorlib[fast]>=2'])),
            wheelFile(wheel('acme-app', '1.4.0', ['acme-lib>=1.0'])),
          ],
        },
        { name: 'acme-lib', files: [wheelFile(wheel('acme-lib', '1.0.0'))] },
      ]);
      const moved = parseConfig(
        `system: acme\nleaves: [acme-app]\nindexes:\n  - url: ${join(scratch, 'private', 'simple')}\n  - url: ${server.urlFor('public/simple/')}\n    private: false\ntarget:\n  python: "3.11"\n  platforms: [manylinux_2_28_x86_64]\n`,
        join(scratch, 'karoo.yml'),
      );
      const next = await resolveLock({ config: moved, previous: first.lock, beforeResolver: async () => void before.push('next') });
      expect(next.resolved).toBe(true);
      expect(before).toEqual(['next']);
      expect(next.diff.leavesMoved).toEqual([{ name: 'acme-app', old: '1.1.0', new: '1.4.0' }]);
      const changes = Object.fromEntries(next.diff.changes.map((c) => [c.name, [c.change, c.old, c.new]]));
      expect(changes['acme-app']).toEqual(['upgraded', '1.1.0', '1.4.0']);
      expect(changes['acme-lib']).toEqual(['downgraded', '1.1.0', '1.0.0']);
      expect(changes.colorlib).toEqual(['removed', '2.1.0', undefined]);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses bad input with one clear line', async () => {
    expect(await failure(resolveLock({ config: config('', '  - acme-nope') }))).toEqual({
      kind: 'input',
      message: expect.stringMatching(
        /^unknown leaf "acme-nope": the private index "private" \(http:\/\/127\.0\.0\.1:\d+\/private\/simple\/\) has no such project/,
      ),
    });
    expect(await failure(resolveLock({ config: config('', '  - acme-nightly') }))).toEqual({
      kind: 'input',
      message: 'leaf "acme-nightly" has no allowed build in the private index: 2 pre-release/dev (set allow-prerelease: true to use them)',
    });
    expect((await failure(resolveLock({ config: config('', '  - acme-cp312') }))).message).toBe(
      'leaf "acme-cp312" has no allowed build in the private index: 1 without a wheel for python 3.11 on manylinux_2_28_x86_64',
    );
    expect((await failure(resolveLock({ config: config('', '  - name: acme-app\n    pin: "7.0"') }))).message).toMatch(
      /^leaf "acme-app" is pinned to 7.0, which the private index does not have \(has: 1.3.0, 1.2.0.dev4, 1.1.0, 1.0.0\)/,
    );

    await writeFile(join(root, 'constraints.txt'), 'acme-lib<1.1\n');
    const conflict = await failure(resolveLock({ config: config('constraints: [constraints.txt]') }));
    expect(conflict.kind).toBe('input');
    expect(conflict.message).toMatch(/^conflicting requirements, pip explains: .*acme-app 1\.1\.0 depends on acme-lib>=1\.1/);
  }, 90_000);

  it('names an unreachable index', async () => {
    const dead = parseConfig(`system: acme\nleaves: [acme-app]\nindexes:\n  - url: http://127.0.0.1:9/simple\n`, join(root, 'karoo.yml'));
    const e = await failure(resolveLock({ config: dead }));
    expect(e.kind).toBe('unavailable');
    expect(e.message).toMatch(/^index "private" at http:\/\/127\.0\.0\.1:9\/simple\/ is unreachable/);
  });

  it('stops on a file whose bytes do not match the index hash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'karoo-resolve-tamper-'));
    try {
      const good = wheel('tampered', '1.0.0');
      await writeIndex(join(dir, 'private'), [{ name: 'tampered', files: [wheelFile(good)] }]);
      // Replace the file after the index recorded its hash. The index serves no PEP 658 metadata
      // here, so pip must download the wheel to read it, and checks it against the index's hash.
      // (With PEP 658 metadata pip reads only the metadata; build then refuses the file.)
      await writeFile(join(dir, 'private', 'files', good.filename), Buffer.concat([good.data, Buffer.from('tamper')]));
      for (const f of await readdir(join(dir, 'private', 'files'))) if (f.endsWith('.metadata')) await rm(join(dir, 'private', 'files', f));
      for (const page of ['index.html', 'index.json']) {
        const p = join(dir, 'private', 'simple', 'tampered', page);
        const text = await readFile(p, 'utf8');
        await writeFile(
          p,
          page.endsWith('.html')
            ? text.replace(/ data-(dist-info|core)-metadata="[^"]*"/g, '')
            : JSON.stringify({
                ...JSON.parse(text),
                files: JSON.parse(text).files.map(({ 'core-metadata': _, ...f }: Record<string, unknown>) => f),
              }),
        );
      }
      const ix = await serveIndex(dir);
      try {
        const c = parseConfig(
          `system: acme\nleaves: [tampered]\nindexes:\n  - url: ${ix.urlFor('private/simple/')}\n`,
          join(dir, 'karoo.yml'),
        );
        const e = await failure(resolveLock({ config: c }));
        expect(e.kind).toBe('integrity');
        expect(e.message).toContain('tampered');
        expect(e.message).toContain(good.sha256);
      } finally {
        await ix.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('never writes index credentials into the lock', async () => {
    const ix = await serveIndex(root, { auth: { username: 'ci', password: 's3cret-token' } });
    const out = await mkdtemp(join(tmpdir(), 'karoo-resolve-out-'));
    try {
      const c = parseConfig(
        `system: acme\nleaves: [acme-lib]\nindexes:\n  - url: ${ix.urlFor('private/simple/')}\n    username-env: IX_USER\n    password-env: IX_PASS\n`,
        join(root, 'karoo.yml'),
      );
      const env = { ...process.env, IX_USER: 'ci', IX_PASS: 's3cret-token' };
      const r = await resolveLock({ config: c, env });
      await writeLockFiles(out, r.lock);
      for (const f of ['pylock.toml', 'requirements.txt']) expect(await readFile(join(out, f), 'utf8')).not.toContain('s3cret');
      expect((await readLockFile(join(out, 'pylock.toml'))).lock.digest).toBe(r.lock.digest);
      expect((await readLockFile(join(out, 'requirements.txt'))).lock.digest).toBe(r.lock.digest);
      expect((await readExistingLock(out))?.digest).toBe(r.lock.digest);

      // With a wrong login the index refuses, naming the index and the variables to check.
      const e = await failure(resolveLock({ config: c, env: { ...process.env, IX_USER: 'ci', IX_PASS: 'wrong' } }));
      expect(e.message).toMatch(
        /refused access to acme-lib \(HTTP 401\): it did not accept the login in IX_USER\/IX_PASS; check those credentials$/,
      );
      expect(e.message).not.toContain('wrong');
    } finally {
      await ix.close();
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});
