/**
 * karoo adopted by another repository (issue 10 §2), through the workflow runner
 * (test/support/workflow-runner): a separate git repository for a system that is not the CAM
 * example — its own karoo.yml (system `tern`, two leaves, two nspawn nodes), a private index on
 * 127.0.0.1 that requires basic auth, a registry with htpasswd credentials, no `actions/`
 * directory — whose workflows are the starter workflows of workflows-templates/ with only OWNER
 * replaced. karoo itself is reached as `karoo-dev/karoo@v1`, tagged by scripts/release.mjs in a
 * clone of this repository (see `releaseKaroo` for what the clone holds). The cases run in
 * order and share the consumer repository, the index and the registry; every acceptance run
 * gets fresh machines, as karoo does.
 *
 * Runs are registered with the stand-in as GitHub records them (promote asks whether evidence
 * came from a successful run of the candidate workflow). A fork's pull request gets no secrets,
 * so with the private index its run fails at resolve (3a); the fork whose comment comes through
 * karoo-report-comment.yml reads a mirror of the index without credentials (3).
 *
 * Needs root, systemd-nspawn, karoo's machine image, docker-registry (scripts/ensure-deps.sh),
 * and `npx tsc -b && node scripts/bundle.mjs`. About 4 minutes on an idle 2-core machine.
 */
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWheel, serveIndex, wheelFile, writeIndex, type IndexProjectInput, type IndexServer } from '@karoo/example';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { ROOT } from '../support/cli.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { createRepo, events, WorkflowRunner, type FixtureRepo, type RunResult } from '../support/workflow-runner/index.js';

jest.setTimeout(900_000);

const OWNER = 'karoo-dev';
const REPO = 'acme/tern';
const INDEX_USER = 'tern-ci';
/** Canaries: the index password and the registry password. Neither may appear anywhere a user can read. */
const CANARY = 'canary-index-5b8e0c7d1f2a9346';
const REGISTRY_CANARY = 'canary-registry-c41d9e8a07b2f563';
const CANDIDATE_WORKFLOW = '.github/workflows/karoo-candidate.yml';

let work: string;
let karooDir: string;
let index: IndexServer;
let registry: RunningRegistry;
let standin: GitHubStandin;
let runner: WorkflowRunner;
let app: FixtureRepo;
let mainSha: string;
let storeRef: string;
const results: RunResult[] = [];
const published: IndexProjectInput[] = [];

const wheel = (name: string, version: string, requires: string[] = []) =>
  wheelFile(buildWheel({ name, version, requires, requiresPython: '>=3.8', files: { [`${name.replace(/-/g, '_')}/__init__.py`]: `VERSION = "${version}"\n` } }));

/** Uploads a new version to the private index. */
async function publish(name: string, version: string, requires: string[] = []): Promise<void> {
  published.push({ name, files: [wheel(name, version, requires)] });
  await writeIndex(join(work, 'index'), published);
}

const ACCEPT_PY = `import json, os, sys
inv = json.load(open(os.environ["KAROO_INVENTORY"]))
names = sorted(n["name"] for n in inv["nodes"])
values = json.load(open(os.environ["KAROO_VALUES"])) if os.environ.get("KAROO_VALUES") else {}
ok = names == ["hub-1", "probe-1"] and values.get("mode") != "broken"
os.makedirs("reports", exist_ok=True)
case = '<testcase classname="tern" name="two nodes"/>' if ok else '<testcase classname="tern" name="two nodes"><failure message="unexpected">%s %s</failure></testcase>' % (names, values.get("mode"))
open("reports/junit.xml", "w").write('<testsuite name="tern" tests="1" failures="%d">%s</testsuite>' % (0 if ok else 1, case))
sys.exit(0 if ok else 1)
`;

function karooYml(extra: { values?: string; provision?: string } = {}): string {
  return `system: tern
leaves: [tern-core, tern-probe]
indexes:
  - name: private
    url: ${index.urlFor('simple/')}
    username-env: TERN_INDEX_USER
    password-env: TERN_INDEX_TOKEN
store: ${storeRef}
target:
  python: "3.11"
  implementation: cp
  platforms: [manylinux_2_28_x86_64]
nodes:
  - { name: hub-1, role: hub, cpus: 1, memory: 256 }
  - { name: probe-1, role: probe, cpus: 1, memory: 256 }
roles:
  hub: { leaves: [tern-core] }
  probe: { leaves: [tern-probe] }
values: { mode: ${extra.values ?? 'normal'} }
environments:
  - name: integration
  - name: qualification
    requires: [integration]
  - name: production
    requires: [integration]
    soak: 24h
acceptance:
  command: [python3, tests/accept.py]
  junit: reports/junit.xml
  timeout: 2m
provision:
${extra.provision ?? '  provider: nspawn\n  ttl: 30m'}
`;
}

