/**
 * Issue 11 §4: evidence can be forged. A real candidate in an OCI layout, real evidence
 * artifacts, the real system id (@karoo/deploy) and the OpenAPI-checking GitHub stand-in for the
 * runs: the gate counts evidence only for this candidate with the environment's configuration
 * as it is now and, inside GitHub Actions, only from a successful run of the candidate workflow
 * in this repository. A malformed referrer blocks nothing.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { build } from '@karoo/build';
import { canonicalJson, type Digest, isKarooError, KarooError, type Progress, sha256Of } from '@karoo/common';
import { EMPTY_CONFIG, OCI } from '@karoo/candidate';
import { type KarooConfig, parseConfig } from '@karoo/config';
import { EVIDENCE_ARTIFACT_TYPE, type EvidenceRun } from '@karoo/evidence';
import { type GitHubStandin, startGitHubStandin } from '@karoo/github-standin';
import { bufferSource, LayoutStore } from '@karoo/oci';
import { evidenceRunVerifierFromEnv, githubRunVerifier, promote, type PromoteOptions, verifyCandidate } from '@karoo/promote';
import { addEvidence, CAM_SYSTEM_YML } from '../../../test/support/evidence.js';
import { makeWheels } from '../../../test/support/wheels.js';

const REPO = 'acme/cam';
const CANDIDATE_WORKFLOW = '.github/workflows/karoo-candidate.yml';
const SHA = 'a'.repeat(40);

const yml = (integrationValues: string) => `${CAM_SYSTEM_YML}environments:
  - name: integration
    values: ${integrationValues}
  - name: qualification
`;

let work: string;
let standin: GitHubStandin;
let n = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-evidence-trust-'));
  standin = await startGitHubStandin({ tokens: { reader: {} } });
  standin.addRepo(REPO);
  standin.addWorkflowRun(REPO, { id: 101, path: CANDIDATE_WORKFLOW, conclusion: 'success', headSha: SHA });
  standin.addWorkflowRun(REPO, { id: 102, path: '.github/workflows/anything.yml', conclusion: 'success', headSha: SHA });
  standin.addWorkflowRun(REPO, { id: 103, path: CANDIDATE_WORKFLOW, conclusion: 'failure', headSha: SHA });
  standin.addWorkflowRun(REPO, {
    id: 105,
    path: CANDIDATE_WORKFLOW,
    conclusion: 'success',
    headSha: SHA,
    headRepo: 'mallory/cam',
    event: 'pull_request',
  });
  standin.addWorkflowRun(REPO, { id: 106, path: CANDIDATE_WORKFLOW, status: 'in_progress', headSha: SHA });
}, 60_000);
afterAll(async () => {
  await standin?.close();
  await rm(work, { recursive: true, force: true });
});

/** A fresh layout with one real candidate, and the configuration read from karoo.yml. */
async function setup(values = '{ site: lab }'): Promise<{ store: LayoutStore; candidate: Digest; config: KarooConfig }> {
  const dir = join(work, `case-${n++}`);
  const store = new LayoutStore(join(dir, 'store'));
  const wheels = await makeWheels(join(dir, 'wheels'), [{ name: 'acme-cam', version: '1.0.0', size: 1500 }]);
  const r = await build({ lock: wheels.lock(), store, system: 'cam' });
  await writeFile(join(dir, 'karoo.yml'), yml(values));
  return { store, candidate: r.candidate, config: parseConfig(yml(values), join(dir, 'karoo.yml')) };
}

const run = (id: number, over: Partial<EvidenceRun> = {}): EvidenceRun => ({
  repository: REPO,
  runId: String(id),
  commit: SHA,
  workflow: `${REPO}/${CANDIDATE_WORKFLOW}@refs/heads/main`,
  ...over,
});

async function outcome(p: Promise<unknown>): Promise<{ ok: true } | { ok: false; error: KarooError }> {
  try {
    await p;
    return { ok: true };
  } catch (e) {
    if (isKarooError(e)) return { ok: false, error: e };
    throw e;
  }
}

const base = (o: { store: LayoutStore; candidate: Digest; config: KarooConfig }): PromoteOptions => ({
  store: o.store,
  config: o.config,
  candidate: o.candidate,
  environment: 'qualification',
  actor: 'release-manager',
});

describe('the gate counts evidence for this system only', () => {
  it('refuses forged evidence with the wrong system id, and counts evidence with the right one', async () => {
    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', systemId: sha256Of('a system nobody tested') });
    const refused = await outcome(promote(base(s)));
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.kind).toBe('refused');
    expect(refused.error.message).toMatch(
      /no passing evidence from integration that counts: evidence sha256:[0-9a-f]{64} does not count: it is about system sha256:[0-9a-f]{64}, but this candidate with the configuration of integration as it is now is system sha256:[0-9a-f]{64}/,
    );

    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config });
    const ok = await promote(base(s));
    expect(ok.status).toBe('promoted');
  });

  it('needs new evidence once the configuration of the environment changed', async () => {
    const s = await setup('{ site: lab }');
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config });
    expect((await promote({ ...base(s), dryRun: true })).allowed).toBe(true);
    const changed = parseConfig(yml('{ site: elsewhere }'), s.config.path);
    const r = await promote({ ...base(s), config: changed, dryRun: true });
    expect(r.allowed).toBe(false);
    expect(r.passingEvidence).toEqual([]);
    expect(r.gate[0]!.detail).toMatch(/the configuration changed since, or the evidence is forged/);
  });
});

