import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import type { Digest } from '@karoo/common';
import { type KarooConfig, loadConfig } from '@karoo/config';
import type { Lock } from '@karoo/lock';
import { openStore, type Store } from '@karoo/oci';
import { addEvidence, CAM_SYSTEM_YML } from '../../../test/support/evidence.js';
import { makeWheels } from '../../../test/support/wheels.js';
import { bisect } from './index.js';

// Fast: one leaf moved, so no intermediate lock (no resolver); both ends' verdicts come from
// evidence already in the store (a real OCI layout), or not, by system id.
let dir: string;
let config: KarooConfig;
let store: Store;
const locks: Record<'good' | 'bad', Lock> = {} as Record<'good' | 'bad', Lock>;
const candidates: Record<'good' | 'bad', Digest> = {} as Record<'good' | 'bad', Digest>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-bisect-reuse-'));
  await writeFile(join(dir, 'karoo.yml'), `${CAM_SYSTEM_YML}environments:\n  - name: integration\n  - name: qualification\n`);
  config = await loadConfig(join(dir, 'karoo.yml'));
  store = await openStore(`oci-layout:${join(dir, 'store')}`);
  for (const [end, version] of [
    ['good', '1.0.0'],
    ['bad', '1.1.0'],
  ] as const) {
    const wheels = await makeWheels(join(dir, end), [
      { name: 'acme-cam', version, size: 2000 },
      { name: 'numpy', version: '1.26.4', size: 3000 },
    ]);
    locks[end] = wheels.lock();
    candidates[end] = (await build({ lock: locks[end], store, system: 'cam' })).candidate;
  }
  await addEvidence(store, candidates.good, { environment: 'integration', config, result: 'passed' });
  await addEvidence(store, candidates.bad, { environment: 'integration', config, result: 'failed' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bisect reuse', () => {
  it('all reused: every verdict from stored evidence of the same system, acceptance never runs', async () => {
    const ran: Digest[] = [];
    const accept = async (c: Digest) => {
      ran.push(c);
      return { result: 'passed' as const };
    };
    for (const ends of [
      { good: { candidate: candidates.good }, bad: { candidate: candidates.bad } },
      { good: { lock: locks.good }, bad: { lock: locks.bad } },
    ]) {
      const r = await bisect({ config, store, ...ends, environment: 'integration', accept });
      expect(r.culprits).toEqual([{ name: 'acme-cam', from: '1.0.0', to: '1.1.0' }]);
      expect(r).toMatchObject({ runs: 2, reused: 2, unresolvable: 0 });
      expect(r.steps.map((s) => [s.candidate, s.result, s.reused])).toEqual([
        [candidates.good, 'passed', true],
        [candidates.bad, 'failed', true],
      ]);
    }
    expect(ran).toEqual([]);
  });

  it('runs what has no evidence for this system, and refuses ends that do not pass and fail', async () => {
    const ran: Digest[] = [];
    // In qualification nothing has evidence: both ends run, and this stand-in passes both.
    const passing = async (c: Digest) => {
      ran.push(c);
      return { result: 'passed' as const };
    };
    await expect(
      bisect({
        config,
        store,
        good: { candidate: candidates.good },
        bad: { candidate: candidates.bad },
        environment: 'qualification',
        accept: passing,
      }),
    ).rejects.toThrow('the bad end passes acceptance; pass a lock or candidate that fails as --bad');
    expect(ran).toEqual([candidates.good, candidates.bad]);
  });
});
