import { emit, table } from '../output.js';

export interface InventoryStatusOptions {
  inventory: string;
  config?: string;
  system?: string;
  candidate?: string;
  environment?: string;
  store?: string;
  json?: boolean;
}

/**
 * `karoo status --inventory INV`: every node's receipt (system id, candidate, config digest, time)
 * and its drift (files changed, services down, packages altered since deploy; with --candidate,
 * nodes not at the desired system id). Exit 5 when anything drifted.
 */
export async function inventoryStatus(opts: InventoryStatusOptions): Promise<void> {
  const { loadConfig } = await import('@karoo/config');
  const { readInventory } = await import('@karoo/machines');
  const { status, systemConfig, configDigest, systemIdOf } = await import('@karoo/deploy');
  const { parseDigest } = await import('@karoo/common');
  const { exitWith } = await import('../deploy-options.js');
  const config = opts.system && !opts.candidate ? undefined : await loadConfig(opts.config ?? 'karoo.yml');
  const system = opts.system ?? config!.system;
  let desired;
  if (opts.candidate)
    desired = systemIdOf(parseDigest(opts.candidate, 'candidate'), configDigest(await systemConfig(config!, opts.environment)));
  const inventory = await readInventory(opts.inventory);
  const r = await status({ system, inventory, desired });
  emit(r, opts, (o) =>
    [
      table(
        o.nodes.map((n) => [
          n.name,
          n.role,
          n.receipt ? n.receipt.systemId.slice(7, 19) : '-',
          n.receipt ? n.receipt.candidate.slice(7, 19) : '-',
          n.receipt?.deployedAt ?? '-',
          n.error
            ? `unreachable: ${n.error}`
            : n.drift.length
              ? `DRIFT: ${n.drift[0]}${n.drift.length > 1 ? ` (+${n.drift.length - 1})` : ''}`
              : 'in sync',
        ]),
        ['NODE', 'ROLE', 'SYSTEM', 'CANDIDATE', 'DEPLOYED', 'STATE'],
      ),
      '',
      o.inSync ? `in sync: every node runs system ${o.systemIds[0]}` : `not in sync (system ids: ${o.systemIds.join(', ') || 'none'})`,
    ].join('\n'),
  );
  const first = r.nodes.find((n) => n.error || n.drift.length);
  await exitWith(
    r.inSync
      ? undefined
      : {
          kind: first?.error ? 'unavailable' : 'conflict',
          message: first ? `node ${first.name}: ${first.error ?? first.drift[0]}` : 'the nodes run different systems',
        },
  );
}
