/**
 * A private index's credentials as the reusable workflow passes them (secrets INDEX_USERNAME /
 * INDEX_PASSWORD → the resolve step's `index-username` / `index-password` inputs, mapped onto the
 * variables karoo.yml's `username-env` / `password-env` name): the bundled resolve action
 * resolves against an index that requires basic auth, and the password — a canary — appears
 * nowhere but in the runner's mask command: not in outputs, job summary, or the lock files.
 * Needs `npx tsc -b && node scripts/bundle.mjs resolve`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWheel, serveIndex, wheelFile, writeIndex, type IndexServer } from '@karoo/example';
import { runBundle } from '../support/bundle.js';
import { ROOT } from '../support/cli.js';

const USER = 'ci-bot';
const CANARY = 'canary-7f3a91c2e5d8b4a6';
let work: string;
let index: IndexServer;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/resolve/index.js')))
    throw new Error('dist/resolve is missing: run npx tsc -b && node scripts/bundle.mjs resolve');
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
  const home = await mkdtemp(join(work, 'home-')); // pip's HTTP cache under this run's own home
  const { code, log, outputs, summary } = await runBundle(join(ROOT, 'dist/resolve/index.js'), {
    cwd: work,
    under: work,
    inputs: {
      config: 'karoo.yml',
      cache: 'true', // no cache service here: an info line, never a failure
      'index-username': USER,
      'index-password': CANARY,
    },
    env: { HOME: home, GITHUB_REPOSITORY: 'acme/cam' },
  });
  expect({ code, errors: log.split('\n').filter((l) => l.startsWith('::error::')) }).toEqual({ code: 0, errors: [] });
  // The index saw the credentials: they reached pip and the index client.
  expect(index.requests.some((q) => q.user === USER && q.status === 200)).toBe(true);
  expect(index.requests.filter((q) => q.status === 401)).toEqual([]);
  // The runner masks what ::add-mask:: names; the canary is nowhere else.
  expect(log).toContain(`::add-mask::${CANARY}`);
  expect(log.replaceAll(`::add-mask::${CANARY}`, '')).not.toContain(CANARY);
  expect(JSON.stringify(outputs)).not.toContain(CANARY);
  expect(outputs['lock-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(summary).not.toContain(CANARY);
  const lockFiles = await readdir(join(work, 'lock'));
  expect(lockFiles.sort()).toEqual(['pylock.toml', 'requirements.txt']);
  for (const f of lockFiles) expect(await readFile(join(work, 'lock', f), 'utf8')).not.toContain(CANARY);
  // No lock yet: the last lock is looked for, then pip's HTTP cache before pip runs.
  expect(log).toMatch(/the last lock: the Actions cache service is not available here/);
  expect(log).toMatch(/pip's HTTP cache: the Actions cache service is not available here/);
}, 120_000);
