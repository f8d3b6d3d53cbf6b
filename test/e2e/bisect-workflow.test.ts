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
 * provision action does, by its code); the starter has no install step.
 * Needs root, systemd-nspawn, karoo's machine image and
 * `npx tsc -b && node scripts/bundle.mjs bisect`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@karoo/config';
import { scanEvidence } from '@karoo/evidence';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { openStore } from '@karoo/oci';
import { copyExample, GOOD_VERSIONS, MOVED, publishNewLeaves } from '../support/bisect.js';
import { json, karoo, ROOT } from '../support/cli.js';
import { addEvidence } from '../support/evidence.js';
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
  await addEvidence(await openStore(storeRef), candidates.good as `sha256:${string}`, {
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
}, 300_000);

afterAll(async () => {
  await runner?.close();
  await standin?.close();
  await rm(work, { recursive: true, force: true });
}, 60_000);

function dispatch(inputs: Record<string, string | boolean>): Promise<RunResult> {
  return runner.run({
    repo: app.dir,
    repository: REPO,
    workflow: WORKFLOW,
    event: 'workflow_dispatch',
    payload: events.workflowDispatch({ repository: REPO, workflow: WORKFLOW, inputs }),
    repos: { [`${OWNER}/karoo`]: karooRepo.dir },
  });
}

const inputs = () => ({ good: candidates.good, bad: candidates.bad, environment: 'integration', 'pull-request': String(PR), issue: true });

it('names cam-store: the good end reused, the bad end accepted on fresh machines; the answer in the summary, one comment and one issue', async () => {
  const r = await dispatch(inputs());
  const job = r.jobs.bisect!;
  if (r.conclusion !== 'success') process.stderr.write(`${r.log.slice(-8000)}\n`);
  expect(r.conclusion).toBe('success');
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

it('dispatched again: every verdict reused, no machine, the comment and the issue updated in place', async () => {
  const r = await dispatch(inputs());
  expect(r.conclusion).toBe('success');
  const step = r.jobs.bisect!.steps.find((s) => s.id === 'bisect')!;
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
