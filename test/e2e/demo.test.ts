import { describe, expect, it } from '@jest/globals';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, karoo, ROOT } from '../support/cli.js';

interface DemoJson {
  lockDigest: string;
  candidate: string;
  existed: boolean;
  pushedBytes: number;
  leaves: Record<string, string>;
  stages: Array<{ environment: string; acceptance: string; result: string; evidence?: string; promotion: string; systemId?: string }>;
  refused?: string;
  environments: Array<{ name: string; candidate?: string; systemId?: string }>;
}

async function copyExample(to: string): Promise<void> {
  await cp(join(ROOT, 'examples/cam'), to, { recursive: true, filter: (src) => !src.includes('/.karoo') && !src.includes('/reports') });
}

describe('karoo demo', () => {
  it('tells the whole story: resolve, build, acceptance on fresh machines, promotion, the gate, status; the second run reuses everything', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'karoo-e2e-demo-'));
    try {
      const a = join(tmp, 'a');
      await copyExample(a);
      const first = json<DemoJson>(await karoo(['demo', '--example', a, '--json']));
      expect(first.existed).toBe(false);
      expect(first.pushedBytes).toBeGreaterThan(1_000_000);
      expect(first.stages.map((s) => [s.environment, s.acceptance, s.result, s.promotion])).toEqual([
        ['integration', 'ran', 'passed', 'promoted'],
        ['qualification', 'ran', 'passed', 'promoted'],
      ]);
      for (const s of first.stages) expect(s.evidence).toMatch(/^sha256:[0-9a-f]{64}$/);
      // Production needs 24h of soak in qualification: refused, named.
      expect(first.refused).toMatch(/soak 24h in qualification/);
      expect(first.environments.map((e) => [e.name, e.candidate])).toEqual([
        ['integration', first.candidate],
        ['qualification', first.candidate],
        ['production', undefined],
      ]);
      // One candidate, one system id per environment (its configuration differs).
      expect(first.environments[0]!.systemId).toBe(first.stages[0]!.systemId);
      expect(first.environments[0]!.systemId).not.toBe(first.environments[1]!.systemId);

      const second = json<DemoJson>(await karoo(['demo', '--example', a, '--json']));
      expect(second).toMatchObject({ candidate: first.candidate, existed: true, pushedBytes: 0 });
      expect(second.stages.map((s) => [s.acceptance, s.evidence, s.promotion])).toEqual(
        first.stages.map((s) => ['reused', s.evidence, 'unchanged']),
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 300_000);

  it('gives the same candidate from another checkout (file:// indexes elsewhere)', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'karoo-e2e-demo-'));
    try {
      const [a, b] = [join(tmp, 'a'), join(tmp, 'elsewhere', 'b')];
      await copyExample(a);
      await copyExample(b);
      const one = json<DemoJson>(await karoo(['demo', '--example', a, '--no-accept', '--json']));
      const other = json<DemoJson>(await karoo(['demo', '--example', b, '--no-accept', '--json']));
      expect(other).toMatchObject({ lockDigest: one.lockDigest, candidate: one.candidate, existed: false, stages: [] });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
