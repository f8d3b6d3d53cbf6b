import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { isKarooError, type Progress } from '@karoo/common';
import { buildImage } from '../image.js';
import { destroyEnvironment, reap, resourcesOf } from '../teardown.js';
import { execOnNode, provision } from '../environment.js';
import { readInventory } from '../inventory.js';
import { sleep } from '../proc.js';
import type { LibvirtHost } from './libvirt-client.js';
import { Virsh } from './libvirt-client.js';
import { reapLibvirt } from './libvirt-reap.js';
import { ensureUploaded, KNOWN_HOSTS_FILE, PENDING_FILE, runnerId, type PendingRemoval } from './libvirt.js';
import { domainXml } from './libvirt-xml.js';

// Real libvirt: Debian's libvirtd driving QEMU with TCG on qemu:///system. The test starts
// libvirtd when none answers (and stops it after), uses a storage pool of its own in a temporary
// directory and shares the machine image the qemu tests build. One boot to SSH, one killed
// right after its domain starts; the reap sweeps define domains without booting them.
const URI = 'qemu:///system';
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const POOL = `karoo-itg-${process.pid}`;
let poolDir = '';
const startedDaemons: number[] = [];
const scratchDirs: string[] = [];
const scratch = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratchDirs.push(d);
  return d;
};
const host = (): LibvirtHost => ({ name: 'local', uri: URI, pool: POOL, cpus: 4, memory: 2048 });
// A bridged network as a site provides it (here on the one host), and a second host that refuses connections.
const SITE_NET = `itg-site-${process.pid}`;
const SITE_BRIDGE = `itgs${process.pid % 100000}`;
const refusing = (): LibvirtHost => ({ name: 'gone', uri: 'qemu+tcp://127.0.0.1:9/system', pool: POOL, network: SITE_NET });
const virsh = (...args: string[]) => execFileSync('virsh', ['-q', '-c', URI, ...args], { encoding: 'utf8' });
const lines: string[] = [];
const progress: Progress = {
  info: (m: string) => void lines.push(m),
  warn: (m: string) => void lines.push(`warn: ${m}`),
} as unknown as Progress;

function karooLeft(): string[] {
  const doms = virsh('list', '--all', '--name')
    .split('\n')
    .filter((d) => d.startsWith('karoo-') && !d.startsWith('karoo-itg'));
  const nets = virsh('net-list', '--all', '--name')
    .split('\n')
    .filter((n) => n.startsWith('karoo-'));
  const vols = virsh('vol-list', '--pool', POOL)
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((v) => /^karoo-[0-9a-f]{8}-/.test(v));
  return [...doms.map((d) => `domain ${d}`), ...nets.map((n) => `network ${n}`), ...vols.map((v) => `volume ${v}`)];
}

async function ensureLibvirtd(): Promise<void> {
  // QEMU's output goes through virtlogd (systemd socket-activates it elsewhere; here it is started).
  if (!existsSync('/run/libvirt/virtlogd-sock')) {
    execFileSync('virtlogd', ['-d', '-p', '/run/karoo-itg-virtlogd.pid']);
    startedDaemons.push(Number(readFileSync('/run/karoo-itg-virtlogd.pid', 'utf8').trim()));
  }
  if (spawnSync('virsh', ['-c', URI, 'version'], { stdio: 'ignore' }).status === 0) return;
  // Debian's libvirt-daemon without -system: the user QEMU runs as and the log directory are missing.
  if (spawnSync('getent', ['group', 'libvirt-qemu']).status !== 0) execFileSync('groupadd', ['--system', 'libvirt-qemu']);
  if (spawnSync('id', ['libvirt-qemu'], { stdio: 'ignore' }).status !== 0) {
    execFileSync('useradd', [
      '--system',
      '--gid',
      'libvirt-qemu',
      '--home-dir',
      '/var/lib/libvirt',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'libvirt-qemu',
    ]);
  }
  execFileSync('mkdir', ['-p', '/var/log/libvirt', '/var/lib/libvirt']);
  const pidFile = '/run/karoo-itg-libvirtd.pid';
  execFileSync('libvirtd', ['-d', '-p', pidFile]);
  const deadline = Date.now() + 30_000;
  while (spawnSync('virsh', ['-c', URI, 'version'], { stdio: 'ignore' }).status !== 0) {
    if (Date.now() > deadline) throw new Error(`libvirtd did not answer on ${URI}; see /var/log/libvirt/libvirtd.log`);
    await sleep(200);
  }
  startedDaemons.unshift(Number(readFileSync(pidFile, 'utf8').trim()));
}

