import { describe, expect, test } from '@jest/globals';
import { isKarooError } from '@karoo/common';
import { parseInventory } from './inventory.js';

// An inventory of real hosts is written by hand, or handed over by whoever runs the machines:
// every field reaches an ssh_config, an ssh command line or a file path, so it is data to check.
const node = (ssh: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  version: 1,
  environmentId: 'production',
  provider: 'static',
  nodes: [{ name: 'cam-1', role: 'control', address: '192.0.2.10', ssh: { host: 'cam-1.example', ...ssh }, ...extra }],
});

function refusal(value: unknown): Error {
  try {
    parseInventory(value, 'inv.json', '/srv/deploy');
  } catch (e) {
    return e as Error;
  }
  throw new Error(`accepted: ${JSON.stringify(value)}`);
}

describe('inventory fields are checked on load', () => {
  test("a newline in ssh.host (ProxyCommand injection into the tests' ssh_config) is refused with one clear line", () => {
    const e = refusal(node({ host: 'x\n  ProxyCommand touch /tmp/pwned' }));
    expect(isKarooError(e) && e.kind).toBe('input');
    expect(e.message).not.toContain('\n');
    expect(e.message).toMatch(/^inventory inv\.json: nodes\.0\.ssh\.host: "x\\n {2}ProxyCommand touch \/tmp\/pwned" is not/);
  });

  test.each([
    ['ssh.host starting with - (an ssh option)', { host: '-oProxyCommand=touch /tmp/pwned' }, 'nodes.0.ssh.host'],
    ['ssh.host with a space', { host: 'a b' }, 'nodes.0.ssh.host'],
    ['ssh.user with a newline', { user: 'root\nProxyCommand x' }, 'nodes.0.ssh.user'],
    ['ssh.user starting with -', { user: '-lroot' }, 'nodes.0.ssh.user'],
    ['ssh.keyPath with a newline', { keyPath: '/k\nProxyCommand x' }, 'nodes.0.ssh.keyPath'],
    ['ssh.keyPath with a quote', { keyPath: '/k" ProxyCommand "x' }, 'nodes.0.ssh.keyPath'],
    ['ssh.knownHostsPath with a carriage return', { knownHostsPath: '/kh\rx' }, 'nodes.0.ssh.knownHostsPath'],
    ['ssh.hostKeyAlias with a space', { hostKeyAlias: 'a ProxyCommand' }, 'nodes.0.ssh.hostKeyAlias'],
    [
      'ssh.hostKey with a second known_hosts line',
      { hostKey: 'ssh-ed25519 AAAA\n@cert-authority * ssh-ed25519 BBBB' },
      'nodes.0.ssh.hostKey',
    ],
    ['ssh.port out of range', { port: 70000 }, 'nodes.0.ssh.port'],
  ])('%s is refused', (_what, ssh, key) => {
    const e = refusal(node(ssh));
    expect(isKarooError(e) && e.kind).toBe('input');
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain(`inv.json: ${key}`);
  });

  test.each([
    ['address with a newline', { address: '10.0.0.1\n10.0.0.2 evil' }, 'nodes.0.address'],
    ['role with a NUL', { role: 'web\u0000' }, 'nodes.0.role'],
    ['machineId with ../', { machineId: '../../etc' }, 'nodes.0.machineId'],
  ])('%s is refused', (_what, extra, key) => {
    const e = refusal(node({}, extra));
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain(`inv.json: ${key}`);
  });

  test('logsDir and network fields are checked too', () => {
    expect(refusal({ ...node({}), logsDir: '/l\n' }).message).toContain('inv.json: logsDir');
    expect(refusal({ ...node({}), network: { namespace: 'ns;rm' } }).message).toContain('inv.json: network.namespace');
    expect(refusal({ ...node({}), network: { cidr: '10.0.0.0/24\n' } }).message).toContain('inv.json: network.cidr');
  });

  test('what karoo provision writes and real hosts need is accepted', () => {
    const inv = parseInventory(
      {
        version: 1,
        environmentId: 'karoo-0123abcd',
        provider: 'qemu',
        network: { cidr: '10.64.0.0/24', namespace: 'karoo-0123abcd' },
        logsDir: '/var/lib/karoo out/logs',
        nodes: [
          {
            name: 'n1',
            role: 'web_front-1',
            address: '10.64.0.2',
            machineId: 'karoo-0123abcd-n1',
            ssh: {
              host: '127.0.0.1',
              port: 40001,
              user: 'root',
              keyPath: '/var/lib/karoo/envs/karoo-0123abcd/id_ed25519',
              knownHostsPath: 'known hosts',
              hostKeyAlias: 'karoo-0123abcd-n1',
              hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB+/x=',
            },
          },
          { name: 'n2', role: 'r', address: 'fd00::2', ssh: { host: 'fd00::2', user: 'deploy.user' } },
          { name: 'n3', role: 'r', address: 'cam-3.example.org', ssh: { host: 'cam-3.example.org', user: 'ünïcode' } },
        ],
      },
      'inv.json',
      '/srv',
    );
    expect(inv.nodes[0]!.ssh.knownHostsPath).toBe('/srv/known hosts');
    expect(inv.nodes[1]!.ssh.port).toBe(22);
  });
});
