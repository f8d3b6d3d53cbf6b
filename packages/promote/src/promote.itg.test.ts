/**
 * promote against real stores (an OCI layout on disk and Debian's docker-registry on
 * 127.0.0.1), with real candidates built from generated wheels, real evidence artifacts, and
 * the GitHub calls against the OpenAPI-checking stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import { type Digest, isKarooError, KarooError, sha256Of } from '@karoo/common';
import { type KarooConfig, parseConfig } from '@karoo/config';
import { evidenceFor, pushEvidence } from '@karoo/evidence';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { LayoutStore, openStore, type Store } from '@karoo/oci';
import {
  acquireClaim,
  environmentStatus,
  githubDeployments,
  history,
  promote,
  PROMOTION,
  type PromoteOptions,
  verifyCandidate,
} from '@karoo/promote';
import { startRegistry, type RunningRegistry } from '../../../test/support/registry.js';
import { makeWheels } from '../../../test/support/wheels.js';

let work: string;
let registry: RunningRegistry;

const CONFIG = `system: cam
leaves: [acme-cam]
indexes: [{ url: ./index }]
environments:
  - name: integration
  - name: qualification
  - name: production
    soak: 1h
    github-environment: prod
    inventory: inventories/production.json
`;
let config: KarooConfig;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-promote-'));
  config = parseConfig(CONFIG, join(work, 'karoo.yml'));
  registry = await startRegistry();
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

/** Three real candidates (one wheel each, different versions) built into the store. */
async function candidates(store: Store, tag: string): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
    const wheels = await makeWheels(join(work, `wheels-${tag}-${version}`), [{ name: 'acme-cam', version, size: 2000 }]);
    const r = await build({ lock: wheels.lock(), store, system: 'cam' });
    out.push(r.candidate);
  }
  return out;
}

let clock = Date.parse('2025-05-01T08:00:00Z');
const now = () => new Date(clock);

async function evidence(store: Store, candidate: Digest, environment: string, result: 'passed' | 'failed' = 'passed'): Promise<Digest> {
  const d = await verifyCandidate(store, candidate);
  const finished = new Date(clock).toISOString();
  const a = evidenceFor(d, {
    candidate,
    system: 'cam',
    systemId: sha256Of(`${candidate} ${environment}`),
    configDigest: sha256Of(environment),
    environment,
    result,
    counts: result === 'passed' ? { tests: 5, passed: 5, failed: 0, errors: 0, skipped: 0 } : { tests: 5, passed: 4, failed: 1, errors: 0, skipped: 0 },
    startedAt: finished,
    finishedAt: finished,
    durationMs: 1000,
    exitCode: result === 'passed' ? 0 : 1,
    timedOut: false,
    command: ['python3', 'run.py'],
    nodes: [{ name: 'store-1', role: 'store' }],
  });
  return (await pushEvidence(store, a)).digest as Digest;
}

async function refusal(p: Promise<unknown>): Promise<KarooError> {
  try {
    await p;
  } catch (e) {
    if (isKarooError(e)) return e;
    throw e;
  }
  throw new Error('expected the promotion to fail');
}

const systemId = async (c: Digest, env: { name: string }) => sha256Of(`${c} ${env.name} config`);

