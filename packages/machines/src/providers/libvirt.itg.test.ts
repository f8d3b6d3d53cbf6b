import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { build } from '@karoo/build';
import { isKarooError, type Progress } from '@karoo/common';
import { loadConfig } from '@karoo/config';
import { accept, deploy } from '@karoo/deploy';
import { LayoutStore } from '@karoo/oci';
import { resolveLock } from '@karoo/resolve';
import { parseDocument } from 'yaml';
import { buildImage } from '../image.js';
import { loadState } from '../state.js';
import { imagesRoot } from '../paths.js';
import { destroyEnvironment, knownEnvironments, reap, resourcesOf } from '../teardown.js';
import { execOnNode, provision } from '../environment.js';
import { readInventory } from '../inventory.js';
import { sleep } from '../proc.js';
import type { LibvirtHost } from './libvirt-client.js';
import { Virsh } from './libvirt-client.js';
import { reapLibvirt } from './libvirt-reap.js';
import { ensureUploaded, KNOWN_HOSTS_FILE, libvirtOptions, PENDING_FILE, runnerId, type PendingRemoval } from './libvirt.js';
import { domainXml } from './libvirt-xml.js';
import { startLocalLibvirtd, stopLocalLibvirtd } from '../../../../test/support/local-libvirtd.mjs';

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
  startedDaemons.push(...(await startLocalLibvirtd(URI, 'itg')));
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
  await stopLocalLibvirtd(startedDaemons); // libvirtd first, then virtlogd
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

  test('a domain that stops before SSH is ready fails the provisioning with what libvirt and its QEMU log say, and nothing is left', async () => {
    // Stopped from outside as soon as it runs, as a domain that crashes (a KVM internal error) stops.
    let domain: string | undefined;
    const stopper = (async () => {
      for (let i = 0; i < 1200 && !domain; i++) {
        const d = virsh('list', '--name')
          .split('\n')
          .find((x) => x.trim().endsWith('-lv-s'));
        if (d) {
          // Once `virsh start` has returned (it lists the domain as running while it still connects
          // to QEMU's monitor), well before the guest's SSH is up.
          await sleep(1000);
          domain = d.trim();
          virsh('destroy', domain);
        } else await sleep(50);
      }
    })();
    const e = await provision({
      nodes: [{ name: 'lv-s', role: 'one' }],
      provider: 'libvirt',
      libvirt: { hosts: [host()] },
      outDir: scratch('karoo-libvirt-stop-'),
      progress,
      reapFirst: false,
    }).catch((x: unknown) => x);
    await stopper;
    expect(domain).toBeDefined();
    expect({ kind: isKarooError(e) ? e.kind : String(e), message: (e as Error).message }).toMatchObject({ kind: 'unavailable' });
    expect((e as Error).message).toContain(
      `libvirt domain ${domain} on local is not reachable over SSH: the machine stopped before SSH was ready (libvirt: shut off (destroyed)); the end of /var/log/libvirt/qemu/${domain}.log: `,
    );
    expect((e as Error).message).toMatch(/terminating on signal 15 from pid \d+ \(libvirtd\)/);
    expect(karooLeft()).toEqual([]);
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
    // Two hosts that accept the connection and never answer (a host that hangs rather than refuses).
    let open = 0;
    let maxOpen = 0;
    const sockets: Socket[] = [];
    const hanging = await Promise.all(
      ['hang-a', 'hang-b'].map(
        (name) =>
          new Promise<{ server: Server; host: LibvirtHost }>((res) => {
            const server = createServer((sock) => {
              sockets.push(sock);
              maxOpen = Math.max(maxOpen, ++open);
              sock.on('close', () => open--);
              sock.on('error', () => undefined);
              // Read (and drop) what virsh sends, so that its end is seen when it goes.
              sock.resume();
            });
            server.listen(0, '127.0.0.1', () =>
              res({
                server,
                host: { name, uri: `qemu+tcp://127.0.0.1:${(server.address() as AddressInfo).port}/system`, pool: 'default' },
              }),
            );
          }),
      ),
    );
    try {
      const swept = await reapLibvirt({ hosts: [host(), unreachable, ...hanging.map((x) => x.host)], progress, connectTimeoutMs: 3000 });
      // The hosts are asked at once: both silent hosts held a connection at the same time, and each cost one short timeout.
      expect(maxOpen).toBe(2);
      for (const name of ['hang-a', 'hang-b'])
        expect(swept.find((r) => r.host === name)?.reason).toMatch(/^host unreachable: .*virsh uri failed: .*did not finish within 3 s/);
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
      for (const sock of sockets) sock.destroy();
      for (const { server } of hanging) server.close();
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
    // How short depends on the host's free memory now (libvirt's freecell, less karoo's own domains).
    expect((e as Error).message).toMatch(
      /^the environment does not fit: .* short by (?:\d+ vCPU\(s\) and )?\d+ MiB of memory; unreachable: gone \(virsh nodeinfo failed: .+\)$/,
    );
    expect(karooLeft()).toEqual(before);
  }, 120_000);
});

