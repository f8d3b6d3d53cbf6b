import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';

// Every file that comes into existence is recorded with the mode it had at that instant (an
// lstat right after the call that created it): a key written and chmod-ed afterwards, or created
// without a mode, shows up here with the bits the umask let through. The tests run under umask 0,
// so "created 0644, chmod 0600 later" and "created with the default 0666" are both caught.
const real = await import('node:fs/promises');
const born = new Map<string, number>();
const renamed = new Map<string, string>();
const note = (p: unknown) => {
  const path = String(p);
  if (born.has(path)) return;
  try {
    born.set(path, lstatSync(path).mode & 0o7777);
  } catch {
    /* the call failed: nothing was created */
  }
};
jest.unstable_mockModule('node:fs/promises', () => ({
  ...real,
  default: real,
  open: async (...a: Parameters<typeof real.open>) => {
    const r = await real.open(...a);
    note(a[0]);
    return r;
  },
  writeFile: async (...a: Parameters<typeof real.writeFile>) => {
    await real.writeFile(...a);
    note(a[0]);
  },
  appendFile: async (...a: Parameters<typeof real.appendFile>) => {
    await real.appendFile(...a);
    note(a[0]);
  },
  copyFile: async (...a: Parameters<typeof real.copyFile>) => {
    await real.copyFile(...a);
    note(a[1]);
  },
  mkdir: async (...a: Parameters<typeof real.mkdir>) => {
    const r = await real.mkdir(...a);
    note(a[0]);
    return r;
  },
  rename: async (from: string, to: string) => {
    await real.rename(from, to);
    renamed.set(String(from), String(to));
  },
}));
const { seedFiles, seedTar, writeSecretFile, writeSeedInto } = await import('./seed.js');
const { writeNoCloudSeed } = await import('./providers/qemu.js');

const asRoot = process.getuid?.() === 0 ? test : test.skip;
const hasGenisoimage = (() => {
  try {
    execFileSync('genisoimage', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const files = seedFiles({
  node: 'n1',
  address: '10.64.0.2',
  mac: '52:54:00:00:00:01',
  prefixLength: 24,
  hosts: [{ name: 'n1', address: '10.64.0.2' }],
  authorizedKey: 'ssh-ed25519 AAAA env\n',
  hostPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET\n-----END OPENSSH PRIVATE KEY-----\n',
  hostPublicKey: 'ssh-ed25519 BBBB host\n',
});

let dir: string;
let umask: number;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-seed-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  born.clear();
  renamed.clear();
  umask = process.umask(0);
});
afterEach(() => {
  process.umask(umask);
});

/** The mode each final path had when it first existed (following renames). */
function modesAtBirth(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [p, mode] of born) out.set(renamed.get(p) ?? p, mode);
  return out;
}

describe('secret files are private from the moment they exist', () => {
  test('writeSecretFile creates 0600 under umask 0, and never over an existing file', async () => {
    const p = join(dir, 'secret');
    await writeSecretFile(p, 'KEY');
    expect(born.get(p)).toBe(0o600);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    await expect(writeSecretFile(p, 'OTHER')).rejects.toThrow(/EEXIST/);
  });

  asRoot('nspawn: the seed written into a root file system (host key 0600, /root/.ssh 0700 before anything is in it)', async () => {
    const root = join(dir, 'rootfs');
    // What the image already has: the seed replaces it whole.
    await mkdir(join(root, 'etc'), { recursive: true, mode: 0o755 });
    await writeFile(join(root, 'etc', 'hostname'), 'image\n', { mode: 0o644 });
    born.clear();
    await writeSeedInto(root, files);
    const atBirth = modesAtBirth();
    for (const f of files) {
      const p = join(root, f.path);
      const now = statSync(p);
      expect([f.path, now.mode & 0o7777, now.uid]).toEqual([f.path, f.mode, 0]);
      // Never more open at birth than it ends up.
      expect([f.path, (atBirth.get(p) ?? 0) & ~f.mode]).toEqual([f.path, 0]);
    }
    expect(atBirth.get(join(root, 'root/.ssh'))).toBe(0o700);
    expect(statSync(join(root, 'root/.ssh')).mode & 0o777).toBe(0o700);
    // No temporary file is left beside the targets.
    expect(readdirSync(join(root, 'etc', 'ssh')).sort()).toEqual(['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub']);
  });

  test('qemu: the seed tar holds the key 0600 and .ssh 0700', async () => {
    const p = join(dir, 'seed.tar');
    await writeSecretFile(p, await seedTar(files));
    expect(born.get(p)).toBe(0o600);
  });

  (hasGenisoimage ? test : test.skip)(
    'cloud-init: user-data and the ISO holding the host key are 0600 from birth, in a 0700 directory, and the plain files are gone',
    async () => {
      const node = join(dir, 'node');
      await mkdir(node, { mode: 0o700 });
      const iso = join(node, 'seed.iso');
      await writeNoCloudSeed(node, iso, {
        name: 'n1',
        machineId: 'karoo-00000000-n1',
        mac: '52:54:00:00:00:01',
        address: '10.64.0.2',
        seed: files,
        authorizedKey: 'ssh-ed25519 AAAA env\n',
      });
      const atBirth = modesAtBirth();
      const secret = [...atBirth].filter(([p]) => p.startsWith(node));
      expect(secret.map(([p]) => relative(node, p)).sort()).toEqual([
        'cidata',
        'cidata/meta-data',
        'cidata/network-config',
        'cidata/user-data',
        'seed.iso',
      ]);
      for (const [p, mode] of secret) expect([relative(node, p), mode & 0o077]).toEqual([relative(node, p), 0]);
      expect(statSync(iso).mode & 0o777).toBe(0o600);
      expect(statSync(iso).size).toBeGreaterThan(0);
      expect(readdirSync(node)).toEqual(['seed.iso']);
    },
  );

  test("values written into the seed's configuration files are one line each", () => {
    expect(() =>
      seedFiles({
        node: 'n1\nevil',
        address: '10.0.0.1',
        mac: '52:54:00:00:00:01',
        prefixLength: 24,
        hosts: [],
        authorizedKey: '',
        hostPrivateKey: '',
        hostPublicKey: '',
      }),
    ).toThrow(/node name "n1\\nevil" contains a control character \(U\+000A\)/);
    expect(() =>
      seedFiles({
        node: 'n1',
        address: '10.0.0.1',
        mac: '52:54:00:00:00:01',
        prefixLength: 24,
        hosts: [{ name: 'n2', address: '10.0.0.2\n1.2.3.4 evil' }],
        authorizedKey: '',
        hostPrivateKey: '',
        hostPublicKey: '',
      }),
    ).toThrow(/control character/);
  });
});