describe('inside GitHub Actions, the evidence run is asked of the API', () => {
  const verifier = () => githubRunVerifier({ token: 'reader', repository: REPO, baseUrl: standin.url, workflows: [CANDIDATE_WORKFLOW] });

  it.each([
    ['a run that does not exist', run(104), /its run 104 does not exist in acme\/cam/],
    ['a run of another workflow', run(102), /its run 102 is a run of \.github\/workflows\/anything\.yml, not of the candidate workflow/],
    ['a failed run', run(103), /its run 103 concluded failure, not success/],
    ['a run of a fork', run(105), /its run 105 ran the code of mallory\/cam \(a fork\)/],
    ['a run still going', run(106), /its run 106 has not completed \(in_progress\)/],
    ['a run of another repository', run(101, { repository: 'mallory/cam' }), /its run 101 belongs to mallory\/cam, not acme\/cam/],
    ['no run at all', undefined, /it names no GitHub Actions run/],
    ['another commit than the run', run(101, { commit: 'b'.repeat(40) }), /it says its run was on b{40}, but run 101 ran a{40}/],
    [
      'a pull request run whose head commit is not the run’s',
      run(101, { commit: 'c'.repeat(40), headCommit: 'b'.repeat(40) }),
      /it says its run was on b{40}, but run 101 ran a{40}/,
    ],
  ])('refuses evidence from %s', async (_what, evidenceRun, reason) => {
    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: evidenceRun });
    const r = await outcome(promote({ ...base(s), evidenceRuns: verifier() }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('refused');
    expect(r.error.message).toMatch(reason);
  });

  it('does not count evidence it may not check (a token without actions: read), and says what to grant', async () => {
    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run(101) });
    standin.inject({
      operationId: 'actions/get-workflow-run',
      status: 403,
      body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest', status: '403' },
    });
    const r = await promote({ ...base(s), evidenceRuns: verifier(), dryRun: true });
    expect(r.allowed).toBe(false);
    expect(r.passingEvidence).toEqual([]);
    expect(r.gate[0]!.detail).toMatch(/GitHub refused to show its run 101 \(403\); give the job `permissions: actions: read`/);
  });

  it('counts evidence from a successful run of the candidate workflow in this repository', async () => {
    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run(101) });
    const before = standin.calls('actions/get-workflow-run').length;
    const r = await promote({ ...base(s), evidenceRuns: verifier() });
    expect(r.status).toBe('promoted');
    expect(
      standin
        .calls('actions/get-workflow-run')
        .slice(before)
        .map((c) => c.path),
    ).toEqual(['/repos/acme/cam/actions/runs/101']);
  });

  it('counts evidence from a pull request run: GitHub reports its head commit, the run tested the merge commit (GITHUB_SHA)', async () => {
    const s = await setup();
    // Run 101's head_sha is SHA; the run checked out refs/pull/N/merge, another commit.
    await addEvidence(s.store, s.candidate, {
      environment: 'integration',
      config: s.config,
      run: run(101, { commit: 'c'.repeat(40), headCommit: SHA }),
    });
    expect((await promote({ ...base(s), evidenceRuns: verifier() })).status).toBe('promoted');
  });
});

