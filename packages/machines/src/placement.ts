import { KarooError } from '@karoo/common';

/** A node to place: what it declares (defaults filled in by the caller). */
export interface PlacementNode {
  name: string;
  role: string;
  cpus: number;
  /** MiB. */
  memory: number;
}

/** A host of the pool and what it can still take, or why it cannot be asked. */
export interface PlacementHost {
  name: string;
  /** vCPUs karoo may still use there. */
  cpus: number;
  /** MiB karoo may still use there. */
  memory: number;
  /** Set when the host could not be reached or asked: it takes no node. */
  unavailable?: string;
}

export interface Placement {
  /** Node name → host name, in the nodes' order. */
  assignments: Array<{ node: string; role: string; host: string; cpus: number; memory: number }>;
  /** Per host (pool order): what it gets and what it keeps free. */
  hosts: Array<{ host: string; nodes: string[]; cpus: number; memory: number; freeCpus: number; freeMemory: number; unavailable?: string }>;
}

/**
 * Places nodes on hosts before anything is created: largest nodes first (memory, then vCPUs),
 * each on the host with the most memory left that has room and holds no other node of an
 * anti-affine role. Pure and deterministic (ties go to the earlier host). When the nodes do
 * not fit, throws an `unavailable` error naming the node that does not fit and the shortfall.
 */
export function place(nodes: readonly PlacementNode[], hosts: readonly PlacementHost[], antiAffinity: readonly string[] = []): Placement {
  if (hosts.length === 0) throw new KarooError('input', 'placement needs at least one host; list them under provision.hosts');
  for (const n of nodes) {
    if (!(Number.isInteger(n.cpus) && n.cpus > 0))
      throw new KarooError('input', `node "${n.name}": cpus must be a positive integer, got ${n.cpus}`);
    if (!(Number.isInteger(n.memory) && n.memory > 0))
      throw new KarooError('input', `node "${n.name}": memory must be a positive number of MiB, got ${n.memory}`);
  }
  const seen = new Set<string>();
  for (const h of hosts) {
    if (seen.has(h.name)) throw new KarooError('input', `host "${h.name}" is listed twice`);
    seen.add(h.name);
  }
  const usable = hosts.filter((h) => !h.unavailable);
  const down = hosts.filter((h) => h.unavailable).map((h) => `${h.name} (${h.unavailable})`);
  const downNote = down.length ? `; unreachable: ${down.join(', ')}` : '';
  if (usable.length === 0) throw new KarooError('unavailable', `no host of the pool can be used${downNote}`);

  // Totals first: the clearest message when the pool is simply too small.
  const need = { cpus: sum(nodes.map((n) => n.cpus)), memory: sum(nodes.map((n) => n.memory)) };
  const have = { cpus: sum(usable.map((h) => Math.max(0, h.cpus))), memory: sum(usable.map((h) => Math.max(0, h.memory))) };
  const short: string[] = [];
  if (need.cpus > have.cpus) short.push(`${need.cpus - have.cpus} vCPU(s)`);
  if (need.memory > have.memory) short.push(`${need.memory - have.memory} MiB of memory`);
  if (short.length) {
    throw new KarooError(
      'unavailable',
      `the environment does not fit: its ${nodes.length} node(s) need ${need.cpus} vCPU(s) and ${need.memory} MiB, the usable hosts have ${have.cpus} vCPU(s) and ${have.memory} MiB free: short by ${short.join(' and ')}${downNote}`,
    );
  }
  const anti = new Set(antiAffinity);
  for (const role of anti) {
    const count = nodes.filter((n) => n.role === role).length;
    if (count > usable.length) {
      throw new KarooError(
        'unavailable',
        `anti-affinity of role "${role}": ${count} node(s) need ${count} different hosts, the pool has ${usable.length} usable${downNote}`,
      );
    }
  }

  const free = new Map(usable.map((h) => [h.name, { cpus: h.cpus, memory: h.memory, roles: new Set<string>(), nodes: [] as string[] }]));
  const order = nodes.map((n, i) => ({ n, i })).sort((a, b) => b.n.memory - a.n.memory || b.n.cpus - a.n.cpus || a.i - b.i);
  const hostOf = new Map<string, string>();
  for (const { n } of order) {
    let best: string | undefined;
    const why: string[] = [];
    for (const h of usable) {
      const f = free.get(h.name)!;
      if (anti.has(n.role) && f.roles.has(n.role)) {
        why.push(`${h.name} already holds a "${n.role}" node (anti-affinity)`);
        continue;
      }
      if (f.cpus < n.cpus || f.memory < n.memory) {
        why.push(`${h.name} has ${f.cpus} vCPU(s) and ${f.memory} MiB left`);
        continue;
      }
      if (best === undefined || f.memory > free.get(best)!.memory) best = h.name;
    }
    if (best === undefined) {
      throw new KarooError(
        'unavailable',
        `node "${n.name}" (${n.role}: ${n.cpus} vCPU(s), ${n.memory} MiB) fits on no host: ${why.join('; ')}${downNote}`,
      );
    }
    const f = free.get(best)!;
    f.cpus -= n.cpus;
    f.memory -= n.memory;
    f.roles.add(n.role);
    f.nodes.push(n.name);
    hostOf.set(n.name, best);
  }
  return {
    assignments: nodes.map((n) => ({ node: n.name, role: n.role, host: hostOf.get(n.name)!, cpus: n.cpus, memory: n.memory })),
    hosts: hosts.map((h) => {
      const f = free.get(h.name);
      const nodesHere = nodes.filter((n) => hostOf.get(n.name) === h.name);
      return {
        host: h.name,
        nodes: nodesHere.map((n) => n.name),
        cpus: sum(nodesHere.map((n) => n.cpus)),
        memory: sum(nodesHere.map((n) => n.memory)),
        freeCpus: f ? f.cpus : 0,
        freeMemory: f ? f.memory : 0,
        ...(h.unavailable ? { unavailable: h.unavailable } : {}),
      };
    }),
  };
}

/** One line per host, for the provision output: `host: node, node (3 vCPUs, 1536 MiB; 5 vCPUs, 2560 MiB left)`. */
export function describePlacement(p: Placement): string[] {
  return p.hosts.map((h) =>
    h.unavailable
      ? `${h.host}: unreachable (${h.unavailable})`
      : `${h.host}: ${h.nodes.length ? h.nodes.join(', ') : '(nothing)'} (${h.cpus} vCPU(s), ${h.memory} MiB; ${h.freeCpus} vCPU(s), ${h.freeMemory} MiB left)`,
  );
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
