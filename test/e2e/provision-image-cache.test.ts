/**
 * Issue 10 §2, scenario 6 for the machine image: a rerun restores karoo's machine image from
 * the Actions cache instead of building it. Through the workflow runner, a job of a separate
 * repository runs `karoo-dev/karoo/actions/provision@v1` — the real action and its bundles as
 * built in this work tree (only those, tagged v1 in a repository of their own): main, its post
 * step, the real @actions/cache against the cache stand-in with Azurite — and the rerun then
 * reaches every machine over SSH.
 * Both runs use one KAROO_CACHE_DIR of their own (the runner's /var/cache/karoo), empty at the
 * start of each run, as on a fresh GitHub-hosted runner.
 *
 * The first run must not build the image for real: mmdebstrap takes minutes and reaches Debian's
 * mirror, which no test may. So the test plays the other process that is building it (it holds
 * the image's build lock): the step's restore misses, provision waits for that build, the test
 * puts a copy of the image this machine already has in place and lets go; the step boots its
 * machines, and its post step, once they are destroyed, saves the image the run did not have at
 * its start, through the action's own save code. The rerun, with the cache directory emptied, must restore that entry: the
 * Actions cache is asked for the image's key and answers with it, nothing is built or waited
 * for (the rerun holds the build lock too: a missed restore waits instead of building), the
 * image's files are the saved ones, and the machines boot from them.
 *
 * Needs root, systemd-nspawn, karoo's machine image, zstd, and
 * `npx tsc -b && node scripts/bundle.mjs`. On this project's 2-core machine 33–41 s at a load
 * of 5, 90 s at a load of 8; most of it the image's 661 MB through zstd and Azurite (a 195 MB
 * entry): saving 12 s and restoring 6 s at a load of 5, 18 s and 13 s at 8.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, imageId, type KarooImage } from '@karoo/machines';
import { ROOT } from '../support/cli.js';
import { holdImageBuild } from '../support/image-lock.js';
import { OWNER, outcome } from '../support/consumer.js';
import { createRepo, events, WorkflowRunner, type FixtureRepo, type RunResult } from '../support/workflow-runner/index.js';

jest.setTimeout(600_000);

const REPO = 'acme/gull';
/** The cache key the provision action's README documents: recipe hash and architecture. */
const KEY = `karoo-machine-image-${process.arch}-${imageId()}`;

const WORKFLOW = `name: machines
on: push
permissions: {}
jobs:
  machines:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
      - id: provision
        uses: ${OWNER}/karoo/actions/provision@v1
        with:
          config: karoo.yml
          image-only: \${{ vars.IMAGE_ONLY || 'false' }}
      - name: every machine answers over SSH
        if: vars.REACH_NODES == 'true'
        shell: bash
        env:
          INVENTORY: \${{ steps.provision.outputs.inventory }}
        run: python3 reach.py "$INVENTORY"
`;

// Each node from the inventory, strictly by its recorded host key; prints what the node runs.
const REACH_PY = `import json, subprocess, sys
inv = json.load(open(sys.argv[1]))
for n in inv["nodes"]:
    s = n["ssh"]
    out = subprocess.run(["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + s["knownHostsPath"],
        "-o", "HostKeyAlias=" + s["hostKeyAlias"], "-i", s["keyPath"], "-p", str(s.get("port", 22)), s.get("user", "root") + "@" + s["host"],
        ". /etc/os-release && echo $(hostname) runs Debian $VERSION_CODENAME"], check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    print("reached " + out)
`;

