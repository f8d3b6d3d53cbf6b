import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { configText, KarooError } from '@karoo/common';
import type { SshEndpoint } from '../inventory.js';
import { names } from '../names.js';
import { createNodeTap } from '../network.js';
import { isAlive, killAndWait, procRef } from '../proc.js';
import type { CreateRequest, Provider } from '../provider.js';
import { requireTools, run } from '../run.js';
import { seedTar, writeSecretFile, type SeedFile } from '../seed.js';
import type { EnvState, MachineState } from '../state.js';
import { collectCommonLogs, waitReadyOverSsh } from './common.js';

/**
 * KVM when /dev/kvm opens read-write and the CPU advertises virtualisation (a /dev/kvm that
 * opens without vmx/svm, as in some nested sandboxes, fails at the first emulated
 * instruction); software emulation (TCG) otherwise. KAROO_QEMU_ACCEL=kvm|tcg overrides.
 */
export async function detectAccelerator(): Promise<'kvm' | 'tcg'> {
  const forced = process.env.KAROO_QEMU_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return forced;
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
    const cpuinfo = await readFile('/proc/cpuinfo', 'utf8');
    return /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo) ? 'kvm' : 'tcg';
  } catch {
    return 'tcg';
  }
}

/** The host's CPU frequency in kHz, for the guest's clock under emulation (calibration fails on a busy host). */
async function hostKhz(): Promise<number | undefined> {
  const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''));
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

export interface QemuArgsInput {
  name: string;
  accel: 'kvm' | 'tcg';
  cpus: number;
  memory: number;
  disk: string;
  seed: { path: string; kind: 'tar' | 'iso' };
  tap: string;
  mac: string;
  console: string;
  /** Direct kernel boot (karoo's image). */
  kernel?: { kernel: string; initrd: string; khz?: number };
}

/** The qemu-system-x86_64 command line of one machine; the bench runs the same one bare. */
export function qemuArgs(q: QemuArgsInput): string[] {
  const a = ['-name', `${q.name},process=${q.name}`, '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot'];
  if (q.accel === 'kvm') a.push('-machine', 'q35,accel=kvm', '-cpu', 'host');
  else a.push('-machine', 'q35', '-accel', 'tcg,thread=multi,tb-size=256', '-cpu', 'max');
  a.push('-smp', String(q.cpus), '-m', String(q.memory));
  if (q.kernel) {
    const cmdline = ['root=serial:karoo-root', 'rw', 'console=ttyS0', 'quiet', 'panic=-1'];
    if (q.accel === 'tcg') cmdline.push(...(q.kernel.khz ? [`tsc_early_khz=${q.kernel.khz}`] : []), 'tsc=reliable', 'no_timer_check');
    a.push('-kernel', q.kernel.kernel, '-initrd', q.kernel.initrd, '-append', cmdline.join(' '));
  }
  a.push(
    '-drive',
    `file=${q.disk},if=none,id=root,format=qcow2,cache=unsafe,discard=unmap`,
    '-device',
    `virtio-blk-pci,drive=root,serial=karoo-root${q.kernel ? '' : ',bootindex=0'}`,
  );
  if (q.seed.kind === 'tar')
    a.push(
      '-drive',
      `file=${q.seed.path},if=none,id=seed,format=raw,readonly=on`,
      '-device',
      'virtio-blk-pci,drive=seed,serial=karoo-seed',
    );
  else a.push('-drive', `file=${q.seed.path},if=virtio,format=raw,media=cdrom,readonly=on`);
  a.push('-netdev', `tap,id=n0,ifname=${q.tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n0,mac=${q.mac}`);
  a.push('-device', 'virtio-rng-pci', '-serial', `file:${q.console}`);
  return a;
}

/** QEMU virtual machines on copy-on-write overlays of one base disk, taps on the environment's bridge. */
export class QemuProvider implements Provider {
  readonly name = 'qemu' as const;

  maxParallelBoots(state: EnvState): number {
    const forced = Number(process.env.KAROO_MAX_PARALLEL_BOOTS);
    if (forced > 0) return forced;
    // Under emulation machines compete for the cores: two at a time boot fastest on 2 cores.
    return state.accelerator === 'kvm' ? Math.max(2, cpus().length) : Math.max(1, Math.floor(cpus().length / 2) || 1) + 1;
  }

  async prepare(state: EnvState): Promise<void> {
    if (process.getuid?.() !== 0)
      throw new KarooError('refused', 'the qemu provider needs root (network namespace, taps); run as root or with sudo');
    await requireTools(['qemu-system-x86_64', 'qemu-img', 'ip']);
    if (state.image.kind === 'cloud') await requireTools(['genisoimage']);
    state.accelerator = await detectAccelerator();
  }