describe.each([
  ['oci-layout', () => new LayoutStore(join(work, 'layout'))],
  ['registry', () => openStore(`${registry.host}/acme/cam`)],
])('promote with a %s store', (_kind, open) => {
  let store: Store;
  let A: Digest, B: Digest, C: Digest;
  const opts = (o: Partial<PromoteOptions>): PromoteOptions => ({
    store,
    config,
    candidate: A,
    environment: 'integration',
    actor: 'alice',
    now,
    systemId,
    claim: { minSettleMs: 200 },
    ...o,
  });

  beforeAll(async () => {
    clock = Date.parse('2025-05-01T08:00:00Z');
    store = open();
    [A, B, C] = (await candidates(store, _kind)) as [Digest, Digest, Digest];
  }, 60_000);

  it('refuses a candidate without evidence, naming what is missing, and records nothing', async () => {
    const e = await refusal(promote(opts({})));
    expect(e.kind).toBe('refused');
    expect(e.message).toBe(`candidate ${A} may not enter integration: no evidence from integration; run the acceptance tests for integration (karoo up --environment integration)`);
    await evidence(store, A, 'integration', 'failed');
    const again = await refusal(promote(opts({})));
    expect(again.message).toMatch(/no passing evidence from integration: 1 run\(s\), all failed/);
    expect(await store.hasManifest('env-integration')).toBeUndefined();
    expect(await history(store, 'integration')).toEqual([]);
  });

  it('refuses what is not a candidate in the store', async () => {
    const missing = sha256Of('not there');
    expect((await refusal(promote(opts({ candidate: missing })))).message).toMatch(new RegExp(`candidate ${missing} is not in .*; build it there first`));
    const ev = await evidence(store, A, 'scratch');
    expect((await refusal(promote(opts({ candidate: ev })))).message).toMatch(/is not a karoo candidate \(artifactType application\/vnd.karoo.evidence.v1\+json\)/);
    expect((await refusal(promote(opts({ environment: 'staging' })))).kind).toBe('input');
  });

  it('promotes through the environments by digest, with records, tags and history', async () => {
    await evidence(store, A, 'integration');
    const r1 = await promote(opts({ reason: 'first', run: { id: '42', url: 'https://github.com/acme/cam/actions/runs/42' } }));
    expect(r1).toMatchObject({ status: 'promoted', candidate: A, environment: 'integration', kind: 'promotion', previous: undefined, tag: 'env-integration', systemId: await systemId(A, { name: 'integration' }) });
    expect(r1.gate).toEqual([expect.objectContaining({ environment: 'integration', requirement: 'evidence', met: true })]);
    expect((await store.hasManifest('env-integration'))?.digest).toBe(A);

    // The record is a referrer of the candidate, and it is what history reads.
    const referrers = await store.referrers(A, PROMOTION.record);
    expect(referrers.map((d) => d.digest)).toEqual([r1.record]);
    const [h] = await history(store, 'integration');
    expect(h).toMatchObject({ digest: r1.record, candidate: A, actor: 'alice', reason: 'first', run: { id: '42' }, time: '2025-05-01T08:00:00.000Z' });

    clock += 10 * 60_000;
    const r2 = await promote(opts({ environment: 'qualification' }));
    expect(r2).toMatchObject({ status: 'promoted', previous: undefined });
    expect(r2.gate[0]).toMatchObject({ environment: 'integration', met: true });

    // Production: no qualification evidence, and not an hour in qualification yet.
    clock += 10 * 60_000;
    const refused = await refusal(promote(opts({ environment: 'production' })));
    expect(refused.kind).toBe('refused');
    expect(refused.message).toBe(`candidate ${A} may not enter production: no evidence from qualification; run the acceptance tests for qualification (karoo up --environment qualification); soak 1h in qualification: 10m since 2025-05-01T08:10:00.000Z, 50m to go`);
    expect(refused.detail?.gate).toHaveLength(2);
    await evidence(store, A, 'qualification');
    expect((await refusal(promote(opts({ environment: 'production' })))).message).toMatch(/: soak 1h in qualification: 10m since .*, 50m to go$/);
    clock += 60 * 60_000;
    const deployed: string[] = [];
    const r3 = await promote(opts({ environment: 'production', deploy: async (d) => (deployed.push(`${d.candidate} ${d.inventory}`), { detail: 'converged 4 nodes' }) }));
    expect(r3).toMatchObject({ status: 'promoted', deploy: { status: 'deployed', detail: 'converged 4 nodes' } });
    expect(deployed).toEqual([`${A} ${join(work, 'inventories/production.json')}`]);
    expect(r1.deploy).toEqual({ status: 'skipped', detail: 'integration has no inventory in karoo.yml (an ephemeral environment): nothing to deploy' });

    // Promoting what already runs records nothing.
    const same = await promote(opts({}));
    expect(same).toMatchObject({ status: 'unchanged', record: r1.record });
    expect(await history(store, 'integration')).toHaveLength(1);

    // B replaces A in integration: the chain grows, newest first.
    await evidence(store, B, 'integration');
    clock += 60_000;
    const r4 = await promote(opts({ candidate: B }));
    expect(r4.previous).toBe(A);
    const h2 = await history(store, 'integration');
    expect(h2.map((r) => [r.candidate, r.previousCandidate, r.previousRecord])).toEqual([
      [B, A, r1.record],
      [A, undefined, undefined],
    ]);

    const status = await environmentStatus(store, config.environments.map((e) => e.name));
    expect(status.map((s) => [s.environment, s.candidate, s.systemId, s.drift])).toEqual([
      ['integration', B, await systemId(B, { name: 'integration' }), undefined],
      ['qualification', A, await systemId(A, { name: 'qualification' }), undefined],
      ['production', A, await systemId(A, { name: 'production' }), undefined],
    ]);
    // Without the configuration, the environments with a history are found from the tags.
    expect((await environmentStatus(store)).map((s) => s.environment)).toEqual(['integration', 'production', 'qualification']);
  }, 60_000);

  it('rolls back only to a candidate the environment ran, with a reason', async () => {
    expect((await refusal(promote(opts({ candidate: A, rollback: true })))).message).toMatch(/a rollback of integration needs a reason/);
    const never = await refusal(promote(opts({ candidate: C, rollback: true, reason: 'bad' })));
    expect(never.kind).toBe('refused');
    expect(never.message).toContain(`${C} never ran in integration; a rollback can only return to an earlier candidate of integration`);
    clock += 60_000;
    const r = await promote(opts({ candidate: A, rollback: true, reason: 'B breaks the proxy' }));
    expect(r).toMatchObject({ status: 'promoted', kind: 'rollback', previous: B });
    const [head] = await history(store, 'integration');
    expect(head).toMatchObject({ kind: 'rollback', candidate: A, previousCandidate: B, reason: 'B breaks the proxy' });
    expect((await store.hasManifest('env-integration'))?.digest).toBe(A);

    // Someone moves the tag by hand: status says the tag and the history disagree.
    const m = await store.getManifest(C);
    await store.putManifest(m.bytes, m.descriptor.mediaType, { tag: 'env-integration' });
    const [s] = await environmentStatus(store, ['integration']);
    expect(s).toMatchObject({ candidate: A, tag: C, drift: `env-integration points at ${C}, but the last promotion recorded ${A}` });
    await store.putManifest((await store.getManifest(A)).bytes, m.descriptor.mediaType, { tag: 'env-integration' });
  }, 30_000);

  it('lets exactly one of two simultaneous promotions to one environment win', async () => {
    await evidence(store, C, 'integration');
    for (let round = 0; round < 3; round++) {
      const before = await history(store, 'qualification');
      const [x, y] = round % 2 ? [B, C] : [C, B];
      clock += 60_000;
      const results = await Promise.allSettled([promote(opts({ candidate: x, environment: 'qualification' })), promote(opts({ candidate: y, environment: 'qualification' }))]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const err = lost[0]!.reason as KarooError;
      expect(err.kind).toBe('conflict');
      expect(err.message).toMatch(/another promotion to qualification (started at the same time and won|is in progress)/);
      const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof promote>>>).value;
      const after = await history(store, 'qualification');
      expect(after).toHaveLength(before.length + 1);
      expect(after[0]!.digest).toBe(winner.record);
      expect(after[0]!.previousRecord).toBe(before[0]?.digest);
      expect((await store.hasManifest('env-qualification'))?.digest).toBe(winner.candidate);
      // Make the next round a real change for both contenders.
      clock += 60_000;
      await promote(opts({ candidate: A, environment: 'qualification' }));
    }
  }, 60_000);

  it('a claim left by a crashed promotion blocks until its TTL, a released one does not', async () => {
    const held = await acquireClaim({ store, environment: 'integration', candidate: B, actor: 'crashed', now, minSettleMs: 0 });
    const blocked = await refusal(promote(opts({ candidate: B })));
    expect(blocked.kind).toBe('conflict');
    expect(blocked.message).toMatch(new RegExp(`another promotion to integration is in progress \\(${B} by crashed, since`));
    await held.release();
    clock += 60_000;
    await expect(promote(opts({ candidate: B }))).resolves.toMatchObject({ status: 'promoted' });
    await acquireClaim({ store, environment: 'integration', candidate: C, actor: 'crashed', now, minSettleMs: 0 });
    clock += 11 * 60_000;
    await expect(promote(opts({ candidate: C }))).resolves.toMatchObject({ status: 'promoted' });
  }, 30_000);
});

