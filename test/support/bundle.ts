/**
 * Runs a bundled action (dist/<step>/index.js) as GitHub's runner runs it: a fresh directory
 * for the step (RUNNER_TEMP) holding its GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, inputs
 * as `INPUT_*` variables, the event in a GITHUB_EVENT_PATH file, and nothing else of this
 * process's environment but PATH and HOME. What the step wrote is read back.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BundleOptions {
  /** The step's working directory, and GITHUB_WORKSPACE unless `env` names another. */
  readonly cwd: string;
  /** Where the step's own directory is made (default: the system's temporary directory). */
  readonly under?: string | undefined;
  /** Inputs by their action.yml names; set as `INPUT_<NAME>` upper-cased, as the runner does. */
  readonly inputs?: Readonly<Record<string, string>> | undefined;
  /** The event that started the run: its payload in GITHUB_EVENT_PATH, its name in GITHUB_EVENT_NAME. */
  readonly event?: { readonly name: string; readonly payload: unknown } | undefined;
  /** GITHUB_*, RUNNER_* and any other variables; these win over the defaults above. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export interface BundleRun {
  readonly code: number;
  /** stdout and stderr as they came. */
  readonly log: string;
  /** GITHUB_OUTPUT read back: output name → value. */
  readonly outputs: Record<string, string>;
  readonly summary: string;
  /** The step's own directory (RUNNER_TEMP). */
  readonly dir: string;
}

export async function runBundle(bundle: string, o: BundleOptions): Promise<BundleRun> {
  const dir = await mkdtemp(join(o.under ?? tmpdir(), 'run-'));
  const files = { output: join(dir, 'output'), summary: join(dir, 'summary'), event: join(dir, 'event.json') };
  await Promise.all([
    writeFile(files.output, ''),
    writeFile(files.summary, ''),
    o.event && writeFile(files.event, JSON.stringify(o.event.payload)),
  ]);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: o.cwd,
    RUNNER_TEMP: dir,
    ...(o.event ? { GITHUB_EVENT_PATH: files.event, GITHUB_EVENT_NAME: o.event.name } : {}),
    ...o.env,
  };
  for (const [name, value] of Object.entries(o.inputs ?? {})) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const { code, log } = await new Promise<{ code: number; log: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c ?? -1, log: text }));
  });
  return { code, log, outputs: parseOutputs(await readFile(files.output, 'utf8')), summary: await readFile(files.summary, 'utf8'), dir };
}

/** A GITHUB_OUTPUT file's `name<<DELIMITER … DELIMITER` blocks and `name=value` lines. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<\s]+)<<(\S+)$/.exec(lines[i]!);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: ${heredoc[1]} has no closing ${heredoc[2]}`);
      outputs[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = lines[i]!.indexOf('=');
    if (eq > 0) outputs[lines[i]!.slice(0, eq)] = lines[i]!.slice(eq + 1);
  }
  return outputs;
}