  async create(req: CreateRequest): Promise<void> {
    const { state, machine: m, image } = req;
    const dir = join(state.dir, 'nodes', m.name);
    // 0700: the seed holds the node's SSH host key; QEMU runs as root.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const disk = join(dir, 'disk.qcow2');
    await req.save();
    const tap = await createNodeTap(state.environmentId, m.name, m.index);
    if (image.kind === 'karoo') {
      await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', image.disk, disk]);
    } else {
      await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', image.format, '-b', image.disk, disk, '20G']);
    }
    let seed: { path: string; kind: 'tar' | 'iso' };
    if (image.kind === 'karoo') {
      seed = { path: join(dir, 'seed.tar'), kind: 'tar' };
      await writeSecretFile(seed.path, await seedTar(req.seed));
    } else {
      seed = { path: join(dir, 'seed.iso'), kind: 'iso' };
      await writeNoCloudSeed(dir, seed.path, {
        name: m.name,
        machineId: m.machineId,
        mac: m.mac,
        address: m.address,
        seed: req.seed,
        authorizedKey: req.authorizedKey,
      });
    }
    const args = qemuArgs({
      name: m.machineId,
      accel: state.accelerator ?? 'tcg',
      cpus: m.cpus ?? (state.accelerator === 'kvm' ? 1 : 2),
      memory: m.memory ?? 512,
      disk,
      seed,
      tap,
      mac: m.mac,
      console: m.consoleLog,
      kernel: image.kind === 'karoo' ? { kernel: image.kernel, initrd: image.initrd, khz: await hostKhz() } : undefined,
    });
    const log = await open(join(dir, 'qemu.log'), 'a');
    try {
      // `ip netns exec` execs QEMU inside the environment's namespace, where the tap is; the pid stays the same.
      const child = spawn('ip', ['netns', 'exec', names.netns(state.environmentId), 'qemu-system-x86_64', ...args], {
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('spawn', () => resolve(child.pid!));
      });
      child.unref();
      m.process = (await procRef(pid)) ?? { pid, startTime: 0 };
      m.startedAt = new Date().toISOString();
      await req.save();
    } finally {
      await log.close();
    }
  }

  isRunning(m: MachineState): Promise<boolean> {
    return isAlive(m.process);
  }

  async waitReady(m: MachineState, ssh: SshEndpoint, deadline: number): Promise<void> {
    try {
      await waitReadyOverSsh(m, ssh, deadline, () => this.isRunning(m), 'virtual machine');
    } catch (e) {
      // QEMU's own complaints (bad option, no accelerator) are in qemu.log, not on the console.
      const q = (await readFile(join(m.consoleLog, '..', '..', 'nodes', m.name, 'qemu.log'), 'utf8').catch(() => '')).trim();
      if (q && e instanceof Error) e.message += `\nqemu: ${q.split('\n').slice(-5).join('\nqemu: ')}`;
      throw e;
    }
  }

  async collectLogs(state: EnvState, m: MachineState, ssh: SshEndpoint | undefined, dir: string): Promise<string[]> {
    const saved = await collectCommonLogs(m, ssh, dir);
    const q = await readFile(join(state.dir, 'nodes', m.name, 'qemu.log'), 'utf8').catch(() => '');
    if (q.trim()) {
      const p = join(dir, `${m.name}.qemu.log`);
      await writeFile(p, q);
      saved.push(p);
    }
    return saved;
  }

  async destroy(state: EnvState, m: MachineState): Promise<void> {
    if (m.process) await killAndWait([m.process], 5000);
    // The tap goes with the environment's namespace; the overlay disk with the node directory.
    await rm(join(state.dir, 'nodes', m.name), { recursive: true, force: true });
  }
}

/**
 * cloud-init NoCloud seed: user (root) with the environment key, hostname, hosts, host key,
 * static network. Its files and the ISO hold the host's private key: they are created 0600 in a
 * 0700 directory, and the files are deleted once the ISO is made.
 */
export async function writeNoCloudSeed(
  dir: string,
  iso: string,
  m: { name: string; machineId: string; mac: string; address: string; seed: readonly SeedFile[]; authorizedKey: string },
): Promise<void> {
  const req = m;
  const file = (p: string) => req.seed.find((f) => f.path === p)?.content ?? '';
  // Written into YAML lines: a newline would add keys of its own.
  for (const [k, v] of Object.entries({
    name: m.name,
    machineId: m.machineId,
    mac: m.mac,
    address: m.address,
    authorizedKey: m.authorizedKey.trim(),
  }))
    configText(`cloud-init seed ${k}`, v);
  const hostKey = file('/etc/ssh/ssh_host_ed25519_key');
  const indent = (s: string, n: number) =>
    s
      .split('\n')
      .map((l) => (l ? ' '.repeat(n) + l : l))
      .join('\n');
  const userData = [
    '#cloud-config',
    `hostname: ${m.name}`,
    'manage_etc_hosts: false',
    'disable_root: false',
    'ssh_pwauth: false',
    'ssh_genkeytypes: [ed25519]',
    'ssh_deletekeys: true',
    'ssh_authorized_keys:',
    `  - ${req.authorizedKey.trim()}`,
    'ssh_keys:',
    '  ed25519_private: |',
    indent(hostKey.trim(), 4),
    `  ed25519_public: ${file('/etc/ssh/ssh_host_ed25519_key.pub').trim()}`,
    'write_files:',
    '  - path: /etc/hosts',
    '    permissions: "0644"',
    '    content: |',
    indent(file('/etc/hosts').trim(), 6),
    '',
  ].join('\n');
  const net = [
    'version: 2',
    'ethernets:',
    '  karoo0:',
    '    match:',
    `      macaddress: "${m.mac}"`,
    `    addresses: [${m.address}/24]`,
    '    dhcp4: false',
    '    dhcp6: false',
    '',
  ].join('\n');
  const src = join(dir, 'cidata');
  await mkdir(src, { mode: 0o700 });
  try {
    await writeSecretFile(join(src, 'user-data'), userData);
    await writeSecretFile(join(src, 'meta-data'), `instance-id: ${m.machineId}\nlocal-hostname: ${m.name}\n`);
    await writeSecretFile(join(src, 'network-config'), net);
    // genisoimage truncates the file it is given and keeps its mode.
    await writeSecretFile(iso, '');
    await run('genisoimage', [
      '-quiet',
      '-output',
      iso,
      '-volid',
      'cidata',
      '-joliet',
      '-rock',
      join(src, 'user-data'),
      join(src, 'meta-data'),
      join(src, 'network-config'),
    ]);
  } finally {
    await rm(src, { recursive: true, force: true });
  }
}
