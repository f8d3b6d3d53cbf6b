import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundle } from '../support/bundle.js';
import { json, karoo, ROOT } from '../support/cli.js';

// The built CLI on a copy of the example (file:// indexes: JSON pages with PEP 700 upload times).
let work: string;
let config: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-e2e-as-of-'));
  await cp(join(ROOT, 'examples/cam/index'), join(work, 'index'), { recursive: true });
  config = join(work, 'karoo.yml');
  await writeFile(config, await readFile(join(ROOT, 'examples/cam/karoo.yml'), 'utf8'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface ResolveJson {
  lockDigest: string;
  resolved: boolean;
  asOf: { policy: string; time?: string; notApplied: string[] } | null;
}

describe('karoo resolve --as-of', () => {
  it('records the cutoff and the upload times in the lock, and reports it in --json', async () => {
    const out = join(work, 'lock');
    const r = await karoo(['resolve', '--config', config, '--out', out, '--as-of', 'leaves', '--json']);
    expect(r.code).toBe(0);
    const o = json<ResolveJson>(r);
    // The example's newest allowed leaf build is cam-proxy 2.2.0.dev3, its 4th build: 2025-06-01 + 3 days.
    expect(o.asOf).toEqual({ policy: 'leaves', time: '2025-06-04T00:00:00.000Z', notApplied: [] });
    const pylock = await readFile(join(out, 'pylock.toml'), 'utf8');
    expect(pylock).toContain('[tool.karoo.as-of]\npolicy = "leaves"\ntime = "2025-06-04T00:00:00.000Z"\nnot-applied = []');
    expect(pylock.match(/^upload-time = \d{4}-\d\d-\d\dT[0-9:.]+Z$/gm)).toHaveLength(13);
    // The lock digest is the one without a cutoff: nothing in the example is newer than its leaves.
    const plain = json<ResolveJson>(await karoo(['resolve', '--config', config, '--out', join(work, 'plain'), '--json']));
    expect(plain.lockDigest).toBe(o.lockDigest);
    expect(plain.asOf).toBeNull();
    expect(await readFile(join(work, 'plain', 'pylock.toml'), 'utf8')).not.toContain('[tool.karoo.as-of]');
  }, 180_000);

  it('the resolve action bundle takes as-of and reports the cutoff in its output and job summary', async () => {
    const dir = await mkdtemp(join(work, 'action-'));
    const run = await runBundle(join(ROOT, 'dist/resolve/index.js'), {
      cwd: dir,
      under: dir,
      inputs: { config, out: join(dir, 'lock'), 'as-of': 'leaves' },
    });
    expect({ code: run.code, log: run.code === 0 ? '' : run.log }).toEqual({ code: 0, log: '' });
    expect(JSON.parse(run.outputs['as-of']!)).toEqual({ policy: 'leaves', time: '2025-06-04T00:00:00.000Z', notApplied: [] });
    expect(run.summary).toContain('**Upload-time cutoff** (leaves): files uploaded at or before `2025-06-04T00:00:00.000Z`');
  }, 180_000);

  it('an index without upload times: a warning and --json name the projects the cutoff could not apply to', async () => {
    // The public index as a PEP 503 HTML-only tree.
    for (const project of await readdir(join(work, 'index/public/simple'), { withFileTypes: true })) {
      if (project.isDirectory()) await unlink(join(work, 'index/public/simple', project.name, 'index.json'));
    }
    const r = await karoo(['resolve', '--config', config, '--out', join(work, 'html'), '--as-of', '2025-06-04T00:00:00Z', '--json']);
    expect(r.code).toBe(0);
    const o = json<ResolveJson>(r);
    expect(o.asOf).toEqual({
      policy: 'time',
      time: '2025-06-04T00:00:00.000Z',
      notApplied: ['pip', 'procstat', 'setuptools', 'tinyproto', 'wheel'],
    });
    expect(r.stderr).toContain(
      'warning: the upload-time cutoff 2025-06-04T00:00:00.000Z could not apply to pip, procstat, setuptools, tinyproto, wheel',
    );
  }, 180_000);

  it('a malformed cutoff is one line and exit 2, nothing written', async () => {
    const out = join(work, 'never');
    const r = await karoo(['resolve', '--config', config, '--out', out, '--as-of', '2025-06-04']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toBe(
      'karoo: error: as-of "2025-06-04" is not an RFC 3339 date-time with an offset (e.g. 2026-01-31T12:00:00Z), "leaves" or "none"',
    );
    await expect(readdir(out)).rejects.toThrow();
  }, 60_000);
});
