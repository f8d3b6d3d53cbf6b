import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { KarooError } from '@karoo/common';

/** The system interpreter when there is one: a version manager's shim (pyenv) costs a second per start. */
export function systemPython(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

export interface RunResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Uint8Array;
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Return a non-zero exit instead of throwing. */
  allowFailure?: boolean;
}

/** Which Debian package provides a tool, for the "install it" hint. */
const PACKAGE_OF: Record<string, string> = {
  'systemd-nspawn': 'systemd-container',
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  mmdebstrap: 'mmdebstrap',
  ssh: 'openssh-client',
  scp: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  ip: 'iproute2',
  'mkfs.ext4': 'e2fsprogs',
  xz: 'xz-utils',
  genisoimage: 'genisoimage',
  python3: 'python3',
  mount: 'mount',
  umount: 'mount',
};

export function missingTool(tool: string): KarooError {
  const pkg = PACKAGE_OF[tool];
  return new KarooError(
    'unavailable',
    `${tool} is not installed${pkg ? `; install the Debian package ${pkg} (scripts/ensure-deps.sh does)` : ''}`,
  );
}

/** Runs a command to completion, collecting its output. Throws a KarooError naming the command on failure. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const so: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd, env: opts.env ?? process.env };
    const child = spawn(cmd, args, so);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
    }
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.stdin!.on('error', () => {});
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(e.code === 'ENOENT' ? missingTool(cmd) : e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const r: RunResult = {
        code: code ?? -1,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (timedOut) {
        reject(
          new KarooError('unavailable', `${cmd} ${args.join(' ')} did not finish within ${Math.round((opts.timeoutMs ?? 0) / 1000)} s`),
        );
      } else if (r.code !== 0 && !opts.allowFailure) {
        const why = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ');
        reject(
          new KarooError('internal', `${cmd} ${args.join(' ')} failed (exit ${r.code}${signal ? `, ${signal}` : ''}): ${why}`, {
            detail: { stderr: r.stderr },
          }),
        );
      } else resolve(r);
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** True when `cmd` is on PATH. */
export async function hasTool(cmd: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  const { access, constants } = await import('node:fs/promises');
  for (const d of dirs) {
    try {
      await access(`${d}/${cmd}`, constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

export async function requireTools(tools: readonly string[]): Promise<void> {
  for (const t of tools) if (!(await hasTool(t))) throw missingTool(t);
}
