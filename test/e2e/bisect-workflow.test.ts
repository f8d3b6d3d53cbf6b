/**
 * The starter `karoo-bisect.yml` (only OWNER replaced) run by the workflow runner for a consumer
 * (a copy of the CAM example): dispatched with the candidate that passed and the one that
 * failed, karoo's bisect action at v1 runs the bisection on this runner. The good candidate has
 * passing evidence already (as the candidate workflow would have left it), so it is reused; the
 * bad one, where only cam-store moved (2.0.0 → 2.1.0 moves the store's write route), is accepted
 * on fresh nspawn machines and fails. The answer goes to the job summary, one pull request
 * comment and one issue; dispatched again, every verdict is reused (no machine), and the comment
 * and the issue are updated in place. The same candidate twice is one line and a failed step.
 * The step prepares the runner itself (`prepare-runner: auto` on a GitHub-hosted runner, as the
 * provision action does, by its code); the starter has no install step. Each dispatch starts
 * with an empty KAROO_CACHE_DIR (a fresh runner) and the image's build lock held by the test: the
 * first dispatch's restore misses, its machines wait for the test to deliver this machine's
 * image (nothing is built, Debian's mirror is never reached), and the step saves it in the
 * Actions cache (the stand-in with Azurite, through provision's own code); the second restores it.
 * That costs about 30 s of the file's time (a 661 MB image through zstd and Azurite).
 * Needs root, systemd-nspawn, karoo's machine image and
 * `npx tsc -b && node scripts/bundle.mjs bisect`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '@karoo/common';
import { loadConfig } from '@karoo/config';
import { buildImage, imageId, type KarooImage } from '@karoo/machines';
import { scanEvidence } from '@karoo/evidence';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { openStore } from '@karoo/oci';
import { copyExample, GOOD_VERSIONS, MOVED, publishNewLeaves } from '../support/bisect.js';
import { json, karoo, ROOT } from '../support/cli.js';
import { addEvidence } from '../support/evidence.js';
import { holdImageBuild, type HeldImageBuild } from '../support/image-lock.js';
import { createRepo, events, WorkflowRunner, type RunResult } from '../support/workflow-runner/index.js';
import { repoFiles } from '../support/workflows.js';

const OWNER = 'karoo-dev';
const REPO = 'acme/cam';
const WORKFLOW = '.github/workflows/karoo-bisect.yml';
const PR = 5;
let work: string;
let storeRef: string;
let standin: GitHubStandin;
let runner: WorkflowRunner;
let app: ReturnType<typeof createRepo>;
let karooRepo: ReturnType<typeof createRepo>;
const candidates: Record<'good' | 'bad', string> = { good: '', bad: '' };
/** The runner's KAROO_CACHE_DIR, emptied before a dispatch as on a fresh GitHub-hosted runner. */
let cacheDir: string;
/** This machine's image, which the test delivers as another process building it would. */
let source: KarooImage;
/** The Actions cache key provision's README documents: recipe hash and architecture. */
const KEY = `karoo-machine-image-${process.arch}-${imageId()}`;
const CULPRIT = MOVED[0]!;
const HEADLINE = (runs: number, reused: number) =>
  `acceptance fails since cam-store ${GOOD_VERSIONS['cam-store']} → ${CULPRIT.version} (${runs} acceptance runs, ${reused} reused)`;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/bisect/index.js')))
    throw new Error('dist/bisect is missing: run npx tsc -b && node scripts/bundle.mjs bisect');
  work = await mkdtemp(join(tmpdir(), 'karoo-bisect-wf-'));
  const cam = join(work, 'cam');
  const config = await copyExample(cam);
  storeRef = `oci-layout:${join(work, 'store')}`;
  await appendFile(config, `\nstore: ${storeRef}\n`);
  // The good end, then only cam-store's new build published, then the bad end; both built into the store.
  for (const end of ['good', 'bad'] as const) {
    if (end === 'bad') await publishNewLeaves(cam, [CULPRIT]);
    expect((await karoo(['resolve', '--config', config, '--out', join(work, end), '--json'])).code).toBe(0);
    const b = await karoo(['build', '--config', config, '--lock', join(work, end, 'pylock.toml'), '--json']);
    expect(b.code).toBe(0);
    candidates[end] = json<{ candidate: string }>(b).candidate;
  }
  // The good candidate passed acceptance earlier (the candidate workflow's evidence, same system).
  await addEvidence(await openStore(storeRef), candidates.good as Digest, {
    environment: 'integration',
    config: await loadConfig(config),
    result: 'passed',
  });

  karooRepo = createRepo({ parent: work, files: repoFiles('actions/bisect/action.yml', 'dist/bisect') });
  karooRepo.tag('v1');
  app = createRepo({
    parent: work,
    from: cam,
    files: { [WORKFLOW]: readFileSync(join(ROOT, 'workflows-templates/karoo-bisect.yml'), 'utf8').replaceAll('OWNER/', `${OWNER}/`) },
  });
  standin = await startGitHubStandin();
  standin.addRepo(REPO, { branches: { main: app.head() } });
  standin.addPullRequest(REPO, { number: PR });
  runner = new WorkflowRunner({ github: standin });
  source = await buildImage(); // there already (karoo's own cache directory): nothing is built
  // In memory where there is a tmpfs: the image is 661 MB of files.
  cacheDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'karoo-bisect-cache-'));
}, 300_000);