describe('GitHub Deployments (against the OpenAPI-checking stand-in)', () => {
  let standin: GitHubStandin;
  let store: Store;
  let A: Digest, B: Digest;
  beforeAll(async () => {
    standin = await startGitHubStandin({ tokens: { rw: {}, ro: { permissions: { deployments: 'read' } } } });
    standin.addRepo('acme/cam');
    store = new LayoutStore(join(work, 'gh-layout'));
    [A, B] = (await candidates(store, 'gh')) as [Digest, Digest];
    await evidence(store, A, 'integration');
    await evidence(store, A, 'qualification');
    await evidence(store, B, 'integration');
    await evidence(store, B, 'qualification');
  }, 60_000);
  afterAll(async () => {
    await standin?.close();
  });

  const gh = (token = 'rw') => ({ tracker: githubDeployments({ token, repository: 'acme/cam', baseUrl: standin.url }), ref: 'a'.repeat(40) });
  const base = (o: Partial<PromoteOptions>): PromoteOptions => ({ store, config, candidate: A, environment: 'qualification', actor: 'alice', now, systemId, claim: { minSettleMs: 50 }, ...o });

  it('creates a deployment with the candidate and system id, and statuses as it proceeds', async () => {
    clock += 60_000;
    const r = await promote(base({ github: gh(), run: { url: 'https://github.com/acme/cam/actions/runs/9' } }));
    const deployments = standin.deployments('acme/cam');
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({
      id: r.deployment!.id,
      environment: 'qualification',
      ref: 'a'.repeat(40),
      payload: { candidate: A, systemId: await systemId(A, { name: 'qualification' }), system: 'cam', kind: 'promotion', environment: 'qualification' },
      statuses: ['in_progress', 'in_progress', 'success'],
    });
    const [rec] = await history(store, 'qualification');
    expect(rec!.deployment).toEqual({ id: r.deployment!.id, url: r.deployment!.url });
    const body = standin.requests.find((q) => q.operationId === 'repos/create-deployment')!.body as Record<string, unknown>;
    expect(body).toMatchObject({ auto_merge: false, required_contexts: [], production_environment: false });
  });

  it('uses the GitHub environment named in karoo.yml, marks a failed deploy, and creates nothing when refused', async () => {
    clock += 2 * 3600_000;
    const failed = await refusal(promote(base({ environment: 'production', github: gh(), deploy: async () => Promise.reject(new KarooError('unavailable', 'node db-1 unreachable')) })));
    expect(failed.message).toMatch(new RegExp(`${A} is recorded in production \\(record sha256:[0-9a-f]{64}\\) but deploy failed: node db-1 unreachable`));
    const prod = standin.deployments('acme/cam').filter((d) => d.environment === 'prod');
    expect(prod).toHaveLength(1);
    expect(prod[0]!.statuses).toEqual(['in_progress', 'in_progress', 'failure']);
    expect(standin.requests.filter((q) => q.operationId === 'repos/create-deployment').at(-1)!.body).toMatchObject({ production_environment: true });

    const count = standin.deployments('acme/cam').length;
    await refusal(promote(base({ candidate: B, environment: 'production', github: gh() })));
    expect(standin.deployments('acme/cam')).toHaveLength(count);
  });

  it('a token without deployments: write fails with the permission to add, before anything is recorded', async () => {
    clock += 60_000;
    const e = await refusal(promote(base({ candidate: B, github: gh('ro') })));
    expect(e.message).toMatch(/GitHub refused to create a deployment for qualification in acme\/cam \(403: .*\); the job needs `permissions: deployments: write`/);
    expect((await history(store, 'qualification'))[0]!.candidate).toBe(A);
    // The claim was released: the next try goes through at once.
    await expect(promote(base({ candidate: B, github: gh() }))).resolves.toMatchObject({ status: 'promoted', previous: A });
  });
});
