import type { Command } from 'commander';
import { stderrProgress } from '@karoo/common';
import { type CandidateCliOptions, lockAndInput, maybeConfig, openCliStore, storeRef } from '../candidate-options.js';
import { ATTEST_KEY_OPTION, ATTEST_KEYLESS_OPTION, signingKeyFrom } from '../attest-key.js';
import { emit } from '../output.js';
import { wholeNumber } from '../option-parsers.js';

interface BuildCliOptions extends CandidateCliOptions {
  concurrency: number;
  downloadDir?: string;
  mountFrom?: string[];
  tag?: string;
  quiet?: boolean;
  attestKey?: string;
  attestKeyless?: boolean;
}

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('Build the candidate of a lock into a store (OCI registry or OCI layout); does nothing if it is already there')
    .option('--lock <file>', 'pylock.toml or requirements.txt with hashes and sizes (default: the lock of karoo.yml)')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--system <name>', 'system name (default: karoo.yml system)')
    .option('--config <file>', 'karoo.yml (default: ./karoo.yml when present)')
    .option('--tag <tag>', 'also tag the candidate in the store')
    .option('--mount-from <repository...>', 'other repositories of the same registry to mount blobs from')
    .option('--download-dir <dir>', 'keep downloaded files here (by sha256) and reuse them')
    .option('--concurrency <n>', 'parallel downloads and uploads', wholeNumber('transfers', 1, 64), 8)
    .option(...ATTEST_KEY_OPTION)
    .option(...ATTEST_KEYLESS_OPTION)
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print one JSON object')
    .action(async (opts: BuildCliOptions) => {
      const config = await maybeConfig(opts);
      const { lock, input, warnings } = await lockAndInput(opts, config);
      const progress = opts.quiet || opts.json ? undefined : stderrProgress();
      for (const w of warnings) progress?.warn(w);
      const attest = await signingKeyFrom(opts.attestKey, config, opts.attestKeyless);
      const store = await openCliStore(storeRef(opts, config), progress);
      const { build } = await import('@karoo/build');
      const r = await build({
        lock,
        store,
        ...input,
        concurrency: opts.concurrency,
        downloadDir: opts.downloadDir,
        mountFrom: opts.mountFrom,
        tag: opts.tag,
        indexes: config?.indexes,
        attest,
        progress,
      });
      emit(r, opts, (o) =>
        o.existed
          ? `candidate ${o.candidate} already in ${store.ref} (existed: true, nothing downloaded or uploaded)`
          : `candidate ${o.candidate}\n${o.candidateRef}\n${o.layers} layers, ${o.size} bytes; uploaded ${o.blobs.uploaded} blobs (${o.pushedBytes} bytes), reused ${o.blobs.reused}${o.blobs.mounted ? `, mounted ${o.blobs.mounted}` : ''}`,
      );
    });
}
