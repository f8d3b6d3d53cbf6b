/**
 * The README's adoption part, literally (issue 10 §5): every ```yaml block of README.md is a
 * complete workflow whose first line names the path a user saves it under. Each is saved there,
 * with only OWNER replaced (as the README says), in the consumer repository of
 * test/support/consumer.ts — its own system, a private index that requires a login, a
 * registry with credentials, karoo reached as `karoo-dev/karoo@v1` — and run through the workflow
 * runner; each test checks what the README promises for that block. A block added to the README
 * without a test here fails the first test.
 *
 * One acceptance run (the Enterprise Server block; two nspawn nodes), the rest needs no
 * machines. Needs what test/e2e/consumer.test.ts needs. 3.5 minutes on the shared 2-core machine at load 20.
 */
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../support/cli.js';
import {
  canaryLeaks,
  INDEX_USER,
  OWNER,
  REGISTRY_CANARY,
  REGISTRY_USER,
  REPO,
  outcome,
  startConsumer,
  type Consumer,
} from '../support/consumer.js';
import type { JobResult, RunResult } from '../support/workflow-runner/index.js';
import { actionlint, checkKarooUses, checkPermissions, checkPinned, checkRunScripts, parseWithGitHub } from '../support/workflows.js';

jest.setTimeout(600_000);

/** The fenced ```yaml blocks of README.md, each with the path its first line names. */
function readmeBlocks(): Array<{ path: string; text: string }> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => {
    const text = m[1]!;
    const path = /^# (\.github\/workflows\/[\w.-]+\.ya?ml)\n/.exec(text)?.[1];
    if (!path)
      throw new Error(
        `README.md: a yaml block does not start with "# .github/workflows/<file>.yml", the path a user saves it under:\n${text.slice(0, 200)}`,
      );
    return { path, text };
  });
}

const ONE_STEP = '.github/workflows/karoo.yml';
const GHES = '.github/workflows/karoo-candidate.yml';

let c: Consumer;
let blocks: Array<{ path: string; text: string }>;

beforeAll(async () => {
  blocks = readmeBlocks();
  c = await startConsumer({ workflows: Object.fromEntries(blocks.map((b) => [b.path, b.text.replaceAll('OWNER', OWNER)])) });
}, 300_000);

afterAll(async () => {
  await c?.close();
}, 120_000);

const job = (r: RunResult, id: string): JobResult => Object.values(r.jobs).find((j) => j.jobId === id && j.key.includes('/'))!;

it('every yaml block of the README is a whole workflow file, and each one is run by a test below', () => {
  expect(blocks.map((b) => b.path).sort()).toEqual([GHES, ONE_STEP].sort());
  for (const b of blocks) {
    expect(b.text).toMatch(/^on:/m);
    expect(b.text).toMatch(/^jobs:/m);
    expect(b.text).toMatch(/^permissions: \{\}$/m);
  }
});

it("every block passes the checks karoo's own workflows pass: GitHub's parser (the called reusable workflow's inputs and secrets included), actionlint, karoo's inputs, pinned actions, least privilege", async () => {
  // As written in the README, OWNER and all: the checks resolve OWNER/karoo@v1 to this repository.
  const dir = join(c.work, 'readme-blocks');
  for (const b of blocks) {
    const file = join(dir, b.path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, b.text);
    const rel = relative(ROOT, file);
    expect({
      [b.path]: [
        ...(await parseWithGitHub(rel)),
        ...(await actionlint(rel)),
        ...checkKarooUses(rel),
        ...checkPinned(rel),
        ...checkRunScripts(rel),
        ...checkPermissions(rel),
      ],
    }).toEqual({ [b.path]: [] });
  }
});

