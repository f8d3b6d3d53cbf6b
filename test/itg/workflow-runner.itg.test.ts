/**
 * The workflow runner (test/support/workflow-runner) running fixture workflows that exercise
 * every construct it models, against the GitHub stand-in and the Actions cache stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { ROOT } from '../support/cli.js';
import { WorkflowRunner, createRepo, events, type FixtureRepo, type RunResult } from '../support/workflow-runner/index.js';

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
});

afterAll(async () => {
  await runner?.close();
  await standin?.close();
});

function base() {
  return { repo: app.dir, repository: 'acme/app', repos: { 'acme/tools': tools.dir }, secrets: { CANARY }, vars: { COLOUR: 'blue' } };
}

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

  it("evaluates hashFiles() with GitHub's algorithm", () => {
    const fileHash = createHash('sha256').update('content\n').digest();
    expect(step('hashed').outputs.hash).toBe(createHash('sha256').update(fileHash).digest('hex'));
  });
});
