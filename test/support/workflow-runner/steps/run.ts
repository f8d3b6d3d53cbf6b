/**
 * `run:` steps, as the runner's ScriptHandler runs them on Linux: the script is written to a
 * file in RUNNER_TEMP and run with the shell's argument format. No `shell:` → bash found on
 * PATH (else sh) with `-e {0}`; `shell: bash` → `bash --noprofile --norc -e -o pipefail {0}`;
 * `sh` → `sh -e {0}`; `python` → `python {0}`; anything else is a command with `{0}`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CommandProcessor } from '../log.js';
import { outcomeOf, which } from '../process.js';
import { StepFailure, type Frame, type StageOutcome } from './step.js';

const ARGUMENTS: Record<string, string> = {
  bash: '--noprofile --norc -e -o pipefail {0}',
  sh: '-e {0}',
  python: '{0}',
  pwsh: `-command ". '{0}'"`,
};
const EXTENSIONS: Record<string, string> = { bash: '.sh', sh: '.sh', python: '.py', pwsh: '.ps1' };

/** The command line a `shell:` value means (the runner's rules). */
export function shellCommand(
  shell: string | undefined,
  path: string,
): { command: string; args: string[]; extension: string; display: string } {
  let name: string;
  let format: string;
  let command: string | undefined;
  if (!shell) {
    name = 'sh';
    command = which('bash', path) ?? which('sh', path);
    format = ARGUMENTS.sh!;
  } else {
    const space = shell.indexOf(' ');
    name = space < 0 ? shell : shell.slice(0, space);
    format = space < 0 ? '' : shell.slice(space + 1).trimStart();
    if (!format) format = ARGUMENTS[name] ?? '';
    command = which(name, path);
  }
  if (!format.includes('{0}'))
    throw new StepFailure(
      `Invalid shell option. Shell must be a valid built-in (bash, sh, cmd, powershell, pwsh) or a format string containing '{0}'`,
    );
  if (!command) throw new StepFailure(`${name}: command not found`);
  return { command, args: splitArgs(format), extension: EXTENSIONS[name] ?? '', display: `${command} ${format}` };
}

/** Splits an argument format the way .NET's process start does for these simple cases (double quotes group). */
function splitArgs(format: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let any = false;
  for (const ch of format) {
    if (ch === '"') {
      quoted = !quoted;
      any = true;
    } else if (ch === ' ' && !quoted) {
      if (any || cur) out.push(cur);
      cur = '';
      any = false;
    } else cur += ch;
  }
  if (any || cur) out.push(cur);
  return out;
}

export async function runScript(
  frame: Frame,
  o: {
    script: string;
    shell: string | undefined;
    workingDirectory: string | undefined;
    env: Record<string, string>;
    timeoutMs: number | undefined;
    github: Record<string, unknown>;
  },
): Promise<StageOutcome> {
  const job = frame.job;
  const files = job.fileCommands();
  const env = job.processEnv(o.env, files, o.github);
  const shell = shellCommand(o.shell, env.PATH ?? '');
  const file = join(job.temp, `${randomUUID()}${shell.extension}`);
  writeFileSync(file, o.script);
  const cwd = o.workingDirectory
    ? isAbsolute(o.workingDirectory)
      ? o.workingDirectory
      : join(job.workspace, o.workingDirectory)
    : job.workspace;
  const commands = new CommandProcessor(job.run.masker, (l) => job.write(l));
  commands.line(`shell: ${shell.display}`);
  if (!existsSync(cwd)) {
    commands.line(
      `::error::An error occurred trying to start process '${shell.command}' with working directory '${cwd}'. No such file or directory`,
    );
    return { outcome: 'failure', outputs: {}, log: commands.log(), annotations: commands.annotations };
  }
  const r = await job.execStep(commands, {
    command: shell.command,
    args: shell.args.map((a) => a.replace('{0}', file)),
    cwd,
    env,
    timeoutMs: o.timeoutMs,
  });
  const { outputs } = job.applyFileCommands(files, commands);
  if (r.timedOut) commands.line(`::error::The action has timed out.`);
  else if (r.cancelled) commands.line(`::error::The operation was canceled.`);
  else if (r.code !== 0) commands.line(`::error::Process completed with exit code ${r.code}.`);
  return { outcome: outcomeOf(r), outputs, log: commands.log(), annotations: commands.annotations };
}
