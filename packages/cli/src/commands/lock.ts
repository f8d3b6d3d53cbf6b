import type { Command } from 'commander';
import { emit, table, type GlobalOptions } from '../output.js';

export function registerLock(program: Command): void {
  program
    .command('lock')
    .description('Read a lock or requirements file and print its canonical packages and lock digest')
    .argument('<file>', 'pylock.toml, requirements.txt (pip-compile/uv style) or another supported lock')
    .option('--json', 'print one JSON object')
    .action(async (file: string, opts: GlobalOptions) => {
      const { readLockFile } = await import('@karoo/lock');
      const r = await readLockFile(file);
      emit(
        {
          file,
          format: r.format,
          lockDigest: r.lock.digest,
          complete: r.lock.incompleteEntries().length === 0,
          packages: r.lock.packages.map((p) => ({
            name: p.name,
            version: p.version,
            ...(p.marker ? { marker: p.marker } : {}),
            sha256: p.files.map((f) => f.sha256),
          })),
        },
        opts,
        (o) =>
          `${table(o.packages.map((p) => [p.name, p.version, p.sha256.length ? `${p.sha256.length} hash(es)` : 'no hash', p.marker ?? '']))}\n\n${o.packages.length} packages (${o.format})\nlock digest ${o.lockDigest}`,
      );
    });
}