// reap remembers the hosts a runner used (/var/lib/karoo/libvirt-hosts.json): put back as it was.
let knownHosts: string | undefined;

beforeAll(async () => {
  knownHosts = existsSync(KNOWN_HOSTS_FILE()) ? readFileSync(KNOWN_HOSTS_FILE(), 'utf8') : undefined;
  // The child that is killed mid-provision runs the compiled library.
  execFileSync('npx', ['tsc', '-b', 'packages/machines'], { cwd: ROOT, stdio: 'inherit' });
  await buildImage({});
  await ensureLibvirtd();
  poolDir = mkdtempSync(join(tmpdir(), 'karoo-libvirt-pool-'));
  // As libvirt's own /var/lib/libvirt/images: QEMU (user libvirt-qemu) passes through to its volumes.
  chmodSync(poolDir, 0o711);
  virsh('pool-create-as', POOL, 'dir', '--target', poolDir);
  const net = join(poolDir, 'site-net.xml');
  writeFileSync(net, `<network><name>${SITE_NET}</name><bridge name="${SITE_BRIDGE}" stp="off" delay="0"/></network>`);
  virsh('net-create', net);
  rmSync(net);
}, 20 * 60_000);

afterAll(async () => {
  if (knownHosts === undefined) rmSync(KNOWN_HOSTS_FILE(), { force: true });
  else writeFileSync(KNOWN_HOSTS_FILE(), knownHosts);
  try {
    for (const v of virsh('vol-list', '--pool', POOL)
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter(Boolean))
      virsh('vol-delete', '--pool', POOL, v!);
    virsh('pool-destroy', POOL);
  } catch {
    // already gone
  }
  try {
    virsh('net-destroy', SITE_NET);
  } catch {
    // already gone
  }
  rmSync(poolDir, { recursive: true, force: true });
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
  // libvirtd first, then virtlogd.
  for (const pid of startedDaemons) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && spawnSync('kill', ['-0', String(pid)]).status === 0; i++) await sleep(100);
  }
}, 120_000);

