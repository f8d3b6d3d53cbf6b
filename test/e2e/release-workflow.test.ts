/**
 * The release path as a consumer repository runs it (issue 11 §7), through the workflow runner
 * (test/support/workflow-runner): the starter `karoo-release.yml` with only OWNER replaced calls
 * karoo's reusable `release.yml@v1`, whose `$/actions/promote` runs the bundled promote action
 * of that karoo commit. The consumer's store is an OCI layout holding real candidates; GitHub is
 * the stand-in. Needs `npx tsc -b && node scripts/bundle.mjs promote`.
 *
 * - The gate is read from the default branch: a dispatch from a branch whose karoo.yml drops
 *   production's `requires` is still refused, and the summary says where the gate came from.
 * - Dispatches are never dropped: three releases to one environment at once all run (no
 *   concurrency group); each promotes or fails loudly, and the history stays one chain.
 * - karoo's steps come from karoo (`$/`), never from the caller's own `actions/promote`; the
 *   Enterprise Server variant does the same with a checkout of karoo at `karoo-ref`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import type { Digest } from '@karoo/common';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { openStore, type Store } from '@karoo/oci';
import { readHistory } from '@karoo/promote';
import { ROOT } from '../support/cli.js';
import { makeWheels } from '../support/wheels.js';
import { repoFiles } from '../support/workflows.js';
import { createRepo, events, WorkflowRunner, type FixtureRepo } from '../support/workflow-runner/index.js';

const OWNER = 'karoo-dev';
const MARKER = 'THE-CALLERS-OWN-ACTIONS-PROMOTE-RAN';
const CALLERS_OWN_ACTION = `name: not karoo\ndescription: the caller's own action\ninputs:\n  candidate: {}\nruns:\n  using: composite\n  steps:\n    - run: echo ${MARKER}\n      shell: bash\n`;
let work: string;
let standin: GitHubStandin;
let runner: WorkflowRunner;
let karooRepo: FixtureRepo;
let app: FixtureRepo;
let store: Store;
let storeRef: string;
const candidates: Digest[] = [];

/** karoo.yml of the consumer: integration needs nothing, production needs integration's evidence. */
const config = (productionRequires: string) =>
  `system: cam\nleaves: [acme-cam]\nindexes: [{ url: ./index }]\nstore: ${storeRef}\nenvironments:\n  - name: integration\n    requires: []\n  - name: production\n    requires: ${productionRequires}\n`;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/promote/index.js')))
    throw new Error('dist/promote is missing: run npx tsc -b && node scripts/bundle.mjs promote');
  work = await mkdtemp(join(tmpdir(), 'karoo-release-wf-'));
  storeRef = `oci-layout:${join(work, 'store')}`;
  store = openStore(storeRef);
  for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
    const wheels = await makeWheels(join(work, `wheels-${version}`), [{ name: 'acme-cam', version, size: 1200 }]);
    candidates.push((await build({ lock: wheels.lock(), store, system: 'cam' })).candidate);
  }
  // karoo at v1: the reusable workflow, the promote action and its bundle, as a release tags them.
  const files = repoFiles(
    '.github/workflows/release.yml',
    '.github/workflows/release-ghes.yml',
    'actions/promote/action.yml',
    'dist/promote',
  );
  karooRepo = createRepo({ parent: work, files });
  karooRepo.tag('v1');
  // The consumer: the starter workflow with only OWNER replaced, and its karoo.yml on main.
  app = createRepo({
    parent: work,
    files: {
      '.github/workflows/karoo-release.yml': readFileSync(join(ROOT, 'workflows-templates/karoo-release.yml'), 'utf8').replaceAll(
        'OWNER/',
        `${OWNER}/`,
      ),
      'karoo.yml': config('[integration]'),
      // The caller happens to have an action at karoo's path: it must never run in karoo's place.
      'actions/promote/action.yml': CALLERS_OWN_ACTION,
      // The Enterprise Server way: the same starter, calling release-ghes.yml with karoo's repository and ref.
      '.github/workflows/karoo-release-ghes.yml': readFileSync(join(ROOT, 'workflows-templates/karoo-release.yml'), 'utf8')
        .replaceAll('OWNER/', `${OWNER}/`)
        .replace('/.github/workflows/release.yml@v1', '/.github/workflows/release-ghes.yml@v1')
        .replace(
          '      rollback: ${{ inputs.rollback }}\n',
          `      rollback: \${{ inputs.rollback }}\n      karoo-repository: ${OWNER}/karoo\n      karoo-ref: v1\n`,
        ),
    },
  });
  standin = await startGitHubStandin();
  standin.addRepo('acme/app', { branches: { main: app.head() } });
  runner = new WorkflowRunner({ github: standin });
}, 120_000);

afterAll(async () => {
  await runner?.close();
  await standin?.close();
  await rm(work, { recursive: true, force: true });
}, 60_000);

