import { describe, expect, it } from '@jest/globals';
import { acceptSummary } from '@karoo/summary';
import { countOutputs, summaryCounts } from './outputs.js';

describe('accept outputs', () => {
  it('gives counted runs as numbers and as text, failures and errors together', () => {
    expect(countOutputs({ passed: 4, failed: 1, errors: 1, skipped: 2, source: 'junit' })).toEqual({
      counts: '4 passed, 2 failed, 2 skipped',
      passed: 4,
      failed: 2,
      skipped: 2,
    });
    // Evidence written before the source existed (JUnit) is counted.
    expect(countOutputs({ passed: 3, failed: 0, errors: 0, skipped: 0 }).counts).toBe('3 passed, 0 failed, 0 skipped');
  });

  it('says "counts unknown" and leaves the numbers empty when nothing was counted, in the outputs and the job summary', () => {
    const c = { passed: 0, failed: 0, errors: 0, skipped: 0, source: 'unknown' as const };
    expect(countOutputs(c)).toEqual({ counts: 'counts unknown', passed: '', failed: '', skipped: '' });
    const md = acceptSummary({ environment: 'ephemeral', result: 'passed', durationMs: 2_000, ...summaryCounts(c) });
    expect(md).toContain('✅ passed: counts unknown in 2.0 s');
    expect(md).not.toMatch(/\b0 passed/);
  });
});
