import type { Command } from 'commander';
import { inventoryStatus } from './status-inventory.js';
import { storeStatus, type StoreStatusOptions } from './status-store.js';

type StatusCliOptions = StoreStatusOptions & { inventory?: string; candidate?: string; environment?: string; system?: string };

/**
 * One `status` command, two views: `--store` (what each environment runs, from the promotion
 * records: @karoo/promote, status-store.ts) and `--inventory` (what each node of an
 * inventory runs and its drift, from the nodes' receipts: the deploy step, issue 5, adds its
 * option handling here as a separate function beside storeStatus).
 */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Which candidate and system id each environment runs (--store), or each node of an inventory and its drift (--inventory)')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--config <file>', 'karoo.yml: its environments, in order, and its store (default: ./karoo.yml when present)')
    .option('--inventory <file>', "read the nodes' receipts instead: what each node runs, and drift since deploy")
    .option('--candidate <digest>', 'with --inventory: the desired candidate (nodes at another system id are drift)')
    .option('--environment <name>', 'with --inventory and --candidate: the environment deployed')
    .option('--system <name>', 'with --inventory: system name (default: karoo.yml system)')
    .option('--json', 'print a JSON list')
    .action(async (opts: StatusCliOptions) => {
      if (opts.inventory) await inventoryStatus({ ...opts, inventory: opts.inventory });
      else await storeStatus(opts);
    });
}
