/**
 * The workflow runner (test/support/workflow-runner) running fixture workflows that exercise
 * every construct it models, against the GitHub stand-in and the Actions cache stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { ROOT } from '../support/cli.js';
import { WorkflowRunner, createRepo, events, type FixtureRepo, type RunOptions, type RunResult } from '../support/workflow-runner/index.js';

const FIXTURES = join(ROOT, 'test/fixtures/workflow-runner');
const CANARY = 'canary-7f3a9c2e51';

let standin: GitHubStandin;
let runner: WorkflowRunner;
let app: FixtureRepo;
let tools: FixtureRepo;

beforeAll(async () => {
  standin = await startGitHubStandin();
  standin.addRepo('acme/app');
  standin.addPullRequest('acme/app', { number: 7, headSha: 'f'.repeat(40) });
  runner = new WorkflowRunner({ github: standin });
  tools = createRepo({ from: join(FIXTURES, 'tools') });
  tools.tag('v1');
  app = createRepo({ from: join(FIXTURES, 'app') });
  app.commit('a second commit: a checkout of one commit is shallow'); // (empty)
});

afterAll(async () => {
  await runner?.close();
  await standin?.close();
  for (const r of [app, tools]) if (r) rmSync(r.dir, { recursive: true, force: true });
});

function base() {
  return { repo: app.dir, repository: 'acme/app', repos: { 'acme/tools': tools.dir }, secrets: { CANARY }, vars: { COLOUR: 'blue' } };
}

/** A push run of `workflow` at `sha` in a fixture repository of its own, named `repository`. */
const pushRun = (repo: FixtureRepo, repository: string, workflow: string, sha: string, more: Partial<RunOptions> = {}) =>
  runner.run({ repo: repo.dir, repository, workflow, event: 'push', payload: events.push({ repository, after: sha }), ...more });

function push(): RunResult extends never ? never : Parameters<WorkflowRunner['run']>[0] {
  return { ...base(), workflow: '', event: 'push', payload: events.push({ repository: 'acme/app', after: app.head() }) };
}

describe('run: steps', () => {
  let r: RunResult;
  beforeAll(async () => {
    r = await runner.run({ ...push(), workflow: '.github/workflows/steps.yml' });
  }, 60_000);

  const step = (id: string) => {
    const s = r.jobs.steps!.steps.find((x) => x.id === id);
    if (!s) throw new Error(`no step ${id}: ${r.log}`);
    return s;
  };

  it('uses bash -e {0} without shell:, and bash with pipefail for shell: bash (the runner, not the docs table)', () => {
    expect(step('shell').outputs).toMatchObject({ pipefail: 'pipefail off', pipe: 'ok' });
    expect(step('shell').outputs['shell-options']).toContain('e');
    expect(step('bash').outputs).toMatchObject({ pipefail: 'pipefail on', pipe: 'failed' });
    expect(step('python').outputs).toEqual({ lang: 'python' });
    expect(r.jobs.steps!.log).toContain('shell: /usr/bin/bash -e {0}');
    expect(r.jobs.steps!.log).toContain('--noprofile --norc -e -o pipefail {0}');
  });

  it('applies defaults.run.working-directory, and a step working-directory over it', () => {
    expect(step('shell').outputs.pwd).toMatch(/\/work\/app\/app\/sub$/);
  });

  it('reads GITHUB_OUTPUT (heredoc too), GITHUB_ENV, GITHUB_PATH into later steps; env at three levels', () => {
    expect(step('out').outputs.multi).toBe('line one\nline two');
    expect(step('out').outputs['from-env']).toBe('hello push/job-main/step');
    expect(step('after').outputs).toEqual({ added: 'from GITHUB_ENV', tool: 'tool-on-path', expr: 'from GITHUB_ENV' });
    expect(r.jobs.steps!.summary).toContain('### summary for steps');
  });

  it('masks secrets and ::add-mask:: values in logs, and drops job outputs that carry a secret', () => {
    const log = r.jobs.steps!.log;
    expect(log).not.toContain(CANARY);
    expect(log).not.toContain('dynamic-value-42');
    expect(log).toContain('the canary is ***');
    expect(log).toContain('now masked: ***');
    expect(r.jobs.steps!.outputs).toEqual({ multi: 'line one\nline two', 'from-env': 'hello push/job-main/step' });
    expect(log).toContain("Skip output 'leak' since it may contain secret");
    // What had to be hidden is on record, so a test of secret handling can require that nothing was.
    expect([...r.masked].sort()).toEqual([CANARY, 'dynamic-value-42'].sort());
  });

  it('turns workflow commands into annotations and groups', () => {
    expect(step('out').annotations).toEqual([{ level: 'notice', message: 'a notice', properties: { title: 'Note' } }]);
    expect(step('out').log).toContain('##[group]a group');
  });

  it('keeps outcome and conclusion apart under continue-on-error; timeout-minutes stops a step', () => {
    expect(step('soft')).toMatchObject({ outcome: 'failure', conclusion: 'success' });
    expect(step('after-soft').outputs.soft).toBe('failure/success');
    expect(step('slow')).toMatchObject({ outcome: 'failure', conclusion: 'success' });
    expect(step('slow').log).toContain('The action has timed out.');
    expect(step('skipped')).toMatchObject({ outcome: 'skipped', conclusion: 'skipped' });
    expect(r.jobs.steps!.result).toBe('success');
  });

  it('keeps what a step started in the background running for later steps, and ends it with the job', () => {
    expect(step('still-running').outputs.alive).toBe('yes');
    const pid = step('background').outputs.pid!;
    let state = 'gone';
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0]!;
    } catch {
      // no such process
    }
    expect(['gone', 'Z']).toContain(state);
  });

  it("evaluates hashFiles() with GitHub's algorithm", () => {
    const fileHash = createHash('sha256').update('content\n').digest();
    expect(step('hashed').outputs.hash).toBe(createHash('sha256').update(fileHash).digest('hex'));
  });
});

