import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const KAROO = fileURLToPath(new URL('../../packages/cli/bin/karoo.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`npx tsc -b` first) as a user would, with a clean, explicit environment. */
export function karoo(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; node?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.node ?? process.execPath, [KAROO, ...args], {
      cwd: options.cwd ?? ROOT,
      // GITHUB_ACTIONS from a runner the suite itself runs on would make the CLI act as inside Actions.
      env: { ...process.env, NODE_OPTIONS: '', GITHUB_ACTIONS: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Parses the CLI's --json output, failing with its stderr when it is not JSON. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
}
