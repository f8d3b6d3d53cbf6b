import type { Command } from 'commander';
import { type CandidateCliOptions, lockAndInput, maybeConfig } from '../candidate-options.js';
import { emit } from '../output.js';

export function registerDigest(program: Command): void {
  program
    .command('digest')
    .description('Print the candidate digest of a lock, computed from the lock alone (nothing is downloaded)')
    .option('--lock <file>', 'pylock.toml or requirements.txt with hashes and sizes (default: the lock of karoo.yml)')
    .option('--system <name>', 'system name (default: karoo.yml system)')
    .option('--config <file>', 'karoo.yml (default: ./karoo.yml when present)')
    .option('--json', 'print one JSON object')
    .action(async (opts: CandidateCliOptions) => {
      const config = await maybeConfig(opts);
      const { lock, input } = await lockAndInput(opts, config);
      const { candidateFor } = await import('@karoo/candidate');
      const c = candidateFor(lock, input);
      emit(
        { candidate: c.digest, system: input.system, lockDigest: lock.digest, layers: c.manifest.layers.length, size: c.totalSize },
        opts,
        (o) => o.candidate,
      );
    });
}
