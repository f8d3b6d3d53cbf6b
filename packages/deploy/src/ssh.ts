import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { configText, type ErrorKind, KarooError, quoteValue } from '@karoo/common';
import {
  checkSshEndpoint,
  hostKeyAlias,
  sshPort,
  sshUser,
  type SshEndpoint,
  type SshSession,
  sshConfigEntry,
  sshOptions,
} from '@karoo/machines';
import { AGENT_SOURCE } from './generated/agent.js';

/** How the runner reaches one node: the inventory's SshEndpoint (the one endpoint type, @karoo/machines) and the node's name. */
export type SshTarget = SshEndpoint & { readonly name: string };

export interface SshResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * The remote command of every agent call: a fixed string (nothing from the configuration or the
 * inventory), read by the remote user's shell. It reads the agent's length, the agent, and runs it;
 * the agent reads its JSON request from the same stdin.
 *
 * First it widens the pipes sshd made for stdin and stdout to 1 MiB (F_SETPIPE_SZ, where the
 * kernel allows it): through a 64 KiB pipe, sshd writes a stream in pieces of a few KiB and moves
 * the rest of its 2 MiB channel buffer after each one, which cost ~0.75 s of CPU on the node per
 * 3 MB shipped (measured with OpenSSH 9.2; 0.1–0.15 s through the wide pipe). Nothing depends on it.
 */
const BOOTSTRAP = [
  'import sys,fcntl',
  'for f in (0,1):',
  ' try:fcntl.fcntl(f,getattr(fcntl,"F_SETPIPE_SZ",1031),1<<20)',
  ' except OSError:pass',
  's=sys.stdin.buffer.read(int(sys.stdin.buffer.readline()))',
  'exec(compile(s,"karoo_node.py","exec"),{"__name__":"__main__","KAROO_AGENT_SOURCE":s})',
].join('\n');

/**
 * The fixed command a node runs for one agent call. `-I` (isolated): the login's working
 * directory (its home) is not on `sys.path`, and PYTHON* variables and the user's site-packages
 * are ignored, so no file or variable on the node decides what code runs as root; `-S`: no
 * `site`, which the agent (stdlib only) does not need (~8 ms a call).
 */
export function agentRemoteCommand(cmd: AgentCommand, sudo: boolean): string {
  return `${sudo ? 'sudo -n ' : ''}python3 -I -S -c '${BOOTSTRAP}' ${cmd}`;
}

export const AGENT_COMMANDS = ['plan', 'receive', 'prepare', 'pack', 'send', 'activate', 'rollback', 'status'] as const;
export type AgentCommand = (typeof AGENT_COMMANDS)[number];

/** A file streamed after the request (the `receive` payload). */
export interface PayloadFile {
  readonly path: string;
  readonly size: number;
}

/**
 * SSH sessions to the nodes of one inventory through the OpenSSH client, one ControlMaster
 * connection per node (opened by the first call, reused by every later one, closed by close()).
 */
export class SshPool {
  private constructor(
    readonly controlDir: string,
    private readonly targets: Map<string, SshTarget>,
  ) {}