it('"Hashes in every pull request, in one step": one comment with the candidate digest, updated in place; the candidate pushed with the registry secrets, the index read with the index secrets', async () => {
  const sha = c.branch('one-step', { 'README.md': '# tern\n' });
  c.standin.addPullRequest(REPO, { number: 7, headRef: 'one-step', headSha: sha, baseRef: 'main', baseSha: c.mainSha });
  c.index.clearLog();
  const r = await c.pullRequest(7, sha, { headRef: 'one-step', workflow: ONE_STEP });
  expect(outcome(r)).toEqual({ conclusion: 'success', why: '' });
  const step = r.jobs.candidate!.steps.find((s) => s.name === `Run ${OWNER}/karoo@v1`)!;
  expect(step.outcome).toBe('success');
  const { candidate, 'comment-url': url } = step.outputs;
  expect(candidate).toMatch(/^sha256:[0-9a-f]{64}$/);
  const [comment, ...more] = c.standin.comments(REPO, 7);
  expect(more).toEqual([]);
  expect(comment!.body).toContain(candidate!.slice(7, 19));
  expect(url).toBe(`https://github.com/${REPO}/pull/7#issuecomment-${comment!.id}`);
  // The index saw only the secrets' login; the registry has the candidate, pushed with its secrets.
  expect(c.index.requests.some((q) => q.user === INDEX_USER && q.status === 200)).toBe(true);
  expect(c.index.requests.filter((q) => q.path.includes('.whl')).every((q) => q.user === INDEX_USER)).toBe(true);
  const auth = Buffer.from(`${REGISTRY_USER}:${REGISTRY_CANARY}`).toString('base64');
  const manifest = await fetch(`http://${c.registry.host}/v2/acme/tern/manifests/${candidate}`, {
    headers: { authorization: `Basic ${auth}`, accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  expect(manifest.status).toBe(200);

  // The next push to the pull request: the same comment, updated.
  const again = await c.pullRequest(7, sha, { headRef: 'one-step', workflow: ONE_STEP });
  expect(outcome(again)).toEqual({ conclusion: 'success', why: '' });
  const after = c.standin.comments(REPO, 7);
  expect(after.map((x) => x.id)).toEqual([comment!.id]);
  expect(again.jobs.candidate!.steps.find((s) => s.name === `Run ${OWNER}/karoo@v1`)!.outputs).toMatchObject({
    candidate,
    existed: 'true',
    'comment-url': url,
  });
}, 600_000);

it('"GitHub Enterprise Server": candidate-ghes.yml, called with karoo-repository and karoo-ref, runs every karoo step from its checkout of karoo — resolve, build, acceptance on fresh machines, the comment', async () => {
  const sha = c.branch('ghes', { 'NOTES.md': 'on the server\n' });
  c.standin.addPullRequest(REPO, { number: 8, headRef: 'ghes', headSha: sha, baseRef: 'main', baseSha: c.mainSha });
  const r = await c.pullRequest(8, sha, { headRef: 'ghes', workflow: GHES });
  expect(outcome(r)).toEqual({ conclusion: 'success', why: '' });
  for (const id of ['build', 'accept', 'report']) {
    const j = job(r, id);
    expect(`${id}: ${j.result}`).toBe(`${id}: success`);
    // karoo's steps ran from the checkout at karoo-ref, never from the caller's files.
    expect(j.steps.find((s) => s.name === "karoo's actions, at karoo-ref (GitHub Enterprise Server has no $/ references)")?.outcome).toBe(
      'success',
    );
    // Unnamed steps are called `Run <uses>`: `$/actions/…` or the checkout's `./.karoo/karoo/actions/…` (third-party ones start `Run actions/`).
    const karooSteps = j.steps.filter((s) => s.name.startsWith('Run ') && s.name.includes('/actions/'));
    expect(karooSteps.length).toBeGreaterThan(0);
    for (const s of karooSteps) expect(s.name).toMatch(/^Run \.\/\.karoo\/karoo\/actions\/[a-z]+$/);
  }
  const out = r.jobs.candidate!.outputs;
  expect(out).toMatchObject({ result: 'passed', reason: '' });
  expect(out.candidate).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(out.evidence).toMatch(/^sha256:[0-9a-f]{64}$/);
  const comments = c.standin.comments(REPO, 8);
  expect(comments).toHaveLength(1);
  expect(out['comment-url']).toBe(`https://github.com/${REPO}/pull/8#issuecomment-${comments[0]!.id}`);
  expect(comments[0]!.body).toContain(out.candidate!.slice(7, 19));
}, 600_000);

it('the secrets the README has users set appear in no log, output, summary, artifact or comment', () => {
  expect(c.results.length).toBe(3);
  expect(c.results.flatMap(canaryLeaks)).toEqual([]);
  for (const n of [7, 8]) for (const cm of c.standin.comments(REPO, n)) expect(cm.body).not.toMatch(/canary-/);
});