describe('uses: steps', () => {
  let r: RunResult;
  beforeAll(async () => {
    app.write({ 'actions/self-js/marker.txt': 'committed-marker\n' });
    r = await runner.run({ ...push(), workflow: '.github/workflows/actions.yml' });
  }, 120_000);

  const step = (job: string, id: string, stage = 'main') => {
    const s = r.jobs[job]?.steps.find((x) => x.id === id && x.stage === stage);
    if (!s) throw new Error(`no step ${job}.${id} (${stage}): ${r.log}`);
    return s;
  };

  it('runs the job to success, with the failing step under continue-on-error', () => {
    expect(r.jobs.use!.result).toBe('success');
    expect(step('use', 'failing')).toMatchObject({ outcome: 'failure', conclusion: 'success' });
  });

  it('resolves ./ in the workspace and $/ in the workflow repository at the running commit (not the workspace copy)', () => {
    expect(step('use', 'local').outputs).toEqual({ node: process.version, marker: 'committed-marker' });
    expect(step('use', 'self').outputs).toMatchObject({ marker: 'committed-marker', node: process.version });
  });

  it('runs owner/repo/path@ref at the ref, on the Node of runs.using, with INPUT_* defaults and runtime variables', () => {
    const o = step('use', 'remote').outputs;
    expect(o.said).toBe('hello remote');
    expect(o.node).toMatch(/^v24\./);
    expect(o['token-shape']).toBe('ghs');
    expect(o['token-is-job-token']).toBe('true');
    expect(o['cwd-is-workspace']).toBe('true');
    expect(o.runtime).toBe('token,results,True');
    expect(o['action-repository']).toBe('acme/tools@v1');
  });

  it('runs pre before the first step and post after the last, in reverse order, with GITHUB_STATE', () => {
    const steps = r.jobs.use!.steps;
    const pres = steps.filter((s) => s.stage === 'pre').map((s) => s.id);
    const posts = steps.filter((s) => s.stage === 'post').map((s) => s.id);
    expect(pres).toEqual(['remote', 'failing']);
    expect(steps.findIndex((s) => s.stage === 'pre')).toBeLessThan(steps.findIndex((s) => s.stage === 'main'));
    expect(posts).toEqual(['failing', 'composite', 'remote']);
    expect(step('use', 'remote').outputs['state-from-pre']).toBe('pre-ran');
    expect(step('use', 'remote', 'post').log).toContain('post saw pre-ran and main-ran for remote');
    expect(r.jobs.use!.log).toContain("Unexpected input(s) 'unknown-input'");
  });

  it('runs composite actions with their own inputs, steps, $/ in their repository, status functions and outputs', () => {
    expect(step('use', 'composite')).toMatchObject({ outcome: 'failure', conclusion: 'success' });
    const o = step('use', 'composite').outputs;
    expect(o).toEqual({ result: 'hello fail', where: 'yes', recovered: 'yes' });
    expect(step('use', 'after-composite').outputs.env).toBe('composite-env');
  });

  it("emulates actions/checkout with a git checkout of the run's commit: one commit by default, the whole history with fetch-depth: 0", () => {
    expect(step('use', 'checkout').outputs).toEqual({ ref: '', commit: app.head() });
    expect(step('use', 'head').outputs.head).toBe(`${app.head()} origin=https://github.com/acme/app`);
    expect(step('use', 'head').outputs.history).toBe('1 shallow=true');
    expect(step('use', 'full').outputs.commit).toBe(app.head());
    expect(step('use', 'full-history').outputs.history).toBe('2 shallow=false');
  });

  it('emulates setup-node and the artifact actions', () => {
    expect(step('use', 'node').outputs['node-version']).toMatch(/^v24\./);
    expect(step('use', 'node-version').outputs.version).toMatch(/^v24\./);
    expect(step('use', 'upload').outputs['artifact-id']).toMatch(/^\d+$/);
    expect(readFileSync(join(r.artifactsDir, 'report/self-js/marker.txt'), 'utf8')).toBe('workspace-marker\n');
    expect(step('download', 'list').outputs.files).toBe('./local/action.yml ./self-js/marker.txt ');
  });
});

