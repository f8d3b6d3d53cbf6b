/**
 * A private index's credentials as the reusable workflow passes them (secrets INDEX_USERNAME /
 * INDEX_PASSWORD → the resolve step's `index-username` / `index-password` inputs, mapped onto the
 * variables karoo.yml's `username-env` / `password-env` name): the bundled resolve action
 * resolves against an index that requires basic auth, and the password — a canary — appears
 * nowhere but in the runner's mask command: not in outputs, job summary, or the lock files.
 * Needs `npx tsc -b && node scripts/bundle.mjs resolve`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWheel, serveIndex, wheelFile, writeIndex, type IndexServer } from '@karoo/example';
import { ROOT } from '../support/cli.js';

const USER = 'ci-bot';
const CANARY = 'canary-7f3a91c2e5d8b4a6';
let work: string;
let index: IndexServer;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/resolve/index.js'))) throw new Error('dist/resolve is missing: run npx tsc -b && node scripts/bundle.mjs resolve');
  work = await mkdtemp(join(tmpdir(), 'karoo-index-secrets-'));
  const wheel = (name: string, version: string, requires: string[] = []) =>
    wheelFile(buildWheel({ name, version, requires, files: { [`${name.replace(/-/g, '_')}/__init__.py`]: '' }, requiresPython: '>=3.8' }));
  await writeIndex(join(work, 'index'), [
    { name: 'acme-cam', files: [wheel('acme-cam', '1.0.0', ['acme-lib>=1'])] },
    { name: 'acme-lib', files: [wheel('acme-lib', '1.2.0')] },
  ]);
  index = await serveIndex(join(work, 'index'), { auth: { username: USER, password: CANARY } });
  await writeFile(
    join(work, 'karoo.yml'),
    `system: cam\nleaves: [acme-cam]\nindexes:\n  - name: private\n    url: ${index.urlFor('simple/')}\n    username-env: CAM_INDEX_USER\n    password-env: CAM_INDEX_TOKEN\nlock: lock\n`,
  );
}, 60_000);
afterAll(async () => {
  await index?.close();
  await rm(work, { recursive: true, force: true });
});

it('resolves with the credentials from the inputs, and the canary reaches no output, summary or lock file', async () => {
  const dir = await mkdtemp(join(work, 'run-'));
  const files = { output: join(dir, 'output'), summary: join(dir, 'summary') };
  await writeFile(files.output, '');
  await writeFile(files.summary, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir, // pip's HTTP cache under this run's own home
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_REPOSITORY: 'acme/cam',
    RUNNER_TEMP: dir,
    INPUT_CONFIG: 'karoo.yml',
    INPUT_CACHE: 'true', // no cache service here: an info line, never a failure
    'INPUT_INDEX-USERNAME': USER,
    'INPUT_INDEX-PASSWORD': CANARY,
  };
  const { code, log } = await new Promise<{ code: number; log: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/resolve/index.js')], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c ?? -1, log: text }));
  });
  expect({ code, errors: log.split('\n').filter((l) => l.startsWith('::error::')) }).toEqual({ code: 0, errors: [] });
  // The index saw the credentials: they reached pip and the index client.
  expect(index.requests.some((q) => q.user === USER && q.status === 200)).toBe(true);
  expect(index.requests.filter((q) => q.status === 401)).toEqual([]);
  // The runner masks what ::add-mask:: names; the canary is nowhere else.
  expect(log).toContain(`::add-mask::${CANARY}`);
  expect(log.replaceAll(`::add-mask::${CANARY}`, '')).not.toContain(CANARY);
  expect(await readFile(files.output, 'utf8')).not.toContain(CANARY);
  expect(await readFile(files.output, 'utf8')).toMatch(/lock-digest<<ghadelimiter_[\w-]+\nsha256:[0-9a-f]{64}\n/);
  expect(await readFile(files.summary, 'utf8')).not.toContain(CANARY);
  const lockFiles = await readdir(join(work, 'lock'));
  expect(lockFiles.sort()).toEqual(['pylock.toml', 'requirements.txt']);
  for (const f of lockFiles) expect(await readFile(join(work, 'lock', f), 'utf8')).not.toContain(CANARY);
  expect(log).toMatch(/pip's HTTP cache: the Actions cache service is not available here/);
}, 120_000);
