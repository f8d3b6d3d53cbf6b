/**
 * promote against real stores (an OCI layout on disk and Debian's docker-registry on
 * 127.0.0.1), with real candidates built from generated wheels, real evidence artifacts, and
 * the GitHub calls against the OpenAPI-checking stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import { type Digest, isKarooError, KarooError, sha256Of } from '@karoo/common';
import { type KarooConfig, parseConfig } from '@karoo/config';
import { evidenceFor, listEvidence, pushEvidence } from '@karoo/evidence';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { LayoutStore, openStore, type Store } from '@karoo/oci';
import {
  environmentStatus,
  environmentTags,
  githubDeployments,
  history,
  promote,
  PROMOTION,
  type PromoteOptions,
  readHistory,
  readRecord,
  verifyCandidate,
} from '@karoo/promote';
import { startRegistry, type RunningRegistry } from '../../../test/support/registry.js';
import { makeWheels } from '../../../test/support/wheels.js';

let work: string;
let registry: RunningRegistry;
/** For the registry: the atomic decision is a git ref per place, claimed through the API. */
let github: GitHubStandin;

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
  github = await startGitHubStandin({ tokens: { rw: {} } });
  github.addRepo('acme/cam');
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await github?.close();
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
    systemId: await systemId(candidate, { name: environment }), // the gate counts evidence for this system only
    configDigest: sha256Of(environment),
    environment,
    result,
    counts:
      result === 'passed'
        ? { tests: 5, passed: 5, failed: 0, errors: 0, skipped: 0 }
        : { tests: 5, passed: 4, failed: 1, errors: 0, skipped: 0 },
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
  const refs = () =>
    _kind === 'registry'
      ? { github: { tracker: githubDeployments({ token: 'rw', repository: 'acme/cam', baseUrl: github.url }), ref: 'b'.repeat(40) } }
      : {};
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
    ...refs(),
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
    expect(e.message).toBe(
      `candidate ${A} may not enter integration: no evidence from integration; run the acceptance tests for integration (karoo up --environment integration)`,
    );
    await evidence(store, A, 'integration', 'failed');
    const again = await refusal(promote(opts({})));
    expect(again.message).toMatch(/no passing evidence from integration: 1 run\(s\), all failed/);
    expect(await store.hasManifest('env-integration')).toBeUndefined();
    expect(await history(store, 'integration')).toEqual([]);
  });

  it('refuses what is not a candidate in the store', async () => {
    const missing = sha256Of('not there');
    expect((await refusal(promote(opts({ candidate: missing })))).message).toMatch(
      new RegExp(`candidate ${missing} is not in .*; build it there first`),
    );
    const ev = await evidence(store, A, 'scratch');
    expect((await refusal(promote(opts({ candidate: ev })))).message).toMatch(
      /is not a karoo candidate \(artifactType application\/vnd.karoo.evidence.v1\+json\)/,
    );
    expect((await refusal(promote(opts({ environment: 'staging' })))).kind).toBe('input');
  });

  it('promotes through the environments by digest, with records, tags and history', async () => {
    await evidence(store, A, 'integration');
    const r1 = await promote(opts({ reason: 'first', run: { id: '42', url: 'https://github.com/acme/cam/actions/runs/42' } }));
    expect(r1).toMatchObject({
      status: 'promoted',
      candidate: A,
      environment: 'integration',
      kind: 'promotion',
      previous: undefined,
      tag: 'env-integration',
      systemId: await systemId(A, { name: 'integration' }),
    });
    expect(r1.gate).toEqual([expect.objectContaining({ environment: 'integration', requirement: 'evidence', met: true })]);
    expect((await store.hasManifest('env-integration'))?.digest).toBe(A);

    // The record is a referrer of the candidate, and it is what history reads.
    const referrers = await store.referrers(A, PROMOTION.record);
    expect(referrers.map((d) => d.digest)).toEqual([r1.record]);
    const [h] = await history(store, 'integration');
    expect(h).toMatchObject({
      digest: r1.record,
      candidate: A,
      actor: 'alice',
      reason: 'first',
      run: { id: '42' },
      time: '2025-05-01T08:00:00.000Z',
    });

    clock += 10 * 60_000;
    const r2 = await promote(opts({ environment: 'qualification' }));
    expect(r2).toMatchObject({ status: 'promoted', previous: undefined });
    expect(r2.gate[0]).toMatchObject({ environment: 'integration', met: true });

    // Production: no qualification evidence, and not an hour in qualification yet.
    clock += 10 * 60_000;
    const refused = await refusal(promote(opts({ environment: 'production' })));
    expect(refused.kind).toBe('refused');
    expect(refused.message).toBe(
      `candidate ${A} may not enter production: no evidence from qualification; run the acceptance tests for qualification (karoo up --environment qualification); soak 1h in qualification: 10m since 2025-05-01T08:10:00.000Z, 50m to go`,
    );
    expect(refused.detail?.gate).toHaveLength(2);
    await evidence(store, A, 'qualification');
    expect((await refusal(promote(opts({ environment: 'production' })))).message).toMatch(
      /: soak 1h in qualification: 10m since .*, 50m to go$/,
    );
    clock += 60 * 60_000;
    const deployed: string[] = [];
    const r3 = await promote(
      opts({
        environment: 'production',
        deploy: async (d) => (deployed.push(`${d.candidate} ${d.inventory}`), { detail: 'converged 4 nodes' }),
      }),
    );
    expect(r3).toMatchObject({ status: 'promoted', deploy: { status: 'deployed', detail: 'converged 4 nodes' } });
    expect(deployed).toEqual([`${A} ${join(work, 'inventories/production.json')}`]);
    expect(r1.deploy).toEqual({
      status: 'skipped',
      detail: 'integration has no inventory in karoo.yml (an ephemeral environment): nothing to deploy',
    });

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

    const status = await environmentStatus(
      store,
      config.environments.map((e) => e.name),
    );
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
      // Both have read the environment before either records: they really overlap.
      const together = barrier(2);
      const results = await Promise.allSettled([
        promote(opts({ candidate: x, environment: 'qualification', evidence: together })),
        promote(opts({ candidate: y, environment: 'qualification', evidence: together })),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const err = lost[0]!.reason as KarooError;
      expect(err.kind).toBe('conflict');
      expect(err.message).toMatch(
        /^another promotion to qualification (was recorded while this one checked its gate|won place \d+ of its history)/,
      );
      const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof promote>>>).value;
      const after = await readHistory(store, 'qualification');
      expect(after.forks).toEqual([]);
      expect(after.records).toHaveLength(before.length + 1);
      expect(after.records[0]!.digest).toBe(winner.record);
      expect(after.records[0]!.previousRecord).toBe(before[0]?.digest);
      expect(after.records[0]!.sequence).toBe(before.length + 1);
      expect((await store.hasManifest('env-qualification'))?.digest).toBe(winner.candidate);
      // Make the next round a real change for both contenders.
      clock += 60_000;
      await promote(opts({ candidate: A, environment: 'qualification' }));
    }
  }, 60_000);
});

