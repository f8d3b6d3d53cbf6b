/**
 * The bundled promote action (dist/promote) run as the runner runs it — INPUT_* variables,
 * GITHUB_* files, GITHUB_API_URL at the OpenAPI-checking stand-in — against an OCI layout;
 * and `karoo promote`, `karoo history`, `karoo status` through the built CLI, including two
 * promotions started at once as separate processes against a real registry.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '@karoo/common';
import { faults, startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { writePylock } from '@karoo/lock';
import { openStore, type Store } from '@karoo/oci';
import { environmentTags, verifyCandidate } from '@karoo/promote';
import { parseConfig } from '@karoo/config';
import { pushArtifact, recordArtifact } from '../../packages/promote/src/records.js';
import { type BundleRun, runBundle } from '../support/bundle.js';
import { json, karoo, ROOT } from '../support/cli.js';
import { addEvidence, CAM_SYSTEM_YML } from '../support/evidence.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { makeWheels } from '../support/wheels.js';

const BUNDLE = join(ROOT, 'dist/promote/index.js');
const CONFIG = `${CAM_SYSTEM_YML}environments:
  - name: integration
  - name: qualification
  - name: production
    soak: 24h
    github-environment: prod
`;

let work: string;
let standin: GitHubStandin;
let registry: RunningRegistry;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npx tsc -b && node scripts/bundle.mjs promote`);
  work = await mkdtemp(join(tmpdir(), 'karoo-promote-e2e-'));
  await writeFile(join(work, 'karoo.yml'), CONFIG);
  standin = await startGitHubStandin({ tokens: { rw: {} } });
  standin.addRepo('acme/cam');
  registry = await startRegistry();
}, 60_000);
afterAll(async () => {
  await standin?.close();
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

/** Builds one candidate per version with the CLI, returning the digests. */
async function build(store: string, versions: string[]): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const v of versions) {
    const wheels = await makeWheels(join(work, `w-${v}`), [{ name: 'acme-cam', version: v, size: 3000 }]);
    const lock = join(work, `pylock-${v}.toml`);
    await writeFile(lock, writePylock(wheels.lock()));
    out.push(json(await karoo(['build', '--lock', lock, '--system', 'cam', '--store', store, '--json'])).candidate as Digest);
  }
  return out;
}

async function evidence(store: Store, candidate: Digest, environment: string): Promise<void> {
  // The gate counts evidence only for this candidate with the environment's configuration as it is now.
  await addEvidence(store, candidate, { environment, config: parseConfig(CONFIG, join(work, 'karoo.yml')), passed: 2, durationMs: 5 });
}

async function runAction(inputs: Record<string, string>): Promise<BundleRun> {
  return runBundle(BUNDLE, {
    cwd: work,
    under: work,
    inputs: { token: 'rw', config: 'karoo.yml', ...inputs },
    env: {
      GITHUB_REPOSITORY: 'acme/cam',
      GITHUB_SHA: 'c'.repeat(40),
      GITHUB_ACTOR: 'release-manager',
      GITHUB_API_URL: standin.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '777',
    },
  });
}

describe('the promote action (bundle)', () => {
  it('checks, refuses with the gate in the summary, promotes with a GitHub Deployment', async () => {
    const storeRef = `oci-layout:${join(work, 'store')}`;
    const store = openStore(storeRef);
    const [A] = await build(storeRef, ['1.0.0']);

    // Dry run, as candidate.yml uses it: no evidence yet, never fails.
    const check = await runAction({ CANDIDATE: A!, STORE: storeRef, 'DRY-RUN': 'true' });
    expect(check.code).toBe(0);
    expect(check.outputs).toMatchObject({
      environment: 'integration',
      status: 'checked',
      allowed: 'false',
      'has-evidence': 'false',
      'passing-evidence': '[]',
    });
    expect(check.log).toContain(`::notice::${A} may not enter integration yet: no evidence from integration`);

    const refused = await runAction({ CANDIDATE: A!, STORE: storeRef, ENVIRONMENT: 'integration', REASON: 'first' });
    expect(refused.code).not.toBe(0);
    expect(refused.log).toContain(`::error::candidate ${A} may not enter integration: no evidence from integration`);
    expect(refused.summary).toContain('Gate');
    expect(refused.outputs.allowed).toBe('false');
    expect(standin.deployments('acme/cam')).toHaveLength(0);

    await evidence(store, A!, 'integration');
    const again = await runAction({ CANDIDATE: A!, STORE: storeRef, 'DRY-RUN': 'true' });
    expect(again.outputs).toMatchObject({ allowed: 'true', 'has-evidence': 'true', 'passing-evidence': '["integration"]' });

    const ok = await runAction({ CANDIDATE: A!, STORE: storeRef, ENVIRONMENT: 'integration', REASON: 'first' });
    expect(ok.code).toBe(0);
    expect(ok.outputs).toMatchObject({ status: 'promoted', allowed: 'true', tag: 'env-integration', previous: '' });
    expect(ok.outputs.record).toMatch(/^sha256:[0-9a-f]{64}$/);
    const [d] = standin.deployments('acme/cam');
    expect(d).toMatchObject({
      id: Number(ok.outputs['deployment-id']),
      environment: 'integration',
      sha: 'c'.repeat(40),
      payload: { candidate: A, record: ok.outputs.record },
      statuses: ['in_progress', 'success'],
    });
    expect(ok.summary).toContain('karoo promote');
    expect(ok.summary).toContain(A!);

    const hist = json<Array<{ candidate: string; actor: string; reason: string; run: { url: string } }>>(
      await karoo(['history', 'integration', '--store', storeRef, '--json']),
    );
    expect(hist).toEqual([
      expect.objectContaining({
        candidate: A,
        actor: 'release-manager',
        reason: 'first',
        run: expect.objectContaining({ url: 'https://github.com/acme/cam/actions/runs/777' }),
      }),
    ]);
  }, 60_000);
});

