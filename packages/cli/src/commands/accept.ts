import type { Command } from 'commander';
import { exitWith, loadSystem, runFromEnv, type SystemCliOptions } from '../deploy-options.js';
import { ATTEST_KEY_OPTION, ATTEST_KEYLESS_OPTION, signingKeyFrom } from '../attest-key.js';
import { emit } from '../output.js';

interface AcceptCliOptions extends SystemCliOptions {
  out: string;
  timeout?: string;
  evidence?: boolean;
  attestKey?: string;
  attestKeyless?: boolean;
}

export function registerAccept(program: Command): void {
  program
    .command('accept')
    .description("Run the acceptance tests of karoo.yml against a deployed system and push evidence to the candidate's store")
    .requiredOption('--inventory <file>', 'inventory.json of the deployed system')
    .requiredOption('--candidate <digest>', 'candidate digest sha256:…')
    .option('-c, --config <file>', 'karoo.yml', 'karoo.yml')
    .option('--environment <name>', "the environment deployed (default: the configuration's first)")
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--out <dir>', 'where the acceptance inventory, values and lock are written', '.karoo/acceptance')
    .option('--timeout <duration>', 'overrides acceptance.timeout (e.g. 5m)')
    .option('--no-evidence', 'do not push evidence')
    .option(...ATTEST_KEY_OPTION)
    .option(...ATTEST_KEYLESS_OPTION)
    .option('--quiet', 'no progress on stderr (progress goes to stderr, also with --json)')
    .option('--json', 'print one JSON object')
    .action(async (opts: AcceptCliOptions) => {
      const { stderrProgress } = await import('@karoo/common');
      const { parseDuration } = await import('@karoo/config');
      const { readInventory } = await import('@karoo/machines');
      const { accept } = await import('@karoo/deploy');
      const { formatCounts } = await import('@karoo/evidence');
      const { config, store, candidate } = await loadSystem(opts);
      const inventory = await readInventory(opts.inventory!);
      const attest = await signingKeyFrom(opts.attestKey, config, opts.attestKeyless);
      const r = await accept({
        config,
        environment: opts.environment,
        inventory,
        store,
        candidate,
        outDir: opts.out,
        timeoutSeconds: opts.timeout ? parseDuration(opts.timeout) : undefined,
        evidence: opts.evidence !== false,
        run: runFromEnv(),
        attest,
        progress: opts.quiet ? undefined : stderrProgress(),
      });
      emit(r, opts, (o) =>
        [
          `${o.result}: ${formatCounts(o.counts)} in ${(o.durationMs / 1000).toFixed(1)} s${o.reason ? ` (${o.reason})` : ''}`,
          `system   ${o.systemId} (${o.environment})`,
          ...(o.evidence ? [`evidence ${o.evidence}`] : []),
          ...(o.attestation ? [`attested ${o.attestation}`] : []),
        ].join('\n'),
      );
      await exitWith(r.result === 'passed' ? undefined : { kind: 'refused', message: `acceptance failed: ${r.reason ?? 'failed'}` });
    });
}