/** An evidence lister that answers nobody until `n` promotions have asked: they start deciding together. */
function barrier(n: number): NonNullable<PromoteOptions['evidence']> {
  const waiting: Array<() => void> = [];
  return async (store, candidate) => {
    await new Promise<void>((r) => {
      waiting.push(r);
      if (waiting.length >= n) for (const w of waiting.splice(0)) w();
    });
    return (await listEvidence(store, candidate)).map((e) => ({
      digest: e.digest,
      environment: e.evidence.environment,
      result: e.evidence.result,
      finishedAt: e.evidence.finishedAt,
      systemId: e.evidence.systemId,
    }));
  };
}

describe('the OCI layout lock', () => {
  let store: LayoutStore;
  let A: Digest;
  const lockFile = () => join(store.path, '.karoo-promote', 'integration.lock');
  const opts = (o: Partial<PromoteOptions>): PromoteOptions => ({
    store,
    config,
    candidate: A,
    environment: 'integration',
    actor: 'alice',
    now,
    systemId,
    ...o,
  });
  beforeAll(async () => {
    store = new LayoutStore(join(work, 'lock-layout'));
    [A] = (await candidates(store, 'lock')) as [Digest];
    await evidence(store, A, 'integration');
  }, 60_000);

  it('is broken when its holder was a process of this host that is gone, and removed after use', async () => {
    // A pid that cannot be running: the highest pid Linux hands out is below 2^22.
    await import('node:fs/promises').then((fs) => fs.mkdir(join(store.path, '.karoo-promote'), { recursive: true }));
    await writeFile(
      lockFile(),
      JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), since: '2020-01-01T00:00:00Z', nonce: 'crashed', what: 'a crashed promotion' }),
    );
    clock += 60_000;
    await expect(promote(opts({}))).resolves.toMatchObject({ status: 'promoted' });
    expect(await readdir(join(store.path, '.karoo-promote'))).toEqual([]);
  });

  it('of another host is never judged by its age: a conflict names it and the file to remove', async () => {
    await writeFile(
      lockFile(),
      JSON.stringify({
        pid: 1,
        host: 'build-7.example',
        since: '2020-01-01T00:00:00Z',
        nonce: 'elsewhere',
        what: 'promotion of X to integration',
      }),
    );
    const [, B] = (await candidates(store, 'lock')) as [Digest, Digest];
    await evidence(store, B, 'integration');
    const e = await refusal(promote(opts({ candidate: B, lock: { waitMs: 200 } })));
    expect(e.kind).toBe('conflict');
    expect(e.message).toBe(
      `${lockFile()} is held by promotion of X to integration (pid 1 on build-7.example, since 2020-01-01T00:00:00Z); wait for it to finish and run this again — if no karoo runs there any more, remove ${lockFile()} (and ${lockFile()}.break if present) (karoo breaks a lock by itself only on the host that took it)`,
    );
    expect((await history(store, 'integration')).map((r) => r.candidate)).toEqual([A]);
    await rm(lockFile());
    await expect(promote(opts({ candidate: B }))).resolves.toMatchObject({ status: 'promoted', previous: A });
  });
});

