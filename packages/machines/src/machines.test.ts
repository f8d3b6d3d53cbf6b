import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import tar from 'tar-stream';
import { isKarooError } from '@karoo/common';
import { ASSETS } from './generated/assets.js';
import { imageId, imageRecipe } from './image.js';
import { parseInventory } from './inventory.js';
import { checkNodeName, isEnvironmentId, macOf, newEnvironmentId, subnetOf } from './names.js';
import { nspawnArgs } from './providers/nspawn.js';
import { qemuArgs } from './providers/qemu.js';
import { seedFiles, seedTar } from './seed.js';

describe('names', () => {
  test('environment ids are karoo- and 8 hex digits, and fresh each time', () => {
    const ids = new Set(Array.from({ length: 50 }, newEnvironmentId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(isEnvironmentId(id)).toBe(true);
    expect(isEnvironmentId('karoo-1234567')).toBe(false);
    expect(isEnvironmentId('karoo-notours')).toBe(false);
  });

  test('node names must be host names', () => {
    for (const ok of ['a', 'control-1', 'x'.repeat(48)]) expect(() => checkNodeName(ok)).not.toThrow();
    for (const bad of ['', 'A', 'under_score', '-x', 'x-', 'dot.ted', 'x'.repeat(49), 'localhost']) {
      let err: unknown;
      try {
        checkNodeName(bad);
      } catch (e) {
        err = e;
      }
      expect(isKarooError(err) && err.kind === 'input').toBe(true);
    }
  });

  test('each environment gets a private /24 and distinct MAC addresses per node', () => {
    const s = subnetOf('karoo-0a1b2c3d');
    expect(s.cidr).toBe(`10.${64 + (0x0a % 64)}.${0x1b}.0/24`);
    expect(s.address(0)).toBe(`${s.prefix}.2`);
    expect(s.gateway).toBe(`${s.prefix}.1`);
    expect(() => s.address(251)).toThrow(/at most 251 nodes/);
    expect(macOf('karoo-0a1b2c3d', 3)).toBe('52:54:0a:1b:2c:03');
    expect(macOf('karoo-0a1b2c3d', 3)).not.toBe(macOf('karoo-0a1b2c3d', 4));
  });
});

describe('seed', () => {
  const files = seedFiles({
    node: 'n1',
    address: '10.64.0.2',
    mac: '52:54:00:00:00:01',
    prefixLength: 24,
    hosts: [
      { name: 'n1', address: '10.64.0.2' },
      { name: 'n2', address: '10.64.0.3' },
    ],
    authorizedKey: 'ssh-ed25519 AAAA env\n',
    hostPrivateKey: 'PRIVATE\n',
    hostPublicKey: 'ssh-ed25519 BBBB host\n',
  });

  test('names every node in /etc/hosts, the node by its private address', () => {
    const hosts = files.find((f) => f.path === '/etc/hosts')!.content;
    expect(hosts).toMatch(/^10\.64\.0\.2\tn1$/m);
    expect(hosts).toMatch(/^10\.64\.0\.3\tn2$/m);
    expect(hosts).not.toMatch(/127\.0\.1\.1/);
    expect(files.find((f) => f.path === '/etc/systemd/network/10-karoo.network')!.content).toContain('MACAddress=52:54:00:00:00:01');
    expect(files.find((f) => f.path === '/etc/ssh/ssh_host_ed25519_key')!.mode).toBe(0o600);
  });

  test('the seed tar holds every file with its mode, root-owned, padded to whole sectors', async () => {
    const buf = await seedTar(files);
    expect(buf.length % 512).toBe(0);
    const seen = new Map<string, { mode: number; uid: number; body: string }>();
    await new Promise<void>((resolve, reject) => {
      const ex = tar.extract();
      ex.on('entry', (h, stream, next) => {
        let body = '';
        stream.on('data', (d: unknown) => (body += (d as Buffer).toString()));
        stream.on('end', () => {
          seen.set(h.name, { mode: h.mode ?? 0, uid: h.uid ?? -1, body });
          next();
        });
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
      ex.end(buf);
    });
    expect(seen.get('etc/ssh/ssh_host_ed25519_key')).toEqual({ mode: 0o600, uid: 0, body: 'PRIVATE\n' });
    expect(seen.get('root/.ssh/')?.mode).toBe(0o700);
    expect(seen.has('root/')).toBe(false);
    expect(seen.get('etc/hostname')?.body).toBe('n1\n');
  });
});

describe('inventory', () => {
  test('a hand-written inventory of real hosts gets defaults and relative key paths resolved', () => {
    const inv = parseInventory(
      {
        version: 1,
        environmentId: 'production',
        provider: 'static',
        nodes: [{ name: 'cam-1', role: 'control', address: '192.0.2.10', ssh: { host: 'cam-1.example', keyPath: 'keys/id' } }],
      },
      'inv.json',
      '/srv/deploy',
    );
    expect(inv.nodes[0]!.ssh).toEqual({ host: 'cam-1.example', port: 22, user: 'root', keyPath: '/srv/deploy/keys/id' });
    expect(inv.nodes[0]!.provider).toBe('static');
  });

  test('errors name the key and point at the schema', () => {
    expect(() =>
      parseInventory(
        {
          version: 1,
          environmentId: 'x',
          provider: 'static',
          nodes: [{ name: 'a', role: 'r', address: 'h', ssh: { host: 'h', prot: 22 } }],
        },
        'inv.json',
      ),
    ).toThrow(/inventory inv\.json: nodes\.0\.ssh: unknown key "prot"; see .*inventory\.schema\.json/);
    expect(() => parseInventory({ version: 1, environmentId: 'x', provider: 'ec2', nodes: [] }, 'inv.json')).toThrow(/inventory inv\.json/);
    const node = { name: 'a', role: 'r', address: 'h', ssh: { host: 'h' } };
    expect(() => parseInventory({ version: 1, environmentId: 'x', provider: 'static', nodes: [node, node] }, 'i')).toThrow(
      /"a" is listed twice/,
    );
  });
});

describe('command lines', () => {
  test('nspawn runs without a host systemd and with its own namespace', () => {
    const a = nspawnArgs({ root: '/r', machine: 'karoo-00000000-n', hostname: 'n', netnsPath: '/run/netns/karoo-00000000-n' });
    expect(a).toEqual(
      expect.arrayContaining([
        '--boot',
        '--register=no',
        '--keep-unit',
        '--network-namespace-path=/run/netns/karoo-00000000-n',
        '--capability=CAP_NET_ADMIN',
      ]),
    );
  });

  test('qemu under TCG: multi-threaded, capped translation cache, clock hints, direct kernel boot', () => {
    const base = {
      name: 'karoo-00000000-n',
      cpus: 2,
      memory: 512,
      disk: '/d.qcow2',
      seed: { path: '/s.tar', kind: 'tar' as const },
      tap: 't0',
      mac: '52:54:00:00:00:01',
      console: '/c.log',
    };
    const tcg = qemuArgs({ ...base, accel: 'tcg', kernel: { kernel: '/vmlinux', initrd: '/initrd', khz: 2600000 } });
    expect(tcg).toEqual(expect.arrayContaining(['tcg,thread=multi,tb-size=256', '-kernel', '/vmlinux', '-nodefaults']));
    expect(tcg[tcg.indexOf('-append') + 1]).toContain('tsc_early_khz=2600000');
    expect(tcg.join(' ')).not.toContain('bootindex');
    const kvm = qemuArgs({ ...base, accel: 'kvm', seed: { path: '/s.iso', kind: 'iso' } });
    expect(kvm).toEqual(expect.arrayContaining(['q35,accel=kvm', 'host']));
    expect(kvm.join(' ')).toContain('bootindex=0');
    expect(kvm.join(' ')).toContain('media=cdrom');
  });
});

describe('image recipe', () => {
  test('the generated assets match image/ and helpers/ (run packages/machines/scripts/gen-assets.mjs)', () => {
    for (const [k, v] of Object.entries(ASSETS)) expect(readFileSync(new URL(`../${k}`, import.meta.url), 'utf8')).toBe(v);
    expect(Object.keys(ASSETS)).toEqual(expect.arrayContaining(['image/customize.sh', 'image/initrd-init.sh', 'helpers/forward.py']));
  });

  test('the image id is the hash of the recipe', () => {
    expect(imageId()).toMatch(/^[0-9a-f]{16}$/);
    expect(imageRecipe().packages).toEqual(expect.arrayContaining(['openssh-server', 'python3', 'python3-venv', 'systemd-sysv']));
  });
});
