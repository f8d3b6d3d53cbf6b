import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { isKarooError } from '@karoo/common';
import { sshOptions } from '@karoo/machines';
import { SshPool, type SshTarget } from './ssh.js';

// What OpenSSH itself makes of the ssh_config karoo gives the tests, and of the options it passes
// on the command line: `ssh -G` parses them exactly as a connection would, without connecting.
let dir: string;
let sentinel: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-ssh-test-'));
  sentinel = join(dir, 'pwned');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sshG(args: string[]): Map<string, string[]> {
  const out = execFileSync('ssh', ['-G', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0) m.set(line.slice(0, i), [...(m.get(line.slice(0, i)) ?? []), line.slice(i + 1)]);
  }
  return m;
}

/** Opens a pool for one target and returns what ssh makes of its ssh_config entry and of its -o options; or the refusal. */
async function parsed(t: SshTarget): Promise<{ config: Map<string, string[]>; argv: Map<string, string[]> } | Error> {
  let pool: SshPool;
  try {
    pool = await SshPool.open([t]);
  } catch (e) {
    return e as Error;
  }
  try {
    const file = join(dir, 'ssh_config');
    await writeFile(file, pool.configEntry(t.name));
    return { config: sshG(['-F', file, t.name]), argv: sshG(['-F', '/dev/null', ...pool.options(t.name), t.host]) };
  } finally {
    await pool.close();
  }
}

describe('the ssh_config given to the tests', () => {
  test('an inventory host with a newline cannot add ProxyCommand (refused with one clear line)', async () => {
    const r = await parsed({ name: 'n1', host: `x\n  ProxyCommand touch ${sentinel}`, port: 22, user: 'root' });
    if (!(r instanceof Error)) {
      // Without the check the entry carries the attacker's directive: make the failure say so.
      expect(r.config.get('proxycommand')).toBeUndefined();
    }
    expect(r).toBeInstanceOf(Error);
    expect(isKarooError(r) && r.kind).toBe('input');
    expect((r as Error).message).not.toContain('\n');
    expect((r as Error).message).toContain('inventory node "n1" ssh.host');
    expect(existsSync(sentinel)).toBe(false);
  });

  test.each([
    ['a host that ssh would read as an option', { host: `-oProxyCommand=touch ${sentinel}` }],
    ['a user with a newline', { user: `root\nProxyCommand touch ${sentinel}` }],
    ['a key path with a newline', { keyPath: `/k\nMatch exec "touch ${sentinel}"` }],
    ['a key path with a quote', { keyPath: `/k" ProxyCommand "touch ${sentinel}` }],
    ['a known_hosts path with a carriage return', { knownHostsPath: `/kh\rProxyCommand touch ${sentinel}` }],
    ['a host key alias with a space', { knownHostsPath: '/kh', hostKeyAlias: `a ProxyCommand=touch` }],
    ['a host key with a second line', { hostKey: `ssh-ed25519 AAAA\n@cert-authority * ssh-ed25519 BBBB` }],
  ])('%s is refused before anything is written', async (_what, bad) => {
    const r = await parsed({ name: 'n1', host: '127.0.0.1', port: 22, user: 'root', ...bad });
    expect(r).toBeInstanceOf(Error);
    expect(isKarooError(r) && r.kind).toBe('input');
    expect((r as Error).message).not.toContain('\n');
    expect(existsSync(sentinel)).toBe(false);
  });

  test('unusual but harmless values reach ssh exactly, as one value each', async () => {
    const keyPath = join(dir, 'key dir', "it's #1 = key");
    const knownHostsPath = join(dir, 'known hosts');
    const r = await parsed({ name: 'n1', host: 'fd00::2', port: 2222, user: 'deploy.user', keyPath, knownHostsPath, hostKeyAlias: 'karoo-00000000-n1' });
    if (r instanceof Error) throw r;
    for (const m of [r.config, r.argv]) {
      expect(m.get('hostname')).toEqual(['fd00::2']);
      expect(m.get('user')).toEqual(['deploy.user']);
      expect(m.get('port')).toEqual(['2222']);
      expect(m.get('identityfile')).toEqual([keyPath]);
      expect(m.get('userknownhostsfile')).toEqual([knownHostsPath]);
      expect(m.get('hostkeyalias')).toEqual(['karoo-00000000-n1']);
      expect(m.get('stricthostkeychecking')).toEqual(['true']);
      expect(m.get('proxycommand')).toBeUndefined();
    }
  });

  test('the control directory is private and goes away on close', async () => {
    const pool = await SshPool.open([{ name: 'n1', host: '127.0.0.1', hostKey: 'ssh-ed25519 AAAAC3Nz' } as SshTarget]);
    expect(statSync(pool.controlDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(pool.controlDir, 'known_hosts')).mode & 0o777).toBe(0o600);
    await pool.close();
    expect(existsSync(pool.controlDir)).toBe(false);
  });

  test('deploy and the machines lifecycle reach a node with the same options; the pool adds only its run files and the shared connection', async () => {
    const t = { name: 'n1', host: '192.0.2.7', port: 2222, user: 'deploy', keyPath: join(dir, 'k'), knownHostsPath: join(dir, 'kh'), hostKeyAlias: 'm1' };
    const pool = await SshPool.open([t]);
    try {
      const viaPool = sshG(['-F', '/dev/null', ...pool.options('n1'), t.host]);
      const viaMachines = sshG(['-F', '/dev/null', ...sshOptions(t), t.host]);
      for (const k of ['controlpath', 'controlmaster']) viaPool.delete(k), viaMachines.delete(k);
      expect(viaPool).toEqual(viaMachines);
      expect(viaMachines.get('connecttimeout')).toEqual(['15']);
    } finally {
      await pool.close();
    }
  });
});