describe('karoo promote, history, status (CLI)', () => {
  it('gate refusal exits 6 naming the evidence; two promotions at once as processes: one wins, the other exits 5', async () => {
    const storeRef = `${registry.host}/acme/cam`;
    const store = openStore(storeRef);
    const [A, B, C] = await build(storeRef, ['2.0.0', '2.1.0', '2.2.0']);
    const cfg = join(work, 'karoo.yml');
    const env = { GITHUB_REPOSITORY: '', GITHUB_TOKEN: '' };
    // A registry has no compare-and-swap: karoo decides through a git ref per place in the history.
    const gh = {
      GITHUB_REPOSITORY: 'acme/cam',
      GITHUB_TOKEN: 'rw',
      GITHUB_API_URL: standin.url,
      GITHUB_SHA: 'c'.repeat(40),
      GITHUB_RUN_ID: '',
    };

    const refused = await karoo(['promote', A!, '--to', 'qualification', '--store', storeRef, '--config', cfg], { env });
    expect(refused.code).toBe(6);
    expect(refused.stderr.trim().split('\n').at(-1)).toBe(
      `karoo: error: candidate ${A} may not enter qualification: no evidence from integration; run the acceptance tests for integration (karoo up --environment integration)`,
    );
    const refusedJson = json<{ error: { kind: string; detail: { gate: unknown[] } } }>(
      await karoo(['promote', A!, '--to', 'qualification', '--store', storeRef, '--config', cfg, '--json'], { env }),
    );
    expect(refusedJson.error.kind).toBe('refused');
    expect(refusedJson.error.detail.gate).toHaveLength(1);

    for (const c of [A!, B!, C!]) await evidence(store, c, 'integration');
    // Without GitHub, a registry promotion is refused (exit 6) unless said to be serialised.
    const alone = await karoo(['promote', A!, '--to', 'integration', '--store', storeRef, '--config', cfg], { env });
    expect(alone.code).toBe(6);
    expect(alone.stderr).toContain(
      `karoo: error: ${storeRef} is a registry, which cannot decide between two promotions to integration made at the same time;`,
    );
    expect(alone.stderr).toContain('say so with --serialized');
    const first = json(
      await karoo(['promote', A!, '--to', 'integration', '--store', storeRef, '--config', cfg, '--reason', 'go', '--json'], { env: gh }),
    );
    expect(first).toMatchObject({ status: 'promoted', candidate: A, tag: 'env-integration' });

    // The two overlap for certain: whichever claims its place first waits out a secondary rate
    // limit (3 s) on it, as GitHub may make it wait, while the other reads the same history head.
    standin.inject({ ...faults.secondaryRateLimit('git/create-ref', { retryAfter: 3 }), repo: 'acme/cam' });
    const race = await Promise.all(
      [B!, C!].map((c) => karoo(['promote', c, '--to', 'integration', '--store', storeRef, '--config', cfg, '--json'], { env: gh })),
    );
    expect(race.map((r) => r.code).sort()).toEqual([0, 5]);
    const loser = race.find((r) => r.code === 5)!;
    expect(loser.stderr).toMatch(
      /karoo: error: another promotion to integration (won place 2 of its history|was recorded while this one checked its gate)/,
    );
    expect(
      standin
        .gitRefs('acme/cam')
        .map((r) => r.ref)
        .sort(),
    ).toEqual(['refs/karoo/integration/1', 'refs/karoo/integration/2']);
    const winner = json(race.find((r) => r.code === 0)!);

    const hist = json<Array<{ candidate: string }>>(await karoo(['history', 'integration', '--store', storeRef, '--json']));
    expect(hist.map((h) => h.candidate)).toEqual([winner.candidate, A]);

    const status = json<Array<{ name: string; candidate?: string; production: boolean }>>(
      await karoo(['status', '--store', storeRef, '--config', cfg, '--json']),
    );
    expect(status.map((s) => [s.name, s.candidate ?? null, s.production])).toEqual([
      ['integration', winner.candidate, false],
      ['qualification', null, false],
      ['production', null, true],
    ]);
    const human = await karoo(['status', '--store', storeRef, '--config', cfg]);
    expect(human.stdout).toMatch(new RegExp(`^integration\\s+${winner.candidate}`, 'm'));

    const rollback = json(
      await karoo(
        [
          'promote',
          A!,
          '--to',
          'integration',
          '--store',
          storeRef,
          '--config',
          cfg,
          '--rollback',
          '--reason',
          'regression in 2.1',
          '--serialized',
          '--json',
        ],
        { env },
      ),
    );
    expect(rollback).toMatchObject({ status: 'promoted', kind: 'rollback', previous: winner.candidate });
  }, 180_000);

  it('karoo history shows a fork (two records at one place) and exits 3 while it is open', async () => {
    const storeRef = `${registry.host}/acme/fork`;
    const store = openStore(storeRef);
    const [A, B, C] = await build(storeRef, ['3.0.0', '3.1.0', '3.2.0']);
    const cfg = join(work, 'karoo.yml');
    const env = { GITHUB_REPOSITORY: '', GITHUB_TOKEN: '' };
    for (const c of [A!, B!, C!]) await evidence(store, c, 'integration');
    const promote = (c: string) =>
      karoo(['promote', c, '--to', 'integration', '--store', storeRef, '--config', cfg, '--serialized', '--json'], { env });
    const a = json<{ record: string }>(await promote(A!));
    const b = json<{ record: string }>(await promote(B!));
    // What a second promotion that was not serialised after all left at place 2.
    const rival = recordArtifact(await verifyCandidate(store, C!), {
      schema: 'karoo.promotion/v1',
      kind: 'promotion',
      environment: 'integration',
      candidate: C!,
      previousRecord: a.record as Digest,
      previousCandidate: A!,
      sequence: 2,
      actor: 'bob',
      time: new Date().toISOString(),
    });
    await pushArtifact(store, rival, environmentTags('integration').sequence(2, rival.digest));

    const shown = await karoo(['history', 'integration', '--store', storeRef]);
    expect(shown.code).toBe(3);
    expect(shown.stderr).toContain(`karoo: warning: the history of integration forks at place 2: ${b.record} (${B} by`);
    expect(shown.stderr).toContain(`and ${rival.digest} (${C} by bob at`);
    expect(shown.stdout).toContain(`FORK at place 2 (open: which one holds was never decided): 2 records follow ${a.record}`);
    expect(shown.stdout).toMatch(new RegExp(`^followed\\s+${b.record}`, 'm'));
    expect(shown.stdout).toMatch(new RegExp(`^side\\s+${rival.digest}\\s+\\S+\\s+${C}\\s+bob`, 'm'));
    const listed = json<Array<{ record?: string; digest: string; place: number; forkedWith?: string[] }>>(
      await karoo(['history', 'integration', '--store', storeRef, '--json']),
    );
    expect(listed.map((r) => [r.digest, r.place, r.forkedWith])).toEqual([
      [b.record, 2, [rival.digest]],
      [a.record, 1, undefined],
    ]);

    // The next promotion settles it: the fork stays visible, history exits 0.
    const c = json<{ record: string }>(await promote(C!));
    const settled = await karoo(['history', 'integration', '--store', storeRef]);
    expect(settled.code).toBe(0);
    expect(settled.stdout).toMatch(new RegExp(`^3\\s+\\S+\\s+promotion\\s+${C}`, 'm'));
    expect(settled.stdout).toContain(`FORK at place 2: 2 records follow ${a.record}`);
    expect(c.record).toMatch(/^sha256:/);
  }, 180_000);
});
