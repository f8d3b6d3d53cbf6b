/** The built CLI (build, digest, verify, export, import) and the bundled build action, end to end. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePylock } from '@karoo/lock';
import { runBundle } from '../support/bundle.js';
import { json, karoo, ROOT } from '../support/cli.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { makeWheels, serveFiles, type FileServer, type Wheels } from '../support/wheels.js';

let work: string;
let wheels: Wheels;
let files: FileServer;
let registry: RunningRegistry;
let lockPath: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-build-e2e-'));
  wheels = await makeWheels(join(work, 'files'), [
    { name: 'acme-cam', version: '3.0.0', size: 50_000 },
    { name: 'katcp', version: '0.9.3', size: 80_000 },
  ]);
  files = await serveFiles(wheels.dir);
  lockPath = join(work, 'pylock.toml');
  await writeFile(lockPath, writePylock(wheels.lock(files.url)));
  registry = await startRegistry();
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await files?.stop();
  await rm(work, { recursive: true, force: true });
});

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('karoo CLI', () => {
  test('digest, build (twice), verify, export, import against a registry and a layout', async () => {
    const digest = (await karoo(['digest', '--lock', lockPath, '--system', 'cam'])).stdout.trim();
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const store = `${registry.host}/acme/cam`;
    const first = json(await karoo(['build', '--lock', lockPath, '--system', 'cam', '--store', store, '--json']));
    expect(first).toMatchObject({ candidate: digest, existed: false, candidateRef: `${store}@${digest}` });
    expect(first.pushedBytes).toBeGreaterThan(130_000);
    const second = json(await karoo(['build', '--lock', lockPath, '--system', 'cam', '--store', store, '--json']));
    expect(second).toMatchObject({ candidate: digest, existed: true, pushedBytes: 0 });

    expect(json(await karoo(['verify', '--store', store, digest, '--json']))).toMatchObject({ ok: true, blobs: 5 });
    const tar = join(work, 'cam.tar');
    expect((await karoo(['export', '--store', store, digest, '--out', tar])).code).toBe(0);
    const imported = await karoo(['import', tar, '--store', `oci-layout:${join(work, 'airgap')}`, '--json']);
    expect(json(imported)).toMatchObject({ roots: [digest], verified: true });
    const tar2 = join(work, 'cam2.tar');
    await karoo(['export', '--store', `oci-layout:${join(work, 'airgap')}`, digest, '--out', tar2]);
    expect(sha(tar2)).toBe(sha(tar));
  });

  test('the default store is oci-layout:.karoo/store in the working directory', async () => {
    const r = json(await karoo(['build', '--lock', lockPath, '--system', 'cam', '--json'], { cwd: work }));
    expect(r.candidateRef).toBe(`oci-layout:${join(work, '.karoo/store')}@${r.candidate}`);
  });

  test('bad input: one line naming the problem and what to do, non-zero exit', async () => {
    const reqs = join(work, 'requirements.txt');
    await writeFile(reqs, `acme-cam==3.0.0 --hash=sha256:${'a'.repeat(64)}\nkatcp==0.9.3 --hash=sha256:${'b'.repeat(64)}\n`);
    const noSizes = await karoo(['digest', '--lock', reqs, '--system', 'cam']);
    expect(noSizes.code).toBe(2);
    expect(noSizes.stderr.trim().split('\n')).toHaveLength(1);
    expect(noSizes.stderr).toMatch(/2 entries lack a hash or size: acme-cam 3.0.0 .*katcp 0.9.3 .*karoo resolve/);

    const badStore = await karoo(['build', '--lock', lockPath, '--system', 'cam', '--store', 'https://example.test/x']);
    expect(badStore.code).toBe(2);
    expect(badStore.stderr).toMatch(/must not carry a URL scheme; use oci-layout:PATH or REGISTRY\/REPOSITORY/);

    const notThere = await karoo(['verify', '--store', `oci-layout:${join(work, 'empty')}`, `sha256:${'c'.repeat(64)}`]);
    expect(notThere.code).toBe(2);
    expect(notThere.stderr).toMatch(/manifest sha256:c+ is not in oci-layout:/);

    const noSystem = await karoo(['digest', '--lock', lockPath], { cwd: work });
    expect(noSystem.stderr).toMatch(/no system name; pass --system NAME or --config karoo.yml/);
  });
});

describe('the bundled build action', () => {
  const runAction = (inputs: Record<string, string>) =>
    runBundle(join(ROOT, 'dist/build/index.js'), {
      cwd: work,
      under: work,
      inputs,
      env: { GITHUB_REPOSITORY: 'acme/cam', GITHUB_SHA: 'f'.repeat(40), GITHUB_RUN_ID: '99' },
    });

  test('builds with real INPUT_*/GITHUB_* variables, writes outputs and a summary; the second run says existed', async () => {
    const inputs = {
      lock: lockPath,
      system: 'cam',
      store: `oci-layout:${join(work, 'action-store')}`,
      config: 'karoo.yml',
      cache: 'false',
      provenance: 'true',
    };
    const first = await runAction(inputs);
    expect(first.log).not.toContain('::error::');
    expect(first.code).toBe(0);
    const digest = (await karoo(['digest', '--lock', lockPath, '--system', 'cam'])).stdout.trim();
    expect(first.outputs).toEqual({
      candidate: digest,
      'candidate-ref': `oci-layout:${join(work, 'action-store')}@${digest}`,
      existed: 'false',
      'pushed-bytes': expect.stringMatching(/^\d+$/),
    });
    expect(first.summary).toContain(digest);
    expect(first.summary).toMatch(/blobs uploaded<\/th><td>5 /);
    const second = await runAction(inputs);
    expect(second.code).toBe(0);
    expect(second.outputs).toMatchObject({ candidate: digest, existed: 'true', 'pushed-bytes': '0' });
  }, 60_000);

  test('fails with one error line for a lock that is not there', async () => {
    const r = await runAction({ lock: join(work, 'nope.toml'), system: 'cam', store: 'oci-layout:x' });
    expect(r.code).not.toBe(0);
    expect(r.log).toMatch(/::error::.*nope\.toml: no such file/);
  });
});
