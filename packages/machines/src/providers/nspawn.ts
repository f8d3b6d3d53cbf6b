import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KarooError } from '@karoo/common';
import type { SshEndpoint } from '../inventory.js';
import { cgroupsWithPrefix, createCgroups, removeCgroupTree } from '../cgroups.js';
import { names } from '../names.js';
import { createNodeVeth, deleteNetns, netnsPath } from '../network.js';
import { isAlive, killAndWait, listProcesses, netnsInode, procRef, type ProcInfo, type ProcRef } from '../proc.js';
import type { CreateRequest, Provider } from '../provider.js';
import { requireTools, run } from '../run.js';
import { writeSeedInto } from '../seed.js';
import type { EnvState, MachineState } from '../state.js';
import { collectCommonLogs, waitReadyOverSsh } from './common.js';

/** The flags every karoo container boots with; the bench runs the bare command with the same ones. */
export function nspawnArgs(opts: { root: string; machine: string; hostname: string; netnsPath: string }): string[] {
  return [
    '--boot',
    // The runner may not run systemd: do not register with machined or create a scope unit.
    '--register=no',
    '--keep-unit',
    '--quiet',
    `--directory=${opts.root}`,
    `--machine=${opts.machine}`,
    `--hostname=${opts.hostname}`,
    // Our own namespace (veth already on the bridge); networkd inside needs CAP_NET_ADMIN to set the address.
    `--network-namespace-path=${opts.netnsPath}`,
    '--capability=CAP_NET_ADMIN',
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
    '--console=read-only',
  ];
}

/** systemd-nspawn system containers: real systemd as PID 1 on an overlay of the image's root file system. */
export class NspawnProvider implements Provider {
  readonly name = 'nspawn' as const;

  maxParallelBoots(): number {
    return Number(process.env.KAROO_MAX_PARALLEL_BOOTS) || 32;
  }

  async prepare(state: EnvState): Promise<void> {
    if (process.getuid?.() !== 0)
      throw new KarooError('refused', 'the nspawn provider needs root (mounts, network namespaces); run as root or with sudo');
    await requireTools(['systemd-nspawn', 'ip', 'mount', 'umount']);
    if (state.image.kind !== 'karoo')
      throw new KarooError(
        'input',
        "the nspawn provider boots karoo's own image only; remove provision.image or use --provider qemu for a cloud image",
      );
  }

  async create(req: CreateRequest): Promise<void> {
    const { state, machine: m, image } = req;
    if (image.kind !== 'karoo') throw new KarooError('input', "the nspawn provider boots karoo's own image only");
    const dir = join(state.dir, 'nodes', m.name);
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    const root = join(dir, 'root');
    // 0700: the overlay's upper layer holds the node's SSH host key (upper itself stays 0755: it is the container's /).
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await mkdir(upper, { recursive: true });
    await mkdir(work, { recursive: true });
    await mkdir(root, { recursive: true });
    m.mountPoint = root;
    m.netns = names.nodeNetns(state.environmentId, m.name);
    await req.save();
    await run('mount', [
      '-t',
      'overlay',
      names.overlaySource(state.environmentId, m.name),
      '-o',
      `lowerdir=${image.rootfs},upperdir=${upper},workdir=${work}`,
      root,
    ]);
    await writeSeedInto(root, req.seed);
    await createNodeVeth(state.environmentId, m.name, m.index, m.mac);
    const log = await open(m.consoleLog, 'a');
    try {
      // The shell moves itself into the machine's cgroups, then becomes systemd-nspawn (same pid).
      const cgroups = await createCgroups(m.machineId);
      const child = spawn(
        'sh',
        [
          '-c',
          'for g in $KAROO_CGROUPS; do echo $$ > "$g/cgroup.procs" || exit 1; done; exec systemd-nspawn "$@"',
          m.machineId,
          ...nspawnArgs({ root, machine: m.machineId, hostname: m.name, netnsPath: netnsPath(m.netns) }),
        ],
        { detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...process.env, KAROO_CGROUPS: cgroups.join(' ') } },
      );
      const started = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('spawn', () => resolve(child.pid!));
      });
      child.unref();
      m.process = (await procRef(started)) ?? { pid: started, startTime: 0 };
      m.startedAt = new Date().toISOString();
      await req.save();
    } finally {
      await log.close();
    }
  }

  isRunning(m: MachineState): Promise<boolean> {
    return isAlive(m.process);
  }

  waitReady(m: MachineState, ssh: SshEndpoint, deadline: number): Promise<void> {
    return waitReadyOverSsh(m, ssh, deadline, () => this.isRunning(m), 'container');
  }

  collectLogs(_state: EnvState, m: MachineState, ssh: SshEndpoint | undefined, dir: string): Promise<string[]> {
    return collectCommonLogs(m, ssh, dir);
  }

  async destroy(state: EnvState, m: MachineState, processes?: readonly ProcInfo[]): Promise<void> {
    // Killing nspawn alone leaves the container running: kill its init (and every process in
    // the node's namespace) together with nspawn.
    const victims: ProcRef[] = [];
    if (m.process) victims.push(m.process);
    const ino = m.netns ? await netnsInode(netnsPath(m.netns)) : undefined;
    for (const p of processes ?? (await listProcesses())) {
      if ((ino !== undefined && p.netns === ino) || (m.process && p.ppid === m.process.pid))
        victims.push({ pid: p.pid, startTime: p.startTime });
    }
    await killAndWait(victims, 5000);
    for (const g of await cgroupsWithPrefix(m.machineId)) await removeCgroupTree(g);
    if (m.mountPoint) await unmount(m.mountPoint);
    if (m.netns) await deleteNetns(m.netns);
    await rm(`/run/systemd/nspawn/propagate/${m.machineId}`, { recursive: true, force: true });
    await rm(join(state.dir, 'nodes', m.name), { recursive: true, force: true });
  }
}

/** Unmounts if mounted; a busy mount is detached lazily so teardown never stalls. */
export async function unmount(path: string): Promise<void> {
  const mounted = async () => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').some((l) => l.split(' ')[4] === path);
  for (let i = 0; i < 3 && (await mounted()); i++) {
    const r = await run('umount', [path], { allowFailure: true });
    if (r.code === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  if (await mounted()) await run('umount', ['-l', path], { allowFailure: true });
}
