import { existsSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { emit, table, type GlobalOptions } from '../output.js';

interface DemoOptions extends GlobalOptions {
  example?: string;
  work?: string;
}

/** The example system shipped in this repository (examples/cam). */
export function exampleDir(): string {
  return fileURLToPath(new URL('../../../../examples/cam/', import.meta.url));
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the pipeline on the embedded example system (examples/cam)')
    .option('--example <dir>', 'example system directory', exampleDir())
    .option('--work <dir>', 'work directory for locks and stores (default: <example>/.karoo)')
    .option('--json', 'print one JSON object')
    .action(async (opts: DemoOptions) => {
      const [{ loadConfig }, r, { stderrProgress }, { build }, { openStore }] = await Promise.all([
        import('@karoo/config'),
        import('@karoo/resolve'),
        import('@karoo/common'),
        import('@karoo/build'),
        import('@karoo/oci'),
      ]);
      const dir = resolvePath(opts.example ?? exampleDir());
      const configPath = join(dir, 'karoo.yml');
      if (!existsSync(configPath)) {
        throw new (await import('@karoo/common')).KarooError('input', `no example system at ${dir}; pass --example with a directory holding karoo.yml`);
      }
      const work = resolvePath(opts.work ?? join(dir, '.karoo'));
      const progress = stderrProgress('karoo demo');
      const config = await loadConfig(configPath);

      progress.info(`resolve: ${config.leaves.length} leaves of "${config.system}" from ${config.indexes.map((i) => i.name).join(', ')}`);
      const lockDir = join(work, 'lock');
      const previous = await r.readExistingLock(lockDir);
      const resolved = await r.resolveLock({ config, previous, progress });
      const written = await r.writeLockFiles(lockDir, resolved.lock);

      const storeRef = `oci-layout:${join(work, 'store')}`;
      progress.info(`build: candidate of lock ${resolved.lock.digest} into ${storeRef}`);
      const built = await build({ lock: resolved.lock, store: openStore(storeRef), system: config.system, target: config.target, progress });

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
          packages: resolved.lock.packages.map((p) => ({ name: p.name, version: p.version, sha256: p.files[0]?.sha256, size: p.files[0]?.size })),
        },
        opts,
        (o) =>
          [
            `system ${o.system}: ${o.packages.length} packages pinned${o.resolved ? '' : ' (lock still current: nothing resolved)'}`,
            '',
            table(
              o.packages.map((p) => [p.name, p.version, o.leaves[p.name] ? 'leaf' : '', `sha256:${(p.sha256 ?? '').slice(0, 12)}`, String(p.size ?? '?')]),
              ['package', 'version', '', 'file', 'bytes'],
            ),
            '',
            `lock digest ${o.lockDigest}`,
            `lock       ${o.lockPath}`,
            '',
            `candidate  ${o.candidate}${o.existed ? ' (existed: true — already built, nothing downloaded or pushed)' : ` (new: ${o.pushedBytes} bytes stored)`}`,
            `store      ${o.store}`,
          ].join('\n'),
      );
    });
}