let work: string;
let cacheDir: string;
let source: KarooImage;
let karooDir: string;
let app: FixtureRepo;
let runner: WorkflowRunner;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/provision/index.js')))
    throw new Error('dist/provision is missing: run npx tsc -b && node scripts/bundle.mjs');
  source = await buildImage();
  work = mkdtempSync(join(tmpdir(), 'karoo-image-cache-'));
  // In memory where there is a tmpfs: deleting the 661 MB of files a restore writes took 25 s
  // on this machine's busy disk, against well under a second there.
  cacheDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'karoo-image-cache-test-'));
  // karoo at v1, as far as this job needs it: the provision action and its bundles.
  const files: Record<string, string> = {
    'actions/provision/action.yml': readFileSync(join(ROOT, 'actions/provision/action.yml'), 'utf8'),
  };
  for (const f of readdirSync(join(ROOT, 'dist/provision'), { recursive: true, encoding: 'utf8' })) {
    const p = join(ROOT, 'dist/provision', f);
    if (statSync(p).isFile()) files[join('dist/provision', f)] = readFileSync(p, 'utf8');
  }
  const karoo = createRepo({ parent: work, files });
  karoo.tag('v1');
  karooDir = karoo.dir;
  const config = readFileSync(join(ROOT, 'examples/cam/karoo.yml'), 'utf8');
  const nodes = config.slice(config.indexOf('\nnodes:'), config.indexOf('\n# Service commands'));
  app = createRepo({
    parent: work,
    files: {
      'karoo.yml': config.replace(nodes, '\nnodes:\n  - { name: store-1, role: store, cpus: 1, memory: 256 }\n'),
      'reach.py': REACH_PY,
      '.github/workflows/machines.yml': WORKFLOW,
    },
  });
  runner = new WorkflowRunner();
}, 600_000);

