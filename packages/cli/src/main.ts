import { KAROO_VERSION } from '@karoo/common';
import { Command, CommanderError } from 'commander';
import { reportError } from './output.js';
import { commands } from './commands/index.js';

/** Runs the CLI with the given arguments and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('karoo')
    .description('Continuous delivery with immutable, hash-addressed release candidates.')
    .version(KAROO_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of commands) register(program);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are exits with code 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(e, json);
  }
}
