/** The built CLI (build, digest, verify, export, import) and the bundled build action, end to end. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePylock } from '@karoo/lock';
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
  function runAction(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'dist/build/index.js')], { cwd: work, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout }));
    });
  }
  const outputs = (text: string) => Object.fromEntries([...text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((m) => [m[1], m[3]]));

  test('builds with real INPUT_*/GITHUB_* variables, writes outputs and a summary; the second run says existed', async () => {
    const out = join(work, 'gh-output');
    const summary = join(work, 'gh-summary');
    await writeFile(out, '');
    await writeFile(summary, '');
    const env = {
      INPUT_LOCK: lockPath,
      INPUT_SYSTEM: 'cam',
      INPUT_STORE: `oci-layout:${join(work, 'action-store')}`,
      INPUT_CONFIG: 'karoo.yml',
      INPUT_CACHE: 'false',
      INPUT_PROVENANCE: 'true',
      GITHUB_OUTPUT: out,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_REPOSITORY: 'acme/cam',
      GITHUB_SHA: 'f'.repeat(40),
      GITHUB_RUN_ID: '99',
      RUNNER_TEMP: work,
    };
    const first = await runAction(env);
    expect(first.stdout).not.toContain('::error::');
    expect(first.code).toBe(0);
    const o = outputs(await readFile(out, 'utf8'));
    const digest = (await karoo(['digest', '--lock', lockPath, '--system', 'cam'])).stdout.trim();
    expect(o).toEqual({ candidate: digest, 'candidate-ref': `oci-layout:${join(work, 'action-store')}@${digest}`, existed: 'false', 'pushed-bytes': expect.stringMatching(/^\d+$/) });
    const html = await readFile(summary, 'utf8');
    expect(html).toContain(digest);
    expect(html).toMatch(/blobs uploaded<\/th><td>5 /);
    await writeFile(out, '');
    const second = await runAction(env);
    expect(second.code).toBe(0);
    expect(outputs(await readFile(out, 'utf8'))).toMatchObject({ candidate: digest, existed: 'true', 'pushed-bytes': '0' });
  }, 60_000);

  test('fails with one error line for a lock that is not there', async () => {
    const r = await runAction({ INPUT_LOCK: join(work, 'nope.toml'), INPUT_SYSTEM: 'cam', INPUT_STORE: 'oci-layout:x', GITHUB_OUTPUT: join(work, 'o2') });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/::error::.*nope\.toml: no such file/);
  });
});
