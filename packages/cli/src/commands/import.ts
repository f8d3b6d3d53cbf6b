import type { Command } from 'commander';
import { stderrProgress } from '@karoo/common';
import { type CandidateCliOptions, maybeConfig, openCliStore, storeRef } from '../candidate-options.js';
import { emit } from '../output.js';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('Bring a tar written by `karoo export` into a store, and verify it there')
    .argument('<file>', 'the tar')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--config <file>', 'karoo.yml (default: ./karoo.yml when present)')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: CandidateCliOptions) => {
      const store = await openCliStore(storeRef(opts, await maybeConfig(opts)));
      const { importTar } = await import('@karoo/oci');
      const r = await importTar(file, store, { progress: opts.json ? undefined : stderrProgress() });
      emit(
        { ...r, store: store.ref, verified: true },
        opts,
        (o) => `imported ${o.roots.join(', ')} into ${o.store} (${o.manifests} manifests, ${o.uploadedBlobs} blobs uploaded); verified`,
      );
    });
}
