import type { Command } from 'commander';
import { openCliStore, storeRef } from '../candidate-options.js';
import { emit, table } from '../output.js';

export function registerEvidence(program: Command): void {
  program
    .command('evidence')
    .description('List the acceptance evidence attached to a candidate (every record checked against its digest)')
    .argument('<candidate>', 'candidate digest sha256:…')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--config <file>', 'karoo.yml for its store (default: ./karoo.yml when present)')
    .option('--environment <name>', 'only evidence of this environment')
    .option('--json', 'print a JSON list')
    .action(async (candidate: string, opts: { store?: string; config?: string; environment?: string; json?: boolean }) => {
      const { maybeConfig } = await import('../candidate-options.js');
      const config = await maybeConfig({ config: opts.config });
      const store = await openCliStore(storeRef({ store: opts.store }, config));
      const { listEvidence } = await import('@karoo/evidence');
      // Malformed referrers never count and never stop the listing: each is named on stderr.
      const records = await listEvidence(store, candidate, {
        environment: opts.environment,
        onInvalid: (i) => process.stderr.write(`karoo: warning: evidence ${i.digest} is invalid and does not count: ${i.reason}\n`),
      });
      const list = records.map((r) => ({ digest: r.digest, ...r.evidence, junit: r.junit?.digest }));
      emit(list, opts, (l) =>
        l.length === 0
          ? `no evidence for ${candidate} in ${store.ref}`
          : table(
              l.map((e) => [
                e.finishedAt,
                e.environment,
                e.result,
                e.counts.source === 'unknown' ? 'unknown' : `${e.counts.passed}/${e.counts.tests}`,
                `${(e.durationMs / 1000).toFixed(1)} s`,
                e.systemId.slice(7, 19),
                e.digest,
              ]),
              ['FINISHED', 'ENVIRONMENT', 'RESULT', 'PASSED', 'TIME', 'SYSTEM', 'EVIDENCE'],
            ),
      );
    });
}