afterAll(async () => {
  await runner?.close();
  await standin?.close();
  await rm(work, { recursive: true, force: true });
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
}, 60_000);

function dispatch(inputs: Record<string, string | boolean>, onLog?: (line: string) => void): Promise<RunResult> {
  return runner.run({
    repo: app.dir,
    repository: REPO,
    workflow: WORKFLOW,
    event: 'workflow_dispatch',
    payload: events.workflowDispatch({ repository: REPO, workflow: WORKFLOW, inputs }),
    repos: { [`${OWNER}/karoo`]: karooRepo.dir },
    env: { KAROO_CACHE_DIR: cacheDir },
    ...(onLog ? { onLog: (_job: string, line: string) => onLog(line) } : {}),
  });
}

const imageDir = () => join(cacheDir, 'images', imageId());

/** The runner's cache directory emptied (a fresh runner), with the image's build lock held as another process building it would. */
async function freshRunnerBuildingImage(): Promise<HeldImageBuild> {
  rmSync(cacheDir, { recursive: true, force: true });
  return holdImageBuild(cacheDir, source.dir);
}

/** The Actions cache's answers to the restores since request number `since`: key and hit. */
async function restores(since: number): Promise<Array<[string, boolean]>> {
  const cache = await runner.cache();
  return cache.requests
    .slice(since)
    .filter((q) => q.method === 'GetCacheEntryDownloadURL')
    .map((q): [string, boolean] => [q.key, q.ok]);
}

const inputs = () => ({ good: candidates.good, bad: candidates.bad, environment: 'integration', 'pull-request': String(PR), issue: true });

