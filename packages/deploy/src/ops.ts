import { type Digest, isKarooError, type Progress, silentProgress } from '@karoo/common';
import type { Inventory } from '@karoo/machines';
import pLimit from 'p-limit';
import { SshPool } from './ssh.js';

/** A node's receipt: what was deployed to it and when (`/opt/karoo/<system>/receipt.json`). */
export interface Receipt {
  readonly format: number;
  readonly system: string;
  readonly systemId: Digest;
  readonly candidate: Digest;
  readonly configDigest: Digest;
  readonly environment: string;
  readonly node: string;
  readonly role: string;
  readonly stateDigest: Digest;
  readonly release: string;
  readonly deployedAt: string;
  readonly previousRelease?: string | null;
  readonly action?: 'deploy' | 'rollback';
}

export interface NodeStatus {
  readonly name: string;
  readonly role: string;
  readonly reachable: boolean;
  readonly receipt?: Receipt | undefined;
  readonly current?: string | null | undefined;
  readonly previous?: string | null | undefined;
  /** Differences between the node and its receipt: files changed, services down, packages altered. */
  readonly drift: string[];
  /** Given a desired system id: is the node at it? */
  readonly atDesired?: boolean | undefined;
  readonly error?: string | undefined;
}

export interface StatusResult {
  readonly system: string;
  readonly nodes: NodeStatus[];
  /** The system ids the nodes run (one when the system is consistent). */
  readonly systemIds: string[];
  readonly desired?: Digest | undefined;
  /** True when every node is reachable, has a receipt, shows no drift and (if given) is at the desired system id. */
  readonly inSync: boolean;
}

/** Reads every node's receipt and checks the node against it (`karoo status --inventory`). */
export async function status(opts: {
  system: string;
  inventory: Inventory;
  desired?: Digest | undefined;
  parallel?: number;
  pool?: SshPool;
}): Promise<StatusResult> {
  const pool = opts.pool ?? (await SshPool.open(opts.inventory.nodes.map((n) => ({ name: n.name, ...n.ssh }))));
  const limit = pLimit(Math.max(1, opts.parallel ?? 8));
  try {
    const nodes = await Promise.all(
      opts.inventory.nodes.map((n) =>
        limit(async (): Promise<NodeStatus> => {
          try {
            const a = await pool.agent<{ receipt: Receipt | null; current: string | null; previous: string | null; drift: string[] }>(
              n.name,
              'status',
              { system: opts.system },
              [],
              120_000,
            );
            const drift = [...a.drift];
            if (!a.receipt) drift.unshift(`no receipt: system ${opts.system} was never deployed to this node`);
            const atDesired = opts.desired ? a.receipt?.systemId === opts.desired : undefined;
            if (opts.desired && !atDesired) drift.unshift(`runs system ${a.receipt?.systemId ?? 'none'}, not the desired ${opts.desired}`);
            return {
              name: n.name,
              role: n.role,
              reachable: true,
              receipt: a.receipt ?? undefined,
              current: a.current,
              previous: a.previous,
              drift,
              atDesired,
            };
          } catch (e) {
            return {
              name: n.name,
              role: n.role,
              reachable: !(isKarooError(e) && e.kind === 'unavailable'),
              drift: [],
              error: (e as Error).message,
            };
          }
        }),
      ),
    );
    const systemIds = [...new Set(nodes.map((n) => n.receipt?.systemId).filter((x): x is Digest => !!x))].sort();
    return {
      system: opts.system,
      nodes,
      systemIds,
      desired: opts.desired,
      inSync: nodes.every((n) => n.reachable && !n.error && n.receipt && n.drift.length === 0) && systemIds.length === 1,
    };
  } finally {
    if (!opts.pool) await pool.close();
  }
}

export interface RollbackResult {
  readonly ok: boolean;
  readonly nodes: Array<{
    name: string;
    role: string;
    from?: string | null;
    to?: string;
    systemId?: string;
    result: 'rolled-back' | 'failed' | 'skipped';
    detail?: string;
  }>;
  readonly systemIds: string[];
  readonly error?: string | undefined;
}

/**
 * Switches every node back to its previous release: first checks that every node has one
 * (nothing is switched otherwise), then switches them (one symlink rename each), restarts the
 * services and verifies.
 */
export async function rollback(opts: {
  system: string;
  inventory: Inventory;
  parallel?: number;
  waitSeconds?: number;
  progress?: Progress;
}): Promise<RollbackResult> {
  const progress = opts.progress ?? silentProgress;
  const pool = await SshPool.open(opts.inventory.nodes.map((n) => ({ name: n.name, ...n.ssh })));
  const limit = pLimit(Math.max(1, opts.parallel ?? 8));
  try {
    const checks = await Promise.all(
      opts.inventory.nodes.map((n) =>
        limit(async () => {
          try {
            await pool.agent(n.name, 'rollback', { system: opts.system, check: true }, [], 120_000);
            return undefined;
          } catch (e) {
            return { name: n.name, role: n.role, result: 'failed' as const, detail: (e as Error).message };
          }
        }),
      ),
    );
    const bad = checks.filter((c) => c !== undefined);
    if (bad.length > 0) {
      const nodes = opts.inventory.nodes.map(
        (n) => bad.find((b) => b.name === n.name) ?? { name: n.name, role: n.role, result: 'skipped' as const },
      );
      return { ok: false, nodes, systemIds: [], error: `rollback refused, no node switched: ${bad[0]!.detail}` };
    }
    const nodes = await Promise.all(
      opts.inventory.nodes.map((n) =>
        limit(async () => {
          try {
            const a = await pool.agent<{ from: string | null; to: string; receipt: Receipt }>(
              n.name,
              'rollback',
              { system: opts.system, waitSeconds: opts.waitSeconds ?? 60 },
              [],
              300_000,
            );
            progress.info(`${n.name}: rolled back ${a.from ?? 'none'} → ${a.to} (system ${a.receipt.systemId})`);
            return { name: n.name, role: n.role, from: a.from, to: a.to, systemId: a.receipt.systemId, result: 'rolled-back' as const };
          } catch (e) {
            return { name: n.name, role: n.role, result: 'failed' as const, detail: (e as Error).message };
          }
        }),
      ),
    );
    const failed = nodes.find((n) => n.result === 'failed');
    return {
      ok: !failed,
      nodes,
      systemIds: [...new Set(nodes.map((n) => n.systemId as string | undefined).filter((x): x is string => !!x))].sort(),
      error: failed ? `rollback failed: ${failed.detail}` : undefined,
    };
  } finally {
    await pool.close();
  }
}