describe('the report of the run that tested: its own evidence counts while the run is still going', () => {
  // Run 106 is in progress: the candidate workflow's report job, after its acceptance job.
  const verifier = () => githubRunVerifier({ token: 'reader', repository: REPO, baseUrl: standin.url, workflows: [CANDIDATE_WORKFLOW] });
  const thisRun = { id: '106', repository: REPO, sha: SHA, url: `https://github.com/${REPO}/actions/runs/106` };
  const integration = (s: { store: LayoutStore; candidate: Digest; config: KarooConfig }): PromoteOptions => ({
    ...base(s),
    environment: 'integration',
    dryRun: true,
    run: thisRun,
    evidenceRuns: verifier(),
  });

  it('counts the evidence whose digest the acceptance job gave, and which names this run', async () => {
    const s = await setup();
    const digest = await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run(106) });
    const without = await promote(integration(s));
    expect(without.passingEvidence).toEqual([]);
    expect(without.gate[0]!.detail).toMatch(/its run 106 has not completed \(in_progress\)/);
    const r = await promote({ ...integration(s), thisRunEvidence: [digest] });
    expect(r.passingEvidence).toEqual(['integration']);
    expect(r.evidence.find((e) => e.digest === digest)?.untrusted).toBeUndefined();
  });

  it.each([
    // Planted in the store by someone who can write there: it names this run, but the acceptance job never gave its digest.
    ['a digest the acceptance job did not give', run(106), () => [sha256Of('other evidence')]],
    ['another run', run(103), (d: Digest) => [d]],
    ['another commit', run(106, { commit: 'b'.repeat(40) }), (d: Digest) => [d]],
    ['another repository', run(106, { repository: 'mallory/cam' }), (d: Digest) => [d]],
  ])('still checks evidence with %s', async (_what, evidenceRun, given) => {
    const s = await setup();
    const digest = await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: evidenceRun });
    const r = await promote({ ...integration(s), thisRunEvidence: given(digest) });
    expect(r.passingEvidence).toEqual([]);
    expect(r.evidence.find((e) => e.digest === digest)?.untrusted).toMatch(/^its run 10[36] /);
  });

  it('is refused for a promotion, and outside a run', async () => {
    const s = await setup();
    const digest = await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run(106) });
    const promotion = await outcome(promote({ ...integration(s), dryRun: false, thisRunEvidence: [digest] }));
    expect(promotion.ok ? '' : promotion.error.message).toMatch(
      /only for a dry run \(a report\); a promotion counts evidence of completed runs/,
    );
    const outside = await outcome(promote({ ...integration(s), run: undefined, thisRunEvidence: [digest] }));
    expect(outside.ok ? '' : outside.error.message).toMatch(/needs the run it came from/);
    const malformed = await outcome(promote({ ...integration(s), thisRunEvidence: ['not-a-digest'] }));
    expect(malformed.ok ? '' : malformed.error.message).toMatch(/this run's evidence "not-a-digest" is not a sha256 digest/);
  });
});

describe('evidenceRunVerifierFromEnv (what the action and the CLI use)', () => {
  it('checks runs only inside GitHub Actions, and refuses to guess without a token', async () => {
    expect(evidenceRunVerifierFromEnv({ token: 'reader', config: {}, env: { GITHUB_REPOSITORY: REPO } })).toBeUndefined();
    const noToken = evidenceRunVerifierFromEnv({ token: undefined, config: {}, env: { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: REPO } })!;
    await expect(noToken(run(101))).rejects.toThrow(
      /inside GitHub Actions a promotion asks the API which run produced its evidence, but no GitHub token was given/,
    );

    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run(102) });
    const env = { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: REPO, GITHUB_API_URL: standin.url };
    // The default candidate workflow does not include run 102's workflow; karoo.yml acceptance.workflows can.
    const byDefault = await outcome(
      promote({ ...base(s), evidenceRuns: evidenceRunVerifierFromEnv({ token: 'reader', config: s.config, env }) }),
    );
    expect(byDefault.ok).toBe(false);
    const named = parseConfig(
      `${yml('{ site: lab }')}acceptance:\n  command: [pytest]\n  workflows: [.github/workflows/anything.yml]\n`,
      s.config.path,
    );
    const ok = await promote({
      ...base(s),
      config: named,
      evidenceRuns: evidenceRunVerifierFromEnv({ token: 'reader', config: named, env }),
    });
    expect(ok.status).toBe('promoted');
  });
});

describe('a malformed referrer', () => {
  it('does not block the promotion, and is reported', async () => {
    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config });
    // Someone with push access adds a referrer that claims to be evidence and is not.
    const subject = await verifyCandidate(s.store, s.candidate);
    const junk = Buffer.from('{"schema":"karoo.evidence/v1","result":"passed"}');
    const layer = { mediaType: EVIDENCE_ARTIFACT_TYPE, digest: sha256Of(junk), size: junk.length };
    await s.store.putBlob(layer, bufferSource(junk));
    await s.store.putBlob(EMPTY_CONFIG.descriptor, bufferSource(EMPTY_CONFIG.bytes));
    const bad = Buffer.from(
      canonicalJson({
        schemaVersion: 2,
        mediaType: OCI.imageManifest,
        artifactType: EVIDENCE_ARTIFACT_TYPE,
        config: EMPTY_CONFIG.descriptor,
        layers: [layer],
        subject,
      }),
    );
    await s.store.putManifest(bad, OCI.imageManifest);

    const warnings: string[] = [];
    const progress: Progress = { info: () => undefined, warn: (m: string) => warnings.push(m) } as unknown as Progress;
    const r = await promote({ ...base(s), progress });
    expect(r.status).toBe('promoted');
    expect(r.passingEvidence).toEqual(['integration']);
    expect(warnings.join('\n')).toContain(`evidence ${sha256Of(bad)} is invalid and does not count`);
    expect(
      JSON.parse(await readFile(join(s.store.path, 'index.json'), 'utf8')).manifests.some(
        (m: { digest: string }) => m.digest === sha256Of(bad),
      ),
    ).toBe(true);
  });
});
