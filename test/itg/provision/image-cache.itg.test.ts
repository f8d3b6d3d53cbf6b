/**
 * The provision action's machine image cache (actions/provision/src/image-cache.ts) against the
 * real @actions/cache and the workflow runner's cache stand-in with Azurite, with a small
 * stand-in image (a directory with its build record) under a KAROO_CACHE_DIR of its own: what
 * the step says and keeps when the cache does not do what a first save and a rerun's restore
 * do (test/e2e/provision-image-cache.test.ts runs those with the real image and machines).
 */
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageId } from '@karoo/machines';
import { imageCacheKey, restoreImage, saveImage } from '../../../actions/provision/src/image-cache.js';
import { CacheService } from '../../support/workflow-runner/index.js';

jest.setTimeout(60_000);

const VARS = [
  'KAROO_CACHE_DIR',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_SERVICE_V2',
  'GITHUB_WORKSPACE',
  'RUNNER_TEMP',
] as const;
const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
const KEY = imageCacheKey(imageId());
let work: string;
let service: CacheService;
let n = 0;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'karoo-image-cache-itg-'));
  service = await CacheService.start();
  Object.assign(process.env, {
    ACTIONS_RESULTS_URL: service.url,
    ACTIONS_CACHE_SERVICE_V2: 'True',
    GITHUB_WORKSPACE: join(work, 'workspace'),
    RUNNER_TEMP: join(work, 'temp'),
  });
  for (const d of ['workspace', 'temp']) mkdirSync(join(work, d));
});

afterAll(async () => {
  await service?.close();
  for (const k of VARS)
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * A job of `repository` on main, on a runner of its own; `enter` makes it the one running (the
 * cache service's token). Every runner has the same KAROO_CACHE_DIR (the cache entry's version
 * covers the path), so one directory stands for each runner's in turn: `enter` empties it
 * unless `keep`.
 */
function job(repository: string): { image: string; enter: (keep?: 'keep') => void } {
  const token = `token-${++n}`;
  service.authorize(token, { repository, ref: 'refs/heads/main', defaultRef: 'refs/heads/main' });
  const cache = join(work, repository.replace('/', '-'));
  const enter = (keep?: 'keep') => {
    if (!keep) rmSync(cache, { recursive: true, force: true });
    Object.assign(process.env, { ACTIONS_RUNTIME_TOKEN: token, KAROO_CACHE_DIR: cache });
  };
  return { image: join(cache, 'images', imageId()), enter };
}

/** What the step writes (core.info, core.warning), while `fn` runs. */
async function said(fn: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await fn();
  } finally {
    jest.restoreAllMocks();
  }
  return lines.join('');
}

/** A stand-in of a built image: a root file system, and its build record unless `record` is false. */
function makeImage(dir: string, label: string, record = true): void {
  mkdirSync(join(dir, 'rootfs', 'etc'), { recursive: true });
  writeFileSync(join(dir, 'rootfs', 'etc', 'hostname'), `${label}\n`);
  if (record) writeFileSync(join(dir, 'image.json'), JSON.stringify({ kind: 'karoo', id: imageId(), builtAt: label }));
}

it('two jobs that both built the image: the one whose save the cache refuses (the key exists) does not say it saved it', async () => {
  const a = job('acme/one');
  const b = job('acme/one');
  // Both start on fresh runners at once: neither finds the image in the cache.
  a.enter();
  const entryA = await restoreImage(undefined);
  b.enter();
  const entryB = await restoreImage(undefined);
  expect([entryA, entryB]).toEqual([
    { key: KEY, path: a.image, cloud: false, present: false },
    { key: KEY, path: b.image, cloud: false, present: false },
  ]);
  // Both build it; a saves first.
  a.enter();
  makeImage(a.image, 'built by a');
  expect(await said(() => saveImage(entryA))).toContain(`saved the machine image in the Actions cache as ${KEY}`);
  b.enter();
  makeImage(b.image, 'built by b');
  const out = await said(() => saveImage(entryB));
  expect(out).toContain(`the machine image was not saved in the Actions cache as ${KEY}`);
  expect(out).not.toContain('saved the machine image in the Actions cache as');
  expect(service.saved().filter((e) => e.key === KEY && e.repository === 'acme/one')).toHaveLength(1);
});

it('a cache entry without a complete image (no build record) is not taken for the image: the step says so (provision then builds it)', async () => {
  // A job saves nothing when its image never got complete (an interrupted build) …
  const a = job('acme/two');
  a.enter();
  const entryA = await restoreImage(undefined);
  makeImage(a.image, 'cut short', false);
  expect(await said(() => saveImage(entryA))).not.toContain('saved the machine image');
  expect(service.saved().filter((e) => e.key === KEY && e.repository === 'acme/two')).toEqual([]);
  // … but another writer of the key (an older karoo, say) did save such a directory.
  const cache = await import('@actions/cache');
  await said(() => cache.saveCache([a.image], KEY));
  expect(service.saved().filter((e) => e.key === KEY && e.repository === 'acme/two')).toHaveLength(1);
  // The next run restores that entry: it must not count as the image.
  const b = job('acme/two');
  b.enter();
  let entryB: Awaited<ReturnType<typeof restoreImage>> | undefined;
  const out = await said(async () => (entryB = await restoreImage(undefined)));
  expect(readFileSync(join(b.image, 'rootfs', 'etc', 'hostname'), 'utf8')).toBe('cut short\n');
  expect(out).toContain(`the Actions cache entry ${KEY} did not hold a complete machine image; building or downloading it instead`);
  expect(out).not.toContain('restored the machine image');
  expect(entryB).toEqual({ key: KEY, path: b.image, cloud: false, present: false });
});
