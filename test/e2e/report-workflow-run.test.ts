/**
 * The bundled report action in its `from-workflow-run` mode, run as the runner runs it
 * (INPUT_* variables, a workflow_run event file, GITHUB_* files) against the GitHub stand-in and
 * a real OCI layout store: what karoo-report-comment.yml does for a fork's pull request.
 * Needs `npx tsc -b && node scripts/bundle.mjs report`.
 */
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import { sha256Of } from '@karoo/common';
import { parseConfig } from '@karoo/config';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { openStore } from '@karoo/oci';
import { buildReport, renderJson } from '@karoo/report';
import { runBundle } from '../support/bundle.js';
import { ROOT } from '../support/cli.js';
import { addEvidence, CAM_SYSTEM_YML } from '../support/evidence.js';
import { makeWheels } from '../support/wheels.js';

const BUNDLE = join(ROOT, 'dist/report/index.js');
let work: string;
let standin: GitHubStandin | undefined;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npx tsc -b && node scripts/bundle.mjs report`);
  work = await mkdtemp(join(tmpdir(), 'karoo-report-run-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

it("posts a fork's comment on the pull request of the event, with nothing forged in it, through the bundled action", async () => {
  standin = await startGitHubStandin({ tokens: { rw: {} } });
  standin.addRepo('acme/cam');
  standin.addPullRequest('acme/cam', { number: 7, headRef: 'feature', headSha: 'a'.repeat(40) });
  standin.addPullRequest('acme/cam', { number: 9, headRef: 'patch', headSha: 'b'.repeat(40), headRepo: 'outsider/cam' });

  // The base repository: its karoo.yml names the store (a real one with the candidate in it).
  const repoDir = join(work, 'repo');
  const wheels = await makeWheels(join(work, 'wheels'), [{ name: 'acme-cam', version: '3.0.0', size: 800 }]);
  const store = `oci-layout:${join(work, 'store')}`;
  const { candidate } = await build({ lock: wheels.lock(), store: openStore(store), system: 'cam' });
  await mkdir(repoDir, { recursive: true });
  const yml = `${CAM_SYSTEM_YML}store: ${store}\nenvironments:\n  - name: integration\n  - name: production\n`;
  await writeFile(join(repoDir, 'karoo.yml'), yml);
  const config = parseConfig(yml, join(repoDir, 'karoo.yml'));

  // The store's evidence: one that a promotion would count, and two that it would not (pushed by
  // someone with write access to the store): about another system, and from a run of another workflow.
  standin.addWorkflowRun('acme/cam', {
    id: 501,
    path: '.github/workflows/karoo-candidate.yml',
    conclusion: 'success',
    headSha: 'c'.repeat(40),
  });
  standin.addWorkflowRun('acme/cam', { id: 502, path: '.github/workflows/scratch.yml', conclusion: 'success', headSha: 'c'.repeat(40) });
  const runOf = (id: number) => ({
    repository: 'acme/cam',
    runId: String(id),
    commit: 'c'.repeat(40),
    runUrl: `https://github.com/acme/cam/actions/runs/${id}`,
  });
  const s = openStore(store);
  await addEvidence(s, candidate, { environment: 'integration', config, passed: 3, run: runOf(501) });
  const forged = await addEvidence(s, candidate, {
    environment: 'production',
    systemId: sha256Of('a system nobody tested'),
    passed: 41,
    run: runOf(501),
  });
  const elsewhere = await addEvidence(s, candidate, { environment: 'integration', config, passed: 77, run: runOf(502) });

  // The fork's artifact: a valid report claiming 999 passing tests with its own link, and pr = 7.
  const artifact = join(work, 'artifact');
  await mkdir(artifact);
  const report = JSON.parse(renderJson(buildReport({ head: wheels.lock(), candidate: { digest: candidate, existed: false } })));
  report.evidence = [
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
  await writeFile(join(artifact, 'report.json'), JSON.stringify(report));
  await writeFile(join(artifact, 'pr'), '7\n');

  const r = await runBundle(BUNDLE, {
    cwd: repoDir,
    under: work,
    inputs: { 'github-token': 'rw', 'from-workflow-run': 'true', 'report-json': join(artifact, 'report.json'), config: 'karoo.yml' },
    event: {
      name: 'workflow_run',
      payload: {
        action: 'completed',
        workflow_run: {
          id: 777,
          event: 'pull_request',
          head_sha: 'b'.repeat(40),
          head_branch: 'patch',
          head_repository: { full_name: 'outsider/cam' },
          pull_requests: [],
        },
      },
    },
    env: {
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'acme/cam',
      GITHUB_API_URL: standin.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '778',
    },
  });
  expect({ code: r.code, log: r.log }).toMatchObject({ code: 0 });
  expect(standin.comments('acme/cam', 7)).toEqual([]);
  const [comment] = standin.comments('acme/cam', 9);
  expect(comment?.body).toContain(candidate);
  expect(comment?.body).toMatch(/claims of the fork's own run/);
  expect(comment?.body).not.toMatch(/999|evil\.example/);
  expect(comment?.body).toContain('[run](https://github.com/acme/cam/actions/runs/777)');
  expect(r.outputs['comment-url']).toMatch(/^https:\/\/github\.com\/acme\/cam\/pull\/9#issuecomment-\d+$/);
  // Only the evidence a promotion would count is shown as passing; the rest is named in the log.
  expect(comment?.body).toMatch(
    /\| integration \| ✅ passed \| 3 \| 0 \| 0 \| .* \| \[run\]\(https:\/\/github\.com\/acme\/cam\/actions\/runs\/501\)/,
  );
  expect(comment?.body).not.toMatch(/\| production \| ✅/);
  expect(comment?.body).not.toMatch(/\| (41|77) \|/);
  expect(r.log).toContain(
    `::warning::evidence ${forged} (production, passed) is not shown: it is about system ${sha256Of('a system nobody tested')}`,
  );
  expect(r.log).toMatch(
    new RegExp(
      `::warning::evidence ${elsewhere} \\(integration, passed\\) is not shown: its run 502 is a run of \\.github/workflows/scratch\\.yml`,
    ),
  );
}, 60_000);