describe('libvirt provider on qemu:///system', () => {
  test("a node is placed (around a host that refuses connections), booted from an overlay of the uploaded image on the site's network, reached over SSH, and nothing karoo-named is left after teardown", async () => {
    const out = scratch('karoo-libvirt-');
    const { inventory, inventoryPath } = await provision({
      nodes: [{ name: 'lv-a', role: 'one', cpus: 2, memory: 512 }],
      provider: 'libvirt',
      libvirt: { hosts: [{ ...host(), network: SITE_NET }, refusing()] },
      outDir: out,
      progress,
      reapFirst: false,
    });
    const env = inventory.environmentId;
    try {
      expect(inventory.provider).toBe('libvirt');
      expect(inventory.nodes[0]).toMatchObject({ name: 'lv-a', provider: 'libvirt', machineId: `${env}-lv-a`, cpus: 2, memory: 512 });
      // Placement printed before anything was made.
      expect(lines).toContain('placement: local: lv-a (2 vCPU(s), 512 MiB; 2 vCPU(s), 1536 MiB left)');
      expect(lines.find((l) => l.startsWith('placement: gone: unreachable ('))).toBeDefined();
      // On the site's network: karoo made no network of its own; the runner's leg is one veth on the site's bridge.
      expect(virsh('domiflist', `${env}-lv-a`)).toContain(SITE_NET);
      expect(virsh('net-list', '--all', '--name')).not.toContain(env);
      expect(execFileSync('ip', ['-o', 'link', 'show', 'master', SITE_BRIDGE], { encoding: 'utf8' })).toContain(`kl${env.slice(6)}`);
      // The domain is libvirt's, stamped with the environment and its expiry, on an overlay of the base volume.
      const v = new Virsh(host());
      expect(await v.domainStamp(`${env}-lv-a`)).toEqual({
        environmentId: env,
        expiresAt: inventory.expiresAt,
        runner: await runnerId(),
        node: 'lv-a',
      });
      const vols = await v.listVolumes(POOL);
      expect(vols.filter((x) => x.startsWith(`${env}-`)).sort()).toEqual([`${env}-lv-a.console`, `${env}-lv-a.qcow2`, `${env}-lv-a.seed`]);
      const base = vols.find((x) => /^karoo-base-[0-9a-f]{24}\.qcow2$/.test(x))!;
      expect(virsh('vol-dumpxml', '--pool', POOL, `${env}-lv-a.qcow2`)).toContain(`${poolDir}/${base}`);
      const inv = await readInventory(inventoryPath);
      const r = await execOnNode(inv, 'lv-a', 'hostname; ip -4 -o addr show | grep -c ' + inv.nodes[0]!.address + '; systemd-detect-virt');
      expect(r.stdout.trim().split('\n')).toEqual(['lv-a', '1', 'qemu']);
    } finally {
      const report = await destroyEnvironment({ environmentId: env });
      expect(report.leftovers).toEqual([]);
    }
    expect(karooLeft()).toEqual([]);
    expect(await resourcesOf(env)).toEqual([]);
    // The site's network stays, without karoo's leg on it.
    expect(virsh('net-list', '--name')).toContain(SITE_NET);
    expect(execFileSync('ip', ['-o', 'link', 'show', 'master', SITE_BRIDGE], { encoding: 'utf8' })).toBe('');
    // The base image stays for the next environment, which uploads nothing.
    expect(lines.filter((l) => /uploaded karoo-base-/.test(l))).toHaveLength(3);
  }, 900_000);

  test('a provisioning killed with SIGKILL right after its domain started is removed by karoo reap', async () => {
    const script = join(scratch('karoo-libvirt-kill-'), 'provision.mjs');
    writeFileSync(
      script,
      `import { provision } from ${JSON.stringify(join(ROOT, 'packages/machines/lib/src/index.js'))};
await provision({ nodes: [{ name: 'lv-k', role: 'r' }], provider: 'libvirt', libvirt: { hosts: ${JSON.stringify([host()])} }, reapFirst: false,
  outDir: ${JSON.stringify(join(script, '..', 'out'))},
  onMachineStarted: (m, s) => console.log('STARTED ' + s.environmentId) });
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const env = await new Promise<string>((res, rej) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /STARTED (karoo-[0-9a-f]{8})/.exec(buf);
        if (m) res(m[1]!);
      });
      child.once('exit', (c) => rej(new Error(`provisioning child exited (${c}) before its machine started`)));
    });
    expect(virsh('domstate', `${env}-lv-k`).trim()).toBe('running');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const reaped = await reap({ progress });
    expect(reaped.map((r) => r.environmentId)).toContain(env);
    expect(karooLeft()).toEqual([]);
    expect(await resourcesOf(env)).toEqual([]);
  }, 600_000);

  test("the reap sweep across hosts removes only karoo-stamped domains that are expired or orphans of this runner, never anyone else's", async () => {
    const v = new Virsh(host());
    const me = await runnerId();
    const define = async (name: string, stamp: { environmentId: string; expiresAt: string; runner: string } | undefined) => {
      const xml = domainXml({
        name,
        type: 'qemu',
        cpus: 1,
        memory: 128,
        stamp: stamp ?? { environmentId: 'karoo-00000000', expiresAt: new Date(0).toISOString(), runner: me },
        pool: POOL,
        disk: 'none.qcow2',
        seed: { volume: 'none.seed', kind: 'tar' },
        console: join(poolDir, `${name}.console`),
        network: 'none',
        mac: '52:54:00:00:00:01',
      });
      // Not karoo's: the same domain without karoo's <metadata>.
      await v.define('domain', stamp ? xml : xml.replace(/ {2}<metadata>[\s\S]*<\/metadata>\n/, ''));
    };
    const past = new Date(Date.now() - 60_000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    await define('karoo-aaaaaaa1-x', { environmentId: 'karoo-aaaaaaa1', expiresAt: past, runner: 'other-runner/boot' });
    await define('karoo-aaaaaaa2-x', { environmentId: 'karoo-aaaaaaa2', expiresAt: future, runner: me });
    await define('karoo-aaaaaaa3-x', { environmentId: 'karoo-aaaaaaa3', expiresAt: future, runner: 'other-runner/boot' });
    await define('karoo-aaaaaaa4-x', undefined);
    await define('someone-elses-vm', undefined);
    await v.createEmpty(POOL, 'karoo-aaaaaaa1-x.qcow2');
    await v.createEmpty(POOL, 'karoo-aaaaaaa4-x.qcow2');
    // Left by teardowns whose host did not answer: one host answers now, the other still does not.
    await define('karoo-bbbbbbb2-x', { environmentId: 'karoo-bbbbbbb2', expiresAt: future, runner: 'other-runner/boot' });
    await v.createEmpty(POOL, 'karoo-bbbbbbb2-x.qcow2');
    const unreachable: LibvirtHost = { name: 'gone', uri: 'qemu+tcp://127.0.0.1:9/system', pool: 'default' };
    const pendingBefore = existsSync(PENDING_FILE()) ? readFileSync(PENDING_FILE(), 'utf8') : undefined;
    const pending: PendingRemoval[] = [
      {
        host: unreachable,
        environmentId: 'karoo-bbbbbbb1',
        domains: ['karoo-bbbbbbb1-x'],
        volumes: ['karoo-bbbbbbb1-x.qcow2'],
        networks: [],
        reason: 'test',
      },
      {
        host: host(),
        environmentId: 'karoo-bbbbbbb2',
        domains: ['karoo-bbbbbbb2-x'],
        volumes: ['karoo-bbbbbbb2-x.qcow2'],
        networks: [],
        reason: 'test',
      },
    ];
    writeFileSync(PENDING_FILE(), JSON.stringify(pending));
    try {
      const swept = await reapLibvirt({ hosts: [host(), unreachable], progress });
      const left = virsh('list', '--all', '--name').split('\n').filter(Boolean);
      // Expired (another runner's) and an orphan of this runner: removed with their volumes.
      expect(left).not.toContain('karoo-aaaaaaa1-x');
      expect(left).not.toContain('karoo-aaaaaaa2-x');
      expect(await v.volExists(POOL, 'karoo-aaaaaaa1-x.qcow2')).toBe(false);
      // Another runner's live environment, a karoo-named domain without karoo's stamp, anyone else's: untouched.
      expect(left).toEqual(expect.arrayContaining(['karoo-aaaaaaa3-x', 'karoo-aaaaaaa4-x', 'someone-elses-vm']));
      expect(await v.volExists(POOL, 'karoo-aaaaaaa4-x.qcow2')).toBe(true);
      expect(
        swept
          .filter((r) => r.environmentId && r.leftovers.length === 0)
          .map((r) => r.environmentId)
          .sort(),
      ).toEqual(['karoo-aaaaaaa1', 'karoo-aaaaaaa2', 'karoo-bbbbbbb2']);
      // The host that refuses connections is reported, not fatal.
      expect(swept.find((r) => r.host === 'gone')?.reason).toMatch(/^host unreachable: /);
      // The pending removal on the reachable host is done; the other stays for the next reap.
      expect(left).not.toContain('karoo-bbbbbbb2-x');
      expect(await v.volExists(POOL, 'karoo-bbbbbbb2-x.qcow2')).toBe(false);
      expect(swept.find((r) => r.environmentId === 'karoo-bbbbbbb1')).toMatchObject({
        host: 'gone',
        leftovers: ['domain karoo-bbbbbbb1-x', 'volume karoo-bbbbbbb1-x.qcow2'],
      });
      expect((JSON.parse(readFileSync(PENDING_FILE(), 'utf8')) as PendingRemoval[]).map((p) => p.environmentId)).toEqual([
        'karoo-bbbbbbb1',
      ]);
    } finally {
      if (pendingBefore === undefined) rmSync(PENDING_FILE(), { force: true });
      else writeFileSync(PENDING_FILE(), pendingBefore);
      spawnSync('virsh', ['-c', URI, 'undefine', 'karoo-bbbbbbb2-x'], { stdio: 'ignore' });
      await v.deleteVolume(POOL, 'karoo-bbbbbbb2-x.qcow2');
      for (const d of ['karoo-aaaaaaa1-x', 'karoo-aaaaaaa2-x', 'karoo-aaaaaaa3-x', 'karoo-aaaaaaa4-x', 'someone-elses-vm'])
        spawnSync('virsh', ['-c', URI, 'undefine', d], { stdio: 'ignore' });
      for (const x of ['karoo-aaaaaaa1-x.qcow2', 'karoo-aaaaaaa4-x.qcow2']) await v.deleteVolume(POOL, x);
    }
  }, 120_000);

  test('base volumes: an upload cut short is made again; two environments uploading the same image at once upload it once', async () => {
    const v = new Virsh(host());
    const file = join(scratch('karoo-libvirt-base-'), 'image.bin');
    writeFileSync(file, randomBytes(1 << 20));
    const cut = 'karoo-base-itgcut.bin';
    const both = 'karoo-base-itgboth.bin';
    try {
      // Cut short: the volume is there, its marker is not, and it does not grow.
      await v.upload(POOL, cut, file);
      expect(await ensureUploaded(v, POOL, cut, file, progress, 1000)).toBe(true);
      expect(lines).toContain(`libvirt host local: ${cut} is an upload cut short (no marker, not growing); made again`);
      expect(await v.volExists(POOL, `${cut}.ok`)).toBe(true);
      // Side by side: one uploads, the other waits for its marker.
      const uploaded = await Promise.all([
        ensureUploaded(v, POOL, both, file, progress, 5000),
        ensureUploaded(v, POOL, both, file, progress, 5000),
      ]);
      expect(uploaded.sort()).toEqual([false, true]);
      const back = join(scratch('karoo-libvirt-back-'), 'back.bin');
      await v.download(POOL, both, back);
      expect(readFileSync(back).equals(readFileSync(file))).toBe(true);
      // Once complete, reused.
      expect(await ensureUploaded(v, POOL, both, file, progress)).toBe(false);
    } finally {
      for (const x of [cut, `${cut}.ok`, both, `${both}.ok`]) await v.deleteVolume(POOL, x);
    }
  }, 120_000);

  test('an environment that does not fit fails before anything is made, naming the shortfall', async () => {
    const before = karooLeft();
    const e = await provision({
      nodes: [
        { name: 'big-a', role: 'r', cpus: 2, memory: 1536 },
        { name: 'big-b', role: 'r', cpus: 2, memory: 1536 },
      ],
      provider: 'libvirt',
      libvirt: { hosts: [{ ...host(), network: SITE_NET }, refusing()] },
      outDir: scratch('karoo-libvirt-nofit-'),
      reapFirst: false,
    }).catch((x: unknown) => x);
    expect(isKarooError(e) && e.kind === 'unavailable').toBe(true);
    expect((e as Error).message).toMatch(/short by 1024 MiB of memory; unreachable: gone \(virsh nodeinfo failed: .+\)$/);
    expect(karooLeft()).toEqual(before);
  }, 120_000);
});
