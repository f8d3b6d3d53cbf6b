/**
 * The fork-comment attack (issue 11 §1) through the real starter workflow, run by the workflow
 * runner: a fork's pull_request run (a workflow the fork controls) uploads a forged
 * `karoo-report` artifact — a valid report claiming 999 passing tests with its own link, and a
 * `pr` file naming another pull request — and `karoo-report-comment.yml` (workflow_run, with only
 * OWNER replaced) runs karoo's report action at v1. The comment lands on the fork's own pull
 * request only, and carries nothing forged. Needs `npx tsc -b && node scripts/bundle.mjs report`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { openStore } from '@karoo/oci';
import { buildReport, renderJson } from '@karoo/report';
import { ROOT } from '../support/cli.js';
import { makeWheels } from '../support/wheels.js';
import { repoFiles } from '../support/workflows.js';
import { createRepo, events, WorkflowRunner } from '../support/workflow-runner/index.js';

const OWNER = 'karoo-dev';
const FORK_SHA = 'b'.repeat(40);
let work: string;
let standin: GitHubStandin;
let runner: WorkflowRunner;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/report/index.js')))
    throw new Error('dist/report is missing: run npx tsc -b && node scripts/bundle.mjs report');
  work = await mkdtemp(join(tmpdir(), 'karoo-report-comment-wf-'));
  standin = await startGitHubStandin();
  standin.addRepo('acme/app');
  standin.addPullRequest('acme/app', { number: 7, headRef: 'feature', headSha: 'a'.repeat(40) });
  standin.addPullRequest('acme/app', { number: 9, headRef: 'patch', headSha: FORK_SHA, headRepo: 'outsider/app' });
  runner = new WorkflowRunner({ github: standin });
}, 60_000);
afterAll(async () => {
  await runner?.close();
  await standin?.close();
  await rm(work, { recursive: true, force: true });
}, 60_000);

it("comments only on the fork's own pull request, with the digest as a claim and no forged result or link", async () => {
  const store = `oci-layout:${join(work, 'store')}`;
  const wheels = await makeWheels(join(work, 'wheels'), [{ name: 'acme-cam', version: '2.0.0', size: 900 }]);
  const { candidate } = await build({ lock: wheels.lock(), store: openStore(store), system: 'cam' });
  const forged = JSON.parse(renderJson(buildReport({ head: wheels.lock(), candidate: { digest: candidate, existed: false } })));
  forged.evidence = [
    {
      result: 'passed',
      passed: 999,
      failed: 0,
      skipped: 0,
      durationMs: 1,
      runUrl: 'https://evil.example/phish',
      environment: 'integration',
    },
  ];

  // The fork's pull_request run: its own workflow, uploading what it likes.
  const fork = createRepo({
    parent: work,
    files: {
      'report/report.json': JSON.stringify(forged),
      'report/pr': '7\n',
      '.github/workflows/candidate.yml': `name: candidate
on: pull_request
permissions: {}
jobs:
  forge:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
      - uses: actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0
        with:
          name: karoo-report
          path: report/
`,
    },
  });
  const forkRun = await runner.run({
    repo: fork.dir,
    repository: 'acme/app',
    workflow: '.github/workflows/candidate.yml',
    event: 'pull_request',
    payload: events.pullRequest({ repository: 'acme/app', number: 9, headSha: FORK_SHA, headRef: 'patch', headRepo: 'outsider/app' }),
    sha: fork.head(),
  });
  expect(forkRun.conclusion).toBe('success');

  // karoo at v1, and the base repository with the starter workflow (only OWNER replaced).
  const karoo = createRepo({ parent: work, files: repoFiles('actions/report/action.yml', 'dist/report') });
  karoo.tag('v1');
  const app = createRepo({
    parent: work,
    files: {
      'karoo.yml': `system: cam\nleaves: [acme-cam]\nindexes: [{ url: ./index }]\nstore: ${store}\nenvironments:\n  - name: integration\n`,
      '.github/workflows/karoo-report-comment.yml': readFileSync(
        join(ROOT, 'workflows-templates/karoo-report-comment.yml'),
        'utf8',
      ).replaceAll('OWNER/', `${OWNER}/`),
    },
  });
  const r = await runner.run({
    repo: app.dir,
    repository: 'acme/app',
    workflow: '.github/workflows/karoo-report-comment.yml',
    event: 'workflow_run',
    payload: events.workflowRun({
      repository: 'acme/app',
      id: forkRun.runId,
      event: 'pull_request',
      headSha: FORK_SHA,
      headBranch: 'patch',
      headRepo: 'outsider/app',
    }),
    repos: { [`${OWNER}/karoo`]: karoo.dir },
  });
  expect({ conclusion: r.conclusion, log: r.conclusion === 'success' ? '' : r.log }).toEqual({ conclusion: 'success', log: '' });
  expect(standin.comments('acme/app', 7)).toEqual([]);
  const [comment] = standin.comments('acme/app', 9);
  expect(comment?.body).toContain(candidate);
  expect(comment?.body).toMatch(/claims of the fork's own run/);
  expect(comment?.body).not.toMatch(/999|evil\.example/);
  expect(comment?.body).toContain(`[run](https://github.com/acme/app/actions/runs/${forkRun.runId})`);
}, 300_000);
