import type { Command } from 'commander';
import { emit, type GlobalOptions } from '../output.js';

export function registerDestroy(program: Command): void {
  program
    .command('destroy')
    .description('Destroy an ephemeral environment: machines, disks, keys, namespaces')
    .option('-i, --inventory <file>', 'the inventory karoo provision wrote')
    .option('--env <id>', 'the environment id (karoo-XXXXXXXX) instead of an inventory')
    .option('--json', 'print one JSON object')
    .action(async (opts: GlobalOptions & { inventory?: string; env?: string }) => {
      const { destroyEnvironment } = await import('@karoo/machines');
      const { stderrProgress, KarooError } = await import('@karoo/common');
      const r = await destroyEnvironment({ inventory: opts.inventory, environmentId: opts.env }, { progress: stderrProgress() });
      if (r.leftovers.length)
        throw new KarooError('internal', `environment ${r.environmentId} was not fully destroyed: ${r.leftovers.join(', ')}`);
      emit(r, opts, (x) => `destroyed ${x.environmentId} in ${x.seconds} s`);
    });
}
