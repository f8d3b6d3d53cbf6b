import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { configText } from '@karoo/common';
import tar from 'tar-stream';

/** A file every machine gets before its init starts: its identity and its network. */
export interface SeedFile {
  /** Absolute path inside the machine. */
  path: string;
  content: string;
  mode: number;
}

export interface SeedInput {
  node: string;
  address: string;
  mac: string;
  prefixLength: number;
  hosts: ReadonlyArray<{ name: string; address: string }>;
  authorizedKey: string;
  hostPrivateKey: string;
  hostPublicKey: string;
}

/** Directories of the seed that are not 0755 (inside the machine). */
export const SEED_DIRS: Readonly<Record<string, number>> = { '/root/.ssh': 0o700 };

/** Hostname, /etc/hosts with every node, a fresh machine-id, the node's own SSH host key, the environment's key, a static address. */
export function seedFiles(s: SeedInput): SeedFile[] {
  // Each of these becomes a line of a configuration file inside the machine.
  configText('node name', s.node);
  configText(`node "${s.node}" address`, s.address);
  configText(`node "${s.node}" MAC address`, s.mac);
  for (const h of s.hosts) {
    configText(`/etc/hosts name`, h.name);
    configText(`/etc/hosts address of "${h.name}"`, h.address);
  }
  const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...s.hosts.map((h) => `${h.address}\t${h.name}`)];
  return [
    { path: '/etc/hostname', content: `${s.node}\n`, mode: 0o644 },
    { path: '/etc/hosts', content: `# written by karoo: every node of the environment\n${hosts.join('\n')}\n`, mode: 0o644 },
    { path: '/etc/machine-id', content: `${randomBytes(16).toString('hex')}\n`, mode: 0o444 },
    { path: '/etc/ssh/ssh_host_ed25519_key', content: s.hostPrivateKey, mode: 0o600 },
    { path: '/etc/ssh/ssh_host_ed25519_key.pub', content: s.hostPublicKey, mode: 0o644 },
    { path: '/root/.ssh/authorized_keys', content: s.authorizedKey, mode: 0o600 },
    {
      path: '/etc/systemd/network/10-karoo.network',
      content: `# written by karoo: the node's address on the environment's private network\n[Match]\nMACAddress=${s.mac}\n\n[Network]\nAddress=${s.address}/${s.prefixLength}\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n`,
      mode: 0o644,
    },
  ];
}

/**
 * Creates `path` (it must not exist) holding `data` with `mode` from the moment it exists:
 * the mode is given to open(2) with O_EXCL, so there is no instant in which the file is
 * readable by anyone else, whatever the umask; the exact mode is then set on the open file.
 * Secret files (private keys, seeds holding them) are written only through here.
 */
export async function writeSecretFile(
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
  owner?: { uid: number; gid: number },
): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    await fh.chmod(mode);
    if (owner) await fh.chown(owner.uid, owner.gid);
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
}

/**
 * Writes the seed into a mounted root file system (nspawn's overlay). Each file is created
 * beside its target with its final mode and owner (writeSecretFile) and renamed over it, so a
 * key is never readable by others, not even for an instant, and a file of the image is
 * replaced whole. Directories of SEED_DIRS get their mode before anything goes into them.
 */
export async function writeSeedInto(root: string, files: readonly SeedFile[]): Promise<void> {
  for (const [d, mode] of Object.entries(SEED_DIRS)) {
    const p = join(root, d);
    await mkdir(dirname(p), { recursive: true, mode: 0o755 });
    await mkdir(p, { mode }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    await chmod(p, mode);
  }
  for (const f of files) {
    const p = join(root, f.path);
    await mkdir(dirname(p), { recursive: true, mode: 0o755 });
    const tmp = join(dirname(p), `.${basename(p)}.karoo-${randomBytes(6).toString('hex')}`);
    try {
      await writeSecretFile(tmp, f.content, f.mode, { uid: 0, gid: 0 });
      await rename(tmp, p);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}

/** The seed as a tar archive for QEMU's seed disk (applied by karoo's initrd). */
export async function seedTar(files: readonly SeedFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  const mtime = new Date(0);
  const dirs = new Set<string>();
  for (const f of files) {
    const rel = f.path.replace(/^\//, '');
    const parts = rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (dirs.has(d) || d === 'root' || d === 'etc') continue;
      dirs.add(d);
      pack.entry({ name: `${d}/`, type: 'directory', mode: SEED_DIRS[`/${d}`] ?? 0o755, uid: 0, gid: 0, mtime });
    }
    pack.entry({ name: rel, mode: f.mode, uid: 0, gid: 0, mtime }, f.content);
  }
  pack.finalize();
  await done;
  const buf = Buffer.concat(chunks);
  const pad = (512 - (buf.length % 512)) % 512;
  return Buffer.concat([buf, Buffer.alloc(pad + 64 * 1024)]);
}
