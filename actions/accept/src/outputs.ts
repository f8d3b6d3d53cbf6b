import { testCounts } from '@karoo/summary';

/** The counts of an acceptance run as @karoo/deploy's accept returns them. */
export interface RunCounts {
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
  readonly skipped: number;
  /** `unknown`: no JUnit file and no summary line in the command's output; the numbers are zeros that mean nothing. */
  readonly source?: 'junit' | 'output' | 'unknown' | undefined;
}

/** The counts for the job summary: failures and errors together; unknown ones flagged, never shown as zeros. */
export function summaryCounts(c: RunCounts): { passed: number; failed: number; skipped: number; countsUnknown: boolean } {
  return { passed: c.passed, failed: c.failed + c.errors, skipped: c.skipped, countsUnknown: c.source === 'unknown' };
}

/**
 * The action's count outputs: `counts` for people (`4 passed, 0 failed, 1 skipped` or
 * `counts unknown`), and the numbers, which are empty when unknown (a workflow testing
 * `failed == 0` must not read "nothing failed" from a run that counted nothing).
 */
export function countOutputs(c: RunCounts): { counts: string; passed: number | ''; failed: number | ''; skipped: number | '' } {
  const s = summaryCounts(c);
  if (s.countsUnknown) return { counts: testCounts(s), passed: '', failed: '', skipped: '' };
  return { counts: testCounts(s), passed: s.passed, failed: s.failed, skipped: s.skipped };
}
