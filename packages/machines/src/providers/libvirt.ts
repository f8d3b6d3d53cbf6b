import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KarooError, silentProgress, writeFileAtomic, type Progress } from '@karoo/common';
import type { CloudImage, KarooImage } from '../image.js';
import type { SshEndpoint } from '../inventory.js';
import { names } from '../names.js';
import { ipBatch } from '../network.js';
import { cacheRoot, stateRoot } from '../paths.js';
import { describePlacement, place, type PlacementHost } from '../placement.js';
import { bootId } from '../proc.js';
import type { CreateRequest, Provider } from '../provider.js';
import { requireTools, run } from '../run.js';
import { seedTar, writeSecretFile } from '../seed.js';
import { waitForSsh } from '../ssh.js';
import type { EnvState, MachineState } from '../state.js';
import { collectCommonLogs, consoleTail } from './common.js';
import { allDone, isUnreachable, Virsh, type LibvirtHost } from './libvirt-client.js';
import { domainXml, privateNetworkXml, type Stamp } from './libvirt-xml.js';
import { writeNoCloudSeed } from './qemu.js';

export type { LibvirtHost } from './libvirt-client.js';

/** The pool and placement rules a libvirt environment is made with (karoo.yml provision.hosts / placement). */
export interface LibvirtSettings {
  hosts: readonly LibvirtHost[];
  antiAffinity?: readonly string[];
  progress?: Progress;
}

/** ProvisionOptions' libvirt part from karoo.yml's provision section (nothing for the other providers). */
export function libvirtOptions(p: { hosts?: readonly LibvirtHost[] | undefined; antiAffinity?: readonly string[] | undefined }): {
  libvirt?: LibvirtSettings;
} {
  return p.hosts?.length ? { libvirt: { hosts: p.hosts, ...(p.antiAffinity?.length ? { antiAffinity: p.antiAffinity } : {}) } } : {};
}

/** Node defaults when karoo.yml declares none: one vCPU (placement counts it), 512 MiB. */
export const LIBVIRT_NODE_DEFAULTS = { cpus: 1, memory: 512 } as const;

/** What the provider made where: written into the environment's directory before each thing is made, read by teardown. */
interface Record_ {
  runner: string;
  hosts: LibvirtHost[];
  /** Node → host name. */
  placement: Record<string, string>;
  /** Host name → the private network karoo made there (single-host pools without a site network). */
  networks: Record<string, string>;
  /** Node → its domain and volumes. */
  nodes: Record<string, { host: string; domain: string; volumes: string[] }>;
}

const recordPath = (state: EnvState) => join(state.dir, 'libvirt.json');

async function readRecord(state: EnvState): Promise<Record_ | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(state), 'utf8')) as Record_;
  } catch {
    return undefined;
  }
}

/** This runner: host name and boot. Orphans a runner made (no state left) may be reaped by it before they expire. */
export async function runnerId(): Promise<string> {
  return `${hostname()}/${await bootId()}`;
}

/** The volume names of one node (all `karoo-<env>-<node>.…`). */
export const libvirtNames = {
  domain: (env: string, node: string) => names.machine(env, node),
  disk: (env: string, node: string) => `${names.machine(env, node)}.qcow2`,
  seed: (env: string, node: string) => `${names.machine(env, node)}.seed`,
  console: (env: string, node: string) => `${names.machine(env, node)}.console`,
  network: (env: string) => env,
  /** Linux interface names: at most 15 bytes. */
  bridge: (env: string) => `kv${env.slice('karoo-'.length)}`,
  /** The runner's end of the link into a network's bridge (host side), the other end `lv0` in the environment's namespace. */
  link: (env: string) => `kl${env.slice('karoo-'.length)}`,
  base: (sha256: string, what: string) => `karoo-base-${sha256.slice(0, 24)}.${what}`,
};

/** Whether a URI names the libvirtd of the machine karoo runs on. */
export function isLocalUri(uri: string): boolean {
  return /^qemu(\+unix)?:\/\/\/(system|session)$/.test(uri);
}

