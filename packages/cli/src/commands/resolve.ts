import { resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { emit, table, type GlobalOptions } from '../output.js';

interface ResolveCliOptions extends GlobalOptions {
  config: string;
  out?: string;
  previous?: string;
  force?: boolean;
  asOf?: string;
}

export function registerResolve(program: Command): void {
  program
    .command('resolve')
    .description('Pin every transitive dependency from the newest leaf builds; write DIR/pylock.toml and DIR/requirements.txt')
    .option('-c, --config <file>', 'karoo configuration', 'karoo.yml')
    .option('-o, --out <dir>', 'directory for the lock files (default: the lock directory of the configuration)')
    .option('--previous <lock>', 'lock to diff against and reuse when nothing changed (default: the lock already in --out)')
    .option('--force', 'resolve even if the previous lock is still current')
    .option(
      '--as-of <time>',
      'upload-time cutoff: only files uploaded at or before TIME (RFC 3339), "leaves" (the newest upload among the chosen leaf builds) or "none"; overrides as-of in karoo.yml',
    )
    .option('--json', 'print one JSON object')
    .action(async (opts: ResolveCliOptions) => {
      const [{ loadConfig }, { readLockFile }, r, { stderrProgress }] = await Promise.all([
        import('@karoo/config'),
        import('@karoo/lock'),
        import('@karoo/resolve'),
        import('@karoo/common'),
      ]);
      const config = await loadConfig(opts.config);
      const out = resolvePath(opts.out ?? config.lockDir);
      const previous = opts.previous ? (await readLockFile(opts.previous)).lock : await r.readExistingLock(out);
      const result = await r.resolveLock({ config, previous, force: opts.force ?? false, progress: stderrProgress(), asOf: opts.asOf });
      const written = await r.writeLockFiles(out, result.lock);
      emit(
        {
          lockDigest: result.lock.digest,
          lockPath: written.pylockPath,
          requirementsPath: written.requirementsPath,
          packages: result.lock.packages.length,
          leaves: Object.fromEntries(result.leaves.map((l) => [l.name, l.version])),
          resolved: result.resolved,
          changed: result.diff.changed,
          diff: result.diff,
          timings: result.timings,
          // The cutoff, and the locked projects it could not apply to (their index gives no upload times).
          asOf: result.asOf ?? null,
        },
        opts,
        (o) => {
          const lines = [
            table(
              result.leaves.map((l) => [l.name, l.version, l.reason]),
              ['leaf', 'version', 'chosen because'],
            ),
            '',
          ];
          if (result.diff.changes.length > 0) {
            lines.push(
              table(
                result.diff.changes.map((c) => [c.name, c.change, c.old ?? '', c.new ?? '']),
                ['package', 'change', 'from', 'to'],
              ),
              '',
            );
          }
          lines.push(`${o.packages} packages pinned${o.resolved ? '' : ' (previous lock still current: nothing resolved)'}`);
          lines.push(`lock digest ${o.lockDigest}`);
          if (result.asOf) {
            lines.push(
              `as-of ${result.asOf.policy}: ${result.asOf.time ? `files uploaded at or before ${result.asOf.time}` : 'no upload times to take a cutoff from'}`,
            );
            if (result.asOf.notApplied.length > 0) lines.push(`cutoff not applied (no upload times): ${result.asOf.notApplied.join(', ')}`);
          }
          lines.push(`wrote ${o.lockPath} and ${o.requirementsPath}${written.written ? '' : ' (unchanged)'}`);
          return lines.join('\n');
        },
      );
    });
}
