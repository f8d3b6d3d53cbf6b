/**
 * The bundled report action in its `from-workflow-run` mode, run as the runner runs it
 * (INPUT_* variables, a workflow_run event file, GITHUB_* files) against the GitHub stand-in and
 * a real OCI layout store: what karoo-report-comment.yml does for a fork's pull request.
 * Needs `npx tsc -b && node scripts/bundle.mjs report`.
 */
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { openStore } from '@karoo/oci';
import { buildReport, renderJson } from '@karoo/report';
import { ROOT } from '../support/cli.js';
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
  await writeFile(join(repoDir, 'karoo.yml'), `system: cam\nleaves: [acme-cam]\nindexes: [{ url: ./index }]\nstore: ${store}\nenvironments:\n  - name: integration\n  - name: production\n`);

  // The fork's artifact: a valid report claiming 999 passing tests with its own link, and pr = 7.
  const artifact = join(work, 'artifact');
  await mkdir(artifact);
  const report = JSON.parse(renderJson(buildReport({ head: wheels.lock(), candidate: { digest: candidate, existed: false } })));
  report.evidence = [{ result: 'passed', passed: 999, failed: 0, skipped: 0, durationMs: 1, runUrl: 'https://evil.example/phish', environment: 'integration' }];
  await writeFile(join(artifact, 'report.json'), JSON.stringify(report));
  await writeFile(join(artifact, 'pr'), '7\n');

  const dir = await mkdtemp(join(work, 'run-'));
  const files = { output: join(dir, 'output'), summary: join(dir, 'summary'), event: join(dir, 'event.json') };
  await writeFile(files.output, '');
  await writeFile(files.summary, '');
  await writeFile(
    files.event,
    JSON.stringify({ action: 'completed', workflow_run: { id: 777, event: 'pull_request', head_sha: 'b'.repeat(40), head_branch: 'patch', head_repository: { full_name: 'outsider/cam' }, pull_requests: [] } }),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: 'workflow_run',
    GITHUB_REPOSITORY: 'acme/cam',
    GITHUB_API_URL: standin.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '778',
    GITHUB_WORKSPACE: repoDir,
    RUNNER_TEMP: dir,
    'INPUT_GITHUB-TOKEN': 'rw',
    'INPUT_FROM-WORKFLOW-RUN': 'true',
    'INPUT_REPORT-JSON': join(artifact, 'report.json'),
    INPUT_CONFIG: 'karoo.yml',
  };
  const { code, out } = await new Promise<{ code: number; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE], { cwd: repoDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c ?? -1, out: text }));
  });
  expect({ code, out }).toMatchObject({ code: 0 });
  expect(standin.comments('acme/cam', 7)).toEqual([]);
  const [comment] = standin.comments('acme/cam', 9);
  expect(comment?.body).toContain(candidate);
  expect(comment?.body).toMatch(/claims of the fork's own run/);
  expect(comment?.body).not.toMatch(/999|evil\.example/);
  expect(comment?.body).toContain('[run](https://github.com/acme/cam/actions/runs/777)');
  expect(await readFile(files.output, 'utf8')).toMatch(/comment-url<<ghadelimiter_[\w-]+\nhttps:\/\/github\.com\/acme\/cam\/pull\/9#issuecomment-\d+\n/);
}, 60_000);