async function dispatch(
  candidate: string,
  environment: string,
  options: { sha?: string; ref?: string; workflow?: string; secrets?: Record<string, string> } = {},
) {
  const ref = options.ref ?? 'refs/heads/main';
  const workflow = options.workflow ?? '.github/workflows/karoo-release.yml';
  const r = await runner.run({
    repo: app.dir,
    repository: 'acme/app',
    workflow,
    event: 'workflow_dispatch',
    payload: events.workflowDispatch({
      repository: 'acme/app',
      ref,
      workflow,
      inputs: { candidate, environment, reason: 'test', rollback: false },
    }),
    ...(options.sha ? { sha: options.sha } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ref,
    environments: { integration: {}, production: {} },
    repos: { [`${OWNER}/karoo`]: karooRepo.dir },
  });
  // karoo's steps came from karoo at v1, never from the caller's checkout.
  expect(r.log).not.toContain(MARKER);
  return r;
}

it('reads the gate from the default branch: a branch that drops production’s requirement is still refused, and the summary says so', async () => {
  // A branch with a relaxed gate (production needs nothing), dispatched from that branch.
  const git = (...args: string[]) => execFileSync('git', args, { cwd: app.dir, encoding: 'utf8' });
  git('checkout', '-q', '-b', 'relax');
  app.write({ 'karoo.yml': config('[]') });
  const relaxed = app.commit('relax the production gate');
  git('checkout', '-q', 'main');
  const r = await dispatch(candidates[0]!, 'production', { sha: relaxed, ref: 'refs/heads/relax' });
  const job = Object.values(r.jobs).find((j) => j.jobId === 'promote')!;
  expect(job).toBeDefined();
  const step = job.steps.find((s) => s.id === 'promote')!;
  expect(step.outcome).toBe('failure');
  expect(step.log).toMatch(/may not enter production: no evidence from integration/);
  expect(job.summary).toMatch(
    /The gate \(`requires`, `soak`\) was read from the karoo\.yml of \*\*main@[0-9a-f]{40}\*\*, not from the dispatched ref \(`refs\/heads\/relax`\)/,
  );
  expect((await readHistory(store, 'production')).records).toEqual([]);
}, 300_000);

it('never drops a dispatch: three releases to one environment at once all run, and the history stays one chain', async () => {
  const runs = await Promise.all(candidates.map((c) => dispatch(c, 'integration')));
  expect(runs.map((r) => r.conclusion).every((c) => c === 'success' || c === 'failure')).toBe(true);
  expect(runner.concurrency.history.filter((h) => JSON.stringify(h).includes('cancel'))).toEqual([]);
  const promoted = runs.filter((r) => r.conclusion === 'success');
  expect(promoted.length).toBeGreaterThanOrEqual(1);
  for (const r of runs.filter((x) => x.conclusion === 'failure')) {
    // Loud, and about the race: never a silent drop.
    expect(r.log).toMatch(/another promotion|conflict|won|claim/i);
  }
  const { records, forks } = await readHistory(store, 'integration');
  expect(forks).toEqual([]);
  expect(records).toHaveLength(promoted.length);
  records.forEach((rec, i) => expect(rec.previousRecord).toBe(records[i + 1]?.digest));
}, 600_000);

it("runs on GitHub Enterprise Server's terms too: release-ghes.yml checks karoo out at karoo-ref and promotes with it; the SSH key goes to an agent, never to a log", async () => {
  const keyFile = join(work, 'deploy-key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'karoo-test', '-f', keyFile]);
  const key = readFileSync(keyFile, 'utf8');
  const canary = 'registry-canary-5e1d0c9b';
  // The race above leaves any of the three at integration's head: promote one that is not there,
  // so that the promotion has something to do (the same one again is 'unchanged').
  const head = (await readHistory(store, 'integration')).records[0]?.candidate;
  const next = candidates.find((c) => c !== head)!;
  const r = await dispatch(next, 'integration', {
    workflow: '.github/workflows/karoo-release-ghes.yml',
    secrets: { SSH_PRIVATE_KEY: key, REGISTRY_PASSWORD: canary },
  });
  const job = Object.values(r.jobs).find((j) => j.jobId === 'promote')!;
  expect(job.steps.find((s) => s.name === "SSH key for the environment's hosts (in an agent, never on disk)")?.outcome).toBe('success');
  expect(job.steps.find((s) => s.name === 'stop the SSH agent')?.outcome).toBe('success');
  const keyBody = key.split('\n')[1]!;
  // The log and summary are masked (as GitHub masks them): what had to be masked is the test.
  expect(r.masked.filter((s) => s === key || s === canary)).toEqual([]);
  for (const text of [r.log, job.summary, JSON.stringify(r.outputs), JSON.stringify(job.outputs)]) {
    expect(text).not.toContain(keyBody);
    expect(text).not.toContain(canary);
  }
  expect(job.steps.map((s) => s.name)).toContain("karoo's actions, at karoo-ref (GitHub Enterprise Server has no $/ references)");
  expect(r.conclusion).toBe('success');
  expect(job.steps.find((s) => s.id === 'promote')?.outputs.status).toBe('promoted');
  expect((await readHistory(store, 'integration')).records[0]?.candidate).toBe(next);
}, 300_000);
