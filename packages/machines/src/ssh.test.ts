import { execFileSync } from 'node:child_process';
import { describe, expect, test } from '@jest/globals';
import { isKarooError } from '@karoo/common';
import type { SshEndpoint } from './inventory.js';
import { sshCommandLine, sshConfigEntry, sshDestination, sshOptions, type SshSession } from './ssh.js';

// The one set of SSH options, as OpenSSH itself reads them: `ssh -G` parses the command line (and
// an ssh_config) exactly as a connection would, without connecting.
function sshG(args: string[]): Map<string, string> {
  const out = execFileSync('ssh', ['-G', '-F', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return new Map(
    out
      .split('\n')
      .filter((l) => l.includes(' '))
      .map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as [string, string]),
  );
}
const g = (t: SshEndpoint, s?: SshSession, node?: string) => sshG([...sshOptions(t, s, node), t.host]);
const base: SshEndpoint = { host: '192.0.2.7', port: 2222, user: 'deploy', keyPath: '/keys/id_ed25519' };

describe('the one set of SSH options', () => {
  test('every session: no prompts, a bounded connect, dead peers noticed, only the given key, the endpoint port and user', () => {
    const o = g(base);
    expect(o.get('batchmode')).toBe('yes');
    expect(o.get('connecttimeout')).toBe('15');
    expect(o.get('serveraliveinterval')).toBe('5');
    expect(o.get('serveralivecountmax')).toBe('3');
    expect(o.get('loglevel')).toBe('ERROR');
    expect(o.get('port')).toBe('2222');
    expect(o.get('user')).toBe('deploy');
    expect(o.get('identityfile')).toBe('/keys/id_ed25519');
    expect(o.get('identitiesonly')).toBe('yes');
    expect(g(base, { connectTimeout: 2 }).get('connecttimeout')).toBe('2');
    // An inventory built in code without port or user: the inventory's defaults, the same everywhere.
    const bare = { host: '192.0.2.7' } as SshEndpoint;
    expect([g(bare).get('port'), g(bare).get('user'), sshDestination(bare)]).toEqual(['22', 'root', 'root@192.0.2.7']);
  });

  test('host keys: a known_hosts file is checked strictly and alone, under its alias', () => {
    const o = g({ ...base, knownHostsPath: '/run/known_hosts', hostKeyAlias: 'karoo-0000-n1' });
    expect(o.get('stricthostkeychecking')).toBe('true');
    expect(o.get('userknownhostsfile')).toBe('/run/known_hosts');
    expect(o.get('globalknownhostsfile')).toBe('/dev/null');
    expect(o.get('hostkeyalias')).toBe('karoo-0000-n1');
  });

  test("host keys: an inline key is read from the run's file under the node's alias; no key at all is trusted on first use for the run only", () => {
    const inline = g({ ...base, hostKey: 'ssh-ed25519 AAAAC3Nz' }, { runKnownHosts: '/tmp/r/known_hosts' }, 'n1');
    expect(inline.get('stricthostkeychecking')).toBe('true');
    expect(inline.get('userknownhostsfile')).toBe('/tmp/r/known_hosts');
    expect(inline.get('globalknownhostsfile')).toBe('/dev/null');
    expect(inline.get('hostkeyalias')).toBe('karoo-node-n1');
    const tofu = g(base, { runKnownHosts: '/tmp/r/known_hosts' });
    expect(tofu.get('stricthostkeychecking')).toBe('accept-new');
    expect(tofu.get('userknownhostsfile')).toBe('/tmp/r/known_hosts');
    // Without a run to remember it in, nothing is accepted blindly.
    expect(g(base).get('stricthostkeychecking')).toBe('true');
    expect(g({ ...base, hostKey: 'ssh-ed25519 AAAAC3Nz' }).get('stricthostkeychecking')).toBe('true');
  });

  test("connection sharing: the master's socket lives in the run's directory; the master persists, clients do not start one", () => {
    const master = g(base, { control: { dir: '/tmp/karoo-ssh-x', master: true } });
    expect(master.get('controlmaster')).toBe('true');
    expect(master.get('controlpersist')).toBe('600');
    expect(master.get('controlpath')).toMatch(/^\/tmp\/karoo-ssh-x\/[0-9a-f]{40}$/);
    const client = g(base, { control: { dir: '/tmp/karoo-ssh-x', master: false } });
    expect(client.get('controlmaster')).toBe('false');
    expect(client.get('controlpath')).toBe(master.get('controlpath'));
    expect(g(base).get('controlpath')).toBeUndefined();
  });

  test('the command line a person types and an ssh_config entry mean the same as the options', () => {
    const t = { ...base, knownHostsPath: '/run/known hosts', hostKeyAlias: 'm1' };
    const line = sshCommandLine(t);
    expect(line).toContain(`'UserKnownHostsFile="/run/known hosts"'`);
    expect(line.endsWith(' deploy@192.0.2.7')).toBe(true);
    const viaDest = sshG([...sshOptions(t), sshDestination(t)]);
    expect(viaDest).toEqual(g(t));
    expect(sshConfigEntry('n1', t)).toContain('  UserKnownHostsFile "/run/known hosts"\n');
  });

  test('a hostile value is refused with one line naming the field, before ssh sees it', () => {
    for (const bad of [
      { host: '-oProxyCommand=x' },
      { user: 'root\nProxyCommand x' },
      { port: 0 },
      { keyPath: '/k"x' },
      { hostKeyAlias: 'a b' },
    ]) {
      let e: unknown;
      try {
        sshOptions({ ...base, ...bad }, { what: 'inventory node "n1" ssh' });
      } catch (x) {
        e = x;
      }
      expect(isKarooError(e) && e.kind).toBe('input');
      expect((e as Error).message).toMatch(/^inventory node "n1" ssh\.(host|user|port|keyPath|hostKeyAlias) /);
      expect((e as Error).message).not.toContain('\n');
    }
  });
});