afterAll(async () => {
  await runner?.close();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

const run = (reach: boolean, onLog?: (line: string) => void, o: { imageOnly?: boolean; on?: WorkflowRunner } = {}): Promise<RunResult> =>
  (o.on ?? runner).run({
    repo: app.dir,
    repository: REPO,
    workflow: '.github/workflows/machines.yml',
    event: 'push',
    payload: events.push({ repository: REPO, after: app.head() }),
    repos: { [`${OWNER}/karoo`]: karooDir },
    env: { KAROO_CACHE_DIR: cacheDir },
    vars: { REACH_NODES: String(reach), IMAGE_ONLY: String(o.imageOnly ?? false) },
    ...(onLog ? { onLog: (_job: string, line: string) => onLog(line) } : {}),
  });

/** Every entry below `dir`: path, type and mode, owner, size, device number, link target. */
function tree(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const p = join(rel, name);
    const s = lstatSync(join(dir, p));
    out.push(
      `${p} ${s.mode.toString(8)} ${s.uid}:${s.gid} ${s.isFile() ? s.size : 0} ${s.rdev}${s.isSymbolicLink() ? ` -> ${readlinkSync(join(dir, p))}` : ''}`,
    );
    if (s.isDirectory()) out.push(...tree(dir, p));
  }
  return out;
}

/** Plays another process building the image (test/support/image-lock.ts). */
const holdBuildLock = () => holdImageBuild(cacheDir, source.dir);

const step = (r: RunResult, id: string, stage: 'main' | 'post' = 'main') =>
  r.jobs.machines!.steps.find((s) => (s.id === id || s.name.includes(id)) && s.stage === stage)!;
const imageDir = () => join(cacheDir, 'images', imageId());

it('6b. a rerun restores the machine image from the Actions cache instead of building it', async () => {
  const cache = await runner.cache();

  // First run, on a runner without the image: the restore misses; another process (this test)
  // holds the build lock and delivers the image; the post step saves it once the machines are gone.
  const firstBuild = await holdBuildLock();
  const first = await run(false, firstBuild.onLog);
  firstBuild.release();
  expect(outcome(first)).toEqual({ conclusion: 'success', why: '' });
  expect(firstBuild.delivered()).toBe(true);
  const firstProvision = step(first, 'provision');
  expect(cache.requests.filter((q) => q.method === 'GetCacheEntryDownloadURL').map((q) => [q.key, q.ok])).toEqual([[KEY, false]]);
  // Saved by the post step, after the machines are gone: acceptance did not wait for it.
  expect(firstProvision.log).not.toContain('saved the machine image');
  expect(step(first, 'provision', 'post').log).toMatch(
    new RegExp(`destroyed in [0-9.]+ s[\\s\\S]*saved the machine image in the Actions cache as ${KEY}`),
  );
  const saved = cache.saved().filter((e) => e.key === KEY);
  expect(saved).toHaveLength(1);
  expect(saved[0]!.ref).toBe('refs/heads/main');
  // Its machines booted (provision's outputs come once SSH answers); the rerun's are reached below.
  expect(firstProvision.outputs['environment-id']).toMatch(/^karoo-[0-9a-f]{8}$/);

  // The rerun, on a fresh runner again: nothing in the cache directory.
  rmSync(cacheDir, { recursive: true, force: true });
  mkdirSync(cacheDir);
  const before = cache.requests.length;
  // The build lock held again: were the image not restored, the step would wait for it here
  // (and fail the assertions below) instead of building it with mmdebstrap from Debian's mirror.
  const rebuild = await holdBuildLock();
  const rerun = await run(true, rebuild.onLog);
  rebuild.release();
  expect(outcome(rerun)).toEqual({ conclusion: 'success', why: '' });
  const provision = step(rerun, 'provision');
  const asked = cache.requests.slice(before).filter((q) => q.method === 'GetCacheEntryDownloadURL');
  expect(asked.map((q) => [q.key, q.ok, q.matchedKey])).toEqual([[KEY, true, KEY]]);
  expect(provision.log).toContain(`restored the machine image from the Actions cache (${KEY})`);
  expect(provision.log).not.toMatch(/building machine image|another process is building the image/);
  expect(rebuild.delivered()).toBe(false);
  // Nothing saved again: the rerun had the image from the start.
  expect(step(rerun, 'provision', 'post').log).not.toContain('saved the machine image');
  expect(cache.requests.slice(before).filter((q) => q.method === 'CreateCacheEntry')).toEqual([]);
  // The files are the ones saved, not a new build: the same build record, the same files.
  // Every file, device node and link with its type, mode (setuid bits too), owner and size:
  // what machines boot from must survive tar, zstd and the blob store.
  expect(readFileSync(join(imageDir(), 'image.json'), 'utf8')).toBe(readFileSync(join(source.dir, 'image.json'), 'utf8'));
  const restored = tree(imageDir());
  expect(restored.length).toBeGreaterThan(1000);
  expect(restored).toEqual(tree(source.dir));
  expect(step(rerun, 'every machine answers over SSH').log).toContain('reached store-1 runs Debian bookworm');
  // The post step destroyed the machines, as always.
  expect(step(rerun, 'provision', 'post').log).toMatch(/environment karoo-[0-9a-f]{8} destroyed/);
});

describe('image-only (the default branch keeping the image for the next pull requests)', () => {
  const emptyCacheDir = () => {
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir);
  };

  it('on a fresh runner whose cache lacks the image: builds it (here: the build this test plays) and saves it, no machine', async () => {
    // A runner of its own: its cache service holds nothing yet.
    const fresh = new WorkflowRunner();
    try {
      emptyCacheDir();
      const cache = await fresh.cache();
      const build = await holdBuildLock();
      const r = await run(false, build.onLog, { imageOnly: true, on: fresh });
      build.release();
      expect(outcome(r)).toEqual({ conclusion: 'success', why: '' });
      expect(build.delivered()).toBe(true);
      const provision = step(r, 'provision');
      expect(provision.log).toContain(`saved the machine image in the Actions cache as ${KEY}`);
      expect(provision.outputs['environment-id']).toBeUndefined();
      expect(step(r, 'provision', 'post').log).toContain('no environment was created; nothing to destroy');
      expect(cache.saved().map((e) => [e.key, e.ref])).toEqual([[KEY, 'refs/heads/main']]);
    } finally {
      await fresh.close();
    }
  });

  it('when the cache holds it: a look-up, nothing downloaded, built or saved', async () => {
    const cache = await runner.cache();
    expect(cache.saved().map((e) => e.key)).toContain(KEY); // saved by 6b
    emptyCacheDir();
    const before = cache.requests.length;
    const build = await holdBuildLock();
    const r = await run(false, build.onLog, { imageOnly: true });
    build.release();
    expect(outcome(r)).toEqual({ conclusion: 'success', why: '' });
    expect(build.delivered()).toBe(false);
    expect(step(r, 'provision').log).toContain(`the machine image is in the Actions cache as ${KEY}: nothing to build or save`);
    expect(existsSync(imageDir())).toBe(false);
    expect(cache.requests.slice(before).map((q) => [q.method, q.key, q.ok])).toEqual([['GetCacheEntryDownloadURL', KEY, true]]);
  });
});
