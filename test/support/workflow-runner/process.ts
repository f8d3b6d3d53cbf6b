/** Child processes of steps: line-by-line output, cancellation and timeouts as the runner handles them. */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A cancellation signal shared by a run, a job and the step running in it. */
export class Cancellation {
  private reasonText: string | undefined;
  private readonly listeners = new Set<() => void>();

  get cancelled(): boolean {
    return this.reasonText !== undefined;
  }

  get reason(): string | undefined {
    return this.reasonText;
  }

  cancel(reason: string): void {
    if (this.reasonText !== undefined) return;
    this.reasonText = reason;
    for (const l of [...this.listeners]) l();
  }

  /** Calls `listener` on cancellation (at once when already cancelled); returns an unsubscribe function. */
  on(listener: () => void): () => void {
    if (this.cancelled) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A child that is cancelled with this one (but can also be cancelled alone). */
  child(): Cancellation {
    const c = new Cancellation();
    const off = this.on(() => c.cancel(this.reasonText ?? 'cancelled'));
    c.on(off);
    return c;
  }
}

export interface ExecResult {
  readonly code: number | null;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
}

/** How long a cancelled or timed-out process gets after SIGINT before SIGKILL (the runner waits 7.5 s, then SIGTERM). */
const GRACE_MS = 2000;

/** A step's outcome from its process: cancelled only when cancelled before its timeout. */
export function outcomeOf(r: ExecResult): 'success' | 'failure' | 'cancelled' {
  return r.cancelled && !r.timedOut ? 'cancelled' : r.code === 0 && !r.timedOut ? 'success' : 'failure';
}

export function exec(options: {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  onLine: (line: string) => void;
  cancellation: Cancellation;
  timeoutMs?: number;
  /** Gets the process group of the step; what is left of it goes at the end of the job. */
  onSpawn?: (pgid: number) => void;
}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid) options.onSpawn?.(child.pid);
    let timedOut = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      try {
        process.kill(-child.pid!, 'SIGINT');
      } catch {
        // already gone
      }
      killTimer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, GRACE_MS);
    };
    const off = options.cancellation.on(() => {
      cancelled = true;
      stop();
    });
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutMs)
        : undefined;
    const buffers = { out: '', err: '' };
    const feed = (which: 'out' | 'err', chunk: Buffer) => {
      buffers[which] += chunk.toString('utf8');
      let i: number;
      while ((i = buffers[which].indexOf('\n')) >= 0) {
        options.onLine(buffers[which].slice(0, i).replace(/\r$/, ''));
        buffers[which] = buffers[which].slice(i + 1);
      }
    };
    child.stdout.on('data', (c: Buffer) => feed('out', c));
    child.stderr.on('data', (c: Buffer) => feed('err', c));
    child.on('error', (e) => {
      options.onLine(`##[error]${e.message}`);
    });
    child.on('close', (code) => {
      for (const w of ['out', 'err'] as const) if (buffers[w]) options.onLine(buffers[w]);
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      off();
      resolve({ code, timedOut, cancelled });
    });
  });
}

/**
 * Ends what steps left running in their process groups (background servers a step started for
 * later steps live until the job ends, as the runner's orphan-process cleanup does).
 */
export function killGroups(groups: readonly number[]): void {
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const nodeBinaries = new Map<string, string>();

/**
 * The Node binary for an action's `runs.using`: node24 → Node 24 (this machine's when it is 24,
 * else the one `npx -p node@24` installs); node20 and older → this machine's Node. (GitHub itself
 * has run node20 actions on Node 24 since 2026-06-02; the suite runs on Node 20 and 24.)
 */
export function nodeFor(using: string): string {
  const major = /^node(\d+)$/.exec(using)?.[1];
  if (!major) throw new Error(`runs.using "${using}" is not a Node runtime`);
  if (Number(major) <= 20) return process.execPath;
  return nodeBinary(major);
}

/** A Node binary of exactly this major version: this machine's, or one from `npx -p node@<major>`. */
export function nodeBinary(major: string): string {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  let bin = nodeBinaries.get(major) ?? fromNpxCache(major);
  if (!bin) {
    bin = execFileSync('npx', ['-y', '-p', `node@${major}`, 'node', '-e', 'process.stdout.write(process.execPath)'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    }).trim();
    nodeBinaries.set(major, bin);
  }
  return bin;
}

/** A Node of that major that `npx -p node@<major>` installed before (asking npx costs seconds). */
function fromNpxCache(major: string): string | undefined {
  const root = join(homedir(), '.npm', '_npx');
  if (!existsSync(root)) return undefined;
  for (const d of readdirSync(root)) {
    const pkg = join(root, d, 'node_modules', 'node');
    try {
      const version = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version?: string }).version ?? '';
      const bin = join(pkg, 'bin', 'node');
      if (version.split('.')[0] === major && existsSync(bin)) {
        nodeBinaries.set(major, bin);
        return bin;
      }
    } catch {
      // not a node package
    }
  }
  return undefined;
}

const found = new Map<string, string | undefined>();

/** The first `name` on PATH, or undefined. */
export function which(name: string, path: string): string | undefined {
  const key = `${name}\0${path}`;
  if (found.has(key)) return found.get(key);
  let result: string | undefined;
  for (const dir of path.split(':')) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) {
        result = candidate;
        break;
      }
    } catch {
      // not here
    }
  }
  found.set(key, result);
  return result;
}