  /** Checks every target (see checkSshTarget), then makes the control directory (0700, mkdtemp) with the run's known_hosts. */
  static async open(targets: readonly SshTarget[]): Promise<SshPool> {
    for (const t of targets) checkSshTarget(t);
    // Short path: a ControlPath is a unix socket (at most 107 bytes).
    const dir = await mkdtemp(join(tmpdir().length > 40 ? '/tmp' : tmpdir(), 'karoo-ssh-'));
    try {
      const lines: string[] = [];
      for (const t of targets)
        if (t.hostKey && !t.knownHostsPath)
          lines.push(configText(`inventory node "${t.name}" known_hosts line`, `${hostKeyAlias(t, t.name)} ${t.hostKey.trim()}`));
      await writeFile(join(dir, 'known_hosts'), lines.length ? `${lines.join('\n')}\n` : '', { mode: 0o600, flag: 'wx' });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    return new SshPool(dir, new Map(targets.map((t) => [t.name, t])));
  }

  target(node: string): SshTarget {
    const t = this.targets.get(node);
    if (!t) throw new KarooError('internal', `no SSH target for node ${node}`);
    return t;
  }

  /** How this pool's sessions use a node's endpoint (the options themselves: sshSettings in @karoo/machines). */
  private session(node: string, master: boolean): SshSession {
    return {
      runKnownHosts: `${this.controlDir}/known_hosts`,
      control: { dir: this.controlDir, master },
      what: `inventory node "${node}" ssh`,
    };
  }

  /** OpenSSH command-line options for a node: clients of its master connection (`master`: the master itself). */
  options(node: string, master = false): string[] {
    return sshOptions(this.target(node), this.session(node, master), node);
  }

  /** An ssh_config entry for a node (`ssh -F FILE NODE` reaches it through the same master connection). */
  configEntry(node: string): string {
    return sshConfigEntry(node, this.target(node), this.session(node, false));
  }

  private readonly masters = new Map<string, Promise<void>>();

  /**
   * Opens the node's master connection once (`ssh -f -N`, stdio detached so that nothing waits
   * on the background master). A failure is not fatal here: clients fall back to their own
   * connection, and their error names the node.
   */
  connect(node: string): Promise<void> {
    let p = this.masters.get(node);
    if (!p) {
      p = (async () => {
        const log = join(this.controlDir, `master-${this.masters.size}.log`);
        const fh = await open(log, 'w');
        try {
          await new Promise<void>((resolve) => {
            const c = spawn('ssh', [...this.options(node, true), '-f', '-N', this.target(node).host], {
              stdio: ['ignore', 'ignore', fh.fd],
            });
            c.on('error', () => resolve());
            c.on('close', () => resolve());
          });
        } finally {
          await fh.close();
        }
      })();
      this.masters.set(node, p);
    }
    return p;
  }

  /** Runs a fixed remote command; stdin from `input`. Exit 255 is an SSH failure (unavailable). */
  async run(node: string, remote: string, input: Array<Uint8Array | PayloadFile> = [], timeoutMs = 600_000): Promise<SshResult> {
    const t = this.target(node);
    await this.connect(node);
    const child = spawn('ssh', [...this.options(node), t.host, remote], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      if (err.length < 64_000) err += b.toString('utf8');
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const closed = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? (signal ? 255 : 1)));
    });
    // A node that goes away makes stdin fail with EPIPE: the exit code tells the story.
    child.stdin.on('error', () => undefined);
    try {
      for (const part of input) {
        if (child.stdin.destroyed) break;
        if (part instanceof Uint8Array) {
          if (!child.stdin.write(part)) await Promise.race([once(child.stdin, 'drain'), closed]);
        } else {
          for await (const chunk of createReadStream(part.path, { highWaterMark: 1 << 20 })) {
            if (child.stdin.destroyed) break;
            if (!child.stdin.write(chunk)) await Promise.race([once(child.stdin, 'drain'), closed]);
          }
        }
      }
      child.stdin.end();
    } catch {
      /* the exit code and stderr say what happened */
    }
    let code: number;
    try {
      code = await closed;
    } catch (e) {
      clearTimeout(timer);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new KarooError('unavailable', 'ssh (the OpenSSH client) is not installed; install openssh-client');
      throw e;
    }
    clearTimeout(timer);
    if (timedOut) throw new KarooError('unavailable', `node ${node}: no answer within ${Math.round(timeoutMs / 1000)} s over SSH`);
    return { code, stdout: Buffer.concat(out), stderr: err };
  }

  /** Calls the node agent; returns its answer, or throws naming the node and the first line that says why. */
  async agent<T = Record<string, unknown>>(
    node: string,
    cmd: AgentCommand,
    request: object,
    payload: PayloadFile[] = [],
    timeoutMs = 600_000,
  ): Promise<T> {
    return (await this.agentCall<T>(node, cmd, request, payload, timeoutMs)).answer;
  }

  /**
   * Fetches one blob from the node's blob store (the agent's `send`: the raw bytes, a newline,
   * then its answer) into `dest`, checked against its sha256 and size: an integrity error otherwise.
   */
  async fetchBlob(node: string, system: string, hex: string, size: number, dest: string, timeoutMs = 600_000): Promise<void> {
    const { answer, stdout } = await this.agentCall<{ size: number }>(node, 'send', { system, hex }, [], timeoutMs);
    await takeBlob(node, stdout, hex, size, answer.size, dest);
  }

  /**
   * Calls the agent for a command that streams a blob before its answer (`prepare` with `pack`:
   * the installed tree it packed); `blobOf` reads the blob's sha256 and size from the answer.
   * The bytes are checked against them (as fetchBlob does) and written to `dest`.
   */
  async agentWithBlob<T>(
    node: string,
    cmd: AgentCommand,
    request: object,
    payload: PayloadFile[],
    blobOf: (answer: T) => { hex: string; size: number },
    dest: string,
    timeoutMs = 600_000,
  ): Promise<T> {
    const { answer, stdout } = await this.agentCall<T>(node, cmd, request, payload, timeoutMs);
    const { hex, size } = blobOf(answer);
    await takeBlob(node, stdout, hex, size, size, dest);
    return answer;
  }

  private async agentCall<T>(
    node: string,
    cmd: AgentCommand,
    request: object,
    payload: PayloadFile[],
    timeoutMs: number,
  ): Promise<{ answer: T; stdout: Buffer }> {
    const t = this.target(node);
    const agent = Buffer.from(AGENT_SOURCE, 'utf8');
    const remote = agentRemoteCommand(cmd, sshUser(t) !== 'root');
    const r = await this.run(
      node,
      remote,
      [Buffer.from(`${agent.length}\n`), agent, Buffer.from(`${JSON.stringify(request)}\n`), ...payload],
      timeoutMs,
    );
    // The answer is the last line; anything before it (the bytes of `send`) may be binary.
    let end = r.stdout.length;
    while (end > 0 && (r.stdout[end - 1] === 0x0a || r.stdout[end - 1] === 0x0d || r.stdout[end - 1] === 0x20)) end--;
    const last = r.stdout
      .subarray(r.stdout.lastIndexOf(0x0a, end - 1) + 1, end)
      .toString('utf8')
      .trim();
    let answer: { ok?: boolean; error?: string; kind?: string } | undefined;
    try {
      answer = last.startsWith('{') ? (JSON.parse(last) as typeof answer) : undefined;
    } catch {
      answer = undefined;
    }
    if (!answer) {
      const why = lastLine(r.stderr) || `exit ${r.code}`;
      if (r.code === 255)
        throw new KarooError('unavailable', `node ${node} (${sshUser(t)}@${t.host}:${sshPort(t)}) is unreachable over SSH: ${why}`, {
          detail: { node },
        });
      throw new KarooError('unavailable', `node ${node}: the karoo agent gave no answer (exit ${r.code}): ${why}`, { detail: { node } });
    }
    if (!answer.ok) throw new KarooError(agentErrorKind(answer.kind), `node ${node}: ${answer.error ?? 'failed'}`, { detail: { node } });
    return { answer: answer as T, stdout: r.stdout };
  }

  /** Forwards 127.0.0.1:localPort on the runner to 127.0.0.1:remotePort on the node (through the node's master connection). */
  async forward(node: string, localPort: number, remotePort: number): Promise<void> {
    const t = this.target(node);
    await this.connect(node);
    const f = await runSsh([...this.options(node), '-O', 'forward', '-L', `127.0.0.1:${localPort}:127.0.0.1:${remotePort}`, t.host]);
    if (f.code !== 0)
      throw new KarooError(
        'unavailable',
        `node ${node}: cannot forward 127.0.0.1:${localPort} to port ${remotePort}: ${lastLine(f.stderr)}`,
      );
  }

  /**
   * Closes every master connection this pool opened and deletes the control directory. The exit
   * request goes through the control socket as a client (`ControlMaster=no`): with the master's
   * own options ssh would find the socket taken, open a new connection of its own, send the
   * request to nobody, and leave the master up for its ControlPersist.
   */
  async close(): Promise<void> {
    await Promise.all(
      [...this.masters].map(async ([n, opened]) => {
        await opened;
        await runSsh([...this.options(n), '-O', 'exit', this.target(n).host]).catch(() => undefined);
      }),
    );
    await rm(this.controlDir, { recursive: true, force: true });
  }
}

