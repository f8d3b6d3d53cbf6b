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
}

describe('karoo demo', () => {
  it('resolves and builds the example; a second run reuses the candidate; another checkout gives the same digest', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'karoo-e2e-demo-'));
    try {
      const a = join(tmp, 'a');
      const b = join(tmp, 'elsewhere', 'b');
      for (const d of [a, b]) await cp(join(ROOT, 'examples/cam'), d, { recursive: true, filter: (src) => !src.includes('/.karoo') });
      const first = json<DemoJson>(await karoo(['demo', '--example', a, '--json']));
      expect(first.existed).toBe(false);
      expect(first.pushedBytes).toBeGreaterThan(1_000_000);
      expect(first.candidate).toMatch(/^sha256:[0-9a-f]{64}$/);
      const second = json<DemoJson>(await karoo(['demo', '--example', a, '--json']));
      expect(second).toMatchObject({ candidate: first.candidate, existed: true, pushedBytes: 0 });
      // Its indexes are file:// paths under another directory: same lock digest, same candidate.
      const other = json<DemoJson>(await karoo(['demo', '--example', b, '--json']));
      expect(other).toMatchObject({ lockDigest: first.lockDigest, candidate: first.candidate, existed: false });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }, 180_000);
});