/** sha256 of a file, remembered by path, size and mtime (the image files are large and do not change). */
async function fileSha256(path: string): Promise<string> {
  const st = await stat(path);
  const memo = join(cacheRoot(), 'libvirt', `${createHash('sha256').update(path).digest('hex').slice(0, 16)}.json`);
  try {
    const m = JSON.parse(await readFile(memo, 'utf8')) as { size: number; mtimeMs: number; sha256: string };
    if (m.size === st.size && m.mtimeMs === st.mtimeMs) return m.sha256;
  } catch {
    // not yet
  }
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  const sha256 = h.digest('hex');
  await mkdir(join(cacheRoot(), 'libvirt'), { recursive: true });
  await writeFileAtomic(memo, JSON.stringify({ size: st.size, mtimeMs: st.mtimeMs, sha256 }));
  return sha256;
}

/** Hosts this runner has ever provisioned on: `karoo reap` sweeps every one of them. */
export const KNOWN_HOSTS_FILE = () => join(stateRoot(), 'libvirt-hosts.json');
/** What a teardown could not remove (host unreachable): retried by the next `karoo reap`. */
export const PENDING_FILE = () => join(stateRoot(), 'libvirt-pending.json');

export interface PendingRemoval {
  host: LibvirtHost;
  environmentId: string;
  domains: string[];
  volumes: string[];
  networks: string[];
  reason: string;
}

export async function readJsonList<T>(path: string): Promise<T[]> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

async function rememberHosts(hosts: readonly LibvirtHost[]): Promise<void> {
  const known = await readJsonList<LibvirtHost>(KNOWN_HOSTS_FILE());
  let changed = false;
  for (const h of hosts) {
    const i = known.findIndex((k) => k.uri === h.uri);
    if (i < 0 || JSON.stringify(known[i]) !== JSON.stringify(h)) {
      if (i < 0) known.push({ ...h });
      else known[i] = { ...h };
      changed = true;
    }
  }
  if (changed) {
    await mkdir(stateRoot(), { recursive: true });
    await writeFileAtomic(KNOWN_HOSTS_FILE(), `${JSON.stringify(known, null, 2)}\n`);
  }
}

export async function addPending(p: PendingRemoval): Promise<void> {
  const list = await readJsonList<PendingRemoval>(PENDING_FILE());
  const same = list.find((x) => x.host.uri === p.host.uri && x.environmentId === p.environmentId);
  if (same) {
    same.domains = [...new Set([...same.domains, ...p.domains])];
    same.volumes = [...new Set([...same.volumes, ...p.volumes])];
    same.networks = [...new Set([...same.networks, ...p.networks])];
    same.reason = p.reason;
  } else list.push(p);
  await mkdir(stateRoot(), { recursive: true });
  await writeFileAtomic(PENDING_FILE(), `${JSON.stringify(list, null, 2)}\n`);
}

/**
 * Virtual machines on a pool of hypervisor hosts through libvirt (virsh --connect): placed by
 * declared vCPUs/memory against each host's free capacity before anything is made; karoo's image
 * uploaded once per host into its storage pool (named by its sha256, reused), one qcow2 overlay
 * per node; domains stamped with the environment and its expiry. The runner reaches the nodes
 * through the environment's namespace, linked by a veth to the network's bridge on this machine.
 */
export class LibvirtProvider implements Provider {
  readonly name = 'libvirt' as const;
  private readonly progress: Progress;
  private record: Record_ | undefined;
  private readonly once = new Map<string, Promise<unknown>>();

  /** Without settings it can only tear down (the record in the environment's directory names the hosts). */
  constructor(private readonly settings?: LibvirtSettings) {
    this.progress = settings?.progress ?? silentProgress;
  }

  private memo<T>(key: string, f: () => Promise<T>): Promise<T> {
    let p = this.once.get(key) as Promise<T> | undefined;
    if (!p) {
      p = f();
      this.once.set(key, p);
      // A failure is the caller's to report; a later caller retries.
      p.catch(() => this.once.delete(key));
    }
    return p;
  }