describe('jobs: needs, if, status functions, matrix, outputs', () => {
  let r: RunResult;
  beforeAll(async () => {
    r = await runner.run({ ...push(), workflow: '.github/workflows/jobs.yml' });
  }, 60_000);

  it('runs jobs in needs order and decides each with its if: and the needs results', () => {
    const results = Object.fromEntries(Object.entries(r.jobs).map(([k, j]) => [k, j.result]));
    expect(results).toEqual({
      first: 'success',
      'matrix (linux, 1, yes)': 'success',
      'matrix (linux, 2, yes)': 'success',
      'matrix (mac, 1)': 'success',
      'matrix (windows, 9)': 'success',
      fails: 'failure',
      'skipped-dependent': 'skipped',
      'on-failure': 'success',
      grandchild: 'skipped',
      always: 'success',
      conditional: 'success',
      experimental: 'success',
      'after-experimental': 'success',
    });
    expect(r.jobs.experimental!.outcome).toBe('failure');
    expect(r.conclusion).toBe('failure');
  });

  it('passes job outputs and results through needs', () => {
    expect(r.jobs.always!.steps[0]!.outputs.results).toBe('failure/skipped');
    expect(r.jobs['matrix (mac, 1)']!.outputs).toEqual({ seen: 'from-first' });
  });

  it("expands strategy.matrix with GitHub's include/exclude rules and the strategy context", () => {
    const legs = Object.values(r.jobs)
      .filter((j) => j.jobId === 'matrix')
      .map((j) => /leg=(.*)/.exec(j.log)![1]);
    expect(legs).toEqual(['linux-1-yes-0/4', 'linux-2-yes-1/4', 'mac-1--2/4', 'windows-9--3/4']);
  });

  it('evaluates step conditions against the job status', () => {
    const steps = r.jobs.fails!.steps.map((s) => [s.name, s.conclusion]);
    expect(steps).toEqual([
      ['Run exit 1', 'failure'],
      ['Run echo "cleanup ran"', 'success'],
      ['Run echo "must not run"', 'skipped'],
      ['Run echo "always ran"', 'success'],
    ]);
  });
});

