import { connect } from 'node:net';
import { KarooError, quoteValue, sshConfigValue } from '@karoo/common';
import type { SshEndpoint } from './inventory.js';
import { sleep } from './proc.js';
import { run, type RunResult } from './run.js';

/**
 * The one place karoo decides how OpenSSH reaches a machine or a node: provision, the machines'
 * lifecycle (logs, exec, readiness) and deploy (SshPool in @karoo/deploy) all take their options
 * from sshSettings. The endpoint type is the inventory's SshEndpoint (port and user filled in by
 * parseInventory: 22 and root).
 */

/**
 * The port and user of an endpoint that names none: the inventory's defaults (parseInventory fills
 * them in; an inventory built in code may leave them out, and is read the same way).
 */
export const SSH_DEFAULTS = { port: 22, user: 'root' } as const;
export const sshPort = (t: SshEndpoint): number => t.port ?? SSH_DEFAULTS.port;
export const sshUser = (t: SshEndpoint): string => t.user ?? SSH_DEFAULTS.user;

/** How one session uses an endpoint: the caller's run directory, connection sharing, a shorter connect timeout. */
export interface SshSession {
  /**
   * The run's own known_hosts file (0600, inside the run's private temporary directory). An
   * endpoint's inline `hostKey` is written there under hostKeyAlias(); an endpoint with no host
   * key at all is trusted on first use into it, so the trust ends with the run.
   */
  readonly runKnownHosts?: string | undefined;
  /** Connection sharing: ControlMaster sockets under this directory (the run's private temporary directory). */
  readonly control?: { readonly dir: string; readonly master: boolean } | undefined;
  /** Seconds to wait for the TCP connection and the SSH banner (default 15). */
  readonly connectTimeout?: number | undefined;
  /** Names the endpoint in an error about one of its values, e.g. `inventory node "n1" ssh` (default `ssh`). */
  readonly what?: string | undefined;
}

/** The alias an inline `hostKey` is recorded under in the run's known_hosts (the endpoint's hostKeyAlias, else one per node). */
export function hostKeyAlias(t: SshEndpoint, node: string): string {
  return t.hostKeyAlias ?? `karoo-node-${node}`;
}

/**
 * Refuses an endpoint that could change what ssh does rather than where it connects: a host or
 * user that ssh would read as an option (leading `-`) or that is not a plain name, and any value
 * that cannot be written into an ssh_config line (control characters, quotes). Inventories are
 * checked by their schema on load; this holds for every other caller too.
 */
export function checkSshEndpoint(t: SshEndpoint, what = 'ssh'): void {
  const k = (f: string) => `${what}.${f}`;
  sshConfigValue(k('host'), t.host);
  if (!/^[A-Za-z0-9_:][A-Za-z0-9_.:-]*$/.test(t.host))
    throw new KarooError('input', `${k('host')} ${quoteValue(t.host)} is not a host name or IP address; fix the inventory`);
  const user = sshUser(t);
  if (typeof user !== 'string' || !/^[\p{L}\p{N}_][\p{L}\p{N}_.-]*$/u.test(user))
    throw new KarooError('input', `${k('user')} ${quoteValue(String(user))} is not a user name; fix the inventory`);
  const port = sshPort(t);
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535))
    throw new KarooError('input', `${k('port')} ${String(t.port)} is not a port number`);
  if (t.keyPath !== undefined) sshConfigValue(k('keyPath'), t.keyPath);
  if (t.knownHostsPath !== undefined) sshConfigValue(k('knownHostsPath'), t.knownHostsPath);
  if (t.hostKeyAlias !== undefined && !/^[A-Za-z0-9_.:@+-]+$/.test(t.hostKeyAlias))
    throw new KarooError('input', `${k('hostKeyAlias')} ${quoteValue(t.hostKeyAlias)} is not a host name; fix the inventory`);
  if (
    t.hostKey !== undefined &&
    !/^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,3}( [^\u0000-\u001f\u007f-\u009f\u2028\u2029]*)?$/u.test(t.hostKey.trim())
  ) {
    throw new KarooError(
      'input',
      `${k('hostKey')} ${quoteValue(t.hostKey)} is not one public key (type, base64, optional comment); fix the inventory`,
    );
  }
}

/**
 * The OpenSSH settings for one endpoint as `[Key, value]` pairs, each with its reason. The values
 * are raw: sshOptions and sshConfigEntry pass each through sshConfigValue. `node` names the node
 * whose inline host key the run's known_hosts holds (see hostKeyAlias).
 */