  maxParallelBoots(state: EnvState): number {
    const forced = Number(process.env.KAROO_MAX_PARALLEL_BOOTS);
    if (forced > 0) return forced;
    // Creation is bounded per host by the hosts' own cores; two at a time per host under emulation.
    const hosts = this.settings?.hosts.length ?? 1;
    return Math.max(1, hosts * (state.accelerator === 'kvm' ? 4 : 2));
  }

  async prepare(state: EnvState): Promise<void> {
    const settings = this.settings;
    if (!settings || settings.hosts.length === 0)
      throw new KarooError('input', 'provider libvirt needs hosts: list them under provision.hosts in karoo.yml');
    if (process.getuid?.() !== 0)
      throw new KarooError(
        'refused',
        "the libvirt provider needs root on the runner (the environment's namespace and its link to the nodes' network); run as root or with sudo",
      );
    await requireTools(['virsh', 'ip']);
    if (settings.hosts.length > 1 && settings.hosts.some((h) => !h.network)) {
      throw new KarooError('input', 'with several libvirt hosts every host needs network: the bridged libvirt network their nodes share');
    }
    for (const h of settings.hosts) {
      if (!h.network && !isLocalUri(h.uri)) {
        throw new KarooError(
          'input',
          `libvirt host ${h.name} (${h.uri}) is not this machine: name the site's bridged network it shares with the runner (provision.hosts[].network)`,
        );
      }
    }
    await rememberHosts(settings.hosts);
    // Ask every host at once; a host that does not answer takes no node and is named.
    const answers = await Promise.all(
      settings.hosts.map(async (h): Promise<PlacementHost & { kvm: boolean }> => {
        try {
          const v = new Virsh(h, 30_000);
          const [c] = await allDone([v.capacity(), v.poolPath(h.pool)]);
          const cpus = (h.cpus ?? c.cpus) - c.karooCpus;
          const memory = Math.min((h.memory ?? c.freeMemory + c.karooMemory) - c.karooMemory, c.freeMemory);
          return { name: h.name, cpus, memory, kvm: c.kvm };
        } catch (e) {
          if (e instanceof KarooError && e.kind === 'input') throw e;
          return {
            name: h.name,
            cpus: 0,
            memory: 0,
            kvm: false,
            unavailable: (e as Error).message.replace(`libvirt host ${h.name} (${h.uri}): `, ''),
          };
        }
      }),
    );
    const nodes = state.machines.map((m) => ({
      name: m.name,
      role: m.role,
      cpus: m.cpus ?? LIBVIRT_NODE_DEFAULTS.cpus,
      memory: m.memory ?? LIBVIRT_NODE_DEFAULTS.memory,
    }));
    for (const m of state.machines) {
      m.cpus ??= LIBVIRT_NODE_DEFAULTS.cpus;
      m.memory ??= LIBVIRT_NODE_DEFAULTS.memory;
    }
    const placement = place(nodes, answers, settings.antiAffinity ?? []);
    for (const line of describePlacement(placement)) this.progress.info(`placement: ${line}`);
    const used = new Set(placement.assignments.map((a) => a.host));
    state.accelerator = answers.filter((a) => used.has(a.name)).every((a) => a.kvm) ? 'kvm' : 'tcg';
    this.record = {
      runner: await runnerId(),
      hosts: settings.hosts.filter((h) => used.has(h.name)).map((h) => ({ ...h })),
      placement: Object.fromEntries(placement.assignments.map((a) => [a.node, a.host])),
      networks: {},
      nodes: {},
    };
    await this.saveRecord(state);
  }

  private async saveRecord(state: EnvState): Promise<void> {
    await writeFileAtomic(recordPath(state), `${JSON.stringify(this.record, null, 2)}\n`);
  }

  private hostOf(m: MachineState): LibvirtHost {
    const r = this.record;
    const h = r?.hosts.find((x) => x.name === r.placement[m.name]);
    if (!h) throw new KarooError('internal', `node ${m.name} has no host in the placement`);
    return h;
  }

