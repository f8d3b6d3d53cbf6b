import { KarooError } from '@karoo/common';

/** One leaf that moved between the good and the bad lock. */
export interface LeafMove {
  /** Normalised project name. */
  readonly name: string;
  /** Version in the good lock. */
  readonly from: string;
  /** Version in the bad lock. */
  readonly to: string;
}

/** What one state (a set of leaf moves applied to the good lock) gave. */
export type Verdict = 'passed' | 'failed' | 'unresolvable';

/** Judges one state: the good lock with exactly `moves` applied (the other leaves at their good versions). */
export type Judge = (moves: readonly LeafMove[]) => Promise<Verdict>;

export interface SearchResult {
  /** The smallest set of moves found that turns acceptance from passing to failing, in the order of `moved`. */
  readonly culprits: readonly LeafMove[];
  /**
   * Groups of moves that could not be tried apart (every state that separated them failed to
   * resolve): each group counts as one move in `culprits`.
   */
  readonly inseparable: ReadonlyArray<readonly LeafMove[]>;
}

/**
 * Bisects the moves between a passing and a failing state to a smallest set of moves that
 * fails. States are prefixes of `moved` on top of the culprits found so far: a binary search
 * finds the first prefix that fails (its last move is needed), then that move alone (with the
 * culprits before it) is judged; when it passes, the search goes on among the moves before it,
 * which finds a combination. A single culprit among n moves costs at most ⌈log2 n⌉ + 1
 * intermediate judgements. A state that cannot resolve is skipped for the nearest other split;
 * when no split between some moves resolves, each of them is dropped in turn to see whether it
 * is needed, and what cannot be told apart is reported as one inseparable group. `judge` is
 * called at most once per set of moves, the endpoints (none, all) first; the good endpoint must
 * pass and the bad one fail.
 */
export async function searchCulprits(moved: readonly LeafMove[], judge: Judge): Promise<SearchResult> {
  if (moved.length === 0) throw new KarooError('input', 'no leaf moved between the good and the bad lock: nothing to bisect');
  const order = new Map(moved.map((m, i) => [m.name, i]));
  const memo = new Map<string, Promise<Verdict>>();
  const f = (moves: readonly LeafMove[]): Promise<Verdict> => {
    const sorted = [...moves].sort((a, b) => order.get(a.name)! - order.get(b.name)!);
    const key = sorted.map((m) => m.name).join('\0');
    let v = memo.get(key);
    if (!v) memo.set(key, (v = judge(sorted)));
    return v;
  };

  const good = await f([]);
  if (good !== 'passed')
    throw new KarooError(
      'input',
      `the good end ${good === 'failed' ? 'fails' : 'cannot be resolved'} acceptance; pass a lock or candidate that passes as --good`,
    );
  const bad = await f(moved);
  if (bad !== 'failed')
    throw new KarooError(
      'input',
      `the bad end ${bad === 'passed' ? 'passes' : 'cannot be resolved'} acceptance; pass a lock or candidate that fails as --bad`,
    );

  const culprits: LeafMove[] = [];
  const inseparable: LeafMove[][] = [];
  let pool = [...moved];
  // Invariant: culprits ∪ pool fails; culprits alone did not fail.
  for (;;) {
    const prefix = (k: number) => [...culprits, ...pool.slice(0, k)];
    let lo = 0;
    let hi = pool.length;
    const skipped = new Set<number>();
    while (hi - lo > 1) {
      const mid = nearestUntried(lo, hi, skipped);
      if (mid === undefined) break;
      const v = await f(prefix(mid));
      if (v === 'failed') hi = mid;
      else if (v === 'passed') lo = mid;
      else skipped.add(mid);
    }
    let group = pool.slice(lo, hi);
    if (group.length > 1) {
      // No prefix between lo and hi resolved: drop each move in turn and keep those whose absence does not fail.
      const base = [...culprits, ...pool.slice(0, lo)];
      for (const m of [...group]) {
        const without = group.filter((g) => g !== m);
        if (without.length > 0 && (await f([...base, ...without])) === 'failed') group = without;
      }
      if (group.length > 1) inseparable.push(group);
    }
    culprits.push(...group);
    pool = pool.slice(0, lo);
    if (pool.length === 0 || (await f(culprits)) === 'failed') break;
  }
  culprits.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  return { culprits, inseparable };
}

/** The index in (lo, hi) nearest the middle that was not skipped; undefined when none is left. */
function nearestUntried(lo: number, hi: number, skipped: ReadonlySet<number>): number | undefined {
  const mid = Math.floor((lo + hi) / 2);
  for (let d = 0; d < hi - lo; d++) {
    for (const k of [mid - d, mid + d]) if (k > lo && k < hi && !skipped.has(k)) return k;
  }
  return undefined;
}
