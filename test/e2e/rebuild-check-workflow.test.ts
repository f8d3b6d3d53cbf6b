/**
 * The starter `karoo-rebuild-check.yml` (only OWNER replaced) run by the workflow runner for a
 * consumer: on its schedule it checks out the repository and runs karoo's rebuild action at v1
 * with the private index's credentials from the repository's secrets. When a file of what
 * qualification and production run was replaced on the index, the run fails and one issue names
 * it; dispatched again once the file is back, the run succeeds and the issue is closed. The
 * index password, a canary, is in no log, summary, output or issue. Needs
 * `npx tsc -b && node scripts/bundle.mjs rebuild`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import { sha256Of } from '@karoo/common';
import { parseConfig } from '@karoo/config';
import { buildWheel, type BuiltWheel, type IndexServer, serveIndex, wheelFile, writeIndex } from '@karoo/example';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { Lock } from '@karoo/lock';
import { LayoutStore } from '@karoo/oci';
import { promote } from '@karoo/promote';
import { ROOT } from '../support/cli.js';
import { createRepo, events, repoInfo, WorkflowRunner, type RunResult } from '../support/workflow-runner/index.js';
import { repoFiles } from '../support/workflows.js';

const OWNER = 'karoo-dev';
const REPO = 'acme/cam';
const WORKFLOW = '.github/workflows/karoo-rebuild-check.yml';
const INDEX_USER = 'ci-bot';
const CANARY = 'canary-rebuild-index-9d2e7f41';
let work: string;
let index: IndexServer;
let standin: GitHubStandin;
let runner: WorkflowRunner;
let wheels: BuiltWheel[];
let candidate: string;
let app: ReturnType<typeof createRepo>;
let karoo: ReturnType<typeof createRepo>;
const results: RunResult[] = [];

const wheel = (name: string, version: string, body = 'original') =>
  buildWheel({ name, version, files: { [`${name.replace(/-/g, '_')}/__init__.py`]: `# ${body}\n${'z = 3\n'.repeat(200)}` } });
const publish = (replace?: BuiltWheel) =>
  writeIndex(
    join(work, 'index'),
    wheels.map((w) => ({ name: w.name, files: [wheelFile(w === replace ? wheel(w.name, w.version, 'replaced upstream') : w)] })),
  );

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/rebuild/index.js')))
    throw new Error('dist/rebuild is missing: run npx tsc -b && node scripts/bundle.mjs rebuild');
  work = await mkdtemp(join(tmpdir(), 'karoo-rebuild-check-wf-'));
  wheels = [wheel('acme-cam', '2.0.0'), wheel('katcp', '0.9.3')];
  await publish();
  index = await serveIndex(join(work, 'index'), { auth: { username: INDEX_USER, password: CANARY } });
  const yml = `system: cam
leaves: [acme-cam]
indexes:
  - name: private
    url: ${index.urlFor('simple/')}
    username-env: CAM_INDEX_USER
    password-env: CAM_INDEX_TOKEN
store: oci-layout:${join(work, 'store')}
environments:
  - name: qualification
    requires: []
  - name: production
    requires: []
`;
  const config = parseConfig(yml, join(work, 'karoo.yml'));
  // The candidate both environments run, built from the index as it was, and promoted as karoo promote does.
  const lock = Lock.create(
    wheels.map((w) => ({
      name: w.name,
      version: w.version,
      files: [{ name: w.filename, url: index.urlFor(`files/${w.filename}`), sha256: w.sha256, size: w.size }],
    })),
    { target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'] }, leaves: { 'acme-cam': '2.0.0' } },
  );
  const store = new LayoutStore(join(work, 'store'));
  candidate = (
    await build({ lock, store, system: 'cam', indexes: config.indexes, env: { CAM_INDEX_USER: INDEX_USER, CAM_INDEX_TOKEN: CANARY } })
  ).candidate;
  for (const environment of ['qualification', 'production']) {
    await promote({ store, config, candidate, environment, actor: 'alice', systemId: async (c, env) => sha256Of(`${c} ${env.name}`) });
  }

  karoo = createRepo({ parent: work, files: repoFiles('actions/rebuild/action.yml', 'dist/rebuild') });
  karoo.tag('v1');
  app = createRepo({
    parent: work,
    files: {
      'karoo.yml': yml,
      [WORKFLOW]: readFileSync(join(ROOT, 'workflows-templates/karoo-rebuild-check.yml'), 'utf8').replaceAll('OWNER/', `${OWNER}/`),
    },
  });
  standin = await startGitHubStandin();
  standin.addRepo(REPO);
  runner = new WorkflowRunner({ github: standin });
}, 120_000);
afterAll(async () => {
  await runner?.close();
  await standin?.close();
  await index?.close();
  await rm(work, { recursive: true, force: true });
}, 60_000);

async function check(event: 'schedule' | 'workflow_dispatch'): Promise<RunResult> {
  const r = await runner.run({
    repo: app.dir,
    repository: REPO,
    workflow: WORKFLOW,
    event,
    payload:
      event === 'schedule'
        ? { schedule: '17 4 * * 1', repository: repoInfo(REPO) }
        : events.workflowDispatch({ repository: REPO, workflow: WORKFLOW }),
    secrets: { INDEX_USERNAME: INDEX_USER, INDEX_PASSWORD: CANARY },
    repos: { [`${OWNER}/karoo`]: karoo.dir },
  });
  results.push(r);
  return r;
}

it('a replaced file: the scheduled run fails and opens one issue naming it; dispatched once it is back, the run succeeds and closes the issue', async () => {
  const katcp = wheels[1]!;
  await publish(katcp);
  const bad = await check('schedule');
  expect(bad.conclusion).toBe('failure');
  const job = bad.jobs['rebuild-check']!;
  const step = job.steps.find((s) => s.name.includes(`${OWNER}/karoo/actions/rebuild@v1`))!;
  expect(step.outcome).toBe('failure');
  expect(step.outputs.rebuildable).toBe('false');
  expect(step.log).toMatch(new RegExp(`cannot rebuild what qualification, production \\(${candidate}\\) runs`));
  expect(job.summary).toContain(`| \`${katcp.filename}\` | changed | replaced: `);
  let issues = standin.issues(REPO);
  expect(issues).toEqual([
    expect.objectContaining({ state: 'open', labels: ['karoo-rebuild'], title: 'karoo: a running candidate can no longer be rebuilt' }),
  ]);
  expect(issues[0]!.body).toContain(`### qualification, production: \`${candidate}\` — not rebuildable`);
  expect(issues[0]!.body).toContain(katcp.filename);
  expect(step.outputs['issue-url']).toBe(`https://github.com/${REPO}/issues/${issues[0]!.number}`);
  // The index was read with the secrets' credentials, never anonymously.
  expect(index.requests.filter((q) => q.path.includes('/files/')).every((q) => q.user === INDEX_USER)).toBe(true);

  await publish();
  const good = await check('workflow_dispatch');
  expect({ conclusion: good.conclusion, log: good.conclusion === 'success' ? '' : good.log }).toEqual({ conclusion: 'success', log: '' });
  issues = standin.issues(REPO);
  expect(issues).toEqual([expect.objectContaining({ state: 'closed' })]);
}, 300_000);

it('the index password (a canary) is in no log, summary, output or issue, and nothing had to be masked', () => {
  expect(results.length).toBe(2);
  for (const r of results) {
    expect(r.masked.filter((s) => s === CANARY)).toEqual([]);
    for (const j of Object.values(r.jobs))
      expect(JSON.stringify([r.log, j.outputs, j.summary, j.steps.map((s) => [s.outputs, s.log])])).not.toContain(CANARY);
  }
  for (const i of standin.issues(REPO)) expect(i.body).not.toContain(CANARY);
});
