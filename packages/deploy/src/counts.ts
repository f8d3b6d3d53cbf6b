import type { EvidenceCounts } from '@karoo/evidence';

/** How much of the end of an acceptance command's output is kept to find its closing summary. */
export const SUMMARY_TAIL_BYTES = 64 * 1024;

/** Words of a `N word, N word …` summary (pytest's and karoo's plain line) and what they count as. */
const WORDS: Record<string, keyof Omit<EvidenceCounts, 'tests' | 'source'> | 'ignored'> = {
  passed: 'passed',
  xpassed: 'passed',
  failed: 'failed',
  error: 'errors',
  errors: 'errors',
  skipped: 'skipped',
  // pytest: an expected failure is reported as skipped in its JUnit too.
  xfailed: 'skipped',
  deselected: 'ignored',
  warning: 'ignored',
  warnings: 'ignored',
  rerun: 'ignored',
  reruns: 'ignored',
};

const ITEM = /^([0-9]+) ([a-z]+)$/;
const TIME = / in [0-9.]+ ?s(?:econds)?(?: \([0-9:.]+\))?$/;

/**
 * `4 passed, 0 failed[, 1 skipped]` (karoo's plain line), pytest's `=== 3 passed, 1 failed,
 * 2 skipped in 0.12s ===` (with or without the rule, `-q` prints it bare), or undefined.
 */
function countLine(line: string): EvidenceCounts | undefined {
  let s = line.trim().replace(/^=+ /, '').replace(/ =+$/, '').replace(TIME, '').trim();
  if (s === '' || /^no tests ran$/.test(s)) return s === '' ? undefined : known(0, 0, 0, 0);
  s = s.replace(/\.$/, '');
  const c = { passed: 0, failed: 0, errors: 0, skipped: 0 };
  let counted = false;
  for (const part of s.split(/, ?/)) {
    const m = ITEM.exec(part.trim());
    if (!m) return undefined;
    const kind = WORDS[m[2]!];
    if (kind === undefined) return undefined;
    if (kind === 'ignored') continue;
    c[kind] += Number(m[1]);
    if (kind !== 'skipped') counted = true;
  }
  return counted ? known(c.passed, c.failed, c.errors, c.skipped) : undefined;
}

/** unittest: `Ran N tests in 0.1s`, then `OK`, `OK (skipped=1)`, `FAILED (failures=1, errors=2, skipped=3)` or `NO TESTS RAN`. */
function countUnittest(lines: readonly string[], i: number): EvidenceCounts | undefined {
  const ran = /^Ran ([0-9]+) tests? in [0-9.]+s$/.exec(lines[i]!.trim());
  if (!ran) return undefined;
  const total = Number(ran[1]);
  for (const raw of lines.slice(i + 1, i + 4)) {
    const l = raw.trim();
    if (l === '') continue;
    if (l === 'NO TESTS RAN') return known(0, 0, 0, 0);
    const m = /^(OK|FAILED)(?: \(([^)]*)\))?$/.exec(l);
    if (!m) return undefined;
    const n: Record<string, number> = {};
    for (const kv of (m[2] ?? '').split(',')) {
      const p = /^\s*([a-z ]+)=([0-9]+)\s*$/.exec(kv);
      if (p) n[p[1]!] = Number(p[2]);
    }
    const failed = (n.failures ?? 0) + (n['unexpected successes'] ?? 0);
    const errors = n.errors ?? 0;
    const skipped = (n.skipped ?? 0) + (n['expected failures'] ?? 0);
    return { tests: total, passed: Math.max(0, total - failed - errors - skipped), failed, errors, skipped, source: 'output' };
  }
  return undefined;
}

function known(passed: number, failed: number, errors: number, skipped: number): EvidenceCounts {
  return { tests: passed + failed + errors + skipped, passed, failed, errors, skipped, source: 'output' };
}

/**
 * The counts of an acceptance command's closing summary: the last line, from the end of its
 * output, that is karoo's plain `N passed, N failed[, N skipped]`, pytest's summary or
 * unittest's `Ran N tests` + `OK`/`FAILED (…)`. Undefined when the output has none: the counts
 * are then unknown (never zeros).
 */
export function countsFromOutput(output: string): EvidenceCounts | undefined {
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const c = countUnittest(lines, i) ?? countLine(lines[i]!);
    if (c) return c;
  }
  return undefined;
}

/** Keeps the last `max` bytes written to it. */
export class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max = SUMMARY_TAIL_BYTES) {}

  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - this.chunks[0]!.length >= this.max) this.size -= this.chunks.shift()!.length;
  }

  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}
