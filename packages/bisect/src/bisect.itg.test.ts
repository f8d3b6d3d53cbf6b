import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '@karoo/common';
import { type KarooConfig, loadConfig } from '@karoo/config';
import { Lock } from '@karoo/lock';
import { candidateFor } from '@karoo/candidate';
import { openStore, type Store } from '@karoo/oci';
import { readStoredCandidate } from '@karoo/rebuild';
import { resolveLock } from '@karoo/resolve';
import { copyExample, GOOD_VERSIONS, MOVED, publishNewLeaves } from '../../../test/support/bisect.js';
import { addEvidence } from '../../../test/support/evidence.js';
import { bisectHeadline } from '@karoo/report';
import { type AcceptFn, bisect } from './index.js';

// Real pip against the example's file:// indexes, real builds into an OCI layout, real evidence
// in it; only the machines are replaced: acceptance "fails" when the candidate holds cam-portal
// 1.2.1, and records its evidence as up would. cam-portal 1.2.1 needs cam-proxy 2.2.0, so moving
// the portal alone cannot be resolved: the culprit is the two moves together.
let dir: string;
let config: KarooConfig;
let store: Store;
let good: Lock;
let bad: Lock;
const ENV = 'integration';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-bisect-itg-'));
  config = await loadConfig(await copyExample(join(dir, 'cam')));
  good = (await resolveLock({ config })).lock;
  await publishNewLeaves(join(dir, 'cam'));
  bad = (await resolveLock({ config, force: true })).lock;
  store = await openStore(`oci-layout:${join(dir, 'store')}`);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The digest the good lock's candidate would have. */
async function bisectCandidateOf(lock: Lock): Promise<string> {
  return candidateFor(lock, { system: config.system, target: config.target, leaves: config.leaves.map((l) => l.key) }).digest;
}

/** Acceptance by the portal's version, with evidence pushed like up's; counts the runs. */
function portalBreaks(environment = ENV): { accept: AcceptFn; runs: Digest[] } {
  const runs: Digest[] = [];
  return {
    runs,
    accept: async (candidate) => {
      runs.push(candidate);
      const { lock } = await readStoredCandidate(store, candidate);
      const portal = lock.packages.find((p) => p.name === 'cam-portal')!.version;
      const result = portal === '1.2.1' ? 'failed' : 'passed';
      return { result, evidence: await addEvidence(store, candidate, { environment, config, result }) };
    },
  };
}