export function sshSettings(t: SshEndpoint, s: SshSession = {}, node?: string): Array<[string, string]> {
  checkSshEndpoint(t, s.what);
  const o: Array<[string, string]> = [
    // Never ask: there is no terminal in CI. A missing key or an unknown host key fails at once, with its reason.
    ['BatchMode', 'yes'],
    // A node across a WAN with a cold sshd answers within seconds; a dead address should not hold a run for minutes.
    // Readiness probes of a machine still booting pass a shorter one.
    ['ConnectTimeout', String(s.connectTimeout ?? 15)],
    // A node that vanishes mid-session (reboot, network) is noticed within ~15 s, not after TCP's minutes.
    ['ServerAliveInterval', '5'],
    ['ServerAliveCountMax', '3'],
    // No "Permanently added …" banners in the output that karoo shows or parses; errors still come through.
    ['LogLevel', 'ERROR'],
    // Where and as whom: from the inventory, else its defaults (SSH_DEFAULTS: 22, root).
    ['Port', String(sshPort(t))],
    ['User', sshUser(t)],
  ];
  if (t.keyPath) {
    // Offer only the inventory's key: not an agent's keys (a runner's agent is not the node's business,
    // and several keys end in "Too many authentication failures").
    o.push(['IdentityFile', t.keyPath], ['IdentitiesOnly', 'yes']);
  }
  const inline = t.hostKey && !t.knownHostsPath ? s.runKnownHosts : undefined;
  if (t.knownHostsPath || inline) {
    // Host keys: only those karoo was given count (not the runner image's /etc/ssh/ssh_known_hosts), checked strictly.
    // An inline hostKey is the line the run wrote into its own known_hosts (SshPool.open).
    o.push(['StrictHostKeyChecking', 'yes'], ['UserKnownHostsFile', (t.knownHostsPath ?? inline)!], ['GlobalKnownHostsFile', '/dev/null']);
    // The key is recorded under an alias (a machine id, a node name) rather than 127.0.0.1:port, which machines share over time.
    const alias = t.knownHostsPath ? t.hostKeyAlias : hostKeyAlias(t, node ?? t.host);
    if (alias) o.push(['HostKeyAlias', alias]);
  } else if (s.runKnownHosts) {
    // No host key in the inventory: trust on first use, remembered in the run's file only, so it ends with the run.
    o.push(['StrictHostKeyChecking', 'accept-new'], ['UserKnownHostsFile', s.runKnownHosts]);
  } else {
    // No run file (a person's command line, the machines' own calls): the user's known_hosts decides, strictly.
    // (An inline hostKey needs a run to write it down; without one it is not trusted blindly either.)
    o.push(['StrictHostKeyChecking', 'yes']);
  }
  if (s.control) {
    // One TCP connection and one authentication per node for a whole run: the master socket lives in the run's
    // private directory (%C: a hash of host, port and user, short enough for a unix socket path).
    o.push(['ControlPath', `${s.control.dir}/%C`], ['ControlMaster', s.control.master ? 'yes' : 'no']);
    // The master outlives its first client for the run's length; the run closes it (`ssh -O exit`) when done.
    if (s.control.master) o.push(['ControlPersist', '600']);
  }
  return o;
}

/**
 * OpenSSH command-line options for an endpoint (`-o Key=value`). ssh parses every -o as a line of
 * its configuration, so each value goes through sshConfigValue; OpenSSH takes the first value it
 * sees for an option, so ours come before anything a caller adds.
 */
export function sshOptions(t: SshEndpoint, s: SshSession = {}, node?: string): string[] {
  const what = s.what ?? 'ssh';
  return sshSettings(t, s, node).flatMap(([k, v]) => ['-o', `${k}=${sshConfigValue(`${what} option ${k}`, v)}`]);
}

/** An ssh_config entry (`ssh -F FILE NAME` reaches the endpoint with the same options); every value through sshConfigValue. */
export function sshConfigEntry(name: string, t: SshEndpoint, s: SshSession = {}): string {
  const what = s.what ?? 'ssh';
  const value = (k: string, v: string) => `  ${k} ${sshConfigValue(`${what} ${k}`, v)}`;
  const lines = [
    `Host ${sshConfigValue('node name', name)}`,
    value('HostName', t.host),
    ...sshSettings(t, s, name).map(([k, v]) => value(k, v)),
  ];
  return `${lines.join('\n')}\n`;
}

/** `user@host`, checked (see checkSshEndpoint). */
export function sshDestination(t: SshEndpoint): string {
  checkSshEndpoint(t);
  return `${sshUser(t)}@${t.host}`;
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
    if (!(await sshBanner(t.host, sshPort(t), 1000))) {
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
