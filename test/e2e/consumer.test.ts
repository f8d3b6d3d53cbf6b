/**
 * karoo adopted by another repository (issue 10 §2), through the workflow runner
 * (test/support/workflow-runner): a separate git repository for a system that is not the CAM
 * example — its own karoo.yml (system `tern`, two leaves, two nspawn nodes), a private index on
 * 127.0.0.1 that requires basic auth, a registry with htpasswd credentials, no `actions/`
 * directory — whose workflows are the starter workflows of workflows-templates/ with only OWNER
 * replaced. karoo itself is reached as `karoo-dev/karoo@v1`, tagged by scripts/release.mjs in a
 * clone of this repository (the consumer is test/support/consumer.ts, shared with the README's
 * snippets test and bench/consumer-rerun.mjs; see `releaseKaroo` there for what the clone holds). The cases run in
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
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveIndex } from '@karoo/example';
import {
  canaryLeaks,
  INDEX_USER,
  OWNER,
  REGISTRY_CANARY,
  REGISTRY_USER,
  REPO,
  SECRETS,
  startConsumer,
  template,
  VARS,
  why,
  type Consumer,
} from '../support/consumer.js';
import { events, type RunResult } from '../support/workflow-runner/index.js';

jest.setTimeout(900_000);

let c: Consumer;

beforeAll(async () => {
  c = await startConsumer();
}, 600_000);

afterAll(async () => {
  await c?.close();
}, 120_000);

const job = (r: RunResult, id: string) => Object.values(r.jobs).find((j) => j.jobId === id && j.key.includes('/'))!;
const candidateOutputs = (r: RunResult) => r.jobs.candidate!.outputs;

let prSha: string;
let first: RunResult;

it('1. a pull request from the same repository: resolve → build to the registry → acceptance on fresh machines → the sticky comment; every output of candidate.yml', async () => {
  prSha = c.branch('topic', { 'README.md': '# tern\n' });
  c.standin.addPullRequest(REPO, { number: 7, headRef: 'topic', headSha: prSha, baseRef: 'main', baseSha: c.mainSha });
  c.index.clearLog();
  first = await c.pullRequest(7, prSha);
  expect({ conclusion: first.conclusion, why: first.conclusion === 'success' ? '' : why(first) }).toEqual({
    conclusion: 'success',
    why: '',
  });
  const out = candidateOutputs(first);
  expect(out.candidate).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(out['lock-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(out['system-id']).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(out.evidence).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(out.result).toBe('passed');
  expect(out['comment-url']).toMatch(new RegExp(`^https://github\\.com/${REPO}/pull/7#issuecomment-\\d+$`));
  // The registry user is the owner's name, kept in a variable as the README says: GitHub drops no
  // output for it (as a secret it would drop candidate-ref and comment-url; see 2c).
  expect(REGISTRY_USER).toBe(REPO.split('/')[0]);
  for (const j of Object.values(first.jobs)) expect(j.log).not.toContain('Skip output');
  expect(job(first, 'build').outputs['candidate-ref']).toBe(`${c.storeRef}@${out.candidate}`);
  expect(job(first, 'report').steps.find((s) => s.name.startsWith('check that GitHub kept'))!.outcome).toBe('skipped');
  // Acceptance ran on machines of this run.
  expect(job(first, 'accept').result).toBe('success');
  // As on GitHub, the run checked out refs/pull/7/merge (github.sha), not the head commit it
  // reports as its head_sha: the evidence check of scenario 2 must match the run by the latter.
  const merge = execFileSync('git', ['rev-parse', 'refs/pull/7/merge'], { cwd: c.app.dir, encoding: 'utf8' }).trim();
  expect(merge).not.toBe(prSha);
  expect(job(first, 'build').steps[0]!.outputs).toMatchObject({ commit: merge });
  // The private index saw the secrets' credentials, never an anonymous download.
  expect(c.index.requests.some((q) => q.user === INDEX_USER && q.status === 200)).toBe(true);
  expect(c.index.requests.filter((q) => q.path.includes('.whl') && q.status === 200).every((q) => q.user === INDEX_USER)).toBe(true);
  // The candidate is in the registry, pushed with the secrets' credentials.
  const auth = Buffer.from(`${REGISTRY_USER}:${REGISTRY_CANARY}`).toString('base64');
  const manifest = await fetch(`http://${c.registry.host}/v2/acme/tern/manifests/${out.candidate}`, {
    headers: { authorization: `Basic ${auth}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  expect(manifest.status).toBe(200);
  const comments = c.standin.comments(REPO, 7);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body).toContain(out.candidate!.slice(7, 19));
  // The consumer commits no lock (the run writes it): no base lock to diff against, said as such,
  // not "every package added"; what each environment runs is the comparison.
  expect(comments[0]!.body).toContain('| **Changes** | no base lock to compare with |');
  expect(job(first, 'report').log).not.toContain('every package is reported as added');
  // The comment shows this run's acceptance result, although the run (GitHub shows it in
  // progress while its report job runs) has not completed: the evidence is the acceptance job's.
  expect(comments[0]!.body).toContain('#### Acceptance evidence');
  expect(comments[0]!.body).toContain(out.evidence!.slice(7, 19));
  expect(comments[0]!.body).not.toContain('no evidence yet');
  expect(job(first, 'report').log).not.toMatch(/does not count/);
}, 900_000);

it('2. the same pull request again, nothing changed: acceptance skipped because passing evidence exists, the comment updated in place', async () => {
  expect(first).toBeDefined();
  const before = c.standin.comments(REPO, 7);
  const again = await c.pullRequest(7, prSha);
  expect({ conclusion: again.conclusion, why: again.conclusion === 'success' ? '' : why(again) }).toEqual({
    conclusion: 'success',
    why: '',
  });
  expect(job(again, 'accept').result).toBe('skipped');
  // The checkout has no lock; the one the first run resolved comes back from the Actions cache
  // and, still current, is reused: pip does not run again, and its HTTP cache is not restored.
  const step = job(again, 'build').steps.find((s) => s.id === 'candidate')!;
  expect(step.log).toContain('the last lock: restored from the Actions cache');
  expect(step.log).not.toContain("pip's HTTP cache");
  expect(step.log).toContain('is current: leaves and index pages unchanged, nothing to resolve');
  expect(step.outputs).toMatchObject({
    changed: 'true',
    'lock-digest': candidateOutputs(first)['lock-digest'],
    'has-evidence': 'true',
    reported: 'true',
  });
  expect(job(again, 'build').summary).toContain('Acceptance skipped');
  const out = candidateOutputs(again);
  expect(out).toMatchObject({
    candidate: candidateOutputs(first).candidate,
    result: 'passed',
    evidence: candidateOutputs(first).evidence,
    'system-id': candidateOutputs(first)['system-id'],
  });
  const after = c.standin.comments(REPO, 7);
  expect(after).toHaveLength(1);
  expect(after[0]!.id).toBe(before[0]!.id);
  expect(out['comment-url']).toBe(candidateOutputs(first)['comment-url']);
  // One job: the build job's candidate step found the passing evidence and reported at once, with
  // the base lock read through the contents API (its checkout holds one commit); no report job.
  expect(job(again, 'report').result).toBe('skipped');
  const baseLockReads = again.requests.filter((q) => q.operationId === 'repos/get-content' && q.query.ref === c.mainSha);
  expect(baseLockReads.map((q) => [decodeURIComponent(q.path), q.status])).toEqual([[`/repos/${REPO}/contents/pylock.toml`, 404]]);
  expect(after[0]!.body).toContain('#### Acceptance evidence');
  expect(after[0]!.body).toContain(out.evidence!.slice(7, 19));
}, 900_000);

it("2b. karoo-report-comment.yml after a run of the repository's own branch: skipped, so the full comment stays (no artifact was uploaded for it either)", async () => {
  expect(first).toBeDefined();
  const before = c.standin.comments(REPO, 7);
  expect(before).toHaveLength(1);
  // Only a fork's run hands its report over: a branch of the repository has commented itself.
  expect(existsSync(join(first.artifactsDir, 'karoo-report'))).toBe(false);
  expect(existsSync(join(first.artifactsDir, 'karoo-lock'))).toBe(true);
  // GitHub started karoo-report-comment.yml when scenario 1's run completed (workflow_run fires
  // for every run of the candidate workflow): its job was skipped.
  const [comment, ...more] = first.triggered ?? [];
  expect(more).toEqual([]);
  expect(comment!.workflowName).toBe('candidate comment');
  expect(comment!.conclusion).toBe('success');
  expect(Object.values(comment!.jobs).map((j) => j.result)).toEqual(['skipped']);
  expect(before[0]!.body).not.toMatch(/claims of the/);
  expect(before[0]!.body).toContain('#### Acceptance evidence');
  // Not replaced by a comment of claims without the store's word on the candidate.
  expect(c.standin.comments(REPO, 7)).toEqual(before);
}, 300_000);

it('2c. the registry user name kept as a secret named like the owner: GitHub drops the outputs that contain it, and the report job says why', async () => {
  expect(first).toBeDefined();
  const { REGISTRY_USERNAME, ...vars } = VARS;
  // With passing evidence the build job reports, from the candidate it holds: nothing is lost but
  // the workflow's comment-url output (the URL names the owner), and GitHub says why.
  const r = await c.pullRequest(7, prSha, { secrets: { ...SECRETS, REGISTRY_USERNAME }, vars });
  expect({ conclusion: r.conclusion, why: r.conclusion === 'success' ? '' : why(r) }).toEqual({ conclusion: 'success', why: '' });
  expect(job(r, 'build').log).toContain("Warning: Skip output 'candidate-ref' since it may contain secret.");
  expect(job(r, 'build').log).toContain("Warning: Skip output 'comment-url' since it may contain secret.");
  expect(candidateOutputs(r)['comment-url']).toBe('');
  expect(job(r, 'report').result).toBe('skipped');
  // The run still did its work: the candidate and the comment are those of the first run.
  expect(candidateOutputs(r).candidate).toBe(candidateOutputs(first).candidate);
  expect(c.standin.comments(REPO, 7)).toHaveLength(1);
  expect(c.standin.comments(REPO, 7)[0]!.body).toContain(candidateOutputs(first).candidate!.slice(7, 19));
  // Through an acceptance run (other values: another system id, no evidence yet), the report job
  // reads the build job's outputs, one of them dropped: it says why.
  const sha = c.branch('secret-user', { 'karoo.yml': c.karooYml({ values: 'secret-user' }) });
  c.standin.addPullRequest(REPO, { number: 15, headRef: 'secret-user', headSha: sha, baseRef: 'main', baseSha: c.mainSha });
  const again = await c.pullRequest(15, sha, { headRef: 'secret-user', secrets: { ...SECRETS, REGISTRY_USERNAME }, vars });
  expect({ conclusion: again.conclusion, why: again.conclusion === 'success' ? '' : why(again) }).toEqual({
    conclusion: 'success',
    why: '',
  });
  expect(job(again, 'accept').result).toBe('success');
  const check = job(again, 'report').steps.find((s) => s.name.startsWith('check that GitHub kept'))!;
  expect(check.outcome).toBe('success');
  expect(check.log).toMatch(
    /GitHub dropped the build job's candidate-ref output .* keep user names in repository variables \(vars\.REGISTRY_USERNAME/,
  );
  expect(c.standin.comments(REPO, 15)).toHaveLength(1);
}, 600_000);

it('2d. "Re-run all jobs" of the first run: attempt 2 of the same run replaces its artifacts, tests again on fresh machines, and updates the comment', async () => {
  expect(first).toBeDefined();
  const before = c.standin.comments(REPO, 7);
  const r = await c.rerun(first);
  expect({ conclusion: r.conclusion, why: r.conclusion === 'success' ? '' : why(r) }).toEqual({ conclusion: 'success', why: '' });
  expect([r.runId, r.attempt]).toEqual([first.runId, 2]);
  // Attempt 1's karoo-lock is still in the run: without overwrite the upload would fail (409).
  expect(job(r, 'build').result).toBe('success');
  expect(job(r, 'build').log).not.toContain('(409) Conflict');
  // The earlier evidence names this very run, which GitHub shows in progress again: it does not
  // count yet, so the acceptance tests run again, and the comment shows this attempt's evidence.
  expect(job(r, 'accept').result).toBe('success');
  const out = candidateOutputs(r);
  expect(out).toMatchObject({ candidate: candidateOutputs(first).candidate, result: 'passed' });
  expect(out.evidence).not.toBe(candidateOutputs(first).evidence);
  const after = c.standin.comments(REPO, 7);
  expect(after.map((m) => m.id)).toEqual(before.map((m) => m.id));
  expect(after[0]!.body).toContain(out.evidence!.slice(7, 19));
}, 900_000);

it("2e. a repository that is itself a fork (of an upstream project): its own branch's pull request is not a fork's, so the candidate goes to its registry and the run comments", async () => {
  expect(first).toBeDefined();
  const before = c.standin.comments(REPO, 7);
  // GitHub's payload says head.repo.fork: true here (the head repository is this one, a fork).
  const r = await c.pullRequest(7, prSha, { repositoryIsFork: true });
  expect({ conclusion: r.conclusion, why: r.conclusion === 'success' ? '' : why(r) }).toEqual({ conclusion: 'success', why: '' });
  expect(job(r, 'build').outputs['candidate-ref']).toBe(`${c.storeRef}@${candidateOutputs(first).candidate}`);
  expect(job(r, 'accept').result).toBe('skipped');
  expect(candidateOutputs(r)['comment-url']).toBe(candidateOutputs(first)['comment-url']);
  expect(c.standin.comments(REPO, 7).map((m) => m.id)).toEqual(before.map((m) => m.id));
}, 300_000);

it('2f. one workflow calling candidate.yml once per system (another config each time): each call keeps its own artifacts and comment', async () => {
  const call = (job: string, config: string) => `  ${job}:
    uses: ${OWNER}/karoo/.github/workflows/candidate.yml@v1
    permissions: { contents: read, actions: read, packages: write, pull-requests: write, id-token: write, attestations: write }
    with:
      config: ${config}
      acceptance: false
      index-username: \${{ vars.INDEX_USERNAME }}
      registry-username: \${{ vars.REGISTRY_USERNAME }}
    secrets:
      INDEX_PASSWORD: \${{ secrets.INDEX_PASSWORD }}
      REGISTRY_PASSWORD: \${{ secrets.REGISTRY_PASSWORD }}
`;
  const sha = c.branch('two-systems', {
    'probe/karoo.yml': c.karooYml().replace('system: tern\n', 'system: tern-probe\n'),
    '.github/workflows/two.yml': `name: two systems\non: pull_request\npermissions: {}\njobs:\n${call('tern', 'karoo.yml')}${call('probe', 'probe/karoo.yml')}`,
  });
  c.standin.addPullRequest(REPO, { number: 14, headRef: 'two-systems', headSha: sha, baseRef: 'main', baseSha: c.mainSha });
  const r = await c.pullRequest(14, sha, { headRef: 'two-systems', workflow: '.github/workflows/two.yml', follow: false });
  expect({ conclusion: r.conclusion, why: r.conclusion === 'success' ? '' : why(r) }).toEqual({ conclusion: 'success', why: '' });
  const tern = r.jobs.tern!.outputs;
  const probe = r.jobs.probe!.outputs;
  expect(probe.candidate).not.toBe(tern.candidate);
  // Each call's lock travelled under its own name; a shared name would have given one call the other's.
  expect(existsSync(join(r.artifactsDir, 'karoo-lock', 'pylock.toml'))).toBe(true);
  expect(existsSync(join(r.artifactsDir, 'karoo-lock-probe-karoo.yml', 'pylock.toml'))).toBe(true);
  const comments = c.standin.comments(REPO, 14);
  expect(comments).toHaveLength(2);
  const ids = [tern['comment-url'], probe['comment-url']].map((u) => Number(/#issuecomment-(\d+)$/.exec(u ?? '')?.[1]));
  expect(comments.map((m) => m.id).sort()).toEqual(ids.sort());
  expect(comments.find((m) => m.body.includes(tern.candidate!))!.body).not.toContain(probe.candidate!);
  expect(comments.find((m) => m.body.includes(probe.candidate!))!.body).toContain('karoo:report key=probe-karoo.yml');
}, 600_000);

it("2g. a push to the default branch whose candidate was tested in its pull request: acceptance is skipped, and the machine image and the lock's wheels are kept in the default branch's cache for the next pull requests", async () => {
  expect(first).toBeDefined();
  const cache = await c.runner.cache();
  const images = () => cache.saved().filter((e) => e.key.startsWith('karoo-machine-image-'));
  expect(images()).toEqual([]); // the pull requests' runs found the image on this machine: nothing saved
  const push = () => c.candidateRun('push', events.push({ repository: REPO, after: c.mainSha }), c.mainSha, { follow: false });
  const onMain = await push();
  expect({ conclusion: onMain.conclusion, why: onMain.conclusion === 'success' ? '' : why(onMain) }).toEqual({
    conclusion: 'success',
    why: '',
  });
  expect(candidateOutputs(onMain).candidate).toBe(candidateOutputs(first).candidate);
  expect(job(onMain, 'accept').result).toBe('skipped');
  expect(job(onMain, 'image').result).toBe('success');
  expect(images().map((e) => e.ref)).toEqual(['refs/heads/main']);
  // The build found the candidate in the registry and downloaded nothing: the lock's wheels are
  // copied from the registry into the default branch's cache, which the next pull requests restore.
  const wheelsKey = `karoo-wheels-tern-${candidateOutputs(first)['lock-digest']!.slice('sha256:'.length)}`;
  const wheels = () => cache.saved().filter((e) => e.key.startsWith('karoo-wheels-tern-') && e.ref === 'refs/heads/main');
  expect(wheels().map((e) => e.key)).toEqual([wheelsKey]);
  const buildStep = (r: RunResult) => job(r, 'build').steps.find((s) => s.id === 'candidate')!;
  expect(buildStep(onMain).log).toMatch(/downloaded files: 3 files \(\d+ bytes\) copied from \S+ for the pull requests' cache/);
  // The next push finds both there without downloading them: look-ups, nothing built or saved.
  const again = await push();
  const image = job(again, 'image').steps.find((s) => s.name.includes('actions/provision'))!;
  expect(image.log).toContain(`the machine image is in the Actions cache as ${images()[0]!.key}: nothing to build or save`);
  expect(images()).toHaveLength(1);
  expect(buildStep(again).log).toContain(`the default branch's Actions cache holds this lock's files (${wheelsKey}); nothing to save`);
  expect(wheels()).toHaveLength(1);
  // A pull request's run never does this: its acceptance job saves what it had to build.
  expect(job(first, 'image').result).toBe('skipped');
}, 600_000);

it("2h. a merge queue's group (merge_group): the queued pull request merged onto main has the same candidate, so its checks pass without testing it again; no comment", async () => {
  expect(first).toBeDefined();
  const group = c.mergeCommit(c.mainSha, prSha, `refs/heads/gh-readonly-queue/main/pr-7-${prSha}`, 'Merge pull request #7');
  const before = c.standin.comments(REPO, 7);
  const r = await c.candidateRun(
    'merge_group',
    events.mergeGroup({ repository: REPO, number: 7, headSha: group, prHeadSha: prSha, baseSha: c.mainSha }),
    group,
    { follow: false },
  );
  expect({ conclusion: r.conclusion, why: r.conclusion === 'success' ? '' : why(r) }).toEqual({ conclusion: 'success', why: '' });
  expect(job(r, 'build').steps[0]!.outputs).toMatchObject({ commit: group });
  expect(candidateOutputs(r)).toMatchObject({ candidate: candidateOutputs(first).candidate, result: 'passed' });
  expect(job(r, 'accept').result).toBe('skipped');
  expect(job(r, 'image').result).toBe('skipped');
  // The build job reported (the job summary; a merge group is no pull request, so no comment).
  expect(job(r, 'build').steps.find((s) => s.id === 'candidate')!.outputs).toMatchObject({ reported: 'true', 'comment-url': '' });
  expect(job(r, 'build').summary).toContain('Acceptance skipped');
  expect(job(r, 'report').result).toBe('skipped');
  expect(c.standin.comments(REPO, 7)).toEqual(before);
}, 300_000);

it('3a. a pull request from a fork gets no secrets: with the private index its run fails at resolve, loudly, with a read-only token and no comment', async () => {
  const sha = c.branch('fork-private', { 'NOTES.md': 'from a fork\n' });
  c.standin.addPullRequest(REPO, {
    number: 12,
    headRef: 'fork-private',
    headSha: sha,
    headRepo: 'outsider/tern',
    baseRef: 'main',
    baseSha: c.mainSha,
  });
  const r = await c.pullRequest(12, sha, { headRef: 'fork-private', headRepo: 'outsider/tern' });
  expect(r.conclusion).toBe('failure');
  for (const j of Object.values(r.jobs)) for (const level of Object.values(j.permissions ?? {})) expect(level).not.toBe('write');
  const resolve = job(r, 'build').steps.find((s) => s.id === 'candidate')!;
  // It says why: the login karoo.yml names is empty in a pull request's run, as GitHub gives a fork no secrets.
  expect(resolve.log).toMatch(
    /index "private" refused access to tern-core \(HTTP 401\): \w+ and \w+ are empty here\. GitHub gives the run of a pull request from a fork no secrets/,
  );
  expect(candidateOutputs(r)).toMatchObject({ result: 'failed', reason: 'resolve or build failed; see the build job', 'comment-url': '' });
  expect(c.standin.comments(REPO, 12)).toEqual([]);
}, 900_000);

it('3. a pull request from a fork (whose karoo.yml reads a mirror of the index without credentials): the candidate workflow with a read-only token and no secrets, then karoo-report-comment.yml (workflow_run) posts the comment', async () => {
  const mirror = await serveIndex(join(c.work, 'index'));
  try {
    const sha = c.branch('fork-topic', {
      'karoo.yml': c
        .karooYml()
        .replace(/indexes:\n(?: {2}.*\n| {4}.*\n)+/, `indexes:\n  - name: mirror\n    url: ${mirror.urlFor('simple/')}\n`),
    });
    c.standin.addPullRequest(REPO, {
      number: 11,
      headRef: 'fork-topic',
      headSha: sha,
      headRepo: 'outsider/tern',
      baseRef: 'main',
      baseSha: c.mainSha,
    });
    const forkRun = await c.pullRequest(11, sha, { headRef: 'fork-topic', headRepo: 'outsider/tern' });
    expect({ fork: forkRun.conclusion, why: forkRun.conclusion === 'success' ? '' : why(forkRun) }).toEqual({ fork: 'success', why: '' });
    // Every scope of the fork's token is read at most; the fork's run posted nothing (with its
    // own tokens: the comment below comes from the run it triggered).
    for (const j of Object.values(forkRun.jobs)) for (const level of Object.values(j.permissions ?? {})) expect(level).not.toBe('write');
    expect(forkRun.requests.filter((q) => q.method !== 'GET' && q.status < 300).map((q) => q.operationId)).toEqual([]);
    expect(candidateOutputs(forkRun)['comment-url']).toBe('');
    // Its completion started karoo-report-comment.yml on the default branch, with a write token
    // and the repository's secrets, as GitHub does (the runner's followWorkflowRun).
    expect((forkRun.triggered ?? []).map((t) => t.workflowName)).toEqual(['candidate comment']);
    const comment = forkRun.triggered![0]!;
    if (process.env.KAROO_CONSUMER_DUMP)
      writeFileSync(join(process.env.KAROO_CONSUMER_DUMP, 'fork-comment.json'), JSON.stringify(comment, null, 1));
    expect({ conclusion: comment.conclusion, why: comment.conclusion === 'success' ? '' : why(comment) }).toEqual({
      conclusion: 'success',
      why: '',
    });
    const [posted, ...more] = c.standin.comments(REPO, 11);
    expect(more).toEqual([]);
    expect(posted!.body).toContain(candidateOutputs(forkRun).candidate!);
    expect(posted!.body).toMatch(/claims of the fork's own run/);

    // A caller that runs no acceptance (hashes only): the fork's build job reports at once and
    // hands the report over from there, with its read-only token; the comment comes the same way.
    const hashesOnly = '.github/workflows/karoo-candidate-hashes.yml';
    const hashesSha = c.branch('fork-hashes', {
      'karoo.yml': c
        .karooYml()
        .replace(/indexes:\n(?: {2}.*\n| {4}.*\n)+/, `indexes:\n  - name: mirror\n    url: ${mirror.urlFor('simple/')}\n`),
      [hashesOnly]: template('karoo-candidate.yml').replace(
        '      config: karoo.yml\n',
        '      config: karoo.yml\n      acceptance: false\n',
      ),
    });
    c.standin.addPullRequest(REPO, {
      number: 16,
      headRef: 'fork-hashes',
      headSha: hashesSha,
      headRepo: 'outsider/tern',
      baseRef: 'main',
      baseSha: c.mainSha,
    });
    const hashes = await c.pullRequest(16, hashesSha, { headRef: 'fork-hashes', headRepo: 'outsider/tern', workflow: hashesOnly });
    expect({ fork: hashes.conclusion, why: hashes.conclusion === 'success' ? '' : why(hashes) }).toEqual({ fork: 'success', why: '' });
    expect([job(hashes, 'accept').result, job(hashes, 'report').result]).toEqual(['skipped', 'skipped']);
    expect(job(hashes, 'build').steps.find((s) => s.id === 'candidate')!.outputs).toMatchObject({ reported: 'true', 'comment-url': '' });
    expect(candidateOutputs(hashes).result).toBe('skipped');
    expect(existsSync(join(hashes.artifactsDir, 'karoo-report', 'report.json'))).toBe(true);
    expect(hashes.requests.filter((q) => q.method !== 'GET' && q.status < 300).map((q) => q.operationId)).toEqual([]);
    const [hashesComment] = hashes.triggered ?? [];
    expect({ conclusion: hashesComment?.conclusion, why: hashesComment?.conclusion === 'success' ? '' : why(hashesComment!) }).toEqual({
      conclusion: 'success',
      why: '',
    });
    const [fromBuildJob, ...others] = c.standin.comments(REPO, 16);
    expect(others).toEqual([]);
    expect(fromBuildJob!.body).toContain(candidateOutputs(hashes).candidate!);
  } finally {
    await mirror.close();
  }
}, 900_000);

it('4. workflow_dispatch releases: integration, then qualification, then production refused by its soak gate; Deployments and statuses on the stand-in', async () => {
  expect(first).toBeDefined();
  const candidate = candidateOutputs(first).candidate!;
  const workflow = '.github/workflows/karoo-release.yml';
  const release = async (environment: string) => {
    const r = await c.runner.run({
      repo: c.app.dir,
      repository: REPO,
      workflow,
      event: 'workflow_dispatch',
      payload: events.workflowDispatch({
        repository: REPO,
        ref: 'refs/heads/main',
        workflow,
        inputs: { candidate, environment, reason: `consumer test: ${environment}`, rollback: false },
      }),
      ref: 'refs/heads/main',
      secrets: SECRETS,
      vars: VARS,
      environments: { integration: {}, qualification: {}, production: {} },
      repos: { [`${OWNER}/karoo`]: c.karooDir },
    });
    c.results.push(r);
    if (process.env.KAROO_CONSUMER_DUMP)
      writeFileSync(join(process.env.KAROO_CONSUMER_DUMP, `release-${environment}.json`), JSON.stringify(r, null, 1));
    return {
      r,
      promote: Object.values(r.jobs)
        .flatMap((j) => j.steps)
        .find((s) => s.id === 'promote')!,
    };
  };
  const integration = await release('integration');
  expect({ conclusion: integration.r.conclusion, why: integration.r.conclusion === 'success' ? '' : why(integration.r) }).toEqual({
    conclusion: 'success',
    why: '',
  });
  expect(integration.promote.outputs).toMatchObject({
    status: 'promoted',
    environment: 'integration',
    'system-id': candidateOutputs(first)['system-id'],
  });
  const qualification = await release('qualification');
  expect({ conclusion: qualification.r.conclusion, why: qualification.r.conclusion === 'success' ? '' : why(qualification.r) }).toEqual({
    conclusion: 'success',
    why: '',
  });
  expect(qualification.promote.outputs.status).toBe('promoted');
  const production = await release('production');
  expect(production.r.conclusion).toBe('failure');
  expect(production.promote.outcome).toBe('failure');
  expect(production.promote.log).toMatch(/may not enter production: .*soak 24h in integration: \d+s since \S+, (24h|23h\d+m) to go/);
  expect(production.promote.log).not.toMatch(/no evidence from integration/);
  // GitHub Deployments: one per promotion, each ending in success; none for the refusal.
  const deployments = c.standin.deployments(REPO);
  expect(deployments.map((d) => d.environment).sort()).toEqual(['integration', 'qualification']);
  for (const d of deployments) {
    expect(d.sha).toBe(c.mainSha);
    expect(d.statuses.at(-1)).toBe('success');
  }
}, 900_000);

it('5a. a failing acceptance run gives result: failed, says why, and fails the check', async () => {
  const sha = c.branch('broken', { 'karoo.yml': c.karooYml({ values: 'broken' }) });
  c.standin.addPullRequest(REPO, { number: 8, headRef: 'broken', headSha: sha, baseRef: 'main', baseSha: c.mainSha });
  const r = await c.pullRequest(8, sha, { headRef: 'broken' });
  expect(r.conclusion).toBe('failure');
  expect(job(r, 'accept').result).toBe('failure');
  const out = candidateOutputs(r);
  expect(out.result).toBe('failed');
  expect(out.evidence).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(job(r, 'accept').outputs.reason).toMatch(/the acceptance tests failed \(1 failed\)/);
  // The comment still comes, with the failure in it.
  expect(c.standin.comments(REPO, 8)).toHaveLength(1);
}, 900_000);

it('5b. a provisioning failure gives result: failed with the reason, never skipped', async () => {
  // A cloud image that is not there, for qemu: provisioning stops before any machine boots.
  const sha = c.branch('no-image', {
    'karoo.yml': c.karooYml({
      values: 'no-image',
      provision: `  provider: qemu\n  image: file://${join(c.work, 'missing.img')}\n  image-sha256: "${'0'.repeat(64)}"\n  ttl: 30m`,
    }),
  });
  c.standin.addPullRequest(REPO, { number: 9, headRef: 'no-image', headSha: sha, baseRef: 'main', baseSha: c.mainSha });
  const r = await c.pullRequest(9, sha, { headRef: 'no-image' });
  expect(r.conclusion).toBe('failure');
  const out = candidateOutputs(r);
  expect(out.result).toBe('failed');
  expect(out.result).not.toBe('skipped');
  expect(job(r, 'accept').outputs.reason).toMatch(/^provisioning the machines failed: \S/);
  expect(job(r, 'accept').outputs.reason).not.toBe('provisioning the machines failed: see the provision step');
}, 900_000);

it("6. a later run restores the downloaded wheels from the Actions cache (the default branch's, by system prefix) and downloads only what changed", async () => {
  const cache = await c.runner.cache();
  // A new version of every package: the default branch's next run resolves a new lock, builds a
  // new candidate whose files are in no store yet, downloads all of them and saves them in the
  // cache on refs/heads/main (the cache holds what a build downloaded).
  await c.publish('tern-core', '1.1.0', ['tern-util>=2']);
  await c.publish('tern-util', '2.2.0');
  await c.publish('tern-probe', '0.3.1');
  const onMain = await c.candidateRun('push', events.push({ repository: REPO, after: c.mainSha }), c.mainSha);
  expect({ conclusion: onMain.conclusion, why: onMain.conclusion === 'success' ? '' : why(onMain) }).toEqual({
    conclusion: 'success',
    why: '',
  });
  const newKey = `karoo-wheels-tern-${candidateOutputs(onMain)['lock-digest']!.slice('sha256:'.length)}`;
  const saved = cache.saved().filter((e) => e.key === newKey && e.ref === 'refs/heads/main');
  expect(saved).toHaveLength(1);
  // pip ran (the lock is not current), so its HTTP cache was looked for first (the last lock, an
  // entry of its own, was restored before the no-op check), and the new last lock is saved (pip's
  // HTTP cache too when pip left one; with this fixture's index it leaves none).
  const hex = candidateOutputs(onMain)['lock-digest']!.slice('sha256:'.length);
  const resolveOnMain = job(onMain, 'build').steps.find((s) => s.id === 'candidate')!;
  expect(resolveOnMain.log).toMatch(/the last lock: restored from the Actions cache/);
  expect(resolveOnMain.log).toMatch(/pip's HTTP cache: (restored from the Actions cache|nothing in the Actions cache yet)/);
  const onMainKeys = cache
    .saved()
    .filter((e) => e.ref === 'refs/heads/main' && e.key.endsWith(hex))
    .map((e) => e.key);
  expect(onMainKeys).toEqual(expect.arrayContaining([`karoo-lastlock-${process.platform}-${process.arch}-tern-${hex}`, newKey]));

  // A fork's pull request that picks up a new tern-probe. Its store is an OCI layout on the
  // runner, empty at every run (so no blob is already there): every file must come from the
  // cache or the index. It restores main's wheels by the system prefix and fetches one file.
  await c.publish('tern-probe', '0.4.0');
  const mirror = await serveIndex(join(c.work, 'index'));
  try {
    const sha = c.branch('fork-bump', {
      'karoo.yml': c
        .karooYml()
        .replace(/indexes:\n(?: {2}.*\n| {4}.*\n)+/, `indexes:\n  - name: mirror\n    url: ${mirror.urlFor('simple/')}\n`),
    });
    c.standin.addPullRequest(REPO, {
      number: 13,
      headRef: 'fork-bump',
      headSha: sha,
      headRepo: 'outsider/tern',
      baseRef: 'main',
      baseSha: c.mainSha,
    });
    const before = cache.requests.length;
    const r = await c.pullRequest(13, sha, { headRef: 'fork-bump', headRepo: 'outsider/tern' });
    expect({ conclusion: r.conclusion, why: r.conclusion === 'success' ? '' : why(r) }).toEqual({ conclusion: 'success', why: '' });
    const restores = cache.requests.slice(before).filter((q) => q.key.startsWith('karoo-wheels-tern-') && q.ok);
    expect(restores.map((q) => q.matchedKey)).toEqual([saved[0]!.key]);
    const build = job(r, 'build').steps.find((s) => s.id === 'candidate')!;
    expect(build.log).toContain(`downloaded files: restored from the Actions cache (${saved[0]!.key})`);
    expect(build.log).toMatch(/3 files, 0 blobs already in oci-layout:\S+, 3 to download/);
    const newWheel = statSync(join(c.work, 'index', 'files', 'tern_probe-0.4.0-py3-none-any.whl')).size;
    expect(build.log).toContain(`downloaded, checked and uploaded 3 files (${newWheel} bytes fetched)`);
  } finally {
    await mirror.close();
  }
}, 900_000);

// 6b, a rerun restores the machine image from the Actions cache instead of building it, is
// test/e2e/provision-image-cache.test.ts: it needs an empty KAROO_CACHE_DIR per run and the
// image (661 MB) through the cache both ways, which the consumer's runs here do not pay for.

// 7, GitHub Enterprise Server's way (candidate-ghes.yml with karoo-repository and karoo-ref), is
// the README's Enterprise Server workflow, run literally by test/e2e/readme.test.ts.

it('the canary secrets appear in no log, output, job summary, artifact or comment', () => {
  expect(c.results.length).toBeGreaterThan(0);
  expect(c.results.flatMap(canaryLeaks)).toEqual([]);
  for (const n of [7, 8, 9, 11, 12, 13, 14]) for (const cm of c.standin.comments(REPO, n)) expect(cm.body).not.toMatch(/canary-/);
});