  private async stamp(state: EnvState, node?: string): Promise<Stamp> {
    return {
      environmentId: state.environmentId,
      expiresAt: state.expiresAt,
      runner: this.record?.runner ?? (await runnerId()),
      ...(node ? { node } : {}),
    };
  }

  /** The network the host's nodes join, and the runner's link to its bridge (once per bridge). */
  private network(state: EnvState, h: LibvirtHost): Promise<string> {
    return this.memo(`net:${h.name}`, async () => {
      const env = state.environmentId;
      const v = new Virsh(h);
      let net = h.network;
      if (!net) {
        net = libvirtNames.network(env);
        this.record!.networks[h.name] = net;
        await this.saveRecord(state);
        await v.define('network', privateNetworkXml(net, libvirtNames.bridge(env), await this.stamp(state)));
        await v.startNetwork(net);
      }
      const bridge = await v.networkBridge(net);
      if (!bridge)
        throw new KarooError(
          'input',
          `libvirt host ${h.name}: network "${net}" does not exist or has no bridge; name a bridged libvirt network the site provides`,
        );
      // One leg per network: the runner joins the segment on its own machine, whose bridge may be
      // named differently from a remote host's (the network's name is what the hosts share).
      await this.memo(`link:${net}`, async () => {
        const local = isLocalUri(h.uri) ? undefined : this.settings?.hosts.find((x) => isLocalUri(x.uri) && x.network === net);
        const here = local ? await new Virsh(local).networkBridge(net) : bridge;
        return linkRunner(state, here ?? bridge, h, net);
      });
      return net;
    });
  }

  /** karoo's image in the host's pool, uploaded once per host (named by sha256, reused when its upload completed). */
  private base(
    h: LibvirtHost,
    image: KarooImage | CloudImage,
  ): Promise<{ disk: string; format: 'qcow2' | 'raw'; capacity: number; kernel?: string; initrd?: string }> {
    return this.memo(`base:${h.name}`, async () => {
      const v = new Virsh(h);
      const files: Array<[string, string]> =
        image.kind === 'karoo'
          ? [
              ['qcow2', image.disk],
              ['vmlinux', image.kernel],
              ['initrd', image.initrd],
            ]
          : [[image.format, image.disk]];
      // The files are independent volumes: checked (and uploaded where missing) at once.
      const [uploaded, virtualSize] = await allDone([
        allDone(
          files.map(async ([what, file]) => {
            const sha = image.kind === 'cloud' ? image.sha256 : await fileSha256(file);
            const vol = libvirtNames.base(sha, what);
            await ensureUploaded(v, h.pool, vol, file, this.progress);
            return [what, vol] as const;
          }),
        ),
        qcow2VirtualSize(image.disk).catch((e: unknown) => (image.kind === 'karoo' ? Promise.reject(e) : 0)),
      ]);
      const vols: Record<string, string> = Object.fromEntries(uploaded);
      const disk = vols[image.kind === 'karoo' ? 'qcow2' : image.format]!;
      const format = image.kind === 'karoo' ? 'qcow2' : image.format;
      const capacity = image.kind === 'karoo' ? virtualSize : Math.max(20 * 2 ** 30, virtualSize);
      const boot =
        image.kind === 'karoo' ? await Promise.all([v.volPath(h.pool, vols.vmlinux!), v.volPath(h.pool, vols.initrd!)]) : undefined;
      return { disk, format, capacity, ...(boot ? { kernel: boot[0], initrd: boot[1] } : {}) };
    });
  }