describe('a crafted record', () => {
  it('is an integrity error naming it, not a crash', async () => {
    // A registry answering with a manifest (its bytes matching its digest) that claims to be a record and whose layers are not a list.
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: PROMOTION.record,
        layers: 'x',
      }),
    );
    const digest = sha256Of(bytes);
    const store: Store = Object.assign(Object.create(new LayoutStore(join(work, 'crafted'))) as Store, {
      getManifest: async () => ({
        bytes,
        descriptor: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: bytes.length },
      }),
    });
    const e = await refusal(readRecord(store, digest));
    expect(e.kind).toBe('integrity');
    expect(e.message).toContain(`${PROMOTION.record} ${digest} in ${store.ref}: layers is not a list`);
  });
});

describe('a registry store', () => {
  let store: Store;
  let A: Digest, B: Digest, C: Digest;
  const tracker = () => githubDeployments({ token: 'rw', repository: 'acme/cam', baseUrl: github.url });
  const opts = (o: Partial<PromoteOptions>): PromoteOptions => ({
    store,
    config,
    candidate: A,
    environment: 'integration',
    actor: 'alice',
    now,
    systemId,
    ...o,
  });
  beforeAll(async () => {
    store = openStore(`${registry.host}/acme/reg`);
    [A, B, C] = (await candidates(store, 'reg')) as [Digest, Digest, Digest];
    for (const c of [A, B, C]) await evidence(store, c, 'integration');
  }, 60_000);

  it('without GitHub is refused unless promotions are said to be serialised; nothing is written', async () => {
    const e = await refusal(promote(opts({})));
    expect(e.kind).toBe('refused');
    expect(e.message).toBe(
      `${store.ref} is a registry, which cannot decide between two promotions to integration made at the same time; give karoo a GitHub token and repository (GITHUB_TOKEN and GITHUB_REPOSITORY, or the action's token, with contents: write: each promotion claims refs/karoo/integration/<n>), or, when promotions to integration are serialised by something else (the release workflow's concurrency group), say so with --serialized`,
    );
    expect((await store.listTags()).filter((t) => t.startsWith('env-'))).toEqual([]);
    clock += 60_000;
    await expect(promote(opts({ serialized: true }))).resolves.toMatchObject({ status: 'promoted' });
  });

  it('serialised by the caller but run at once: the fork is in the history, reported, not hidden', async () => {
    const head = (await history(store, 'integration'))[0]!;
    clock += 60_000;
    const r = await promote(opts({ candidate: B, serialized: true, reason: 'one' }));
    // What a second promotion that was not serialised after all wrote at the same place.
    const tags = environmentTags('integration');
    const { recordArtifact } = await import('./records.js');
    const rival = recordArtifact(await verifyCandidate(store, C), {
      schema: 'karoo.promotion/v1',
      kind: 'promotion',
      environment: 'integration',
      candidate: C,
      previousRecord: head.digest,
      previousCandidate: A,
      sequence: 2,
      actor: 'bob',
      time: now().toISOString(),
    });
    const { pushArtifact } = await import('./records.js');
    await pushArtifact(store, rival, tags.sequence(2, rival.digest));
    const report = await readHistory(store, 'integration');
    expect(report.records.map((x) => x.digest)).toEqual([r.record, head.digest]);
    expect(report.forks).toEqual([
      expect.objectContaining({
        sequence: 2,
        previousRecord: head.digest,
        followed: r.record,
        open: true,
        records: [expect.objectContaining({ digest: r.record }), expect.objectContaining({ digest: rival.digest, actor: 'bob' })],
      }),
    ]);
    expect((await environmentStatus(store, ['integration']))[0]!.drift).toBe(
      'the history of integration forks at place 2 (2 records there); see karoo history integration',
    );
    // The next promotion goes on from the head and settles it; the fork stays visible as history.
    clock += 60_000;
    const next = await promote(opts({ candidate: C, serialized: true }));
    const later = await readHistory(store, 'integration');
    expect(later.records.map((x) => x.digest)).toEqual([next.record, r.record, head.digest]);
    expect(later.forks).toEqual([expect.objectContaining({ sequence: 2, open: false })]);
  });

  it('with GitHub: a promotion that won its place but died before the tags is completed by the next one', async () => {
    const head = (await history(store, 'integration'))[0]!;
    const place = head.sequence! + 1;
    clock += 60_000;
    const { recordArtifact, pushArtifact } = await import('./records.js');
    const crashed = recordArtifact(await verifyCandidate(store, A), {
      schema: 'karoo.promotion/v1',
      kind: 'promotion',
      environment: 'integration',
      candidate: A,
      previousRecord: head.digest,
      previousCandidate: head.candidate,
      sequence: place,
      actor: 'crashed',
      time: now().toISOString(),
    });
    await pushArtifact(store, crashed);
    const t = tracker();
    expect(
      await t.claimSequence!({
        environment: 'integration',
        sequence: place,
        record: crashed.digest,
        candidate: A,
        store: store.ref,
        commit: 'b'.repeat(40),
      }),
    ).toEqual({ won: true });
    expect(github.gitRefs('acme/cam').find((g) => g.ref === `refs/karoo/integration/${place}`)?.message).toContain(
      `record: ${crashed.digest}`,
    );
    // It died after tagging its place, before moving the head: readers see no fork, only the old head.
    await pushArtifact(store, crashed, environmentTags('integration').sequence(place, crashed.digest));
    const meanwhile = await readHistory(store, 'integration');
    expect([meanwhile.records[0]!.digest, meanwhile.forks.filter((f) => f.sequence >= place)]).toEqual([head.digest, []]);
    expect((await environmentStatus(store, ['integration']))[0]!.drift).toMatch(
      new RegExp(
        `^place ${place} of integration's history is taken \\(env-integration\\.record-${place}-[0-9a-f]{16}\\) but its tags are at place ${place - 1}: a promotion is still moving them`,
      ),
    );

    clock += 60_000;
    const r = await promote(opts({ candidate: B, github: { tracker: t, ref: 'b'.repeat(40) } }));
    expect(r).toMatchObject({ status: 'promoted', previous: A });
    const h = await readHistory(store, 'integration');
    expect(h.records.slice(0, 3).map((x) => [x.digest, x.sequence])).toEqual([
      [r.record, place + 1],
      [crashed.digest, place],
      [head.digest, place - 1],
    ]);
    expect(h.forks.filter((f) => f.open)).toEqual([]);
    expect((await environmentStatus(store, ['integration']))[0]!.drift).toBeUndefined();
  });
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

  const gh = (token = 'rw') => ({
    tracker: githubDeployments({ token, repository: 'acme/cam', baseUrl: standin.url }),
    ref: 'a'.repeat(40),
  });
  const base = (o: Partial<PromoteOptions>): PromoteOptions => ({
    store,
    config,
    candidate: A,
    environment: 'qualification',
    actor: 'alice',
    now,
    systemId,
    ...o,
  });

  it('creates a deployment naming the record, after the record, with statuses as it proceeds', async () => {
    clock += 60_000;
    const r = await promote(base({ github: gh(), run: { url: 'https://github.com/acme/cam/actions/runs/9' } }));
    const deployments = standin.deployments('acme/cam');
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({
      id: r.deployment!.id,
      environment: 'qualification',
      ref: 'a'.repeat(40),
      payload: {
        candidate: A,
        systemId: await systemId(A, { name: 'qualification' }),
        system: 'cam',
        kind: 'promotion',
        environment: 'qualification',
        record: r.record,
        sequence: 1,
      },
      statuses: ['in_progress', 'success'],
    });
    const [rec] = await history(store, 'qualification');
    expect(rec!.digest).toBe(r.record);
    expect(rec!.deployment).toBeUndefined();
    const body = standin.requests.find((q) => q.operationId === 'repos/create-deployment')!.body as Record<string, unknown>;
    expect(body).toMatchObject({ auto_merge: false, required_contexts: [], production_environment: false });
  });

  it('uses the GitHub environment named in karoo.yml, marks a failed deploy, and creates nothing when refused', async () => {
    clock += 2 * 3600_000;
    const failed = await refusal(
      promote(
        base({
          environment: 'production',
          github: gh(),
          deploy: async () => Promise.reject(new KarooError('unavailable', 'node db-1 unreachable')),
        }),
      ),
    );
    expect(failed.message).toMatch(
      new RegExp(`${A} is recorded in production \\(record sha256:[0-9a-f]{64}\\) but deploy failed: node db-1 unreachable`),
    );
    const prod = standin.deployments('acme/cam').filter((d) => d.environment === 'prod');
    expect(prod).toHaveLength(1);
    expect(prod[0]!.statuses).toEqual(['in_progress', 'failure']);
    expect(standin.requests.filter((q) => q.operationId === 'repos/create-deployment').at(-1)!.body).toMatchObject({
      production_environment: true,
    });

    const count = standin.deployments('acme/cam').length;
    await refusal(promote(base({ candidate: B, environment: 'production', github: gh() })));
    expect(standin.deployments('acme/cam')).toHaveLength(count);
  });

  it('a token without deployments: write: the record (written first) stands, the error names the permission', async () => {
    clock += 60_000;
    const e = await refusal(promote(base({ candidate: B, github: gh('ro') })));
    expect(e.message).toMatch(
      new RegExp(
        `^${B} is recorded in qualification \\(record (sha256:[0-9a-f]{64})\\) but no GitHub Deployment was created and nothing was deployed: GitHub refused to create a deployment for qualification in acme/cam \\(403: .*\\); the job needs \`permissions: deployments: write\``,
      ),
    );
    const [head] = await history(store, 'qualification');
    expect(head).toMatchObject({ candidate: B, previousCandidate: A, digest: e.detail?.record });
    expect(standin.deployments('acme/cam').filter((d) => (d.payload as { candidate?: string }).candidate === B)).toEqual([]);
  });
});
