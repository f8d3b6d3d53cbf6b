import type { Command } from 'commander';
import { exitWith, type SystemCliOptions, loadSystem } from '../deploy-options.js';
import { wholeNumber } from '../option-parsers.js';
import { emit, table } from '../output.js';

interface DeployCliOptions extends SystemCliOptions {
  parallel: number;
  wait?: number;
}

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('Make every node of an inventory run candidate + configuration (declarative: converged nodes are left alone)')
    .requiredOption('--inventory <file>', 'inventory.json (from karoo provision, or written by hand for real hosts)')
    .requiredOption('--candidate <digest>', 'candidate digest sha256:…')
    .option('-c, --config <file>', 'karoo.yml', 'karoo.yml')
    .option('--environment <name>', "whose values to use (default: the configuration's first environment)")
    .option('--store <ref>', 'oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)')
    .option('--parallel <n>', 'nodes worked on at once', wholeNumber('nodes', 1, 1000), 8)
    .option(
      '--wait <seconds>',
      "how long every node's services may take to come up (default: each role's slowest start-timeout in karoo.yml, else 60)",
      wholeNumber('seconds', 1, 86_400),
    )
    .option('--quiet', 'no progress on stderr (progress goes to stderr, also with --json)')
    .option('--json', 'print one JSON object')
    .action(async (opts: DeployCliOptions) => {
      const { stderrProgress } = await import('@karoo/common');
      const { readInventory } = await import('@karoo/machines');
      const { deploy } = await import('@karoo/deploy');
      const { config, store, candidate } = await loadSystem(opts);
      const inventory = await readInventory(opts.inventory!);
      const r = await deploy({
        config,
        environment: opts.environment,
        store,
        candidate,
        inventory,
        parallel: opts.parallel,
        waitSeconds: opts.wait,
        progress: opts.quiet ? undefined : stderrProgress(),
      });
      emit(r, opts, (o) =>
        [
          table(
            o.nodes.map((n) => [
              n.name,
              n.role,
              n.result,
              n.release ?? '',
              `${(n.durationMs / 1000).toFixed(2)} s`,
              n.detail ?? (n.changed ? '' : 'nothing to do'),
            ]),
            ['NODE', 'ROLE', 'RESULT', 'RELEASE', 'TIME', 'DETAIL'],
          ),
          '',
          `system ${o.systemId} (${o.environment}): candidate ${o.candidate}, config ${o.configDigest}`,
        ].join('\n'),
      );
      await exitWith(r.ok ? undefined : { kind: r.errorKind ?? 'conflict', message: r.error ?? 'deploy failed' });
    });

  program
    .command('rollback')
    .description('Switch every node of an inventory back to its previous release (checks all nodes first)')
    .requiredOption('--inventory <file>', 'inventory.json')
    .option('-c, --config <file>', 'karoo.yml (for the system name)', 'karoo.yml')
    .option('--system <name>', 'system name (default: karoo.yml system)')
    .option('--parallel <n>', 'nodes worked on at once', wholeNumber('nodes', 1, 1000), 8)
    .option('--quiet', 'no progress on stderr (progress goes to stderr, also with --json)')
    .option('--json', 'print one JSON object')
    .action(async (opts: { inventory: string; config: string; system?: string; parallel: number; quiet?: boolean; json?: boolean }) => {
      const { stderrProgress } = await import('@karoo/common');
      const { readInventory } = await import('@karoo/machines');
      const { rollback } = await import('@karoo/deploy');
      const system = opts.system ?? (await (await import('@karoo/config')).loadConfig(opts.config)).system;
      const inventory = await readInventory(opts.inventory);
      const r = await rollback({
        system,
        inventory,
        parallel: opts.parallel,
        progress: opts.quiet ? undefined : stderrProgress(),
      });
      emit(r, opts, (o) =>
        table(
          o.nodes.map((n) => [n.name, n.role, n.result, `${n.from ?? ''} → ${n.to ?? ''}`, n.systemId ?? n.detail ?? '']),
          ['NODE', 'ROLE', 'RESULT', 'RELEASE', 'SYSTEM / DETAIL'],
        ),
      );
      await exitWith(r.ok ? undefined : { kind: 'conflict', message: r.error ?? 'rollback failed' });
    });
}