  async create(req: CreateRequest): Promise<void> {
    const { state, machine: m, image } = req;
    if (!this.record) throw new KarooError('internal', 'libvirt provider: create before prepare');
    const env = state.environmentId;
    const h = this.hostOf(m);
    const v = new Virsh(h);
    const [net, base] = await Promise.all([this.network(state, h), this.base(h, image)]);
    const domain = libvirtNames.domain(env, m.name);
    const disk = libvirtNames.disk(env, m.name);
    const seedVol = libvirtNames.seed(env, m.name);
    const consoleVol = libvirtNames.console(env, m.name);
    // Recorded before anything is made: a crash from here on leaves a record teardown reads.
    this.record.nodes[m.name] = { host: h.name, domain, volumes: [disk, seedVol, consoleVol] };
    await this.saveRecord(state);
    await req.save();
    const dir = join(state.dir, 'nodes', m.name);
    // 0700: the seed holds the node's SSH host key.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let seedFile: string;
    let seedKind: 'tar' | 'iso';
    if (image.kind === 'karoo') {
      seedKind = 'tar';
      seedFile = join(dir, 'seed.tar');
      await writeSecretFile(seedFile, await seedTar(req.seed));
    } else {
      seedKind = 'iso';
      seedFile = join(dir, 'seed.iso');
      await writeNoCloudSeed(dir, seedFile, {
        name: m.name,
        machineId: m.machineId,
        mac: m.mac,
        address: m.address,
        seed: req.seed,
        authorizedKey: req.authorizedKey,
      });
    }
    // The node's three volumes are independent: made at once (each is a virsh process).
    let consolePath: string;
    try {
      [, , consolePath] = await allDone([
        v.createOverlay(h.pool, disk, base.disk, base.format, base.capacity),
        v.upload(h.pool, seedVol, seedFile),
        v.createEmpty(h.pool, consoleVol).then(() => v.volPath(h.pool, consoleVol)),
      ]);
    } finally {
      // The host key goes to the host's pool only; no copy stays on the runner.
      await rm(seedFile, { force: true });
    }
    const xml = domainXml({
      name: domain,
      type: state.accelerator === 'kvm' ? 'kvm' : 'qemu',
      cpus: m.cpus ?? LIBVIRT_NODE_DEFAULTS.cpus,
      memory: m.memory ?? LIBVIRT_NODE_DEFAULTS.memory,
      stamp: await this.stamp(state, m.name),
      pool: h.pool,
      disk,
      seed: { volume: seedVol, kind: seedKind },
      console: consolePath,
      network: net,
      mac: m.mac,
      ...(base.kernel && base.initrd ? { kernel: { kernel: base.kernel, initrd: base.initrd, khz: await hostKhz() } } : {}),
    });
    await v.define('domain', xml);
    await v.start(domain);
    m.startedAt = new Date().toISOString();
    await req.save();
  }

  private async ensureRecord(state: EnvState): Promise<Record_ | undefined> {
    this.record ??= await readRecord(state);
    return this.record;
  }

  async isRunning(m: MachineState): Promise<boolean> {
    const h = this.record && this.record.nodes[m.name] ? this.hostOf(m) : undefined;
    if (!h) return false;
    try {
      return (await new Virsh(h, 15_000).domainState(this.record!.nodes[m.name]!.domain)) === 'running';
    } catch {
      // Cannot tell (host busy or briefly unreachable): keep waiting until the deadline.
      return true;
    }
  }

  /** The node's record (domain, volumes) and the host it was placed on, when both are known. */
  private placed(m: MachineState): { n: Record_['nodes'][string]; h: LibvirtHost } | undefined {
    const n = this.record?.nodes[m.name];
    const h = n && this.record!.hosts.find((x) => x.name === n.host);
    return n && h ? { n, h } : undefined;
  }

  /** Copies the node's console (a volume in its host's pool) to its consoleLog on the runner. */
  private async fetchConsole(m: MachineState): Promise<void> {
    const p = this.placed(m);
    if (!p) return;
    const { n, h } = p;
    await mkdir(join(m.consoleLog, '..'), { recursive: true });
    await new Virsh(h, 30_000).download(h.pool, n.volumes[2]!, m.consoleLog).catch(() => undefined);
  }