describe('bisect (real resolve, build and evidence; acceptance by a stand-in)', () => {
  it('finds a combination culprit through an intermediate lock that cannot be resolved, and stores every step', async () => {
    expect(Object.fromEntries(MOVED.map((m) => [m.name, good.meta.leaves?.[m.name]]))).toEqual(GOOD_VERSIONS);
    const a = portalBreaks();
    const r = await bisect({
      config,
      store,
      good: { lock: good },
      bad: { lock: bad },
      environment: ENV,
      accept: a.accept,
      lockDir: join(dir, 'locks'),
    });

    expect(r.moved.map((m) => `${m.name} ${m.from} → ${m.to}`)).toEqual(
      MOVED.map((m) => `${m.name} ${GOOD_VERSIONS[m.name]} → ${m.version}`),
    );
    expect(r.culprits.map((m) => m.name)).toEqual(['cam-proxy', 'cam-portal']);
    // The portal moved alone (the proxy at 2.2.0.dev3) is no lock pip can make.
    const alone = r.steps.find((s) => s.moved.join() === 'cam-portal');
    expect(alone).toMatchObject({ result: 'unresolvable' });
    expect(alone?.reason).toMatch(/cam-proxy/);
    expect(r.unresolvable).toBeGreaterThanOrEqual(1);
    // Every judged step was run once, none reused, and each is a candidate in the store with its evidence.
    expect(r.reused).toBe(0);
    expect(a.runs).toHaveLength(r.runs);
    expect(new Set(a.runs).size).toBe(a.runs.length);
    for (const s of r.steps.filter((x) => x.result !== 'unresolvable')) {
      const stored = await readStoredCandidate(store, s.candidate!);
      expect(stored.lock.digest).toBe(s.lockDigest);
      // Intermediate locks: exactly the moved leaves at their bad version, the others at the good one.
      for (const m of MOVED)
        expect(stored.lock.packages.find((p) => p.name === m.name)?.version).toBe(
          s.moved.includes(m.name) ? m.version : GOOD_VERSIONS[m.name],
        );
      expect(s.evidence).toMatch(/^sha256:/);
    }
    expect(bisectHeadline(r)).toBe(
      `acceptance fails since \`cam-proxy\` 2.2.0.dev3 → 2.2.0 and \`cam-portal\` 1.2.0 → 1.2.1 together (${r.runs} acceptance runs, 0 reused, ${r.unresolvable} intermediate lock${r.unresolvable === 1 ? '' : 's'} could not be resolved)`,
    );

    // Again, from the candidates: the intermediate locks written the first time are current (no
    // resolver runs for them), the candidates are the same, and every verdict comes from the
    // evidence stored the first time: nothing runs.
    const again = portalBreaks();
    const r2 = await bisect({
      config,
      store,
      good: { candidate: r.good.candidate },
      bad: { candidate: r.bad.candidate },
      environment: ENV,
      accept: again.accept,
      lockDir: join(dir, 'locks'),
    });
    expect(again.runs).toEqual([]);
    expect(r2.culprits).toEqual(r.culprits);
    expect(r2.runs).toBe(r.runs);
    expect(r2.reused).toBe(r.runs);
    expect(r2.steps.map((s) => s.candidate)).toEqual(r.steps.map((s) => s.candidate));
  }, 240_000);

  it("evidence of another system (the same candidate with another environment's values) is not reused", async () => {
    // Only the portal moves between these two: both ends already have integration evidence from the test before.
    const before = await bisect({
      config,
      store,
      good: { lock: good },
      bad: { lock: bad },
      environment: ENV,
      accept: portalBreaks().accept,
      lockDir: join(dir, 'locks'),
    });
    const proxyMoved = before.steps.find((s) => s.moved.join() === 'cam-store,cam-proxy,cam-monitor')!.candidate!;
    const a = portalBreaks();
    const same = await bisect({
      config,
      store,
      good: { candidate: proxyMoved },
      bad: { candidate: before.bad.candidate },
      environment: ENV,
      accept: a.accept,
    });
    expect(same).toMatchObject({ runs: 2, reused: 2 });
    expect(same.culprits.map((m) => m.name)).toEqual(['cam-portal']);
    expect(a.runs).toEqual([]);
    // For qualification the same candidates are other systems: both run.
    const q = portalBreaks('qualification');
    const other = await bisect({
      config,
      store,
      good: { candidate: proxyMoved },
      bad: { candidate: before.bad.candidate },
      environment: 'qualification',
      accept: q.accept,
    });
    expect(other).toMatchObject({ runs: 2, reused: 0 });
    expect(q.runs).toEqual([proxyMoved, before.bad.candidate]);
    expect(new Set(other.steps.map((s) => s.systemId))).not.toEqual(new Set(same.steps.map((s) => s.systemId)));
  }, 240_000);

  it('refuses ends where no leaf moved (only other dependencies differ), before building anything', async () => {
    const other = Lock.create(
      good.packages.map((p) => (p.name === 'tinyproto' ? { ...p, version: '2.0.0' } : p)),
      good.meta,
    );
    const empty = await openStore(`oci-layout:${join(dir, 'empty')}`);
    await expect(
      bisect({ config, store: empty, good: { lock: good }, bad: { lock: other }, accept: portalBreaks().accept }),
    ).rejects.toThrow(
      `no leaf moved between the good lock ${good.digest} and the bad lock ${other.digest} (only their other dependencies differ); bisect finds which leaf broke acceptance, so there is nothing to bisect`,
    );
    expect(await empty.hasManifest(await bisectCandidateOf(good))).toBeUndefined();
  });
});
