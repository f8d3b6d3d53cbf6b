import { describe, expect, it } from '@jest/globals';
import { isKarooError } from '@karoo/common';
import { describePlacement, place, type PlacementHost, type PlacementNode } from './placement.js';

const node = (name: string, role: string, cpus = 1, memory = 512): PlacementNode => ({ name, role, cpus, memory });
const host = (name: string, cpus: number, memory: number, unavailable?: string): PlacementHost => ({
  name,
  cpus,
  memory,
  ...(unavailable ? { unavailable } : {}),
});

function failure(f: () => unknown): { kind: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isKarooError(e)) return { kind: e.kind, message: e.message };
    throw e;
  }
  throw new Error('no error');
}

describe('placement', () => {
  it('spreads nodes by free memory, largest first, and keeps every node on exactly one host', () => {
    const nodes = [node('a', 'web', 1, 512), node('db', 'db', 2, 2048), node('b', 'web', 1, 512)];
    const p = place(nodes, [host('h1', 4, 3000), host('h2', 4, 2500)]);
    // db (largest) goes to h1 (most memory); then h2 has more left (2500 > 952) for a, then b.
    expect(p.assignments.map((a) => [a.node, a.host])).toEqual([
      ['a', 'h2'],
      ['db', 'h1'],
      ['b', 'h2'],
    ]);
    expect(p.hosts).toEqual([
      { host: 'h1', nodes: ['db'], cpus: 2, memory: 2048, freeCpus: 2, freeMemory: 952 },
      { host: 'h2', nodes: ['a', 'b'], cpus: 2, memory: 1024, freeCpus: 2, freeMemory: 1476 },
    ]);
    expect(describePlacement(p)[1]).toBe('h2: a, b (2 vCPU(s), 1024 MiB; 2 vCPU(s), 1476 MiB left)');
  });

  it('keeps anti-affine roles on different hosts even when one host has room for all', () => {
    const nodes = [node('c1', 'control'), node('c2', 'control'), node('w', 'worker')];
    const p = place(nodes, [host('big', 16, 32768), host('small', 2, 1024)], ['control']);
    const on = Object.fromEntries(p.assignments.map((a) => [a.node, a.host]));
    expect(on.c1).not.toBe(on.c2);
    // Without anti-affinity both control nodes go to the big host.
    const q = Object.fromEntries(place(nodes, [host('big', 16, 32768), host('small', 2, 1024)]).assignments.map((a) => [a.node, a.host]));
    expect([q.c1, q.c2]).toEqual(['big', 'big']);
  });

  it('fails before anything is made, naming the shortfall of the whole pool', () => {
    const f = failure(() => place([node('a', 'x', 2, 2048), node('b', 'x', 2, 2048)], [host('h1', 3, 3000)]));
    expect(f.kind).toBe('unavailable');
    expect(f.message).toBe(
      'the environment does not fit: its 2 node(s) need 4 vCPU(s) and 4096 MiB, the usable hosts have 3 vCPU(s) and 3000 MiB free: short by 1 vCPU(s) and 1096 MiB of memory',
    );
  });

  it('names the node that fits nowhere when the totals would fit but no single host does', () => {
    const f = failure(() => place([node('big', 'db', 1, 3000)], [host('h1', 2, 2000), host('h2', 2, 2000)]));
    expect(f.kind).toBe('unavailable');
    expect(f.message).toBe(
      'node "big" (db: 1 vCPU(s), 3000 MiB) fits on no host: h1 has 2 vCPU(s) and 2000 MiB left; h2 has 2 vCPU(s) and 2000 MiB left',
    );
  });

  it('places around an unreachable host and names it when the rest is not enough', () => {
    const hosts = [host('down', 64, 65536, 'connection refused'), host('up', 2, 2048)];
    const p = place([node('a', 'x')], hosts);
    expect(p.assignments[0]!.host).toBe('up');
    expect(p.hosts[0]).toMatchObject({ host: 'down', nodes: [], unavailable: 'connection refused' });
    const f = failure(() => place([node('a', 'x', 4, 512)], hosts));
    expect(f.message).toMatch(/short by 2 vCPU\(s\); unreachable: down \(connection refused\)$/);
    expect(failure(() => place([node('a', 'x')], [hosts[0]!])).message).toBe(
      'no host of the pool can be used; unreachable: down (connection refused)',
    );
  });

  it('refuses anti-affinity that needs more hosts than the pool has', () => {
    const f = failure(() => place([node('c1', 'control'), node('c2', 'control')], [host('h1', 8, 8192)], ['control']));
    expect(f.message).toBe('anti-affinity of role "control": 2 node(s) need 2 different hosts, the pool has 1 usable');
  });

  it('rejects bad input with one line naming it', () => {
    expect(failure(() => place([node('a', 'x', 0)], [host('h', 1, 1024)]))).toEqual({
      kind: 'input',
      message: 'node "a": cpus must be a positive integer, got 0',
    });
    expect(failure(() => place([node('a', 'x', 1, -5)], [host('h', 1, 1024)])).message).toBe(
      'node "a": memory must be a positive number of MiB, got -5',
    );
    expect(failure(() => place([node('a', 'x')], [])).kind).toBe('input');
    expect(failure(() => place([node('a', 'x')], [host('h', 1, 1024), host('h', 1, 1024)])).message).toBe('host "h" is listed twice');
  });
});
