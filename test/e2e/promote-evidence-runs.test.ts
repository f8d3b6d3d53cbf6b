/**
 * Issue 11 §4 through the bundled promote action (dist/promote) run as GitHub's runner runs it
 * (GITHUB_ACTIONS=true, INPUT_* variables, GITHUB_* files, GITHUB_API_URL at the OpenAPI-checking
 * stand-in): evidence whose run does not exist, or is a run of another workflow, is refused; a
 * successful run of the candidate workflow lets the candidate in. The action asks the API itself.
 * And the build action's `look-for-evidence` (candidate.yml's check before acceptance), which
 * must count evidence exactly as promotion does.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import type { Digest } from '@karoo/common';
import { parseConfig } from '@karoo/config';
import type { EvidenceRun } from '@karoo/evidence';
import { type GitHubStandin, startGitHubStandin } from '@karoo/github-standin';
import { writePylock } from '@karoo/lock';
import { LayoutStore } from '@karoo/oci';
import { type BundleRun, runBundle } from '../support/bundle.js';
import { ROOT } from '../support/cli.js';
import { addEvidence, CAM_SYSTEM_YML } from '../support/evidence.js';
import { makeWheels } from '../support/wheels.js';

const BUNDLE = join(ROOT, 'dist/promote/index.js');
const BUILD_BUNDLE = join(ROOT, 'dist/build/index.js');
const REPO = 'acme/cam';
const SHA = 'c'.repeat(40);
const CONFIG = `${CAM_SYSTEM_YML}environments:
  - name: integration
  - name: qualification
`;

let work: string;
let standin: GitHubStandin;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npx tsc -b && node scripts/bundle.mjs promote`);
  work = await mkdtemp(join(tmpdir(), 'karoo-promote-runs-e2e-'));
  await writeFile(join(work, 'karoo.yml'), CONFIG);
  standin = await startGitHubStandin({ tokens: { 'job-token': {} } });
  standin.addRepo(REPO);
  standin.addWorkflowRun(REPO, { id: 501, path: '.github/workflows/karoo-candidate.yml', conclusion: 'success', headSha: SHA });
  standin.addWorkflowRun(REPO, { id: 502, path: '.github/workflows/scratch.yml', conclusion: 'success', headSha: SHA });
}, 60_000);
afterAll(async () => {
  await standin?.close();
  await rm(work, { recursive: true, force: true });
});

async function candidateWithEvidence(name: string, run: EvidenceRun): Promise<{ store: string; candidate: Digest }> {
  const dir = join(work, name);
  const store = new LayoutStore(join(dir, 'store'));
  const wheels = await makeWheels(join(dir, 'wheels'), [{ name: 'acme-cam', version: '1.0.0', size: 1200 }]);
  const candidate = (await build({ lock: wheels.lock(), store, system: 'cam' })).candidate;
  await addEvidence(store, candidate, {
    environment: 'integration',
    config: parseConfig(CONFIG, join(work, 'karoo.yml')),
    passed: 1,
    durationMs: 1,
    run,
  });
  return { store: `oci-layout:${store.path}`, candidate };
}

async function runAction(inputs: Record<string, string>, bundle = BUNDLE): Promise<BundleRun> {
  return runBundle(bundle, {
    cwd: work,
    under: work,
    inputs: { 'github-token': 'job-token', config: 'karoo.yml', 'github-deployment': 'false', ...inputs },
    env: {
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: REPO,
      GITHUB_SHA: SHA,
      GITHUB_ACTOR: 'release-manager',
      GITHUB_API_URL: standin.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '900',
    },
  });
}

describe('the promote action inside GitHub Actions', () => {
  it('refuses evidence from a run that does not exist or is of another workflow, and promotes with a run of the candidate workflow', async () => {
    const ghost = await candidateWithEvidence('ghost', { repository: REPO, runId: '404404', commit: SHA });
    const r1 = await runAction({ candidate: ghost.candidate, environment: 'qualification', store: ghost.store });
    expect(r1.code).not.toBe(0);
    expect(r1.log).toMatch(
      /::error::.*may not enter qualification: no passing evidence from integration that counts: evidence sha256:[0-9a-f]{64} does not count: its run 404404 does not exist in acme\/cam/,
    );

    const other = await candidateWithEvidence('other', { repository: REPO, runId: '502', commit: SHA });
    const r2 = await runAction({ candidate: other.candidate, environment: 'qualification', store: other.store });
    expect(r2.code).not.toBe(0);
    expect(r2.log).toMatch(/its run 502 is a run of \.github\/workflows\/scratch\.yml, not of the candidate workflow/);

    const real = await candidateWithEvidence('real', { repository: REPO, runId: '501', commit: SHA });
    const r3 = await runAction({ candidate: real.candidate, environment: 'qualification', store: real.store });
    expect(r3.log).not.toContain('::error::');
    expect(r3.code).toBe(0);
    expect(r3.outputs.status).toBe('promoted');

    expect(standin.calls('actions/get-workflow-run').map((c) => [c.path, c.token])).toEqual([
      ['/repos/acme/cam/actions/runs/404404', 'job-token'],
      ['/repos/acme/cam/actions/runs/502', 'job-token'],
      ['/repos/acme/cam/actions/runs/501', 'job-token'],
    ]);
  }, 180_000);
});

describe('the build action looks for passing evidence as promotion does (look-for-evidence)', () => {
  it('a new candidate has none; evidence from a run that does not exist does not count; a run of the candidate workflow does, with the report files', async () => {
    const dir = join(work, 'build-look');
    const wheels = await makeWheels(join(dir, 'wheels'), [{ name: 'acme-cam', version: '2.0.0', size: 1300 }]);
    const lock = join(dir, 'pylock.toml');
    await writeFile(lock, writePylock(wheels.lock()));
    const layout = new LayoutStore(join(dir, 'store'));
    const inputs = { lock, store: `oci-layout:${layout.path}`, 'look-for-evidence': 'true', provenance: 'false' };

    const first = await runAction(inputs, BUILD_BUNDLE);
    expect(first.log).not.toContain('::error::');
    expect(first.code).toBe(0);
    expect(first.outputs).toMatchObject({ existed: 'false', 'has-evidence': 'false', evidence: '', environment: 'integration' });
    const candidate = first.outputs.candidate as Digest;
    const config = parseConfig(CONFIG, join(work, 'karoo.yml'));
    /** Passing evidence from integration, claimed by run `runId` of acme/cam. */
    const passedIn = (runId: string) =>
      addEvidence(layout, candidate, {
        environment: 'integration',
        config,
        passed: 1,
        durationMs: 1,
        run: { repository: REPO, runId, commit: SHA },
      });

    await passedIn('404404');
    const ghost = await runAction(inputs, BUILD_BUNDLE);
    expect(ghost.code).toBe(0);
    expect(ghost.outputs).toMatchObject({ existed: 'true', 'has-evidence': 'false', evidence: '' });
    expect(ghost.log).toMatch(/its run 404404 does not exist in acme\/cam/);
    // Evidence that does not count is never named as the candidate's evidence, by either action.
    const ghostDry = await runAction({ candidate, environment: 'integration', store: inputs.store, 'dry-run': 'true' });
    expect(ghostDry.outputs).toMatchObject({ 'has-evidence': 'false', evidence: '' });

    const passing = await passedIn('501');
    const real = await runAction(inputs, BUILD_BUNDLE);
    expect(real.code).toBe(0);
    expect(real.outputs).toMatchObject({ existed: 'true', 'has-evidence': 'true', evidence: passing, environment: 'integration' });
    expect(real.outputs['system-id']).toMatch(/^sha256:[0-9a-f]{64}$/);
    // What the report step reads: the evidence that counts, and every environment of karoo.yml.
    const evidence = JSON.parse(await readFile(real.outputs['evidence-path']!, 'utf8')) as { digest: string; result: string }[];
    expect(evidence.map((e) => [e.digest, e.result])).toContainEqual([passing, 'passed']);
    const environments = JSON.parse(await readFile(real.outputs['environments-path']!, 'utf8')) as { name: string }[];
    expect(environments.map((e) => e.name)).toEqual(['integration', 'qualification']);

    // The same question through promote's dry run gets the same answer.
    const dry = await runAction({ candidate, environment: 'integration', store: inputs.store, 'dry-run': 'true' });
    expect(dry.outputs).toMatchObject({ 'has-evidence': 'true', evidence: passing, 'system-id': real.outputs['system-id'] });
  }, 180_000);

  it('look-for-evidence without a karoo.yml is an input error (exit 2), and nothing is built', async () => {
    const dir = join(work, 'build-no-config');
    const wheels = await makeWheels(join(dir, 'wheels'), [{ name: 'acme-cam', version: '2.1.0', size: 900 }]);
    const lock = join(dir, 'pylock.toml');
    await writeFile(lock, writePylock(wheels.lock()));
    const r = await runAction(
      { lock, system: 'cam', config: join(dir, 'karoo.yml'), store: `oci-layout:${join(dir, 'store')}`, 'look-for-evidence': 'true' },
      BUILD_BUNDLE,
    );
    expect(r.code).toBe(2);
    expect(r.log).toContain(`::error::input "look-for-evidence" is true and there is no ${join(dir, 'karoo.yml')}`);
    expect(existsSync(join(dir, 'store'))).toBe(false);
  });
});