// A second host on this machine, reached as a remote one: a network and mount namespace of its own
// (its own /run, /etc/libvirt, /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt), its own
// virtlogd, libvirtd and sshd, reached by virsh over qemu+ssh://root@<address>/system with a key
// file; its bridge of the site's network joined to the first host's by a veth pair, so the two
// share one layer-2 segment as a site's bridged network would. Everything goes with the namespace.
const H2_NET = `10.250.${process.pid % 250}`;
const H2_ADDR = `${H2_NET}.2`;
const H2_POOL = `karoo-itg2-${process.pid}`;
const H2_BRIDGE = `itgr${process.pid % 100000}`;
const H2_MGMT = `h2m${process.pid % 100000}`;
const H2_LINK = `h2b${process.pid % 100000}`;
const GLOBAL_KNOWN_HOSTS = '/etc/ssh/ssh_known_hosts';
const h2: { dir: string; ns?: number; sshd?: string; libs?: string; knownHosts?: string | null; sshdUser?: boolean } = { dir: '' };
const inH2 = (cmd: string, ...args: string[]) =>
  execFileSync('nsenter', ['-t', String(h2.ns), '-m', '-n', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const virsh2 = (...args: string[]) => inH2('virsh', '-q', '-c', URI, ...args);
const remoteHost = (): LibvirtHost => ({
  name: 'remote',
  uri: `qemu+ssh://root@${H2_ADDR}/system`,
  sshKey: join(h2.dir, 'client-key'),
  pool: H2_POOL,
  network: SITE_NET,
  cpus: 2,
  memory: 1024,
});

/**
 * sshd for the second host: the runner's, or Debian's openssh-server that the test command
 * (scripts/ensure-deps.sh) unpacked into karoo's tools cache — nothing installed, nothing
 * downloaded by the test itself.
 */
function sshdBinary(_dir: string): { sshd: string; libs?: string } {
  if (existsSync('/usr/sbin/sshd')) return { sshd: '/usr/sbin/sshd' };
  const tools =
    process.env.KAROO_TOOLS ??
    (process.getuid?.() === 0 ? '/var/cache/karoo/tools' : join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'karoo/tools'));
  const root = join(tools, 'openssh-server');
  if (!existsSync(join(root, 'usr/sbin/sshd')))
    throw new Error(`no sshd: neither /usr/sbin/sshd nor ${root}/usr/sbin/sshd; run bash scripts/ensure-deps.sh (the test command does)`);
  return { sshd: join(root, 'usr/sbin/sshd'), libs: join(root, 'usr/lib/x86_64-linux-gnu') };
}

async function startSecondHost(): Promise<void> {
  const d = (h2.dir = scratch('karoo-libvirt-h2-'));
  chmodSync(d, 0o755);
  for (const sub of ['lib', 'log', 'cache', 'etc', 'pool']) execFileSync('mkdir', ['-p', join(d, sub)]);
  chmodSync(join(d, 'pool'), 0o711);
  // Its own libvirt configuration: the runner's, without the runner's domains, networks and pools.
  execFileSync('cp', ['-a', '/etc/libvirt/.', join(d, 'etc')]);
  execFileSync('sh', ['-c', 'rm -rf etc/qemu/*.xml etc/qemu/networks/*.xml etc/qemu/networks/autostart etc/storage'], { cwd: d });
  if (existsSync('/var/cache/libvirt')) execFileSync('cp', ['-a', '/var/cache/libvirt/.', join(d, 'cache')]);
  Object.assign(h2, sshdBinary(d));
  if (spawnSync('id', ['sshd'], { stdio: 'ignore' }).status !== 0) {
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/run/sshd', '--shell', '/usr/sbin/nologin', 'sshd']);
    h2.sshdUser = true;
  }
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'host-key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'client-key')]);
  writeFileSync(
    join(d, 'sshd_config'),
    [
      `ListenAddress ${H2_ADDR}`,
      `HostKey ${d}/host-key`,
      `PidFile ${d}/sshd.pid`,
      `AuthorizedKeysFile ${d}/client-key.pub`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      '',
    ].join('\n'),
  );
  // The namespace's first process holds it (and its mounts) until afterAll kills it.
  const holder = spawn(
    'unshare',
    [
      '--mount',
      '--net',
      '--propagation',
      'private',
      'sh',
      '-c',
      `set -e; mount -t tmpfs -o mode=755 tmpfs /run; mkdir -p /run/libvirt /run/sshd
for m in lib log cache; do mkdir -p /var/$m/libvirt; mount --bind ${d}/$m /var/$m/libvirt; done
mount --bind ${d}/etc /etc/libvirt; ip link set lo up; touch ${d}/ready; exec sleep infinity`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  holder.unref();
  h2.ns = holder.pid!;
  for (let i = 0; !existsSync(join(d, 'ready')); i++) {
    if (i > 100 || holder.exitCode !== null) throw new Error('the second host: its namespace did not come up');
    await sleep(100);
  }
  // The runner reaches it (SSH) over a link of its own; the site's segment is the bridges' veth pair below.
  execFileSync('ip', ['link', 'add', H2_MGMT, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', String(h2.ns)]);
  execFileSync('ip', ['addr', 'add', `${H2_NET}.1/30`, 'dev', H2_MGMT]);
  execFileSync('ip', ['link', 'set', H2_MGMT, 'up']);
  inH2('ip', 'addr', 'add', `${H2_ADDR}/30`, 'dev', 'mgmt0');
  inH2('ip', 'link', 'set', 'mgmt0', 'up');
  inH2('virtlogd', '-d', '-p', '/run/libvirt/virtlogd.pid');
  inH2('libvirtd', '-d', '-p', '/run/libvirt/libvirtd.pid');
  inH2('env', ...(h2.libs ? [`LD_LIBRARY_PATH=${h2.libs}`] : []), h2.sshd!, '-f', join(d, 'sshd_config'));
  const deadline = Date.now() + 60_000;
  while (spawnSync('nsenter', ['-t', String(h2.ns), '-m', '-n', 'virsh', '-c', URI, 'version'], { stdio: 'ignore' }).status !== 0) {
    if (Date.now() > deadline) throw new Error(`the second host's libvirtd did not answer; see ${d}/log/libvirtd.log`);
    await sleep(200);
  }
  // Its host key, known as a site's would be (virsh's ssh runs with BatchMode: it never asks).
  h2.knownHosts = existsSync(GLOBAL_KNOWN_HOSTS) ? readFileSync(GLOBAL_KNOWN_HOSTS, 'utf8') : null;
  const hostKey = readFileSync(join(d, 'host-key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(GLOBAL_KNOWN_HOSTS, `${h2.knownHosts ?? ''}${H2_ADDR} ${hostKey}\n`);
  virsh2('pool-create-as', H2_POOL, 'dir', '--target', join(d, 'pool'));
  const net = join(d, 'site-net.xml');
  writeFileSync(net, `<network><name>${SITE_NET}</name><bridge name="${H2_BRIDGE}" stp="off" delay="0"/></network>`);
  virsh2('net-create', net);
  // One layer-2 segment: the first host's bridge and the second's, joined.
  execFileSync('ip', ['link', 'add', H2_LINK, 'type', 'veth', 'peer', 'name', 'site0', 'netns', String(h2.ns)]);
  execFileSync('ip', ['link', 'set', H2_LINK, 'master', SITE_BRIDGE, 'up']);
  inH2('ip', 'link', 'set', 'site0', 'master', H2_BRIDGE, 'up');
}

async function stopSecondHost(): Promise<void> {
  const quiet = (f: () => unknown) => {
    try {
      f();
    } catch {
      // already gone
    }
  };
  if (h2.ns) {
    // QEMU processes would keep the namespace: every domain goes first.
    quiet(() => {
      for (const dom of virsh2('list', '--all', '--name').split('\n').filter(Boolean)) {
        quiet(() => virsh2('destroy', dom));
        quiet(() => virsh2('undefine', dom));
      }
    });
    const pids = ['run/libvirt/libvirtd.pid', 'run/libvirt/virtlogd.pid']
      .map((f) => join(`/proc/${h2.ns}/root`, f))
      .concat(join(h2.dir, 'sshd.pid'))
      .map((f) => (existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0))
      .filter((p) => p > 0);
    for (const pid of pids) {
      quiet(() => process.kill(pid, 'SIGTERM'));
      for (let i = 0; i < 100 && spawnSync('kill', ['-0', String(pid)]).status === 0; i++) await sleep(100);
    }
    // Anything else still in its network namespace (a QEMU whose domain would not go) goes with it.
    const netns = (pid: number | string) => {
      try {
        return readlinkSync(`/proc/${pid}/ns/net`);
      } catch {
        return undefined;
      }
    };
    const ns = netns(h2.ns);
    // Never the runner's own namespace (a holder that had not unshared yet).
    const inside =
      ns && ns !== netns('self') ? readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== h2.ns && netns(p) === ns) : [];
    for (const pid of [...inside.map(Number), h2.ns]) quiet(() => process.kill(pid, 'SIGKILL'));
    for (let i = 0; i < 50 && spawnSync('kill', ['-0', String(h2.ns)]).status === 0; i++) await sleep(100);
  }
  quiet(() => execFileSync('ip', ['link', 'del', H2_MGMT], { stdio: 'ignore' }));
  quiet(() => execFileSync('ip', ['link', 'del', H2_LINK], { stdio: 'ignore' }));
  if (h2.knownHosts === null) rmSync(GLOBAL_KNOWN_HOSTS, { force: true });
  else if (h2.knownHosts !== undefined) writeFileSync(GLOBAL_KNOWN_HOSTS, h2.knownHosts);
  if (h2.sshdUser) quiet(() => execFileSync('userdel', ['sshd']));
}

/**
 * The example on three nodes over the pool of two: store-1 (the store role, with the monitor
 * role's services merged in) and the example's two control nodes, control-1 and control-2, kept
 * apart by anti-affinity. By capacity alone all three would go to the runner's host (it offers
 * more); anti-affinity sends control-2 to the second host.
 */
function threeNodeConfig(yml: string): string {
  const doc = parseDocument(yml);
  doc.set('nodes', [
    { name: 'store-1', role: 'store', cpus: 1, memory: 512 },
    { name: 'control-1', role: 'control', cpus: 1, memory: 512 },
    { name: 'control-2', role: 'control', cpus: 1, memory: 512 },
  ]);
  type Role = { leaves: string[]; services: unknown[]; files: unknown[] };
  const st = (doc.getIn(['roles', 'store']) as { toJSON(): Role }).toJSON();
  const mo = (doc.getIn(['roles', 'monitor']) as { toJSON(): Role }).toJSON();
  doc.setIn(
    ['roles', 'store'],
    doc.createNode({ leaves: [...st.leaves, ...mo.leaves], services: [...st.services, ...mo.services], files: [...st.files, ...mo.files] }),
  );
  doc.deleteIn(['roles', 'monitor']);
  // The example's values already name control-1 and control-2; the monitor now runs on store-1.
  const services = (doc.getIn(['values', 'portal_services']) as { toJSON(): Array<{ name: string; url: string }> }).toJSON();
  doc.setIn(['values', 'portal_services'], doc.createNode(services.map((x) => ({ ...x, url: x.url.replace('monitor-1', 'store-1') }))));
  const h = host();
  const r = remoteHost();
  doc.set(
    'provision',
    doc.createNode({
      provider: 'libvirt',
      ttl: '1h',
      hosts: [
        { name: h.name, uri: h.uri, pool: h.pool, network: SITE_NET, cpus: h.cpus, memory: h.memory },
        { name: r.name, uri: r.uri, 'ssh-key': r.sshKey, pool: r.pool, network: SITE_NET, cpus: r.cpus, memory: r.memory },
      ],
      placement: { 'anti-affinity': ['control'] },
    }),
  );
  return doc.toString();
}

describe('libvirt provider on a pool of two hosts (the second over qemu+ssh)', () => {
  beforeAll(startSecondHost, 300_000);
  afterAll(stopSecondHost, 120_000);

  test("the example on three nodes across both hosts (control nodes kept apart by anti-affinity): the image goes to the second host over its connection, the example's candidate deploys and passes acceptance with services calling each other across hosts by node name; nothing karoo-named is left on either host", async () => {
    // The example's candidate, built as `karoo demo --no-accept` does, into a store of the test's.
    const work = scratch('karoo-libvirt-cam-');
    const dir = join(work, 'cam');
    cpSync(join(ROOT, 'examples/cam'), dir, {
      recursive: true,
      filter: (p) => !p.includes('/.karoo') && !p.includes('/reports') && !p.includes('__pycache__') && !p.includes('/.bench-'),
    });
    const cfgPath = join(dir, 'karoo-libvirt.yml');
    writeFileSync(cfgPath, threeNodeConfig(readFileSync(join(dir, 'karoo.yml'), 'utf8')));
    const config = await loadConfig(cfgPath);
    const store = new LayoutStore(join(work, 'store'));
    const resolved = await resolveLock({ config });
    const { candidate } = await build({ lock: resolved.lock, store, system: config.system, target: config.target });
    lines.length = 0;
    const { inventory, inventoryPath } = await provision({
      nodes: config.nodes.map((n) => ({ name: n.name, role: n.role, cpus: n.cpus, memory: n.memory })),
      provider: 'libvirt',
      ...libvirtOptions(config.provision),
      outDir: join(work, 'env'),
      progress,
      reapFirst: false,
      bootTimeoutSeconds: 1500,
    });
    const env = inventory.environmentId;
    try {
      // As placement printed: the runner's libvirtd and the second host's own.
      expect(lines).toContain('placement: local: store-1, control-1 (2 vCPU(s), 1024 MiB; 2 vCPU(s), 1024 MiB left)');
      expect(lines).toContain('placement: remote: control-2 (1 vCPU(s), 512 MiB; 1 vCPU(s), 512 MiB left)');
      expect(virsh2('list', '--name').split('\n').filter(Boolean)).toEqual([`${env}-control-2`]);
      expect(
        virsh('list', '--name')
          .split('\n')
          .filter((d) => d.startsWith(`${env}-`))
          .sort(),
      ).toEqual([`${env}-control-1`, `${env}-store-1`]);
      // The image reached the second host's pool over the connection (not the runner's pool).
      expect(lines.filter((l) => l.startsWith('libvirt host remote: uploaded karoo-base-'))).toHaveLength(3);
      expect(virsh2('vol-list', '--pool', H2_POOL)).toMatch(/karoo-base-[0-9a-f]{24}\.qcow2\.ok/);
      // Services get longer to come up under software emulation on a shared 2-core machine.
      const d = await deploy({ config, environment: 'integration', store, candidate, inventory, progress, waitSeconds: 300 });
      if (!d.ok)
        throw new Error(`deploy failed: ${d.nodes.map((n) => `${n.name} ${n.result}${n.detail ? `: ${n.detail}` : ''}`).join('; ')}`);
      expect(d.nodes.map((n) => [n.name, n.result]).sort()).toEqual([
        ['control-1', 'deployed'],
        ['control-2', 'deployed'],
        ['store-1', 'deployed'],
      ]);
      // The example's acceptance: among others a value written through one proxy is read back through the other (on the other host).
      const a = await accept({
        config,
        environment: 'integration',
        inventory,
        store,
        candidate: d.candidate,
        outDir: join(work, 'acceptance'),
        progress,
        output: { write: () => true } as unknown as NodeJS.WritableStream,
      });
      if (a.result !== 'passed') throw new Error(`acceptance ${a.result}: ${JSON.stringify(a.counts)} ${a.reason ?? ''}`);
      expect(a.counts.failed).toBe(0);
      expect(a.counts.passed).toBeGreaterThanOrEqual(10);
      // Across hosts by name: the monitor on store-1 polls both proxies; control-2's (second host) asks the store on the runner's host.
      const inv = await readInventory(inventoryPath);
      const poll = await execOnNode(
        inv,
        'store-1',
        `python3 -c 'import urllib.request; print(urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:7104/poll", data=b"{}", method="POST"), timeout=30).read().decode())'`,
        { timeoutMs: 60_000 },
      );
      expect(JSON.parse(poll.stdout)).toMatchObject({
        results: {
          'http://control-1:7102': { ok: true, proxy_node: 'control-1', store_node: 'store-1' },
          'http://control-2:7102': { ok: true, proxy_node: 'control-2', store_node: 'store-1' },
        },
      });
    } finally {
      const report = await destroyEnvironment({ environmentId: env });
      expect(report.leftovers).toEqual([]);
    }
    expect(karooLeft()).toEqual([]);
    expect(await resourcesOf(env)).toEqual([]);
    expect(virsh2('list', '--all', '--name').trim()).toBe('');
    const vols2 = virsh2('vol-list', '--pool', H2_POOL)
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean);
    expect(vols2.filter((v) => v.startsWith('karoo-') && !v.startsWith('karoo-base-'))).toEqual([]);
    // Base volumes stay for the next environment on that host.
    expect(vols2.filter((v) => v.startsWith('karoo-base-')).length).toBe(6);
    // The runner's leg is gone from the segment; the bridges' own link stays (the test's).
    expect(execFileSync('ip', ['-o', 'link', 'show', 'master', SITE_BRIDGE], { encoding: 'utf8' })).not.toContain(`kl${env.slice(6)}`);
  }, 1_800_000);

  test('a second host without capacity for a node that anti-affinity sends there: refused before anything is made on either host, naming what each host lacks', async () => {
    const before = { local: karooLeft(), remote: virsh2('vol-list', '--pool', H2_POOL) };
    const e = await provision({
      nodes: [
        { name: 'c-1', role: 'control', cpus: 1, memory: 512 },
        { name: 'c-2', role: 'control', cpus: 1, memory: 512 },
      ],
      provider: 'libvirt',
      libvirt: {
        hosts: [
          { ...host(), network: SITE_NET },
          { ...remoteHost(), memory: 256 },
        ],
        antiAffinity: ['control'],
      },
      outDir: scratch('karoo-libvirt-full-'),
      reapFirst: false,
    }).catch((x: unknown) => x);
    expect(isKarooError(e) && e.kind === 'unavailable').toBe(true);
    expect((e as Error).message).toBe(
      'node "c-2" (control: 1 vCPU(s), 512 MiB) fits on no host: local already holds a "control" node (anti-affinity); remote has 2 vCPU(s) and 256 MiB left',
    );
    expect(karooLeft()).toEqual(before.local);
    expect(virsh2('vol-list', '--pool', H2_POOL)).toBe(before.remote);
    expect(virsh2('list', '--all', '--name').trim()).toBe('');
  }, 120_000);

  test('a cloud image whose sha256 does not match is refused before anything is made on either host, in one line', async () => {
    const img = join(scratch('karoo-libvirt-cloud-'), 'cloud.qcow2');
    writeFileSync(img, randomBytes(4096));
    const wrong = createHash('sha256').update('something else').digest('hex');
    const before = { local: karooLeft(), remote: virsh2('vol-list', '--pool', H2_POOL), envs: await knownEnvironments() };
    const e = await provision({
      nodes: [{ name: 'lv-c', role: 'r' }],
      provider: 'libvirt',
      libvirt: { hosts: [{ ...host(), network: SITE_NET }, remoteHost()] },
      image: pathToFileURL(img).href,
      imageSha256: wrong,
      outDir: scratch('karoo-libvirt-cloud-out-'),
      reapFirst: false,
    }).catch((x: unknown) => x);
    expect(isKarooError(e) && e.kind === 'integrity').toBe(true);
    expect((e as Error).message).toBe(
      `image ${pathToFileURL(img).href} has sha256 ${createHash('sha256').update(readFileSync(img)).digest('hex')}, not the expected ${wrong}; refusing to boot it (check provision.image-sha256)`,
    );
    // Nothing made: no environment, no domain, no volume on either host, nothing cached under the expected hash.
    const added = (await knownEnvironments()).filter((x) => !before.envs.includes(x));
    // (Other processes on this machine may be making environments of their own meanwhile.)
    for (const x of added) expect((await loadState(x))?.owner.pid).not.toBe(process.pid);
    expect(karooLeft()).toEqual(before.local);
    expect(virsh2('vol-list', '--pool', H2_POOL)).toBe(before.remote);
    expect(virsh2('list', '--all', '--name').trim()).toBe('');
    expect(existsSync(join(imagesRoot(), 'cloud', `${wrong}.img`))).toBe(false);
  }, 120_000);

  test("a provisioning on the pool of two killed with SIGKILL once a domain runs on each host is removed from both hosts by karoo reap; another runner's environment and a foreign domain on the second host are untouched", async () => {
    const me = await runnerId();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const foreignXml = (name: string, stamp?: { environmentId: string; expiresAt: string; runner: string }) => {
      const xml = domainXml({
        name,
        type: 'qemu',
        cpus: 1,
        memory: 128,
        stamp: stamp ?? { environmentId: 'karoo-00000000', expiresAt: future, runner: me },
        pool: H2_POOL,
        disk: 'none.qcow2',
        seed: { volume: 'none.seed', kind: 'tar' },
        console: join(h2.dir, `${name}.console`),
        network: 'none',
        mac: '52:54:00:00:00:02',
      });
      return stamp ? xml : xml.replace(/ {2}<metadata>[\s\S]*<\/metadata>\n/, '');
    };
    const v2 = new Virsh(remoteHost());
    await v2.define('domain', foreignXml('someone-elses-vm'));
    await v2.define(
      'domain',
      foreignXml('karoo-ccccccc1-x', { environmentId: 'karoo-ccccccc1', expiresAt: future, runner: 'other-runner/boot' }),
    );
    await v2.createEmpty(H2_POOL, 'karoo-ccccccc1-x.qcow2');
    const script = join(scratch('karoo-libvirt-kill2-'), 'provision.mjs');
    const hosts = [{ ...host(), network: SITE_NET }, remoteHost()];
    writeFileSync(
      script,
      `import { provision } from ${JSON.stringify(join(ROOT, 'packages/machines/lib/src/index.js'))};
await provision({ nodes: [{ name: 'lv-m', role: 'r' }, { name: 'lv-n', role: 'r' }], provider: 'libvirt',
  libvirt: { hosts: ${JSON.stringify(hosts)}, antiAffinity: ['r'] }, reapFirst: false, bootTimeoutSeconds: 1500,
  outDir: ${JSON.stringify(join(script, '..', 'out'))},
  onMachineStarted: (m, s) => console.log('STARTED ' + s.environmentId + ' ' + m.name) });
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const env = await new Promise<string>((res, rej) => {
        let buf = '';
        child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          const started = [...buf.matchAll(/STARTED (karoo-[0-9a-f]{8}) /g)];
          if (started.length >= 2) res(started[0]![1]!);
        });
        child.once('exit', (c) => rej(new Error(`provisioning child exited (${c}) before both machines started`)));
      });
      // Mid-provision: a domain of the environment runs on each host, neither is reachable yet.
      expect(
        virsh('list', '--name')
          .split('\n')
          .filter((d) => d.startsWith(`${env}-`)),
      ).toHaveLength(1);
      expect(
        virsh2('list', '--name')
          .split('\n')
          .filter((d) => d.startsWith(`${env}-`)),
      ).toHaveLength(1);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const reaped = await reap({ progress });
      expect(reaped.map((r) => r.environmentId)).toContain(env);
      expect(karooLeft()).toEqual([]);
      expect(await resourcesOf(env)).toEqual([]);
      const left2 = virsh2('list', '--all', '--name').split('\n').filter(Boolean);
      expect(left2.filter((d) => d.startsWith(`${env}-`))).toEqual([]);
      expect(
        virsh2('vol-list', '--pool', H2_POOL)
          .split('\n')
          .map((l) => l.trim().split(/\s+/)[0] ?? '')
          .filter((x) => x.startsWith(`${env}-`)),
      ).toEqual([]);
      // Not this environment's: left as they were.
      expect(left2.sort()).toEqual(['karoo-ccccccc1-x', 'someone-elses-vm']);
      expect(await v2.volExists(H2_POOL, 'karoo-ccccccc1-x.qcow2')).toBe(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const d of ['karoo-ccccccc1-x', 'someone-elses-vm'])
        spawnSync('nsenter', ['-t', String(h2.ns), '-m', '-n', 'virsh', '-c', URI, 'undefine', d], { stdio: 'ignore' });
      await v2.deleteVolume(H2_POOL, 'karoo-ccccccc1-x.qcow2');
    }
  }, 1_800_000);
});
