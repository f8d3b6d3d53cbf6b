import type { Command } from 'commander';
import { parseDigest } from '@karoo/common';
import { type CandidateCliOptions, maybeConfig, openCliStore, storeRef } from '../candidate-options.js';
import { emit } from '../output.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('Re-read every blob of a candidate in a store and check its digest and size')
    .argument('<candidate>', 'candidate digest (sha256:…)')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--config <file>', 'karoo.yml (default: ./karoo.yml when present)')
    .option('--json', 'print one JSON object')
    .action(async (candidate: string, opts: CandidateCliOptions) => {
      const digest = parseDigest(candidate, 'candidate');
      const store = await openCliStore(storeRef(opts, await maybeConfig(opts)));
      const { verifyManifest } = await import('@karoo/oci');
      const r = await verifyManifest(store, digest);
      emit({ ...r, store: store.ref, ok: true }, opts, (o) => `${o.digest} ok: ${o.blobs} blobs, ${o.bytes} bytes checked in ${o.store}`);
    });
}
