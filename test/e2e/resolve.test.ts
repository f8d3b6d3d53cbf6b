import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { copyFile, mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundle } from '../support/bundle.js';
import { json, karoo, ROOT } from '../support/cli.js';

const CONFIG = join(ROOT, 'examples/cam/karoo.yml');
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-e2e-resolve-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface ResolveJson {
  lockDigest: string;
  packages: number;
  leaves: Record<string, string>;
  resolved: boolean;
  changed: boolean;
  diff: { changes: Array<{ name: string; change: string }>; counts: Record<string, number> };
}

describe('karoo resolve on the example system', () => {
  it('pins the closure from the newest allowed leaf builds, then reuses a current lock', async () => {
    const out = join(work, 'lock');
    const first = json<ResolveJson>(await karoo(['resolve', '--config', CONFIG, '--out', out, '--json']));
    expect(first.leaves).toEqual({
      'cam-core': '1.2.0',
      'cam-katcp': '0.9.1', // 0.9.2 is yanked
      'cam-store': '2.0.0', // 2.1.0b1 is a pre-release, not allowed for this leaf
      'cam-proxy': '2.2.0.dev3', // allow-prerelease; the public index's decoy 99.0.0 is never taken
      'cam-monitor': '0.3.0',
      'cam-scheduler': '3.0.0', // pinned although 3.1.0 exists
      'cam-portal': '1.2.0',
      'cam-signal': '1.2.0', // a compiled cp311 manylinux wheel
    });
    expect(first.packages).toBe(13);
    expect(first.resolved).toBe(true);
    expect(first.diff.counts.added).toBe(13);

    const requirements = await readFile(join(out, 'requirements.txt'), 'utf8');
    const pins = requirements
      .split('\n')
      .filter((l) => /^[a-z0-9-]+==/.test(l))
      .map((l) => l.split(' ')[0]);
    expect(pins).toEqual([
      'cam-core==1.2.0',
      'cam-katcp==0.9.1',
      'cam-monitor==0.3.0',
      'cam-portal==1.2.0',
      'cam-proxy==2.2.0.dev3',
      'cam-scheduler==3.0.0',
      'cam-signal==1.2.0',
      'cam-store==2.0.0',
      'pip==23.0.1',
      'procstat==0.4.0',
      'setuptools==66.1.1',
      'tinyproto==2.1.0',
      'wheel==0.38.4',
    ]);
    expect(requirements.match(/--hash=sha256:[0-9a-f]{64}/g)).toHaveLength(13);

    // pylock.toml and requirements.txt are the same lock.
    const a = json<{ lockDigest: string }>(await karoo(['lock', join(out, 'pylock.toml'), '--json']));
    const b = json<{ lockDigest: string }>(await karoo(['lock', join(out, 'requirements.txt'), '--json']));
    expect(a.lockDigest).toBe(first.lockDigest);
    expect(b.lockDigest).toBe(first.lockDigest);

    const again = await karoo(['resolve', '--config', CONFIG, '--out', out, '--json']);
    expect(json<ResolveJson>(again)).toMatchObject({ lockDigest: first.lockDigest, resolved: false, changed: false });
    expect(again.stderr).toContain('nothing to resolve');
  }, 120_000);

  it('fails with one line and a non-zero exit on bad input, writing nothing', async () => {
    const bad = join(work, 'bad.yml');
    await writeFile(
      bad,
      (await readFile(CONFIG, 'utf8'))
        .replace('  - cam-portal\n', '  - cam-portal\n  - cam-portall\n')
        .replace(/url: \.\//g, `url: ${join(ROOT, 'examples/cam')}/`),
    );
    const out = join(work, 'never');
    const r = await karoo(['resolve', '--config', bad, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toMatch(
      /^karoo: error: unknown leaf "cam-portall": the private index "private" .* has no such project/,
    );
    await expect(readdir(out)).rejects.toThrow();

    await writeFile(bad, 'system: cam\nleaves: [a]\nindexes:\n  - url: ./x\n    privat: true\n');
    const c = await karoo(['resolve', '--config', bad, '--json']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain(`${bad}:5: indexes[0].privat: unknown key`);
    expect(json<{ error: { kind: string } }>(c).error.kind).toBe('input');

    const missing = await karoo(['resolve', '--config', join(work, 'nope.yml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot be read (ENOENT)');
  }, 60_000);

  it('reads real-world files and rejects the malformed one with FILE:LINE: reason', async () => {
    const malformed = join(ROOT, '../shared/realworld/ska-observatory/skampi-2023-02/tests/SUT_requirements.txt');
    const r = await karoo(['lock', malformed]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SUT_requirements\.txt:2: /);
  });

  it('runs as a GitHub Action from its bundle', async () => {
    const dir = await mkdtemp(join(work, 'action-'));
    const run = await runBundle(join(ROOT, 'dist/resolve/index.js'), {
      cwd: dir,
      under: dir,
      inputs: { config: CONFIG, out: join(dir, 'lock'), force: 'false' },
    });
    expect({ code: run.code, log: run.code === 0 ? '' : run.log }).toEqual({ code: 0, log: '' });
    const { outputs } = run;
    expect(outputs['lock-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs.changed).toBe('true');
    expect(outputs['lock-path']).toBe(join(dir, 'lock', 'pylock.toml'));
    const s = run.summary;
    expect(s).toContain('| Leaf | Version | Before |');
    expect(s).toContain('cam-proxy');
    expect(s).toContain('2.2.0.dev3');
    // Same lock as the CLI gives.
    await copyFile(join(dir, 'lock', 'pylock.toml'), join(dir, 'copy.toml'));
    const digest = json<{ lockDigest: string }>(await karoo(['lock', join(dir, 'copy.toml'), '--json'])).lockDigest;
    expect(outputs['lock-digest']).toBe(digest);
  }, 60_000);
});
