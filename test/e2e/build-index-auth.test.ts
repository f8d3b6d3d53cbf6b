/**
 * The bundled build action against a private index that requires basic auth (issue 11 §6): it
 * downloads the locked files with the credentials karoo.yml names, as the CLI does. Run from
 * dist/build/index.js with real INPUT_* and GITHUB_* variables.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveIndex, type IndexServer } from '@karoo/example';
import { writePylock } from '@karoo/lock';
import { type BundleRun, runBundle } from '../support/bundle.js';
import { karoo, ROOT } from '../support/cli.js';
import { makeWheels, type Wheels } from '../support/wheels.js';

const USER = 'ci';
const PASS = 's3cret-token';
let work: string;
let wheels: Wheels;
let index: IndexServer;
let lockPath: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/build/index.js')))
    throw new Error('dist/build is missing: run npx tsc -b && node scripts/bundle.mjs build');
  work = await mkdtemp(join(tmpdir(), 'karoo-build-auth-'));
  wheels = await makeWheels(join(work, 'index', 'files'), [
    { name: 'acme-cam', version: '3.0.0', size: 40_000 },
    { name: 'katcp', version: '0.9.3', size: 60_000 },
  ]);
  index = await serveIndex(join(work, 'index'), { auth: { username: USER, password: PASS } });
  lockPath = join(work, 'pylock.toml');
  await writeFile(lockPath, writePylock(wheels.lock(index.urlFor('files/'))));
  await writeFile(
    join(work, 'karoo.yml'),
    `system: cam\nleaves: [acme-cam]\nindexes:\n  - name: private\n    url: ${index.urlFor('simple/')}\n    username-env: CAM_INDEX_USER\n    password-env: CAM_INDEX_TOKEN\n`,
  );
}, 60_000);
afterAll(async () => {
  await index?.close();
  await rm(work, { recursive: true, force: true });
});

/** The build bundle on the lock, into a store of its own; `inputs` and `env` on top of the shared ones. */
async function runAction(extra: { inputs?: Record<string, string>; env?: Record<string, string> }): Promise<BundleRun> {
  const store = await mkdtemp(join(work, 'store-'));
  return runBundle(join(ROOT, 'dist/build/index.js'), {
    cwd: work,
    under: work,
    inputs: { config: 'karoo.yml', lock: lockPath, store: `oci-layout:${store}`, cache: 'false', provenance: 'false', ...extra.inputs },
    env: { GITHUB_REPOSITORY: 'acme/cam', ...extra.env },
  });
}

describe('the bundled build action and a private index with basic auth', () => {
  test('downloads every locked file with the credentials karoo.yml names and builds the candidate', async () => {
    index.clearLog();
    const r = await runAction({ env: { CAM_INDEX_USER: USER, CAM_INDEX_TOKEN: PASS } });
    expect(r.log).not.toContain('::error::');
    expect(r.code).toBe(0);
    const digest = (await karoo(['digest', '--lock', lockPath, '--system', 'cam'])).stdout.trim();
    expect(r.outputs).toMatchObject({ candidate: digest, existed: 'false' });
    const files = index.requests.filter((q) => q.path.startsWith('/files/'));
    expect(files.map((q) => q.path).sort()).toEqual(wheels.specs.map((s) => `/files/${wheels.fileName(s)}`).sort());
    expect(files.every((q) => q.status === 200 && q.user === USER)).toBe(true);
    expect(r.log).not.toContain(PASS);
  }, 60_000);

  test('takes them from the index-username/index-password inputs (workflow secrets) as well', async () => {
    index.clearLog();
    const r = await runAction({ inputs: { 'index-username': USER, 'index-password': PASS } });
    expect(r.log).not.toContain('::error::');
    expect(r.code).toBe(0);
    const files = index.requests.filter((q) => q.path.startsWith('/files/'));
    expect(files).toHaveLength(wheels.specs.length);
    expect(files.every((q) => q.status === 200 && q.user === USER)).toBe(true);
    // The runner masks what ::add-mask:: names; nothing else in the log carries the password.
    expect(r.log.replaceAll(`::add-mask::${PASS}`, '')).not.toContain(PASS);
  }, 60_000);

  test('with wrong credentials it fails with one error naming the 401 and what to set', async () => {
    const r = await runAction({ env: { CAM_INDEX_USER: USER, CAM_INDEX_TOKEN: 'wrong' } });
    expect(r.code).not.toBe(0);
    expect(r.log).toMatch(
      /::error::.*refused access to .* \(HTTP 401\): it did not accept the login in CAM_INDEX_USER\/CAM_INDEX_TOKEN; check those credentials/,
    );
    expect(r.log).not.toContain('wrong');
    expect(r.outputs).toEqual({});
  }, 60_000);
});