  async waitReady(m: MachineState, ssh: SshEndpoint, deadline: number): Promise<void> {
    try {
      // waitForSsh asks between probes (every 50 ms while the port is shut): each answer is a virsh
      // process and a libvirt connection, which a busy host's CPUs feel. Ask libvirt every 2 s at most.
      let asked = { at: 0, running: true };
      const alive = async () => {
        if (Date.now() - asked.at >= 2000) asked = { at: Date.now(), running: await this.isRunning(m) };
        return asked.running;
      };
      await waitForSsh(ssh, deadline, alive);
    } catch (e) {
      await this.fetchConsole(m);
      const [tail, why] = await Promise.all([consoleTail(m.consoleLog), this.whyStopped(m)]);
      throw new KarooError(
        'unavailable',
        `libvirt domain ${m.machineId} on ${this.record?.placement[m.name] ?? '?'} is not reachable over SSH: ${(e as Error).message}${why}; last console lines:\n${tail}`,
        {
          detail: { node: m.name, console: tail },
        },
      );
    }
  }

  /**
   * What libvirt says about a domain that is not running (` (libvirt: shut off (crashed))`), and
   * for a domain on the runner's own libvirtd the last lines of its QEMU log, where QEMU writes
   * why it stopped (a KVM internal error, say) and the console shows nothing. Empty when the
   * domain runs or libvirt cannot be asked.
   */
  private async whyStopped(m: MachineState): Promise<string> {
    const p = this.placed(m);
    if (!p) return '';
    const { n, h } = p;
    const state = await new Virsh(h, 15_000).domainStateReason(n.domain).catch(() => undefined);
    if (!state || state.startsWith('running')) return '';
    let why = ` (libvirt: ${state})`;
    if (isLocalUri(h.uri)) {
      const log = `/var/log/libvirt/qemu/${n.domain}.log`;
      const lines = (await readFile(log, 'utf8').catch(() => ''))
        .split('\n')
        // QEMU's register dump after a KVM error is no help here; its own lines are.
        .filter((l) => l.trim() !== '' && !/^([A-Z][A-Z0-9]{1,3}\s*=|Code=|extra data\[)/.test(l))
        .slice(-6);
      if (lines.length) why += `; the end of ${log}: ${lines.join(' | ')}`;
    }
    return why;
  }

  async collectLogs(state: EnvState, m: MachineState, ssh: SshEndpoint | undefined, dir: string): Promise<string[]> {
    await this.ensureRecord(state);
    await this.fetchConsole(m);
    return collectCommonLogs(m, ssh, dir);
  }

  /**
   * Removes the node's domain and volumes on its host; the last node of the environment on a host
   * also takes the environment's private network. An unreachable host is recorded for the next
   * `karoo reap` and reported (thrown).
   */
  async destroy(state: EnvState, m: MachineState): Promise<void> {
    const r = await this.ensureRecord(state);
    await rm(join(state.dir, 'nodes', m.name), { recursive: true, force: true });
    if (!r) return;
    const hostName = r.nodes[m.name]?.host ?? r.placement[m.name];
    const h = r.hosts.find((x) => x.name === hostName);
    if (!h) return;
    const env = state.environmentId;
    const domain = libvirtNames.domain(env, m.name);
    const volumes = [libvirtNames.disk(env, m.name), libvirtNames.seed(env, m.name), libvirtNames.console(env, m.name)];
    const network = r.networks[h.name];
    try {
      await removeOnHost(new Virsh(h), env, [domain], volumes, network ? [network] : []);
    } catch (e) {
      if (!isUnreachable(e) && !(e instanceof KarooError && e.kind === 'unavailable')) throw e;
      await addPending({
        host: h,
        environmentId: env,
        domains: [domain],
        volumes,
        networks: network ? [network] : [],
        reason: (e as Error).message,
      });
      throw new KarooError(
        'unavailable',
        `libvirt host ${h.name} (${h.uri}) is unreachable: ${domain} and its volumes are left there; the next karoo reap retries`,
      );
    }
  }
}

/** Removes domains, then their volumes, then (when no domain of the environment is left there) the environment's networks. */
export async function removeOnHost(
  v: Virsh,
  env: string,
  domains: readonly string[],
  volumes: readonly string[],
  networks: readonly string[],
): Promise<void> {
  for (const d of domains) {
    // Only ever a domain karoo stamped for this environment.
    const stamp = await v.domainStamp(d);
    if (stamp && stamp.environmentId !== env) continue;
    if (!stamp && (await v.domainState(d)) !== undefined) continue;
    await v.removeDomain(d);
  }
  for (const vol of volumes) if (vol.startsWith(`${env}-`)) await v.deleteVolume(v.host.pool, vol);
  if (networks.length) {
    const left = (await v.listDomains()).filter((d) => d.startsWith(`${env}-`));
    if (left.length === 0) {
      for (const n of networks) {
        const stamp = await v.networkStamp(n);
        if (stamp?.environmentId === env) await v.removeNetwork(n);
      }
    }
  }
}

/**
 * Uploads a file as a base volume unless a complete upload exists (its `.ok` marker volume is made
 * last). A volume without its marker is another environment's upload in progress while its
 * allocation grows: waited for; once it has not grown for `staleMs` it is an upload cut short,
 * deleted and made again. Returns whether this call uploaded.
 */
export async function ensureUploaded(
  v: Virsh,
  pool: string,
  vol: string,
  file: string,
  progress: Progress,
  staleMs = 15_000,
): Promise<boolean> {
  const marker = `${vol}.ok`;
  const deadline = Date.now() + 60 * 60_000;
  let last: number | undefined;
  let since = Date.now();
  while (Date.now() < deadline) {
    if (await v.volExists(pool, marker)) return false;
    const allocation = await v.volAllocation(pool, vol);
    if (allocation === undefined) {
      const started = Date.now();
      try {
        await v.upload(pool, vol, file);
      } catch (e) {
        // Another environment created it first: wait for its upload as above.
        if (/already exists|already in use|exists already/i.test((e as Error).message)) continue;
        // Nothing half-made stays under the name that is trusted once its marker exists.
        await v.deleteVolume(pool, vol).catch(() => undefined);
        throw e;
      }
      await v.createEmpty(pool, marker);
      progress.info(
        `libvirt host ${v.host.name}: uploaded ${vol} (${Math.round((await stat(file)).size / 2 ** 20)} MiB) in ${Math.round((Date.now() - started) / 100) / 10} s`,
      );
      return true;
    }
    if (allocation !== last) {
      last = allocation;
      since = Date.now();
    } else if (Date.now() - since >= staleMs) {
      progress.info(`libvirt host ${v.host.name}: ${vol} is an upload cut short (no marker, not growing); made again`);
      await v.deleteVolume(pool, vol);
      last = undefined;
      continue;
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(100, staleMs / 5))));
  }
  throw new KarooError(
    'unavailable',
    `libvirt host ${v.host.name}: ${vol} did not finish uploading within an hour; delete it (virsh vol-delete --pool ${pool} ${vol}) and retry`,
  );
}