const template = (name: string) => readFileSync(join(ROOT, 'workflows-templates', name), 'utf8').replaceAll('OWNER', OWNER);

/** Files of a directory, recursively (relative paths). */
function walk(dir: string, out: string[] = [], prefix = dir): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, out, prefix);
    else out.push(p);
  }
  return out;
}

/**
 * karoo at v1 the way its release process makes it: a clone of this repository's HEAD, with the
 * files a consumer runs (workflows, action.yml files, dist/) as they are in the work tree — the
 * suite tests the code it just built, and other work may not be committed yet — committed, then
 * tagged by scripts/release.mjs. `--tag-only`: the release's build and full checks are this
 * suite itself, far too long to run inside one of its tests.
 */
function releaseKaroo(): string {
  const dir = join(work, 'karoo');
  execFileSync('git', ['clone', '-q', '--shared', ROOT, dir]);
  for (const t of execFileSync('git', ['tag', '--list', 'v*'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean)) execFileSync('git', ['tag', '-d', t], { cwd: dir });
  for (const p of ['dist', 'actions', '.github/workflows', 'action.yml']) {
    cpSync(join(ROOT, p), join(dir, p), { recursive: true, filter: (s) => !s.includes('node_modules') && !/\/actions\/[^/]+\/(lib|src)(\/|$)/.test(s) });
  }
  const git = (...a: string[]) => execFileSync('git', ['-c', 'user.name=release', '-c', 'user.email=release@example.invalid', '-c', 'commit.gpgsign=false', ...a], { cwd: dir, encoding: 'utf8' });
  git('add', '-A', '--', 'dist', 'actions', '.github/workflows', 'action.yml');
  git('commit', '-q', '--allow-empty', '-m', 'release candidate: the work tree’s workflows, actions and bundles');
  // Untracked files the copy left (ignored paths stay ignored): the release refuses a dirty tree.
  const out = execFileSync(process.execPath, [join(ROOT, 'scripts/release.mjs'), '1.0.0', '--tag-only', '--repo', dir], { encoding: 'utf8' });
  expect(out).toContain('released v1.0.0');
  expect(git('rev-parse', 'v1^{commit}').trim()).toBe(git('rev-parse', 'HEAD').trim());
  return dir;
}

beforeAll(async () => {
  for (const step of ['resolve', 'build', 'promote', 'provision', 'deploy', 'accept', 'report']) {
    if (!existsSync(join(ROOT, 'dist', step, 'index.js'))) throw new Error(`dist/${step} is missing: run npx tsc -b && node scripts/bundle.mjs`);
  }
  work = await mkdtemp(join(tmpdir(), 'karoo-consumer-'));
  karooDir = releaseKaroo();

  // The private index: tern-core needs tern-util; tern-probe stands alone. Tiny pure wheels.
  published.push(
    { name: 'tern-core', files: [wheel('tern-core', '1.0.0', ['tern-util>=2'])] },
    { name: 'tern-util', files: [wheel('tern-util', '2.1.0')] },
    { name: 'tern-probe', files: [wheel('tern-probe', '0.3.0')] },
  );
  await writeIndex(join(work, 'index'), published);
  index = await serveIndex(join(work, 'index'), { auth: { username: INDEX_USER, password: CANARY } });
  registry = await startRegistry({ basicAuth: { username: 'tern-pusher', password: REGISTRY_CANARY } });
  storeRef = `${registry.host}/acme/tern`;

  app = createRepo({
    parent: work,
    files: {
      'karoo.yml': karooYml(),
      'tests/accept.py': ACCEPT_PY,
      '.gitignore': 'reports/\n.karoo/\n',
      '.github/workflows/karoo-candidate.yml': template('karoo-candidate.yml'),
      '.github/workflows/karoo-release.yml': template('karoo-release.yml'),
      '.github/workflows/karoo-report-comment.yml': template('karoo-report-comment.yml'),
    },
  });
  mainSha = app.head();
  expect(existsSync(join(app.dir, 'actions'))).toBe(false);
  standin = await startGitHubStandin();
  standin.addRepo(REPO, { branches: { main: mainSha } });
  runner = new WorkflowRunner({ github: standin });
}, 600_000);

afterAll(async () => {
  await runner?.close();
  await standin?.close();
  await index?.close();
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

const secrets = () => ({ INDEX_USERNAME: INDEX_USER, INDEX_PASSWORD: CANARY, REGISTRY_USERNAME: 'tern-pusher', REGISTRY_PASSWORD: REGISTRY_CANARY });

/** A branch of the consumer with `files` changed, as a pull request's head. */
function branch(name: string, files: Record<string, string>): string {
  execFileSync('git', ['checkout', '-q', '-b', name, mainSha], { cwd: app.dir });
  app.write(files);
  const sha = app.commit(`${name}: change`);
  execFileSync('git', ['checkout', '-q', 'main'], { cwd: app.dir });
  return sha;
}

async function candidateRun(event: 'pull_request' | 'push', payload: Record<string, unknown>, headSha: string, fork = false, workflow = CANDIDATE_WORKFLOW): Promise<RunResult> {
  const r = await runner.run({
    repo: app.dir,
    repository: REPO,
    workflow,
    event,
    payload,
    // A fork's run gets no secrets (the runner drops them too, as GitHub does).
    secrets: fork ? {} : secrets(),
    repos: { [`${OWNER}/karoo`]: karooDir },
  });
  results.push(r);
  if (process.env.KAROO_CONSUMER_DUMP) writeFileSync(join(process.env.KAROO_CONSUMER_DUMP, `run-${results.length}.json`), JSON.stringify(r, null, 1));
  // GitHub keeps a record of every run: promote asks it whether evidence came from a successful
  // run of the candidate workflow.
  standin.addWorkflowRun(REPO, { id: Number(r.runId), path: workflow, conclusion: r.conclusion === 'success' ? 'success' : 'failure', headSha, event, name: 'candidate', ...(fork ? { headRepo: 'outsider/tern' } : {}) });
  return r;
}

function pullRequest(number: number, headSha: string, options: { headRef?: string; headRepo?: string; workflow?: string } = {}): Promise<RunResult> {
  const payload = events.pullRequest({ repository: REPO, number, headSha, baseSha: mainSha, headRef: options.headRef ?? 'topic', ...(options.headRepo ? { headRepo: options.headRepo } : {}) });
  return candidateRun('pull_request', payload, headSha, !!options.headRepo, options.workflow);
}

const job = (r: RunResult, id: string) => Object.values(r.jobs).find((j) => j.jobId === id && j.key.includes('/'))!;
const candidateOutputs = (r: RunResult) => r.jobs.candidate!.outputs;
const why = (r: RunResult) => Object.values(r.jobs).map((j) => `${j.key}: ${j.result}\n${j.steps.filter((s) => s.outcome === 'failure').map((s) => `  ${s.name}: ${s.log.slice(-3000)}`).join('\n')}`).join('\n');

let prSha: string;
let first: RunResult;

it('1. a pull request from the same repository: resolve → build to the registry → acceptance on fresh machines → the sticky comment; every output of candidate.yml', async () => {
  prSha = branch('topic', { 'README.md': '# tern\n' });
  standin.addPullRequest(REPO, { number: 7, headRef: 'topic', headSha: prSha, baseRef: 'main', baseSha: mainSha });
  index.clearLog();
  first = await pullRequest(7, prSha);
  expect({ conclusion: first.conclusion, why: first.conclusion === 'success' ? '' : why(first) }).toEqual({ conclusion: 'success', why: '' });
  const out = candidateOutputs(first);
  expect(out.candidate).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(out['lock-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(out['system-id']).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(out.evidence).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(out.result).toBe('passed');
  expect(out['comment-url']).toMatch(new RegExp(`^https://github\\.com/${REPO}/pull/7#issuecomment-\\d+$`));
  // Acceptance ran on machines of this run.
  expect(job(first, 'accept').result).toBe('success');
  // The private index saw the secrets' credentials, never an anonymous download.
  expect(index.requests.some((q) => q.user === INDEX_USER && q.status === 200)).toBe(true);
  expect(index.requests.filter((q) => q.path.includes('.whl') && q.status === 200).every((q) => q.user === INDEX_USER)).toBe(true);
  // The candidate is in the registry, pushed with the secrets' credentials.
  const auth = Buffer.from(`tern-pusher:${REGISTRY_CANARY}`).toString('base64');
  const manifest = await fetch(`http://${registry.host}/v2/acme/tern/manifests/${out.candidate}`, { headers: { authorization: `Basic ${auth}`, accept: 'application/vnd.oci.image.manifest.v1+json' } });
  expect(manifest.status).toBe(200);
  const comments = standin.comments(REPO, 7);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body).toContain(out.candidate!.slice(7, 19));
}, 900_000);

it('2. the same pull request again, nothing changed: acceptance skipped because passing evidence exists, the comment updated in place', async () => {
  expect(first).toBeDefined();
  const before = standin.comments(REPO, 7);
  const again = await pullRequest(7, prSha);
  expect({ conclusion: again.conclusion, why: again.conclusion === 'success' ? '' : why(again) }).toEqual({ conclusion: 'success', why: '' });
  expect(job(again, 'accept').result).toBe('skipped');
  expect(job(again, 'build').summary).toContain('Acceptance skipped');
  const out = candidateOutputs(again);
  expect(out).toMatchObject({ candidate: candidateOutputs(first).candidate, result: 'passed', evidence: candidateOutputs(first).evidence, 'system-id': candidateOutputs(first)['system-id'] });
  const after = standin.comments(REPO, 7);
  expect(after).toHaveLength(1);
  expect(after[0]!.id).toBe(before[0]!.id);
  expect(out['comment-url']).toBe(candidateOutputs(first)['comment-url']);
}, 900_000);

it('3a. a pull request from a fork gets no secrets: with the private index its run fails at resolve, loudly, with a read-only token and no comment', async () => {
  const sha = branch('fork-private', { 'NOTES.md': 'from a fork\n' });
  standin.addPullRequest(REPO, { number: 12, headRef: 'fork-private', headSha: sha, headRepo: 'outsider/tern', baseRef: 'main', baseSha: mainSha });
  const r = await pullRequest(12, sha, { headRef: 'fork-private', headRepo: 'outsider/tern' });
  expect(r.conclusion).toBe('failure');
  for (const j of Object.values(r.jobs)) for (const level of Object.values(j.permissions ?? {})) expect(level).not.toBe('write');
  const resolve = job(r, 'build').steps.find((s) => s.name.includes('actions/resolve'))!;
  expect(resolve.log).toMatch(/index "private" refused access to tern-core \(HTTP 401\)/);
  expect(candidateOutputs(r)).toMatchObject({ result: 'failed', reason: 'resolve or build failed; see the build job', 'comment-url': '' });
  expect(standin.comments(REPO, 12)).toEqual([]);
}, 900_000);

it('3. a pull request from a fork (whose karoo.yml reads a mirror of the index without credentials): the candidate workflow with a read-only token and no secrets, then karoo-report-comment.yml (workflow_run) posts the comment', async () => {
  const mirror = await serveIndex(join(work, 'index'));
  try {
    const sha = branch('fork-topic', { 'karoo.yml': karooYml().replace(/indexes:\n(?: {2}.*\n| {4}.*\n)+/, `indexes:\n  - name: mirror\n    url: ${mirror.urlFor('simple/')}\n`) });
    standin.addPullRequest(REPO, { number: 11, headRef: 'fork-topic', headSha: sha, headRepo: 'outsider/tern', baseRef: 'main', baseSha: mainSha });
    const forkRun = await pullRequest(11, sha, { headRef: 'fork-topic', headRepo: 'outsider/tern' });
    expect({ fork: forkRun.conclusion, why: forkRun.conclusion === 'success' ? '' : why(forkRun) }).toEqual({ fork: 'success', why: '' });
    // Every scope of the fork's token is read at most; the fork's run posted nothing.
    for (const j of Object.values(forkRun.jobs)) for (const level of Object.values(j.permissions ?? {})) expect(level).not.toBe('write');
    expect(standin.comments(REPO, 11)).toEqual([]);
    expect(candidateOutputs(forkRun)['comment-url']).toBe('');
    const comment = await runner.run({
      repo: app.dir,
      repository: REPO,
      workflow: '.github/workflows/karoo-report-comment.yml',
      event: 'workflow_run',
      payload: events.workflowRun({ repository: REPO, id: Number(forkRun.runId), conclusion: forkRun.conclusion, headSha: sha, headBranch: 'fork-topic', headRepo: 'outsider/tern' }),
      sha: mainSha,
      ref: 'refs/heads/main',
      secrets: secrets(),
      repos: { [`${OWNER}/karoo`]: karooDir },
    });
    results.push(comment);
    if (process.env.KAROO_CONSUMER_DUMP) writeFileSync(join(process.env.KAROO_CONSUMER_DUMP, 'fork-comment.json'), JSON.stringify(comment, null, 1));
    expect({ conclusion: comment.conclusion, why: comment.conclusion === 'success' ? '' : why(comment) }).toEqual({ conclusion: 'success', why: '' });
    const [posted, ...more] = standin.comments(REPO, 11);
    expect(more).toEqual([]);
    expect(posted!.body).toContain(candidateOutputs(forkRun).candidate!);
    expect(posted!.body).toMatch(/claims of the fork's own run/);
  } finally {
    await mirror.close();
  }
}, 900_000);

it('4. workflow_dispatch releases: integration, then qualification, then production refused by its soak gate; Deployments and statuses on the stand-in', async () => {
  expect(first).toBeDefined();
  const candidate = candidateOutputs(first).candidate!;
  const workflow = '.github/workflows/karoo-release.yml';
  const release = async (environment: string) => {
    const r = await runner.run({
      repo: app.dir,
      repository: REPO,
      workflow,
      event: 'workflow_dispatch',
      payload: events.workflowDispatch({ repository: REPO, ref: 'refs/heads/main', workflow, inputs: { candidate, environment, reason: `consumer test: ${environment}`, rollback: false } }),
      ref: 'refs/heads/main',
      secrets: secrets(),
      environments: { integration: {}, qualification: {}, production: {} },
      repos: { [`${OWNER}/karoo`]: karooDir },
    });
    results.push(r);
    if (process.env.KAROO_CONSUMER_DUMP) writeFileSync(join(process.env.KAROO_CONSUMER_DUMP, `release-${environment}.json`), JSON.stringify(r, null, 1));
    return { r, promote: Object.values(r.jobs).flatMap((j) => j.steps).find((s) => s.id === 'promote')! };
  };
  const integration = await release('integration');
  expect({ conclusion: integration.r.conclusion, why: integration.r.conclusion === 'success' ? '' : why(integration.r) }).toEqual({ conclusion: 'success', why: '' });
  expect(integration.promote.outputs).toMatchObject({ status: 'promoted', environment: 'integration', 'system-id': candidateOutputs(first)['system-id'] });
  const qualification = await release('qualification');
  expect({ conclusion: qualification.r.conclusion, why: qualification.r.conclusion === 'success' ? '' : why(qualification.r) }).toEqual({ conclusion: 'success', why: '' });
  expect(qualification.promote.outputs.status).toBe('promoted');
  const production = await release('production');
  expect(production.r.conclusion).toBe('failure');
  expect(production.promote.outcome).toBe('failure');
  expect(production.promote.log).toMatch(/may not enter production: .*soak 24h in integration: \d+s since \S+, (24h|23h\d+m) to go/);
  expect(production.promote.log).not.toMatch(/no evidence from integration/);
  // GitHub Deployments: one per promotion, each ending in success; none for the refusal.
  const deployments = standin.deployments(REPO);
  expect(deployments.map((d) => d.environment).sort()).toEqual(['integration', 'qualification']);
  for (const d of deployments) {
    expect(d.sha).toBe(mainSha);
    expect(d.statuses.at(-1)).toBe('success');
  }
}, 900_000);

it('5a. a failing acceptance run gives result: failed, says why, and fails the check', async () => {
  const sha = branch('broken', { 'karoo.yml': karooYml({ values: 'broken' }) });
  standin.addPullRequest(REPO, { number: 8, headRef: 'broken', headSha: sha, baseRef: 'main', baseSha: mainSha });
  const r = await pullRequest(8, sha, { headRef: 'broken' });
  expect(r.conclusion).toBe('failure');
  expect(job(r, 'accept').result).toBe('failure');
  const out = candidateOutputs(r);
  expect(out.result).toBe('failed');
  expect(out.evidence).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(job(r, 'accept').outputs.reason).toMatch(/the acceptance tests failed \(1 failed\)/);
  // The comment still comes, with the failure in it.
  expect(standin.comments(REPO, 8)).toHaveLength(1);
}, 900_000);

it('5b. a provisioning failure gives result: failed with the reason, never skipped', async () => {
  // A cloud image that is not there, for qemu: provisioning stops before any machine boots.
  const sha = branch('no-image', {
    'karoo.yml': karooYml({ values: 'no-image', provision: `  provider: qemu\n  image: file://${join(work, 'missing.img')}\n  image-sha256: "${'0'.repeat(64)}"\n  ttl: 30m` }),
  });
  standin.addPullRequest(REPO, { number: 9, headRef: 'no-image', headSha: sha, baseRef: 'main', baseSha: mainSha });
  const r = await pullRequest(9, sha, { headRef: 'no-image' });
  expect(r.conclusion).toBe('failure');
  const out = candidateOutputs(r);
  expect(out.result).toBe('failed');
  expect(out.result).not.toBe('skipped');
  expect(job(r, 'accept').outputs.reason).toMatch(/^provisioning the machines failed: \S/);
  expect(job(r, 'accept').outputs.reason).not.toBe('provisioning the machines failed: see the provision step');
}, 900_000);

it('6. a later run restores the downloaded wheels from the Actions cache (the default branch\'s, by system prefix) and downloads only what changed', async () => {
  const cache = await runner.cache();
  // A new version of every package: the default branch's next run resolves a new lock, builds a
  // new candidate whose files are in no store yet, downloads all of them and saves them in the
  // cache on refs/heads/main (the cache holds what a build downloaded).
  await publish('tern-core', '1.1.0', ['tern-util>=2']);
  await publish('tern-util', '2.2.0');
  await publish('tern-probe', '0.3.1');
  const onMain = await candidateRun('push', events.push({ repository: REPO, after: mainSha }), mainSha);
  expect({ conclusion: onMain.conclusion, why: onMain.conclusion === 'success' ? '' : why(onMain) }).toEqual({ conclusion: 'success', why: '' });
  const saved = cache.saved().filter((e) => e.key.startsWith('karoo-wheels-tern-') && e.ref === 'refs/heads/main');
  expect(saved).toHaveLength(1);

  // A fork's pull request that picks up a new tern-probe. Its store is an OCI layout on the
  // runner, empty at every run (so no blob is already there): every file must come from the
  // cache or the index. It restores main's wheels by the system prefix and fetches one file.
  await publish('tern-probe', '0.4.0');
  const mirror = await serveIndex(join(work, 'index'));
  try {
    const sha = branch('fork-bump', { 'karoo.yml': karooYml().replace(/indexes:\n(?: {2}.*\n| {4}.*\n)+/, `indexes:\n  - name: mirror\n    url: ${mirror.urlFor('simple/')}\n`) });
    standin.addPullRequest(REPO, { number: 13, headRef: 'fork-bump', headSha: sha, headRepo: 'outsider/tern', baseRef: 'main', baseSha: mainSha });
    const before = cache.requests.length;
    const r = await pullRequest(13, sha, { headRef: 'fork-bump', headRepo: 'outsider/tern' });
    expect({ conclusion: r.conclusion, why: r.conclusion === 'success' ? '' : why(r) }).toEqual({ conclusion: 'success', why: '' });
    const restores = cache.requests.slice(before).filter((q) => q.key.startsWith('karoo-wheels-tern-') && q.ok);
    expect(restores.map((q) => q.matchedKey)).toEqual([saved[0]!.key]);
    const build = job(r, 'build').steps.find((s) => s.name.includes('actions/build'))!;
    expect(build.log).toContain(`downloaded files: restored from the Actions cache (${saved[0]!.key})`);
    expect(build.log).toMatch(/3 files, 0 blobs already in oci-layout:\S+, 3 to download/);
    const newWheel = statSync(join(work, 'index', 'files', 'tern_probe-0.4.0-py3-none-any.whl')).size;
    expect(build.log).toContain(`downloaded, checked and uploaded 3 files (${newWheel} bytes fetched)`);
  } finally {
    await mirror.close();
  }
}, 900_000);

// Not done: karoo's machine image (661 MB on this machine) is already in /var/cache/karoo, so
// provision never asks the cache for it here. Testing the restore needs a fresh KAROO_CACHE_DIR,
// one image build (minutes) and a 661 MB round trip through Azurite: too slow for this file.
// Only the key (recipe and architecture) is tested, in actions/provision/src/runner.test.ts.
it.todo('6b. a rerun restores the machine image from the Actions cache instead of building it');

it("7. GitHub Enterprise Server's way: candidate-ghes.yml, called with karoo-repository and karoo-ref, runs every karoo step from its checkout of karoo — resolve, build, acceptance on fresh machines, the comment", async () => {
  const workflow = '.github/workflows/karoo-candidate-ghes.yml';
  const caller = template('karoo-candidate.yml')
    .replace('/.github/workflows/candidate.yml@v1', '/.github/workflows/candidate-ghes.yml@v1')
    .replace('      config: karoo.yml\n', `      config: karoo.yml\n      karoo-repository: ${OWNER}/karoo\n      karoo-ref: v1\n`);
  expect(caller).toContain('candidate-ghes.yml@v1');
  expect(caller).toContain('karoo-ref: v1');
  // Other values: a system id with no evidence yet, so acceptance runs.
  const sha = branch('ghes', { 'karoo.yml': karooYml({ values: 'ghes' }), [workflow]: caller });
  standin.addPullRequest(REPO, { number: 14, headRef: 'ghes', headSha: sha, baseRef: 'main', baseSha: mainSha });
  const r = await pullRequest(14, sha, { headRef: 'ghes', workflow });
  expect({ conclusion: r.conclusion, why: r.conclusion === 'success' ? '' : why(r) }).toEqual({ conclusion: 'success', why: '' });
  for (const id of ['build', 'accept', 'report']) {
    const j = job(r, id);
    expect(`${id}: ${j.result}`).toBe(`${id}: success`);
    // karoo's steps ran from the checkout at karoo-ref, never from the caller's files.
    expect(j.steps.find((s) => s.name === "karoo's actions, at karoo-ref (GitHub Enterprise Server has no $/ references)")?.outcome).toBe('success');
    // Unnamed steps are called `Run <uses>`: `$/actions/…` or the checkout's `./.karoo/karoo/actions/…` (third-party ones start `Run actions/`).
    const karooSteps = j.steps.filter((s) => s.name.startsWith('Run ') && s.name.includes('/actions/'));
    expect(karooSteps.length).toBeGreaterThan(0);
    for (const s of karooSteps) expect(s.name).toMatch(/^Run \.\/\.karoo\/karoo\/actions\/[a-z]+$/);
  }
  const out = candidateOutputs(r);
  expect(out).toMatchObject({ result: 'passed', reason: '' });
  expect(out.candidate).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(out.evidence).toMatch(/^sha256:[0-9a-f]{64}$/);
  const comments = standin.comments(REPO, 14);
  expect(comments).toHaveLength(1);
  expect(out['comment-url']).toBe(`https://github.com/${REPO}/pull/14#issuecomment-${comments[0]!.id}`);
  expect(comments[0]!.body).toContain(out.candidate!.slice(7, 19));
}, 900_000);

it('the canary secrets appear in no log, output, job summary, artifact or comment', () => {
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) {
    // The log and summary are masked (as GitHub masks them): what had to be masked is the test.
    expect(r.masked.filter((s) => s === CANARY || s === REGISTRY_CANARY)).toEqual([]);
    expect(r.log).not.toContain(CANARY);
    expect(r.log).not.toContain(REGISTRY_CANARY);
    for (const j of Object.values(r.jobs)) {
      const text = JSON.stringify([j.outputs, j.summary, j.log, j.steps.map((s) => [s.outputs, s.log])]);
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain(REGISTRY_CANARY);
    }
    if (existsSync(r.artifactsDir)) {
      for (const f of walk(r.artifactsDir)) {
        const body = readFileSync(f);
        expect(body.includes(CANARY)).toBe(false);
        expect(body.includes(REGISTRY_CANARY)).toBe(false);
      }
    }
  }
  for (const n of [7, 8, 9, 11, 12, 13, 14]) for (const c of standin.comments(REPO, n)) expect(c.body).not.toMatch(/canary-/);
});
