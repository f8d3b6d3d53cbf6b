import type { Command } from 'commander';
import { emit, table, type GlobalOptions } from '../output.js';

export function registerReap(program: Command): void {
  program
    .command('reap')
    .description(
      'Remove what ephemeral environments left on this machine when they expired or their owner process (karoo up, a killed provision) is gone; never anything not karoo-<id>',
    )
    .option('--older-than <duration>', 'also reap environments created longer ago than this (e.g. 2h), whatever their TTL')
    .option('--env <id>', 'reap this one environment')
    .option('--json', 'print one JSON object')
    .action(async (opts: GlobalOptions & { olderThan?: string; env?: string }) => {
      const { parseDuration } = await import('@karoo/config');
      const { reap } = await import('@karoo/machines');
      const { stderrProgress } = await import('@karoo/common');
      const reaped = await reap({
        olderThanSeconds: opts.olderThan ? parseDuration(opts.olderThan) : undefined,
        environmentId: opts.env,
        progress: stderrProgress(),
      });
      emit({ reaped }, opts, (r) =>
        r.reaped.length === 0
          ? 'nothing to reap'
          : table(
              r.reaped.map((x) => [x.environmentId, x.reason, x.leftovers.join(', ') || 'clean']),
              ['ENVIRONMENT', 'WHY', 'LEFT'],
            ),
      );
    });
}
