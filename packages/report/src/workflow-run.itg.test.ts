/**
 * The fork-comment attack (issue 11 §1): a fork's pull_request run uploads whatever it likes as
 * its `karoo-report` artifact, and karoo-report-comment.yml (workflow_run, write token) posts
 * the comment. The forged pull request number, the forged acceptance result and the forged
 * link must each fail to reach any comment. Against the OpenAPI-checking GitHub stand-in, with
 * evidence read from a real OCI layout store holding a real candidate.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import { type Digest, sha256Of } from '@karoo/common';
import { evidenceFor, listEvidence, pushEvidence } from '@karoo/evidence';
import { loadGitHubDescription, startGitHubStandin, type GitHubDescription, type GitHubStandin } from '@karoo/github-standin';
import { openStore, type Store } from '@karoo/oci';
import { verifyCandidate } from '@karoo/promote';
import { buildReport, commentFromWorkflowRun, createGitHubClient, type EvidenceInfo, renderJson, reportMarker } from '@karoo/report';
import { makeWheels, type Wheels } from '../../../test/support/wheels.js';

// Real builds, a real store and the stand-in on a shared 2-core machine: seconds, not milliseconds.
jest.setTimeout(60_000);

const SERVER = 'https://github.com';
const MARKER = reportMarker();
const SAME_SHA = 'a'.repeat(40);
const FORK_SHA = 'b'.repeat(40);

let description: GitHubDescription;
let standin: GitHubStandin | undefined;
let work: string;
let store: Store;
let wheels: Wheels;
let candidate: Digest;

beforeAll(async () => {
  description = await loadGitHubDescription();
  work = await mkdtemp(join(tmpdir(), 'karoo-fork-comment-'));
  store = openStore(`oci-layout:${join(work, 'store')}`);
  wheels = await makeWheels(join(work, 'wheels'), [{ name: 'acme-cam', version: '2.0.0', size: 1500 }]);
  candidate = (await build({ lock: wheels.lock(), store, system: 'cam' })).candidate;
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

/** acme/cam with a same-repository pull request #7 (the victim) and a fork's #9. */
async function github(): Promise<GitHubStandin> {
  standin = await startGitHubStandin({ description });
  standin.addRepo('acme/cam');
  standin.addPullRequest('acme/cam', { number: 7, headRef: 'feature', headSha: SAME_SHA });
  standin.addPullRequest('acme/cam', { number: 9, headRef: 'patch', headSha: FORK_SHA, headRepo: 'outsider/cam' });
  return standin;
}

/** GitHub's workflow_run event for the fork's pull_request run: what GitHub says, not the fork. */
function forkRunEvent(headSha = FORK_SHA): Record<string, unknown> {
  return {
    action: 'completed',
    workflow_run: {
      id: 4242,
      event: 'pull_request',
      conclusion: 'success',
      head_sha: headSha,
      head_branch: 'patch',
      head_repository: { full_name: 'outsider/cam' },
      // GitHub leaves this empty for forks.
      pull_requests: [],
    },
  };
}

/**
 * The fork's artifact: a report.json that passes every field check, claiming a passing
 * acceptance run (999 tests) with a link of the fork's choosing, and a `pr` file naming the
 * victim pull request #7.
 */
async function forkArtifact(options: { claimedCandidate?: Digest } = {}): Promise<string> {
  const dir = await mkdtemp(join(work, 'artifact-'));
  const honest = buildReport({ head: wheels.lock(), candidate: { digest: options.claimedCandidate ?? candidate, existed: false } });
  const forged = {
    ...JSON.parse(renderJson(honest)),
    evidence: [
      {
        result: 'passed',
        passed: 999,
        failed: 0,
        skipped: 0,
        durationMs: 1000,
        runUrl: 'https://evil.example/phish',
        environment: 'integration',
      },
    ],
    environments: [
      { name: 'production', candidate: options.claimedCandidate ?? candidate, systemId: null, production: true, same: true, diff: null },
    ],
  };
  await writeFile(join(dir, 'report.json'), JSON.stringify(forged));
  await writeFile(join(dir, 'pr'), '7\n');
  return join(dir, 'report.json');
}

async function fromStore(c: string): Promise<EvidenceInfo[]> {
  return (await listEvidence(store, c)).map((r) => ({
    result: r.evidence.result,
    passed: r.evidence.counts.passed,
    failed: r.evidence.counts.failed,
    skipped: r.evidence.counts.skipped,
    durationMs: r.evidence.durationMs,
    runUrl: r.evidence.run?.runUrl,
    environment: r.evidence.environment,
    digest: r.digest,
  }));
}

async function post(s: GitHubStandin, reportFile: string, payload = forkRunEvent()) {
  return commentFromWorkflowRun({
    gh: createGitHubClient({ token: 'tok', baseUrl: s.url }),
    owner: 'acme',
    repo: 'cam',
    serverUrl: SERVER,
    eventName: 'workflow_run',
    payload,
    reportFile,
    evidenceFor: fromStore,
    environments: async () => [{ name: 'production', candidate: null, systemId: null, production: true, same: null, diff: null }],
    marker: MARKER,
  });
}

/** Every comment on every pull request of the stand-in. */
function allComments(s: GitHubStandin): string[] {
  return [7, 9].flatMap((n) => s.comments('acme/cam', n).map((c) => c.body));
}

