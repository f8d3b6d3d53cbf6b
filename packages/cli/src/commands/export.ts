import type { Command } from 'commander';
import { parseDigest, stderrProgress } from '@karoo/common';
import { type CandidateCliOptions, maybeConfig, openCliStore, storeRef } from '../candidate-options.js';
import { emit } from '../output.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('Write a candidate and its referrers as an OCI image layout in a deterministic tar')
    .argument('<candidate>', 'candidate digest (sha256:…)')
    .requiredOption('--out <file>', 'the tar to write')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--config <file>', 'karoo.yml (default: ./karoo.yml when present)')
    .option('--json', 'print one JSON object')
    .action(async (candidate: string, opts: CandidateCliOptions & { out: string }) => {
      const digest = parseDigest(candidate, 'candidate');
      const store = await openCliStore(storeRef(opts, await maybeConfig(opts)));
      const { exportTar } = await import('@karoo/oci');
      const r = await exportTar(store, digest, opts.out, { progress: opts.json ? undefined : stderrProgress() });
      emit(r, opts, (o) => `wrote ${o.out}: ${o.digest}, ${o.manifests} manifests, ${o.blobs} blobs, ${o.bytes} bytes`);
    });
}
