import { existsSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { emit, table, type GlobalOptions } from '../output.js';
import { interruptible } from '../signals.js';

interface DemoOptions extends GlobalOptions {
  example?: string;
  work?: string;
  provider?: string;
  build?: boolean;
  accept?: boolean;
}

/** The example system shipped in this repository (examples/cam). */
export function exampleDir(): string {
  return fileURLToPath(new URL('../../../../examples/cam/', import.meta.url));
}

interface StageOutcome {
  environment: string;
  evidence?: string | undefined;
  acceptance: 'ran' | 'reused';
  result: 'passed' | 'failed';
  systemId?: string | undefined;
  promotion: string;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the whole pipeline on the embedded example system: resolve, build, acceptance on ephemeral machines, promotion, status',
    )
    .option('--example <dir>', 'example system directory', exampleDir())
    .option('--work <dir>', 'work directory for the lock and the store (default: <example>/.karoo)')
    .option('--provider <name>', "machine provider for the acceptance runs: nspawn or qemu (default: the configuration's)")
    .option('--no-accept', 'stop after build: no machines, no promotion')
    .option('--json', 'print one JSON object')
    .action(async (opts: DemoOptions) => {
      const [{ loadConfig }, r, { KarooError, stderrProgress, isKarooError }, { build }, { openStore }] = await Promise.all([
        import('@karoo/config'),
        import('@karoo/resolve'),
        import('@karoo/common'),
        import('@karoo/build'),
        import('@karoo/oci'),
      ]);
      const dir = resolvePath(opts.example ?? exampleDir());
      const configPath = join(dir, 'karoo.yml');
      if (!existsSync(configPath))
        throw new KarooError('input', `no example system at ${dir}; pass --example with a directory holding karoo.yml`);
      const work = resolvePath(opts.work ?? join(dir, '.karoo'));
      const progress = stderrProgress('karoo demo');
      const config = await loadConfig(configPath);

      progress.info(
        `1. resolve: ${config.leaves.length} leaves of "${config.system}" from ${config.indexes.map((i) => i.name).join(', ')}`,
      );
      const lockDir = join(work, 'lock');
      const previous = await r.readExistingLock(lockDir);
      const resolved = await r.resolveLock({ config, previous, progress });
      const written = await r.writeLockFiles(lockDir, resolved.lock);

      const storeRef = `oci-layout:${join(work, 'store')}`;
      const store = openStore(storeRef);
      progress.info(`2. build: the candidate of lock ${resolved.lock.digest} into ${storeRef}`);
      const built = await build({ lock: resolved.lock, store, system: config.system, target: config.target, progress });

      const stages: StageOutcome[] = [];
      let refusal: string | undefined;
      let status: Array<{ environment: string; candidate?: string | undefined; systemId?: string | undefined }> = [];
      if (opts.accept !== false && config.environments.length > 0) {
        const [{ up }, { listEvidence, latestPassing }, p] = await Promise.all([
          import('@karoo/deploy'),
          import('@karoo/evidence'),
          import('@karoo/promote'),
        ]);
        const ctx = p.runFromEnv();
        const promoteTo = (environment: string, dryRun = false) =>
          p.promote({
            store,
            config,
            candidate: built.candidate,
            environment,
            reason: 'karoo demo',
            actor: ctx.actor,
            dryRun,
            systemId: p.systemIdFromConfig(config),
            deploy: p.deployHandover(),
            progress,
          });
        // Every environment but the last gets an acceptance run on fresh machines, then the
        // promotion; the last one shows the gate refusing what it has not earned (soak time).
        const ladder = config.environments.slice(0, -1);
        for (const [i, env] of ladder.entries()) {
          progress.info(`${3 + i}. ${env.name}: acceptance on ephemeral machines, then promotion`);
          const passing = latestPassing(await listEvidence(store, built.candidate, { environment: env.name }), env.name);
          let outcome: StageOutcome;
          if (passing) {
            progress.info(`candidate already has passing evidence for ${env.name} (${passing.digest}); acceptance not run again`);
            outcome = {
              environment: env.name,
              evidence: passing.digest,
              acceptance: 'reused',
              result: 'passed',
              systemId: passing.evidence.systemId,
              promotion: '',
            };
          } else {
            const interrupt = interruptible('the demo');
            const u = await up({
              config,
              store,
              candidate: built.candidate,
              provider: opts.provider,
              environment: env.name,
              run: ctx.run,
              progress,
              onExpire: [process.execPath, process.argv[1]!, 'reap', '--env', '{env}'],
              signal: interrupt.signal,
            }).finally(() => interrupt.exitIfInterrupted());
            interrupt.dispose();
            outcome = {
              environment: env.name,
              evidence: u.evidence,
              acceptance: 'ran',
              result: u.result,
              systemId: u.systemId,
              promotion: '',
            };
            if (u.result !== 'passed') {
              stages.push({ ...outcome, promotion: 'not attempted' });
              break;
            }
          }
          const pr = await promoteTo(env.name);
          stages.push({ ...outcome, promotion: pr.status });
        }
        const last = config.environments.at(-1)!;
        if (stages.length === ladder.length && stages.every((s) => s.result === 'passed')) {
          progress.info(`${3 + ladder.length}. ${last.name}: the gate decides`);
          try {
            const pr = await promoteTo(last.name, true);
            refusal = pr.allowed
              ? undefined
              : pr.gate
                  .filter((g) => !g.met)
                  .map((g) => `${g.environment}: ${g.requirement} (${g.detail})`)
                  .join('; ');
          } catch (e) {
            if (!isKarooError(e) || e.kind !== 'refused') throw e;
            refusal = e.message;
          }
        }
        status = await p.environmentStatus(
          store,
          config.environments.map((e) => e.name),
        );
      }

      emit(
        {
          system: config.system,
          lockDigest: resolved.lock.digest,
          lockPath: written.pylockPath,
          resolved: resolved.resolved,
          candidate: built.candidate,
          candidateRef: built.candidateRef,
          existed: built.existed,
          pushedBytes: built.pushedBytes,
          store: storeRef,
          leaves: Object.fromEntries(resolved.leaves.map((l) => [l.name, l.version])),
          packages: resolved.lock.packages.map((p) => ({
            name: p.name,
            version: p.version,
            sha256: p.files[0]?.sha256,
            size: p.files[0]?.size,
          })),
          stages,
          refused: refusal,
          environments: status.map((s) => ({ name: s.environment, candidate: s.candidate, systemId: s.systemId })),
        },
        opts,
        (o) =>
          [
            `system ${o.system}: ${o.packages.length} packages pinned${o.resolved ? '' : ' (lock still current: nothing resolved)'}`,
            '',
            table(
              o.packages.map((p) => [
                p.name,
                p.version,
                o.leaves[p.name] ? 'leaf' : '',
                `sha256:${(p.sha256 ?? '').slice(0, 12)}`,
                String(p.size ?? '?'),
              ]),
              ['package', 'version', '', 'file', 'bytes'],
            ),
            '',
            `lock digest ${o.lockDigest}`,
            `lock        ${o.lockPath}`,
            `candidate   ${o.candidate}${o.existed ? ' (existed: true — already built, nothing downloaded or pushed)' : ` (new: ${o.pushedBytes} bytes stored)`}`,
            `store       ${o.store}`,
            ...(o.stages.length > 0
              ? [
                  '',
                  table(
                    o.stages.map((s) => [
                      s.environment,
                      s.acceptance === 'ran' ? `${s.result} (fresh machines)` : `${s.result} (evidence reused)`,
                      s.evidence ?? '',
                      s.promotion,
                    ]),
                    ['environment', 'acceptance', 'evidence', 'promotion'],
                  ),
                ]
              : []),
            ...(o.refused ? ['', `refused: ${o.refused}`] : []),
            ...(o.environments.length > 0
              ? [
                  '',
                  table(
                    o.environments.map((e) => [e.name, e.candidate ?? '(nothing yet)', e.systemId ?? '']),
                    ['environment', 'runs candidate', 'system id'],
                  ),
                ]
              : []),
          ].join('\n'),
      );
    });
}
