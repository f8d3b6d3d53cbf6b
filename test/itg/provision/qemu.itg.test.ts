import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { isKarooError } from '@karoo/common';
import {
  destroyEnvironment,
  detectAccelerator,
  execOnNode,
  imagesRoot,
  provision,
  readInventory,
  resourcesOf,
  seedFiles,
  writeNoCloudSeed,
} from '@karoo/machines';
import { execFileSync } from 'node:child_process';
import { prepare, tempDir } from './support.js';

// QEMU under software emulation takes 12-20 s per boot on 2 cores: this file boots two
// machines, once, side by side.
const created: string[] = [];

beforeAll(async () => {
  await prepare();
}, 20 * 60_000);

afterAll(async () => {
  for (const env of created) await destroyEnvironment({ environmentId: env }).catch(() => {});
});

describe('qemu environments', () => {
  test('two virtual machines on a shared private network reach each other by name; console captured; all destroyed', async () => {
    const out = tempDir('qemu');
    const { inventory, inventoryPath } = await provision({
      nodes: [
        { name: 'vm-a', role: 'one' },
        { name: 'vm-b', role: 'two' },
      ],
      provider: 'qemu',
      outDir: out,
      onMachineStarted: (_m, s) => void (created.includes(s.environmentId) || created.push(s.environmentId)),
    });
    const env = inventory.environmentId;
    expect(inventory.provider).toBe('qemu');
    expect(inventory.accelerator).toBe(await detectAccelerator());
    const inv = await readInventory(inventoryPath);
    const r = await execOnNode(
      inv,
      'vm-a',
      'hostname; python3 --version; getent hosts vm-b | cut -d" " -f1; ping -c1 -W2 vm-b >/dev/null && echo reached; systemd-detect-virt',
    );
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('vm-a');
    expect(lines[1]).toMatch(/^Python 3\.11\./);
    expect(lines[2]).toBe(inv.nodes[1]!.address);
    expect(lines[3]).toBe('reached');
    expect(lines[4]).toMatch(/^(qemu|kvm)$/);
    // The VM process carries the environment's name; its serial console went to a log file.
    const mine = await resourcesOf(env);
    expect(mine.filter((x) => x.includes('qemu-system-x86_64'))).toHaveLength(2);
    const consoleLog = `/var/lib/karoo/envs/${env}/console/vm-a.log`;
    expect(readFileSync(consoleLog, 'utf8')).toContain('karoo-initrd: seed applied');

    const report = await destroyEnvironment({ inventory: inventoryPath });
    expect(report.leftovers).toEqual([]);
    expect(await resourcesOf(env)).toEqual([]);
    expect(existsSync(consoleLog)).toBe(false);
  }, 600_000);

  test('a cloud image whose sha256 does not match is refused before anything boots', async () => {
    const dir = tempDir('cloud');
    const img = join(dir, 'cloud.qcow2');
    writeFileSync(img, randomBytes(4096));
    const wrong = createHash('sha256').update('something else').digest('hex');
    const e = await provision({
      nodes: [{ name: 'c', role: 'r' }],
      provider: 'qemu',
      image: pathToFileURL(img).href,
      imageSha256: wrong,
    }).catch((x: unknown) => x);
    expect(isKarooError(e) && e.kind === 'integrity').toBe(true);
    expect((e as Error).message).toContain(`not the expected ${wrong}; refusing to boot it`);
    // Nothing was kept in the cache under the expected hash.
    expect(existsSync(join(imagesRoot(), 'cloud', `${wrong}.img`))).toBe(false);
    // Without a hash at all it is refused too.
    await expect(provision({ nodes: [{ name: 'c', role: 'r' }], provider: 'qemu', image: pathToFileURL(img).href })).rejects.toThrow(
      /has no sha256/,
    );
  });

  test('the cloud-init NoCloud seed is an ISO labelled cidata with the key, host key, hosts and static network', async () => {
    const dir = tempDir('nocloud');
    const seed = seedFiles({
      node: 'cloud-1',
      address: '10.70.1.2',
      mac: '52:54:aa:bb:cc:01',
      prefixLength: 24,
      hosts: [
        { name: 'cloud-1', address: '10.70.1.2' },
        { name: 'cloud-2', address: '10.70.1.3' },
      ],
      authorizedKey: 'ssh-ed25519 AAAAenv karoo-00000000\n',
      hostPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n',
      hostPublicKey: 'ssh-ed25519 AAAAhost karoo-00000000-cloud-1\n',
    });
    const iso = join(dir, 'seed.iso');
    await writeNoCloudSeed(dir, iso, {
      name: 'cloud-1',
      machineId: 'karoo-00000000-cloud-1',
      mac: '52:54:aa:bb:cc:01',
      address: '10.70.1.2',
      seed,
      authorizedKey: 'ssh-ed25519 AAAAenv karoo-00000000\n',
    });
    expect(execFileSync('isoinfo', ['-d', '-i', iso]).toString()).toMatch(/Volume id: cidata/);
    const read = (f: string) => execFileSync('isoinfo', ['-R', '-i', iso, '-x', `/${f}`]).toString();
    const user = read('user-data');
    expect(user.startsWith('#cloud-config\n')).toBe(true);
    expect(user).toContain('  - ssh-ed25519 AAAAenv karoo-00000000');
    expect(user).toContain('    -----BEGIN OPENSSH PRIVATE KEY-----');
    expect(user).toContain('      10.70.1.3\tcloud-2');
    expect(read('meta-data')).toContain('instance-id: karoo-00000000-cloud-1');
    const net = read('network-config');
    expect(net).toContain('macaddress: "52:54:aa:bb:cc:01"');
    expect(net).toContain('addresses: [10.70.1.2/24]');
  });
});