it('names cam-store: the good end reused, the bad end accepted on fresh machines; the answer in the summary, one comment and one issue', async () => {
  // A runner without the machine image: the restore misses, the bad end's machines wait for
  // another process's build (this test's), and the step saves the image it did not have.
  const since = (await runner.cache()).requests.length;
  const building = await freshRunnerBuildingImage();
  const r = await dispatch(inputs(), building.onLog);
  building.release();
  const job = r.jobs.bisect!;
  if (r.conclusion !== 'success') process.stderr.write(`${r.log.slice(-8000)}\n`);
  expect(r.conclusion).toBe('success');
  expect(building.delivered()).toBe(true);
  expect(await restores(since)).toEqual([[KEY, false]]);
  expect(job.steps.find((s) => s.id === 'bisect')!.log).toContain(`saved the machine image in the Actions cache as ${KEY}`);
  const step = job.steps.find((s) => s.id === 'bisect')!;
  expect(step.outputs.culprits).toBe('cam-store');
  expect(step.outputs.headline).toBe(HEADLINE(2, 1));
  // The step prepared this (GitHub-hosted) runner itself, with the provision action's code: the
  // starter has no install step of its own.
  expect(step.log).toMatch(/karoo: (the runner has every tool the machines need|installing Debian packages for nspawn machines)/);
  expect(job.steps.filter((s) => s.id !== 'bisect' && /apt-get/.test(s.log))).toEqual([]);
  // The bad end really ran on machines of this runner, and its failing evidence is stored as usual.
  expect(step.log).toMatch(/bisect: the bad end: acceptance of candidate/);
  const evidence = (await scanEvidence(await openStore(storeRef), candidates.bad as `sha256:${string}`)).records;
  expect(evidence.map((e) => e.evidence.result)).toEqual(['failed']);
  const report = JSON.parse(readFileSync(step.outputs['report-path']!, 'utf8')) as {
    steps: Array<{ candidate: string; result: string; reused: boolean }>;
  };
  expect(report.steps.map((s) => [s.candidate, s.result, s.reused])).toEqual([
    [candidates.good, 'passed', true],
    [candidates.bad, 'failed', false],
  ]);
  expect(job.summary).toContain(
    `**acceptance fails since \`cam-store\` ${GOOD_VERSIONS['cam-store']} → ${CULPRIT.version} (2 acceptance runs, 1 reused)**`,
  );
  const comments = standin.comments(REPO, PR);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body.startsWith('<!-- karoo:bisect -->\n')).toBe(true);
  expect(comments[0]!.body).toContain('(2 acceptance runs, 1 reused)');
  expect(step.outputs['comment-url']).toMatch(new RegExp(`/${REPO}/(pull|issues)/${PR}#issuecomment-${comments[0]!.id}$`));
  const issues = standin.issues(REPO);
  expect(issues).toEqual([expect.objectContaining({ state: 'open', labels: ['karoo-bisect'], title: `karoo: ${HEADLINE(2, 1)}` })]);
  expect(step.outputs['issue-url']).toBe(`https://github.com/${REPO}/issues/${issues[0]!.number}`);
}, 900_000);

it('dispatched again: every verdict reused, no machine, the comment and the issue updated in place; the image restored from the Actions cache', async () => {
  // A fresh runner again, the build lock held: the image must come from the Actions cache.
  const since = (await runner.cache()).requests.length;
  const building = await freshRunnerBuildingImage();
  const r = await dispatch(inputs(), building.onLog);
  building.release();
  expect(r.conclusion).toBe('success');
  const step = r.jobs.bisect!.steps.find((s) => s.id === 'bisect')!;
  expect(await restores(since)).toEqual([[KEY, true]]);
  expect(step.log).toContain(`restored the machine image from the Actions cache (${KEY})`);
  expect(step.log).not.toContain('saved the machine image');
  expect(building.delivered()).toBe(false);
  expect(readFileSync(join(imageDir(), 'image.json'), 'utf8')).toBe(readFileSync(join(source.dir, 'image.json'), 'utf8'));
  expect(step.outputs.headline).toBe(HEADLINE(2, 2));
  expect(step.log).not.toMatch(/acceptance of candidate/);
  const comments = standin.comments(REPO, PR);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body).toContain('(2 acceptance runs, 2 reused)');
  expect(standin.issues(REPO)).toEqual([expect.objectContaining({ state: 'open', title: `karoo: ${HEADLINE(2, 2)}` })]);
}, 300_000);

it('the same candidate as good and bad: the step fails with one line, and nothing is posted', async () => {
  const before = standin.comments(REPO, PR)[0]!.body;
  const r = await dispatch({ ...inputs(), bad: candidates.good });
  expect(r.conclusion).toBe('failure');
  const step = r.jobs.bisect!.steps.find((s) => s.id === 'bisect')!;
  expect(step.outcome).toBe('failure');
  expect(step.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
    `inputs "good" and "bad" are the same candidate (${candidates.good}); pass the candidate that passed and the one that failed`,
  ]);
  expect(standin.comments(REPO, PR).map((c) => c.body)).toEqual([before]);
}, 120_000);
