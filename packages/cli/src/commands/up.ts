import type { Command } from 'commander';
import { exitWith, loadSystem, runFromEnv, type SystemCliOptions } from '../deploy-options.js';
import { ATTEST_KEY_OPTION, ATTEST_KEYLESS_OPTION, signingKeyFrom } from '../attest-key.js';
import { emit } from '../output.js';
import { interruptible } from '../signals.js';

interface UpCliOptions extends SystemCliOptions {
  provider?: string;
  keep?: boolean;
  out?: string;
  attestKey?: string;
  attestKeyless?: boolean;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('provision → deploy → accept → teardown: one acceptance run of a candidate on fresh machines, with evidence')
    .requiredOption('--candidate <digest>', 'candidate digest sha256:…')
    .option('-c, --config <file>', 'karoo.yml', 'karoo.yml')
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--provider <name>', 'nspawn, qemu or libvirt (default: provision.provider, else nspawn)')
    .option('--environment <name>', "whose values to deploy with (default: the configuration's first environment)")
    .option('--out <dir>', 'keep the inventory and acceptance files here (default: a temporary directory)')
    .option('--keep', 'keep the machines afterwards (until their TTL), for debugging')
    .option(...ATTEST_KEY_OPTION)
    .option(...ATTEST_KEYLESS_OPTION)
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print one JSON object (systemId, result, evidence, …)')
    .action(async (opts: UpCliOptions) => {
      const { stderrProgress } = await import('@karoo/common');
      const { up } = await import('@karoo/deploy');
      const { formatCounts } = await import('@karoo/evidence');
      const { config, store, candidate } = await loadSystem(opts);
      const attest = await signingKeyFrom(opts.attestKey, config, opts.attestKeyless);
      const interrupt = interruptible('up');
      const r = await up({
        config,
        store,
        candidate,
        provider: opts.provider,
        environment: opts.environment,
        keep: opts.keep,
        outDir: opts.out,
        run: runFromEnv(),
        attest,
        progress: opts.quiet ? undefined : stderrProgress(),
        // The watchdog runs this very CLI's reap when this process is gone or the TTL passes.
        onExpire: [process.execPath, process.argv[1]!, 'reap', '--env', '{env}'],
        signal: interrupt.signal,
      }).finally(() => interrupt.exitIfInterrupted());
      interrupt.dispose();
      const { deploy, accept, ...rest } = r;
      const out = { ...rest, nodes: deploy.nodes, counts: accept?.counts, attestation: accept?.attestation, deployError: deploy.error };
      emit(out, opts, (o) =>
        [
          `${o.result}: system ${o.systemId} (${o.environment}) on ${o.environmentId} (${o.provider})${o.reason ? `: ${o.reason}` : ''}`,
          ...(o.counts ? [`tests    ${formatCounts(o.counts)}`] : []),
          ...(o.evidence ? [`evidence ${o.evidence}`] : []),
          `time     provision ${o.timings.provision} s, deploy ${o.timings.deploy} s, accept ${o.timings.accept} s, teardown ${o.timings.teardown} s`,
          ...(o.kept && o.inventory ? [`kept     ${o.inventory} (karoo destroy --inventory ${o.inventory})`] : []),
        ].join('\n'),
      );
      await exitWith(
        r.result === 'passed' ? undefined : { kind: 'refused', message: `system ${r.systemId} failed acceptance: ${r.reason ?? 'failed'}` },
      );
    });
}
