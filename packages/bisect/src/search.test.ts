import { describe, expect, it } from '@jest/globals';
import { isKarooError } from '@karoo/common';
import { type LeafMove, searchCulprits, type Verdict } from './search.js';

const moves = (n: number): LeafMove[] => Array.from({ length: n }, (_, i) => ({ name: `leaf-${i}`, from: '1.0.0', to: '2.0.0' }));

/** A fake acceptance oracle over sets of moved leaf names; records every state it was asked about. */
function oracle(fails: (names: ReadonlySet<string>) => boolean, unresolvable: (names: ReadonlySet<string>) => boolean = () => false) {
  const asked: string[][] = [];
  const judge = async (ms: readonly LeafMove[]): Promise<Verdict> => {
    const names = new Set(ms.map((m) => m.name));
    asked.push([...names]);
    if (unresolvable(names)) return 'unresolvable';
    return fails(names) ? 'failed' : 'passed';
  };
  return { judge, asked, intermediate: () => asked.filter((a, i) => i >= 2).length };
}

describe('searchCulprits', () => {
  it('names a single culprit at every position with at most ⌈log2 n⌉ + 1 intermediate judgements', async () => {
    for (let n = 1; n <= 9; n++) {
      for (let c = 0; c < n; c++) {
        const o = oracle((s) => s.has(`leaf-${c}`));
        const r = await searchCulprits(moves(n), o.judge);
        expect(r.culprits.map((m) => m.name)).toEqual([`leaf-${c}`]);
        expect(r.inseparable).toEqual([]);
        expect(o.intermediate()).toBeLessThanOrEqual(Math.ceil(Math.log2(n)) + 1);
        // Never the same state twice.
        expect(new Set(o.asked.map((a) => [...a].sort().join(','))).size).toBe(o.asked.length);
      }
    }
  });

  it('judges the endpoints first: none moved, then all moved', async () => {
    const o = oracle((s) => s.has('leaf-2'));
    await searchCulprits(moves(4), o.judge);
    expect(o.asked[0]).toEqual([]);
    expect(o.asked[1]).toEqual(['leaf-0', 'leaf-1', 'leaf-2', 'leaf-3']);
  });

  it('finds a combination culprit: only two moves together fail', async () => {
    for (const [a, b] of [
      [0, 2],
      [1, 3],
      [0, 7],
      [5, 6],
    ] as const) {
      const o = oracle((s) => s.has(`leaf-${a}`) && s.has(`leaf-${b}`));
      const r = await searchCulprits(moves(8), o.judge);
      expect(r.culprits.map((m) => m.name)).toEqual([`leaf-${a}`, `leaf-${b}`]);
      // Each of the two was seen alone with the other's side passing: the set is minimal.
      expect(o.asked.some((x) => x.length === 1 && x[0] === `leaf-${b}`)).toBe(true);
    }
  });

  it('finds three moves that fail only together', async () => {
    const o = oracle((s) => ['leaf-1', 'leaf-4', 'leaf-6'].every((x) => s.has(x)));
    const r = await searchCulprits(moves(8), o.judge);
    expect(r.culprits.map((m) => m.name)).toEqual(['leaf-1', 'leaf-4', 'leaf-6']);
  });

  it('skips an intermediate state that cannot resolve and tries another split', async () => {
    // leaf-2's new version needs leaf-1's new version: any state with leaf-2 but not leaf-1 cannot resolve.
    const needs = (s: ReadonlySet<string>) => s.has('leaf-2') && !s.has('leaf-1');
    const o = oracle((s) => s.has('leaf-3'), needs);
    const r = await searchCulprits(moves(6), o.judge);
    expect(r.culprits.map((m) => m.name)).toEqual(['leaf-3']);

    // The culprit itself cannot move alone: the smallest failing set is the culprit with what it needs.
    const o2 = oracle((s) => s.has('leaf-2'), needs);
    const r2 = await searchCulprits(moves(4), o2.judge);
    expect(r2.culprits.map((m) => m.name)).toEqual(['leaf-1', 'leaf-2']);
    expect(o2.asked).toContainEqual(['leaf-2']);
  });

  it('reports moves that no resolvable state can separate as one inseparable group', async () => {
    // leaf-1 and leaf-2 only resolve together (each needs the other's new version).
    const o = oracle(
      (s) => s.has('leaf-2'),
      (s) => s.has('leaf-1') !== s.has('leaf-2'),
    );
    const r = await searchCulprits(moves(4), o.judge);
    expect(r.culprits.map((m) => m.name)).toEqual(['leaf-1', 'leaf-2']);
    expect(r.inseparable.map((g) => g.map((m) => m.name))).toEqual([['leaf-1', 'leaf-2']]);
  });

  it('refuses endpoints that do not bracket the failure, and an empty move list', async () => {
    const err = async (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    const passes = await err(searchCulprits(moves(3), oracle(() => false).judge));
    expect(isKarooError(passes) && passes.kind).toBe('input');
    expect((passes as Error).message).toBe('the bad end passes acceptance; pass a lock or candidate that fails as --bad');
    const fails = await err(searchCulprits(moves(3), oracle(() => true).judge));
    expect((fails as Error).message).toBe('the good end fails acceptance; pass a lock or candidate that passes as --good');
    const none = await err(searchCulprits([], oracle(() => true).judge));
    expect((none as Error).message).toMatch(/^no leaf moved/);
  });
});