/**
 * The KarooError kind of a node agent's failure (its answer's `kind`, agent/karoo_node/errors.py):
 * the agent's kinds are karoo's, except `bug` (an exception the agent did not expect), which is
 * `internal`. An answer without a kind is a conflict, as before the agent sent kinds.
 */
export function agentErrorKind(kind: unknown): ErrorKind {
  if (kind === undefined) return 'conflict';
  if (kind === 'input' || kind === 'integrity' || kind === 'unavailable' || kind === 'conflict') return kind;
  return 'internal';
}

/** Refuses a node name that is not a host name, and an endpoint that could change what ssh does (checkSshEndpoint). */
export function checkSshTarget(t: SshTarget): void {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(t.name))
    throw new KarooError('input', `node name ${quoteValue(t.name)} is not a host name (lower-case letters, digits, -)`);
  checkSshEndpoint(t, `inventory node "${t.name}" ssh`);
}

/** Writes the first `size` bytes of a node's output to `dest` if they are followed by a newline and have sha256 `hex`; an integrity error otherwise. */
async function takeBlob(node: string, stdout: Buffer, hex: string, size: number, claimed: number, dest: string): Promise<void> {
  const bytes = stdout.subarray(0, size);
  if (claimed !== size || stdout.length < size + 1 || stdout[size] !== 0x0a || createHash('sha256').update(bytes).digest('hex') !== hex) {
    throw new KarooError(
      'integrity',
      `node ${node}: blob sha256:${hex} arrived damaged (${Math.min(stdout.length, size)} of ${size} bytes, or another sha256); refused`,
      { detail: { node } },
    );
  }
  await writeFile(dest, bytes, { mode: 0o600 });
}

function lastLine(s: string): string {
  return (
    s
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? ''
  );
}

function runSsh(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? 1, stderr: err }));
  });
}
