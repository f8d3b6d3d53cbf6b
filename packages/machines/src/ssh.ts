import { connect } from 'node:net';
import { configText, KarooError, quoteValue, sshConfigValue } from '@karoo/common';
import type { SshEndpoint } from './inventory.js';
import { sleep } from './proc.js';
import { run, type RunResult } from './run.js';

/**
 * ssh options for a node. OpenSSH takes the first value it sees for an option, so ours come
 * before anything a caller adds. With a known_hosts file the host key is checked strictly.
 */
export function sshOptions(t: SshEndpoint, extra: { connectTimeout?: number; controlPath?: string } = {}): string[] {
  // ssh parses every -o as a line of its configuration: each value goes through sshConfigValue.
  const v = (k: string, value: string) => `${k}=${sshConfigValue(`ssh ${k}`, value)}`;
  const o = ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${extra.connectTimeout ?? 10}`, '-o', 'LogLevel=ERROR', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3'];
  if (t.keyPath) o.push('-i', configText('ssh keyPath', t.keyPath), '-o', 'IdentitiesOnly=yes');
  if (t.knownHostsPath) {
    o.push('-o', 'StrictHostKeyChecking=yes', '-o', v('UserKnownHostsFile', t.knownHostsPath), '-o', 'GlobalKnownHostsFile=/dev/null');
    if (t.hostKeyAlias) o.push('-o', v('HostKeyAlias', t.hostKeyAlias));
  }
  if (extra.controlPath) o.push('-o', 'ControlMaster=auto', '-o', v('ControlPath', extra.controlPath), '-o', 'ControlPersist=60');
  o.push('-p', String(t.port));
  return o;
}

/** `user@host`; refuses a user or host that ssh would read as an option or that holds anything but a name. */
export function sshDestination(t: SshEndpoint): string {
  if (!/^[\p{L}\p{N}_][\p{L}\p{N}_.-]*$/u.test(t.user)) throw new KarooError('input', `ssh user ${quoteValue(t.user)} is not a user name; fix the inventory`);
  if (!/^[A-Za-z0-9_:][A-Za-z0-9_.:-]*$/.test(t.host)) throw new KarooError('input', `ssh host ${quoteValue(t.host)} is not a host name or IP address; fix the inventory`);
  return `${t.user}@${t.host}`;
}

/** The command line a person would type to reach the node. */
export function sshCommandLine(t: SshEndpoint): string {
  const quote = (s: string) => (/^[A-Za-z0-9_./=@:-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return ['ssh', ...sshOptions(t), sshDestination(t)].map(quote).join(' ');
}

/** Runs one remote command (a shell string, as ssh always sends) and returns its output. */
export async function sshExec(
  t: SshEndpoint,
  command: string,
  opts: { input?: string | Uint8Array; timeoutMs?: number; allowFailure?: boolean; connectTimeout?: number } = {},
): Promise<RunResult> {
  return run('ssh', [...sshOptions(t, { connectTimeout: opts.connectTimeout }), sshDestination(t), '--', command], {
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 120_000,
    allowFailure: opts.allowFailure,
  });
}

/** True when something at host:port greets with an SSH banner within `timeoutMs`. */
export function sshBanner(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let data = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (data.length >= 4) done(data.startsWith('SSH-'));
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

/**
 * Waits until `ssh … true` succeeds. A forwarded port accepts TCP before the machine is up, so
 * probes are cheap and short: a TCP connect that waits at most 1 s for the SSH banner, every
 * 50 ms, and only once a banner is seen a real `ssh … true` (key and host key checked).
 * `alive` is asked between probes so a machine that died fails fast.
 */
export async function waitForSsh(t: SshEndpoint, deadline: number, alive: () => Promise<boolean>): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    if (!(await alive())) throw new KarooError('unavailable', 'the machine stopped before SSH was ready');
    if (!(await sshBanner(t.host, t.port, 1000))) {
      last = 'no SSH banner yet';
      await sleep(50);
      continue;
    }
    const r = await run('ssh', [...sshOptions(t, { connectTimeout: 2 }), sshDestination(t), 'true'], {
      allowFailure: true,
      timeoutMs: 10_000,
    }).catch((e: Error) => ({ code: -1, stderr: e.message, stdout: '', signal: null }));
    if (r.code === 0) return;
    last = r.stderr.trim();
    await sleep(100);
  }
  throw new KarooError('unavailable', `SSH did not answer in time${last ? ` (last error: ${last.split('\n').pop()})` : ''}`);
}