async function qcow2VirtualSize(file: string): Promise<number> {
  const r = await run('qemu-img', ['info', '--output=json', file]);
  return Number((JSON.parse(r.stdout) as { 'virtual-size': number })['virtual-size']);
}

async function hostKhz(): Promise<number | undefined> {
  const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''));
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

/**
 * Links the environment's namespace (its bridge, where the forwarder connects from) to the
 * bridge of the nodes' network on this machine with a veth pair. The pair goes with the namespace.
 */
async function linkRunner(state: EnvState, bridge: string, h: LibvirtHost, net: string): Promise<void> {
  const shown = await run('ip', ['link', 'show', 'dev', bridge], { allowFailure: true });
  if (shown.code !== 0) {
    throw new KarooError(
      'unavailable',
      `the runner has no leg on network "${net}" of host ${h.name}: bridge ${bridge} is not on this machine; the site must provide the network's bridge on the runner too (see packages/machines/README.md)`,
    );
  }
  const env = state.environmentId;
  const link = libvirtNames.link(env);
  await ipBatch(undefined, [
    `link add ${link} type veth peer name lv0 netns ${names.netns(env)}`,
    `link set ${link} alias ${env}-link`,
    `link set ${link} master ${bridge} up`,
  ]);
  await ipBatch(names.netns(env), [`link set lv0 master ${names.bridge} up`]);
}