describe('reusable workflows', () => {
  let r: RunResult;
  beforeAll(async () => {
    r = await runner.run({ ...push(), workflow: '.github/workflows/reusable.yml' });
  }, 60_000);

  it('calls owner/repo/.github/workflows/x.yml@ref, ./ and $/ workflows, with inputs, secrets and outputs', () => {
    expect(r.conclusion).toBe('success');
    expect(r.jobs.report!.steps[0]!.outputs).toEqual({
      greeting: 'hello acme/app',
      typed: 'true/true/acme/tools',
      labels: 'local-default:true,via-self:true',
    });
    expect(r.jobs.remote!.outputs.greeting).toBe('hello acme/app');
    expect(r.jobs['remote/greet']!.outputs['secret-length']).toBe(String(CANARY.length));
  });

  it("gives a called job without permissions: its caller job's grant", () => {
    expect(r.jobs['local/inner']!.permissions).toEqual({ contents: 'read', issues: 'write' });
    expect(r.jobs['self/inner']!.permissions).toEqual({});
    expect(r.jobs['remote/greet']!.permissions).toEqual({ contents: 'read' });
  });

  it('refuses, as GitHub does, a called job that asks for more than its caller job was granted', async () => {
    const o = await runner.run({ ...push(), workflow: '.github/workflows/overreach.yml' });
    expect(o.conclusion).toBe('failure');
    expect(o.log).toContain(
      ".github/workflows/overreach.yml: Error calling workflow './.github/workflows/called-writer.yml'. The nested job 'writer' is requesting 'id-token: write', but is only allowed 'id-token: none'.",
    );
    expect(o.jobs['call/writer']).toBeUndefined();
  }, 60_000);

  it('passes secrets: inherit only to a workflow of the same owner (GitHub: organization or enterprise); one by one to anyone', async () => {
    const lib = createRepo({
      files: {
        '.github/workflows/called.yml': `on:
  workflow_call:
    secrets:
      S:
        required: false
    outputs:
      has:
        value: \${{ jobs.see.outputs.has }}
jobs:
  see:
    runs-on: ubuntu-latest
    outputs:
      has: \${{ steps.s.outputs.has }}
    steps:
      - id: s
        run: echo "has=\${{ secrets.S != '' }}" >> "$GITHUB_OUTPUT"
`,
      },
    });
    const caller = createRepo({
      files: {
        '.github/workflows/calls.yml': `on: push
permissions: {}
jobs:
  same-owner:
    uses: acme/lib/.github/workflows/called.yml@v1
    secrets: inherit
  other-owner:
    uses: karoo-dev/lib/.github/workflows/called.yml@v1
    secrets: inherit
  other-owner-mapped:
    uses: karoo-dev/lib/.github/workflows/called.yml@v1
    secrets:
      S: \${{ secrets.S }}
`,
      },
    });
    try {
      lib.tag('v1', lib.commit('lib'));
      const sha = caller.commit('calls');
      const r = await pushRun(caller, 'acme/caller', '.github/workflows/calls.yml', sha, {
        secrets: { S: 's3cret' },
        repos: { 'acme/lib': lib.dir, 'karoo-dev/lib': lib.dir },
      });
      expect(r.conclusion).toBe('success');
      expect(Object.fromEntries(['same-owner', 'other-owner', 'other-owner-mapped'].map((k) => [k, r.jobs[k]!.outputs.has]))).toEqual({
        'same-owner': 'true',
        'other-owner': 'false',
        'other-owner-mapped': 'true',
      });
      expect(r.log).toContain('secrets: inherit passes nothing to karoo-dev/lib, of another owner than acme/caller');
    } finally {
      for (const d of [lib.dir, caller.dir]) rmSync(d, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('permissions, pull requests from the repository and from forks, workflow_run', () => {
  const pr = (headRepo?: string) => ({
    ...base(),
    workflow: '.github/workflows/comment.yml',
    event: 'pull_request',
    payload: events.pullRequest({ repository: 'acme/app', number: 7, headSha: app.head(), headRepo }),
  });
  let same: RunResult;
  let fork: RunResult;
  beforeAll(async () => {
    [same, fork] = await Promise.all([runner.run(pr()), runner.run(pr('evil/app'))]);
  }, 60_000);

  it("enforces the job token's permissions in the stand-in: contents: read cannot comment, pull-requests: write can", () => {
    expect(same.jobs['read-only']!.steps[0]!.outputs.status).toBe('403');
    expect(same.jobs.writer!.steps[0]!.outputs.status).toBe('201');
    const creates = same.requests
      .filter((q) => q.operationId === 'issues/create-comment')
      .map((q) => [q.token === same.jobs.writer!.token ? 'writer' : 'read-only', q.status]);
    expect(creates.sort()).toEqual([
      ['read-only', 403],
      ['writer', 201],
    ]);
    expect(standin.comments('acme/app', 7).map((c) => c.body)).toContain(`from a pull-requests write job, canary ${CANARY}`);
    expect(same.jobs.writer!.log).not.toContain(CANARY);
  });

  it('gives a fork pull request a read-only token and no secrets', () => {
    expect(fork.jobs.writer!.permissions).toEqual({ 'pull-requests': 'read' });
    expect(fork.jobs.writer!.steps[0]!.outputs.status).toBe('403');
    expect(fork.requests.filter((q) => q.operationId === 'issues/create-comment').map((q) => q.status)).toEqual([403, 403]);
  });

  it("lets a workflow_run workflow read the fork run's artifact with a token that has actions: read, and comment", async () => {
    const r = await runner.run({
      ...base(),
      workflow: '.github/workflows/report.yml',
      event: 'workflow_run',
      payload: events.workflowRun({
        repository: 'acme/app',
        id: fork.runId,
        name: 'comment',
        conclusion: fork.conclusion,
        headSha: app.head(),
        headRepo: 'evil/app',
      }),
    });
    expect(r.jobs.report!.result).toBe('success');
    expect(r.jobs.report!.steps[1]!.outputs.run).toBe('200 completed success .github/workflows/comment.yml pull_request evil/app');
    expect(r.jobs.report!.steps[2]!.outputs).toEqual({ status: '201', number: '7' });
    expect(r.jobs['no-actions-read']!.result).toBe('failure');
    expect(r.jobs['no-actions-read']!.log).toContain('Resource not accessible by integration (403)');
    expect(standin.comments('acme/app', 7).map((c) => c.body)).toContain('report for a success run');
  }, 60_000);
});

describe('workflow_dispatch, environments, concurrency', () => {
  const environments = {
    staging: { secrets: { ENV_SECRET: 'env-secret-value' }, vars: { ENV_VAR: 'v-staging' }, branches: ['main'] },
    production: { branches: ['release/*'] },
    qa: { reviewers: 'reject' as const },
  };
  const dispatch = (
    workflow: string,
    inputs: Record<string, string | boolean | number>,
    extra: Partial<Parameters<WorkflowRunner['run']>[0]> = {},
  ) =>
    runner.run({
      ...base(),
      workflow,
      event: 'workflow_dispatch',
      payload: events.workflowDispatch({ repository: 'acme/app', inputs }),
      environments,
      ...extra,
    });
  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!check()) throw new Error('condition not reached');
  };

  it('types dispatch inputs (boolean, number, choice) and keeps github.event.inputs as strings', async () => {
    const r = await dispatch('.github/workflows/dispatch.yml', { candidate: 'c1', 'dry-run': true, environment: 'staging' });
    expect(r.jobs.show!.steps[0]!.outputs.types).toBe('true|true|low|true|c1');
    expect(r.jobs.deploy!.steps[0]!.outputs).toEqual({ var: 'v-staging', 'secret-length': '16' });
    expect(r.jobs.deploy!.environment).toBe('staging');
    expect(r.jobs.deploy!.log).toContain('secret is ***');
  }, 60_000);

  it("refuses dispatches GitHub refuses: a missing required input, a value outside a choice's options", async () => {
    await expect(dispatch('.github/workflows/dispatch.yml', { environment: 'staging' })).rejects.toThrow(
      "Required input 'candidate' not provided",
    );
    await expect(dispatch('.github/workflows/dispatch.yml', { candidate: 'c1', level: 'mid', environment: 'staging' })).rejects.toThrow(
      "'mid' for input 'level' not in the list of allowed values",
    );
  });

  it("applies an environment's protection rules: deployment branches and a rejecting reviewer", async () => {
    const prod = await dispatch('.github/workflows/dispatch.yml', { candidate: 'c1', environment: 'production' });
    expect(prod.jobs.deploy!.result).toBe('failure');
    expect(prod.jobs.deploy!.steps).toEqual([]);
    expect(prod.jobs.deploy!.log).toContain('Branch "main" is not allowed to deploy to production due to environment protection rules.');
    const qa = await dispatch('.github/workflows/dispatch.yml', { candidate: 'c1', environment: 'qa' });
    expect(qa.jobs.deploy!.log).toContain('rejected');
    expect(qa.jobs.deploy!.result).toBe('failure');
  }, 60_000);

  it('queues every dispatch to one environment with queue: max (none is dropped)', async () => {
    const runs = await Promise.all(
      [1, 2, 3].map((n) => dispatch('.github/workflows/dispatch.yml', { candidate: `c${n}`, environment: 'staging' })),
    );
    expect(runs.map((r) => r.jobs.deploy!.result)).toEqual(['success', 'success', 'success']);
    const history = runner.concurrency.history.filter(
      (h) => h.startsWith('deploy-staging') && runs.some((r) => h.includes(`of run ${r.runId}`)),
    );
    expect(history.filter((h) => h.includes('pending'))).toHaveLength(2);
    expect(history.filter((h) => h.includes('cancelled'))).toEqual([]);
  }, 60_000);

  it('keeps one running and one pending per group: a newer pending run cancels the older pending one', async () => {
    const first = dispatch('.github/workflows/queue.yml', { hold: 2 });
    await waitFor(() => runner.concurrency.history.some((h) => h.startsWith('queue-refs/heads/main') && h.endsWith('running')));
    const second = dispatch('.github/workflows/queue.yml', { hold: 0 });
    await waitFor(() => runner.concurrency.history.some((h) => h.startsWith('queue-refs/heads/main') && h.endsWith('pending')));
    const third = dispatch('.github/workflows/queue.yml', { hold: 0 });
    const [a, b, c] = await Promise.all([first, second, third]);
    expect([a.conclusion, b.conclusion, c.conclusion]).toEqual(['success', 'cancelled', 'success']);
    expect(b.jobs).toEqual({});
    expect(b.reason).toContain('cancelled while pending in concurrency group queue-refs/heads/main');
  }, 60_000);

  it('cancels the running run with cancel-in-progress; its always() and cancelled() steps still run', async () => {
    let started = false;
    const first = dispatch(
      '.github/workflows/cancel.yml',
      { hold: 30 },
      { onLog: (_job, line) => (started ||= line.startsWith('shell:')) },
    );
    await waitFor(() => started);
    const second = await dispatch('.github/workflows/cancel.yml', { hold: 0 });
    const a = await first;
    expect(second.conclusion).toBe('success');
    expect(a.conclusion).toBe('cancelled');
    expect(a.jobs.work!.result).toBe('cancelled');
    expect(a.jobs.work!.steps.map((s) => [s.id, s.conclusion])).toEqual([
      ['hold', 'cancelled'],
      ['next', 'skipped'],
      ['cleanup', 'success'],
      ['on-cancel', 'success'],
    ]);
  }, 60_000);
});

describe('the Actions cache stand-in, through the real @actions/cache', () => {
  const run = (ref: string, inputs: Record<string, string>) =>
    runner.run({
      ...base(),
      workflow: '.github/workflows/cache.yml',
      event: 'workflow_dispatch',
      payload: events.workflowDispatch({ repository: 'acme/app', ref, inputs }),
      env: { NODE_MODULES_DIR: join(ROOT, 'node_modules') },
    });
  const outputs = (r: RunResult) => r.jobs.cache!.steps[0]!.outputs;

  it('saves, then restores by key, by restore-key prefix from the default branch, never from another branch', async () => {
    const main = await run('refs/heads/main', { save: 'deps-linux-1', restore: 'deps-linux-1' });
    expect(outputs(main)).toEqual({ saved: 'deps-linux-1', matched: 'deps-linux-1', content: 'saved by main' });
    const topic = await run('refs/heads/topic', { save: 'topic-only-1', restore: 'deps-linux-2', 'restore-keys': 'deps-linux-' });
    expect(outputs(topic)).toEqual({ saved: 'topic-only-1', matched: 'deps-linux-1', content: 'saved by main' });
    const again = await run('refs/heads/main', { save: 'deps-linux-1', restore: 'topic-only-1', 'restore-keys': 'topic-only-' });
    expect(outputs(again)).toEqual({ saved: '', matched: '', content: '' });
    expect(again.jobs.cache!.log).toMatch(/another job may be creating this cache|already exists/);
    const cache = await runner.cache();
    expect(cache.saved().map((e) => [e.key, e.ref])).toEqual([
      ['deps-linux-1', 'refs/heads/main'],
      ['topic-only-1', 'refs/heads/topic'],
    ]);
    expect(cache.saved()[0]!.size).toBeGreaterThan(0);
  }, 120_000);
});

describe('scripts/run-workflow.mjs', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'scripts/run-workflow.mjs'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });

  it('runs a workflow on plain Node and prints the result as JSON', () => {
    const r = cli([
      '--repo',
      app.dir,
      '--repository',
      'acme/app',
      '--workflow',
      '.github/workflows/hello.yml',
      '--var',
      'WHO=cli',
      '--json',
    ]);
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult & { violations: string[] };
    expect(result.jobs.hello!.outputs).toEqual({ said: 'hello cli' });
    expect(result.violations).toEqual([]);
  }, 120_000);

  it('leaves nothing behind that keeps a process alive: a program that loads the runner and runs nothing exits by itself', () => {
    // The emulated upload-artifact's glob worker starts with the runner; idle, it must not hold
    // the process (a test file's jest process, which then never exits, or a script).
    const program = `import { register } from 'node:module';
register(${JSON.stringify(join(ROOT, 'test/support/workflow-runner/cli-hooks.mjs'))}, import.meta.url);
await import(${JSON.stringify(join(ROOT, 'test/support/workflow-runner/index.ts'))});
console.log('loaded');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
      timeout: 60_000,
    });
    expect({ status: r.status, signal: r.signal, stdout: r.stdout }).toEqual({ status: 0, signal: null, stdout: 'loaded\n' });
  }, 90_000);

  it('refuses bad arguments with one line and exit status 2', () => {
    const r = cli(['--repo', app.dir, '--workflow', 'x.yml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('run-workflow: --repository is required; see --help\n');
  });
});

describe('workflow_run, started as GitHub starts it (followWorkflowRun)', () => {
  it("starts the default branch's workflows that name the completed one, with the repository's secrets; filters by types and branches", async () => {
    const listener = (on: string, job = 'saw') => `on:
  workflow_run:
${on}
permissions: {}
jobs:
  ${job}:
    runs-on: ubuntu-latest
    outputs:
      seen: \${{ steps.s.outputs.seen }}
    steps:
      - id: s
        env:
          SEEN: "\${{ github.event.workflow_run.name }} \${{ github.event.workflow_run.conclusion }} \${{ github.event.workflow_run.head_branch }} \${{ github.event.workflow_run.id }} \${{ github.ref }} secret:\${{ secrets.S != '' }}"
        run: echo "seen=$SEEN" >> "$GITHUB_OUTPUT"
`;
    const repo = createRepo({
      files: {
        '.github/workflows/ci.yml':
          'name: ci\non: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: exit 1\n',
        '.github/workflows/after.yml': listener('    workflows: [ci]\n    types: [completed]'),
        '.github/workflows/any-type.yml': listener('    workflows: [ci]\n    branches: [main]', 'any'),
        '.github/workflows/release-only.yml': listener("    workflows: [ci]\n    branches: ['release/**']"),
        '.github/workflows/requested.yml': listener('    workflows: [ci]\n    types: [requested]'),
        '.github/workflows/other.yml': listener('    workflows: [other]'),
      },
    });
    try {
      const sha = repo.commit('workflows');
      const r = await pushRun(repo, 'acme/chain', '.github/workflows/ci.yml', sha, { followWorkflowRun: { secrets: { S: 's3cret' } } });
      expect(r.conclusion).toBe('failure');
      const seen = (r.triggered ?? []).map((t) => Object.values(t.jobs)[0]!.outputs.seen);
      expect(seen.sort()).toEqual([
        `ci failure main ${r.runId} refs/heads/main secret:true`,
        `ci failure main ${r.runId} refs/heads/main secret:true`,
      ]);
      expect((r.triggered ?? []).map((t) => Object.keys(t.jobs)[0]).sort()).toEqual(['any', 'saw']);
    } finally {
      rmSync(repo.dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('triggers, as GitHub decides whether an event starts a workflow', () => {
  const wf = (on: string) =>
    `name: w\non:\n${on}\npermissions: {}\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n`;
  let repo: FixtureRepo;
  let sha: string;
  beforeAll(() => {
    repo = createRepo({
      files: {
        '.github/workflows/main-only.yml': wf("  push:\n    branches: [main, 'release/**', '!release/old']"),
        '.github/workflows/tags.yml': wf("  push:\n    tags: ['v*']"),
        '.github/workflows/ignore.yml': wf("  push:\n    branches-ignore: ['wip/*']"),
        '.github/workflows/pr.yml': wf('  pull_request:\n    branches: [main]'),
        '.github/workflows/labeled.yml': wf('  pull_request:\n    types: [labeled]'),
        '.github/workflows/queue.yml': wf('  merge_group:\n    branches: [main]'),
        // A starter workflow copied by hand with its placeholder left in.
        '.github/workflows/placeholder.yml': wf('  push:\n    branches: [$default-branch]'),
        '.github/workflows/paths.yml': wf("  push:\n    paths: ['src/**']"),
      },
    });
    sha = repo.commit('workflows');
  });
  afterAll(() => rmSync(repo.dir, { recursive: true, force: true }));

  const push = (workflow: string, ref: string) =>
    runner.run({
      repo: repo.dir,
      repository: 'acme/triggers',
      workflow: `.github/workflows/${workflow}`,
      event: 'push',
      payload: events.push({ repository: 'acme/triggers', after: sha, ref }),
    });
  const pr = (workflow: string, o: { baseRef?: string; action?: string }) =>
    runner.run({
      repo: repo.dir,
      repository: 'acme/triggers',
      workflow: `.github/workflows/${workflow}`,
      event: 'pull_request',
      payload: events.pullRequest({ repository: 'acme/triggers', number: 3, headSha: sha, ...o }),
    });

  it('runs a push only for the branches and tags its filters let through (negations in order, tags apart)', async () => {
    expect((await push('main-only.yml', 'refs/heads/main')).conclusion).toBe('success');
    expect((await push('main-only.yml', 'refs/heads/release/1.2')).conclusion).toBe('success');
    await expect(push('main-only.yml', 'refs/heads/release/old')).rejects.toThrow('branch release/old matches none of on.push.branches');
    await expect(push('main-only.yml', 'refs/heads/feature')).rejects.toThrow('branch feature matches none of on.push.branches');
    await expect(push('main-only.yml', 'refs/tags/v1')).rejects.toThrow('on.push filters branches only: tag v1 does not trigger it');
    expect((await push('tags.yml', 'refs/tags/v1.0.0')).conclusion).toBe('success');
    await expect(push('tags.yml', 'refs/heads/main')).rejects.toThrow('on.push filters tags only');
    expect((await push('ignore.yml', 'refs/heads/main')).conclusion).toBe('success');
    await expect(push('ignore.yml', 'refs/heads/wip/x')).rejects.toThrow('branch wip/x matches on.push.branches-ignore');
    // The placeholder GitHub fills in only when the workflow is added from Actions → New workflow.
    await expect(push('placeholder.yml', 'refs/heads/main')).rejects.toThrow(
      'branch main matches none of on.push.branches ($default-branch)',
    );
    await expect(push('paths.yml', 'refs/heads/main')).rejects.toThrow('path filters, which the workflow runner does not model');
  }, 120_000);

  it('runs a pull request for its base branch and its activity types (default: opened, synchronize, reopened)', async () => {
    expect((await pr('pr.yml', {})).conclusion).toBe('success');
    await expect(pr('pr.yml', { baseRef: 'develop' })).rejects.toThrow(
      'base branch develop matches none of on.pull_request.branches (main)',
    );
    await expect(pr('pr.yml', { action: 'labeled' })).rejects.toThrow(
      'on.pull_request.types (opened, synchronize, reopened) does not include labeled',
    );
    expect((await pr('labeled.yml', { action: 'labeled' })).conclusion).toBe('success');
    await expect(pr('labeled.yml', {})).rejects.toThrow('does not include synchronize');
    const queue = (baseRef: string) =>
      runner.run({
        repo: repo.dir,
        repository: 'acme/triggers',
        workflow: '.github/workflows/queue.yml',
        event: 'merge_group',
        payload: events.mergeGroup({ repository: 'acme/triggers', number: 3, headSha: sha, prHeadSha: sha, baseSha: sha, baseRef }),
      });
    expect((await queue('main')).conclusion).toBe('success');
    await expect(queue('develop')).rejects.toThrow('base branch develop matches none of on.merge_group.branches');
  }, 120_000);
});

describe('re-runs, as GitHub re-runs a run', () => {
  const UPLOAD = 'actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0';
  // test fails in the first attempt only; build's upload has no overwrite, test's has.
  const flaky = `name: flaky
on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      attempt: \${{ steps.a.outputs.attempt }}
    steps:
      - id: a
        run: echo "attempt=$GITHUB_RUN_ATTEMPT" >> "$GITHUB_OUTPUT"; echo "built in $GITHUB_RUN_ATTEMPT" > built.txt
      - uses: ${UPLOAD}
        with: { name: built, path: built.txt }
  lint:
    runs-on: ubuntu-latest
    outputs:
      attempt: \${{ steps.a.outputs.attempt }}
    steps:
      - id: a
        run: echo "attempt=\${{ github.run_attempt }}" >> "$GITHUB_OUTPUT"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo "tested in $GITHUB_RUN_ATTEMPT" > results.txt
      - if: always()
        uses: ${UPLOAD}
        with: { name: results, path: results.txt, overwrite: true }
      - run: test "$GITHUB_RUN_ATTEMPT" -gt 1
  report:
    needs: [build, lint, test]
    if: always()
    runs-on: ubuntu-latest
    outputs:
      seen: \${{ steps.s.outputs.seen }}
    steps:
      - id: s
        run: echo "seen=build \${{ needs.build.outputs.attempt }} lint \${{ needs.lint.outputs.attempt }} test \${{ needs.test.result }} now \${{ github.run_attempt }}" >> "$GITHUB_OUTPUT"
`;
  let repo: FixtureRepo;
  let sha: string;
  beforeAll(() => {
    repo = createRepo({ files: { '.github/workflows/flaky.yml': flaky } });
    sha = repo.commit('flaky');
  });
  afterAll(() => rmSync(repo.dir, { recursive: true, force: true }));
  const first = () => pushRun(repo, 'acme/flaky', '.github/workflows/flaky.yml', sha);

  it("re-runs failed jobs and those that need them; the others keep the attempt before's results and outputs", async () => {
    const r1 = await first();
    expect([r1.attempt, r1.conclusion, r1.jobs.test!.result]).toEqual([1, 'failure', 'failure']);
    expect(r1.jobs.report!.outputs.seen).toBe('build 1 lint 1 test failure now 1');
    const r2 = await runner.rerun(r1, { failedOnly: true });
    expect([r2.runId, r2.attempt, r2.conclusion]).toEqual([r1.runId, 2, 'success']);
    expect(Object.fromEntries(Object.values(r2.jobs).map((j) => [j.key, j.fromAttempt ?? 'ran']))).toEqual({
      build: 1,
      lint: 1,
      test: 'ran',
      report: 'ran',
    });
    expect(r2.jobs.report!.outputs.seen).toBe('build 1 lint 1 test success now 2');
    // The attempt's upload replaced the first attempt's (overwrite: true); the kept job's stays.
    expect(readFileSync(join(r2.artifactsDir, 'results', 'results.txt'), 'utf8')).toBe('tested in 2\n');
    expect(readFileSync(join(r2.artifactsDir, 'built', 'built.txt'), 'utf8')).toBe('built in 1\n');
  }, 120_000);

  it("re-runs all jobs in the same run: an upload of a name an earlier attempt uploaded fails without overwrite: true (GitHub's 409)", async () => {
    const r1 = await first();
    const r2 = await runner.rerun(r1);
    expect([r2.runId, r2.attempt, r2.conclusion]).toEqual([r1.runId, 2, 'failure']);
    expect(r2.jobs.build!.log).toContain('(409) Conflict: an artifact with this name already exists on the workflow run');
    expect(r2.jobs.lint!.outputs.attempt).toBe('2');
    await expect(runner.rerun({ ...r1, runId: 1 })).rejects.toThrow('run 1 was not run by this runner: nothing to re-run');
  }, 120_000);
});

describe('reads of a private repository', () => {
  it('need the scope: a token without pull-requests: read cannot read a pull request', async () => {
    standin.addRepo('acme/private-app', { private: true });
    standin.addPullRequest('acme/private-app', { number: 3 });
    const r = await runner.run({
      repo: app.dir,
      repository: 'acme/private-app',
      workflow: '.github/workflows/read.yml',
      event: 'pull_request',
      payload: events.pullRequest({ repository: 'acme/private-app', number: 3, headSha: app.head() }),
    });
    expect(r.jobs['without-scope']!.steps[0]!.outputs.status).toBe('403');
    expect(r.jobs['with-scope']!.steps[0]!.outputs.status).toBe('200');
  }, 60_000);
});
