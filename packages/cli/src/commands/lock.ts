import type { Command } from 'commander';
import { emit, table, type GlobalOptions } from '../output.js';

export function registerLock(program: Command): void {
  program
    .command('lock')
    .description('Read a lock or requirements file and print its canonical packages and lock digest')
    .argument('<file>', 'pylock.toml, requirements.txt/.in (pip-compile/uv style), uv.lock or poetry.lock')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nUnpinned requirements (a requirements.in, VCS or path references) are listed as warnings on stderr\n' +
        'and make "complete" false; the command still exits 0. A malformed file exits non-zero with FILE:LINE: reason.',
    )
    .action(async (file: string, opts: GlobalOptions) => {
      const { readLockFile } = await import('@karoo/lock');
      const r = await readLockFile(file);
      if (!opts.json) for (const w of r.warnings) process.stderr.write(`karoo: warning: ${w}\n`);
      emit(
        {
          file,
          format: r.format,
          lockDigest: r.lock.digest,
          complete: r.complete,
          packages: r.lock.packages.map((p) => ({
            name: p.name,
            version: p.version,
            ...(p.marker ? { marker: p.marker } : {}),
            sha256: p.files.map((f) => f.sha256),
          })),
          incomplete: r.lock.incompleteEntries().map((e) => ({ name: e.pkg.name, version: e.pkg.version, reason: e.reason })),
          unpinned: r.unpinned.map((u) => ({
            file: u.file,
            line: u.line,
            ...(u.name ? { name: u.name } : {}),
            requirement: u.text,
            reason: u.reason,
          })),
          warnings: r.warnings,
        },
        opts,
        (o) =>
          `${table(o.packages.map((p) => [p.name, p.version, p.sha256.length ? `${p.sha256.length} hash(es)` : 'no hash', p.marker ?? '']))}\n\n` +
          `${o.packages.length} packages (${o.format})${o.unpinned.length ? `, ${o.unpinned.length} unpinned` : ''}` +
          `${o.incomplete.length ? `, ${o.incomplete.length} without a sha256 or file size` : ''}${o.complete ? '' : ' — not a complete lock'}\n` +
          `lock digest ${o.lockDigest}`,
      );
    });
}