describe('a fork cannot forge the karoo comment', () => {
  it('forged pull request number: the comment goes only to the pull request whose head the run ran', async () => {
    const s = await github();
    const r = await post(s, await forkArtifact());
    expect(r).toMatchObject({ posted: true, number: 9 });
    expect(s.comments('acme/cam', 7)).toEqual([]);
    expect(s.comments('acme/cam', 9)).toHaveLength(1);
    // The pull request was found through the API by head repository and branch.
    expect(s.calls('pulls/list').map((c) => c.query.head)).toEqual(['outsider:patch']);
  });

  it('a run whose head is no pull request’s head any more (or never was) reaches no comment at all', async () => {
    const s = await github();
    const r = await post(s, await forkArtifact(), forkRunEvent('c'.repeat(40)));
    expect(r.posted).toBe(false);
    if (!r.posted) expect(r.message).toMatch(/no single open pull request of acme\/cam has outsider\/cam:patch at c{40}/);
    expect(allComments(s)).toEqual([]);
    expect(s.calls('issues/create-comment')).toHaveLength(0);
  });

  it('forged result: acceptance comes from the store, where the fork could write nothing', async () => {
    const s = await github();
    const other = sha256Of('a candidate nobody built');
    await post(s, await forkArtifact({ claimedCandidate: other }));
    const [body] = allComments(s);
    expect(body).toBeDefined();
    expect(body).not.toMatch(/999/);
    expect(body).not.toMatch(/✅/);
    expect(body).toContain("no evidence in the store for this candidate (a fork's run cannot record any)");
    // The environments too: the store says production runs nothing, whatever the artifact claims.
    expect(body).toMatch(/\| production \| nothing yet \|/);
    // The digest and diff are shown, as claims.
    expect(body).toContain(other);
    expect(body).toMatch(/claims of the fork's own run/);
  });

  it('forged link: the only links are to runs of this repository', async () => {
    const s = await github();
    await post(s, await forkArtifact());
    const [body] = allComments(s);
    expect(body).not.toContain('evil.example');
    const links = [...body!.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(l).toMatch(/^https:\/\/github\.com\/acme\/cam\/actions\/runs\/\d+$/);
    expect(links).toContain('https://github.com/acme/cam/actions/runs/4242');
  });

  it('real evidence in the store is shown, its run linked only when the run is this repository’s', async () => {
    const s = await github();
    const d = await verifyCandidate(store, candidate);
    const at = '2025-06-01T10:00:00Z';
    for (const [environment, runUrl] of [
      ['integration', `${SERVER}/acme/cam/actions/runs/555`],
      ['qualification', 'https://evil.example/run/1'],
    ] as const) {
      await pushEvidence(
        store,
        evidenceFor(d, {
          candidate,
          system: 'cam',
          systemId: sha256Of(`${candidate} ${environment}`),
          configDigest: sha256Of(environment),
          environment,
          result: 'passed',
          counts: { tests: 3, passed: 3, failed: 0, errors: 0, skipped: 0 },
          startedAt: at,
          finishedAt: at,
          durationMs: 2000,
          exitCode: 0,
          timedOut: false,
          command: ['pytest'],
          nodes: [{ name: 'n1', role: 'r' }],
          run: { repository: 'acme/cam', runUrl },
        }),
      );
    }
    await post(s, await forkArtifact());
    const [body] = allComments(s);
    expect(body).toMatch(
      /\| integration \| ✅ passed \| 3 \| 0 \| 0 \| 2\.0 s \| \[run\]\(https:\/\/github\.com\/acme\/cam\/actions\/runs\/555\)/,
    );
    expect(body).toMatch(/\| qualification \| ✅ passed \| 3 \|/);
    expect(body).not.toContain('evil.example');
    expect(body).not.toMatch(/999/);
  });

  it("a run of the repository's own branch is left alone: its report job's full comment is not replaced by a comment of claims", async () => {
    const s = await github();
    const gh = createGitHubClient({ token: 'tok', baseUrl: s.url });
    const full = `${MARKER}\nthe report job's comment, with the store's word on the candidate`;
    await gh.rest.issues.createComment({ owner: 'acme', repo: 'cam', issue_number: 7, body: full });
    const own = forkRunEvent(SAME_SHA);
    Object.assign(own.workflow_run as Record<string, unknown>, { head_branch: 'feature', head_repository: { full_name: 'ACME/cam' } });
    const r = await post(s, await forkArtifact(), own);
    expect(r).toMatchObject({ posted: false, message: expect.stringMatching(/is for a branch of acme\/cam itself/) });
    expect(allComments(s)).toEqual([full]);
  });

  it('refuses events that are not workflow_run, and runs not started by pull_request', async () => {
    const s = await github();
    const file = await forkArtifact();
    await expect(
      commentFromWorkflowRun({
        gh: createGitHubClient({ token: 'tok', baseUrl: s.url }),
        owner: 'acme',
        repo: 'cam',
        serverUrl: SERVER,
        eventName: 'pull_request_target',
        payload: forkRunEvent(),
        reportFile: file,
        evidenceFor: fromStore,
        marker: MARKER,
      }),
    ).rejects.toThrow(/needs a workflow_run event/);
    const push = forkRunEvent();
    (push.workflow_run as Record<string, unknown>).event = 'push';
    expect((await post(s, file, push)).posted).toBe(false);
    expect(allComments(s)).toEqual([]);
  });
});
