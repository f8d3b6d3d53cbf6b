import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KarooError, silentProgress, type Progress } from '@karoo/common';
import pLimit from 'p-limit';
import { ASSETS } from './generated/assets.js';
import { buildImage, fetchCloudImage, findImage, type CloudImage, type KarooImage } from './image.js';
import { type Inventory, type InventoryNode, type ProviderName, type SshEndpoint, writeInventory } from './inventory.js';
import { checkNodeName, macOf, names, newEnvironmentId, subnetOf } from './names.js';
import { createEnvNetwork, netnsPath } from './network.js';
import { envDir, envsRoot } from './paths.js';
import { isAlive, type OwnerRef, ownerRef, procRef, sleep } from './proc.js';
import { ownerOf } from './owner.js';
import type { Provider } from './provider.js';
import { NspawnProvider } from './providers/nspawn.js';
import { QemuProvider } from './providers/qemu.js';
import { LibvirtProvider, type LibvirtSettings } from './providers/libvirt.js';
import { requireTools, run, type RunResult, systemPython } from './run.js';
import { seedFiles } from './seed.js';
import { sshCommandLine, sshExec, sshPort, sshUser } from './ssh.js';
import { type EnvState, type MachineState, saveState } from './state.js';
import { destroyState, reap, saveLogs } from './teardown.js';

export const PROVIDERS: readonly ProviderName[] = ['nspawn', 'qemu', 'libvirt'];

export function providerFor(name: string, libvirt?: LibvirtSettings): Provider {
  if (name === 'nspawn') return new NspawnProvider();
  if (name === 'qemu') return new QemuProvider();
  if (name === 'libvirt') return new LibvirtProvider(libvirt);
  throw new KarooError('input', `provider "${name}" is not known; use one of: ${PROVIDERS.join(', ')}`);
}

export interface NodeSpec {
  name: string;
  role: string;
  cpus?: number;
  memory?: number;
}

export interface ProvisionOptions {
  nodes: readonly NodeSpec[];
  provider?: string;
  /** provider libvirt: the pool of hosts and placement rules (karoo.yml provision.hosts, provision.placement). */
  libvirt?: LibvirtSettings;
  /** Cloud image URL (http(s):// or file://) for qemu; absent means karoo's own image. */
  image?: string;
  imageSha256?: string;
  ttlSeconds?: number;
  /** Where the inventory (and logs on failure) go. Default: ./.karoo/<environment id>. */
  outDir?: string;
  /** Keep the machines when provisioning fails (until the TTL), for debugging. */
  keep?: boolean;
  /** Per-machine deadline for SSH to answer. Default: 120 s (nspawn), 600 s (qemu). */
  bootTimeoutSeconds?: number;
  /** Build karoo's image when it is not cached. Default true. */
  buildImage?: boolean;
  /** argv run when the TTL passes (usually `karoo reap --env ID`); `{env}` is replaced by the id. */
  onExpire?: string[];
  progress?: Progress;
  /** Reap expired and orphaned environments first. Default true. */
  reapFirst?: boolean;
  /** Called once the environment's id and state exist (before any machine), e.g. to save it for a post step. */
  onEnvironmentCreated?: (environmentId: string, outDir: string) => void | Promise<void>;
  /** Test hook: called after each machine is started. */
  onMachineStarted?: (m: MachineState, state: EnvState) => void | Promise<void>;
  /**
   * `owner`: the environment exists only for this process (karoo up) and is removed by its
   * watchdog and by `reap` the moment the process is gone, whatever its TTL. `ttl` (default):
   * it is handed on once ready (karoo provision) and lives until destroyed or expired.
   */
  lifetime?: 'owner' | 'ttl';
  /**
   * With `lifetime: 'owner'`: the process the environment lives for, when it is not this one
   * (a GitHub Actions job, whose steps are each a process of their own: the runner's
   * `Runner.Worker`, found by findJobProcess). Default: this process.
   */
  ownerPid?: number;
  /** Directories (the owner's temporary files) that go with the environment. */
  paths?: readonly string[];
  /** Directories the owner points its helpers at (the acceptance files): processes using them are the environment's; the directories are kept. */
  related?: readonly string[];
  /** Aborting stops provisioning at the next step and destroys what was made (then it throws). */
  signal?: AbortSignal;
}

export interface ProvisionResult {
  inventory: Inventory;
  inventoryPath: string;
  state: EnvState;
  timings: Record<string, number>;
}

const now = () => Date.now();
const secs = (ms: number) => Math.round(ms / 10) / 100;

/**
 * Creates an ephemeral environment: one machine per node on a private network of its own,
 * a fresh SSH key pair, a forwarder on 127.0.0.1 for the runner, and the inventory. On any
 * failure, console logs and journals are saved beside the inventory and everything is
 * destroyed (unless `keep`), then the error names the node and its last console lines.
 *
 * The phases, in order: check the request → find the image → reap → stamp the environment
 * (state and watchdog, before any resource) → prepare the provider → keys beside the network →
 * forwarding beside the machines → create and wait for every machine → hand on (inventory).
 */
export async function provision(opts: ProvisionOptions): Promise<ProvisionResult> {
  const progress = opts.progress ?? silentProgress;
  const t0 = now();
  const request = await checkRequest(opts);
  const image = await machineImage(opts, request.provider, progress);
  const tImage = now();
  await reapFirst(opts, progress);
  const { state, watchdog } = await stampEnvironment(opts, request, image, progress);
  const record = timingRecorder(state);
  const stop = new Interruption(state.environmentId, opts.signal);
  const p: Provisioning = { opts, progress, provider: request.provider, image, state, stop, save: () => saveState(state), record };
  try {
    stop.checkpoint();
    await prepareProvider(p);
    const tPrepared = now();
    const keys = await makeKeysBesideNetwork(p, tPrepared);
    const tBridge = now();
    stop.checkpoint();
    const forwarding = new SideStep(startForwarding(state, watchdog).then(() => record('forwarder', tBridge)));
    record('prepare', tImage, tPrepared);
    const tNet = now();
    await createMachines(p, keys, forwarding);
    await forwarding.join();
    stop.checkpoint();
    const tReady = now();
    record('image', t0, tImage);
    record('network', tImage, tNet);
    record('machines', tNet, tReady);
    record('total', t0, tReady);
    return await handOn(p);
  } catch (e) {
    await cleanUpAfterFailure(p);
    throw e;
  } finally {
    stop.dispose();
  }
}

/** What one provisioning works with, passed from phase to phase. */
interface Provisioning {
  readonly opts: ProvisionOptions;
  readonly progress: Progress;
  readonly provider: Provider;
  readonly image: KarooImage | CloudImage;
  readonly state: EnvState;
  readonly stop: Interruption;
  /** Persists the state (providers call it before each resource they make). */
  readonly save: () => Promise<void>;
  readonly record: TimingRecorder;
}

/** Writes one timing (seconds, two decimals) into the state: the one place provisioning's timings are recorded. */
type TimingRecorder = (name: string, from: number, to?: number) => void;

function timingRecorder(state: EnvState): TimingRecorder {
  return (name, from, to = now()) => {
    state.timings[name] = secs(to - from);
  };
}

/**
 * A step started now and joined later (`join()`), while other steps run beside it. Until the
 * join its failure is held rather than reported as an unhandled rejection; at the join it is
 * thrown. When another step fails first, that error ends provisioning and this one is dropped
 * (the teardown that follows removes whatever the step made).
 */
class SideStep<T> {
  constructor(private readonly running: Promise<T>) {
    running.catch(() => undefined);
  }

  join(): Promise<T> {
    return this.running;
  }
}

/**
 * Provisioning stopped, by the caller (its signal) or by the first machine that fails: no new
 * step starts after it (`checkpoint`), and steps that wait (`race`) stop waiting.
 */
class Interruption {
  private readonly controller = new AbortController();
  private readonly stopped: Promise<never>;
  private readonly onAbort: () => void;

  constructor(
    private readonly env: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.onAbort = () => this.controller.abort(signal?.reason);
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted) this.onAbort();
    // Only ever raced against a step; held until then, as a SideStep is.
    this.stopped = new SideStep(
      new Promise<never>((_, reject) =>
        this.controller.signal.addEventListener(
          'abort',
          () => reject(new KarooError('refused', `provisioning of ${env} was interrupted`)),
          { once: true },
        ),
      ),
    ).join();
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Why provisioning stopped: the first failure, or the caller's reason. */
  get reason(): unknown {
    return this.controller.signal.reason;
  }

  abort(reason: unknown): void {
    if (!this.aborted) this.controller.abort(reason);
  }

  /** Throws when provisioning was stopped: called before each step that makes something. */
  checkpoint(): void {
    const reason = this.reason;
    if (this.aborted)
      throw reason instanceof Error
        ? reason
        : new KarooError('refused', `provisioning of ${this.env} was interrupted${reason ? ` (${String(reason)})` : ''}`);
  }

  /** Waits for a step, or throws as soon as provisioning is stopped. */
  race<T>(step: Promise<T>): Promise<T> {
    return Promise.race([step, this.stopped]);
  }

  dispose(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** Phase 1: the request is checked before anything is made (nodes, TTL, owner, tools). */
async function checkRequest(opts: ProvisionOptions): Promise<{ provider: Provider; ttl: number; foreignOwner: OwnerRef | undefined }> {
  const provider = providerFor(opts.provider ?? 'nspawn', opts.libvirt && { progress: opts.progress, ...opts.libvirt });
  if (opts.nodes.length === 0) throw new KarooError('input', 'the configuration lists no nodes; add at least one under nodes:');
  const seen = new Set<string>();
  for (const n of opts.nodes) {
    checkNodeName(n.name);
    if (seen.has(n.name)) throw new KarooError('input', `node "${n.name}" is listed twice`);
    seen.add(n.name);
  }
  const ttl = opts.ttlSeconds ?? 3600;
  if (!(ttl > 0)) throw new KarooError('input', `ttl must be positive, got ${ttl}`);
  if (opts.ownerPid !== undefined && opts.lifetime !== 'owner')
    throw new KarooError(
      'input',
      `an owner process (${opts.ownerPid}) needs lifetime 'owner'; an environment handed on lives until its TTL`,
    );
  // Checked before anything is made: a dead owner would have the environment removed at once.
  const foreignOwner = opts.ownerPid !== undefined ? await ownerOf(opts.ownerPid) : undefined;
  await requireTools(['ip', 'ssh', 'ssh-keygen', 'python3']);
  return { provider, ttl, foreignOwner };
}

/** Phase 2: the image the machines boot: a cloud image (qemu, libvirt), or karoo's own (built when missing). */
async function machineImage(opts: ProvisionOptions, provider: Provider, progress: Progress): Promise<KarooImage | CloudImage> {
  if (opts.image) {
    if (provider.name !== 'qemu' && provider.name !== 'libvirt')
      throw new KarooError(
        'input',
        `a cloud image (${opts.image}) needs the qemu or libvirt provider; the ${provider.name} provider boots karoo's own image`,
      );
    return fetchCloudImage(opts.image, opts.imageSha256, progress);
  }
  const found = await findImage();
  if (found) return found;
  if (opts.buildImage === false) throw new KarooError('unavailable', "karoo's machine image is not built; run karoo image build");
  return buildImage({ progress });
}

/** Phase 3: expired and orphaned environments are removed first (unless `reapFirst: false`). */
async function reapFirst(opts: ProvisionOptions, progress: Progress): Promise<void> {
  if (opts.reapFirst === false) return;
  const reaped = await reap({ progress: silentProgress });
  if (reaped.length)
    progress.info(`reaped ${reaped.length} expired or orphaned environment(s): ${reaped.map((r) => r.environmentId).join(', ')}`);
}

/**
 * Phase 4: the environment's stamp, before any resource: its state directory (appearing with
 * its state.json inside) and its watchdog; then the caller hears of it (onEnvironmentCreated).
 */
async function stampEnvironment(
  opts: ProvisionOptions,
  request: { provider: Provider; ttl: number; foreignOwner: OwnerRef | undefined },
  image: KarooImage | CloudImage,
  progress: Progress,
): Promise<{ state: EnvState; watchdog: { ready: SideStep<void> } }> {
  const { provider, ttl } = request;
  const env = newEnvironmentId();
  const dir = envDir(env);
  const outDir = resolve(opts.outDir ?? join('.karoo', env));
  const net = subnetOf(env);
  const created = new Date();
  const owner = request.foreignOwner ?? (await ownerRef());
  const lifetime = opts.lifetime ?? 'ttl';
  const state: EnvState = {
    version: 1,
    environmentId: env,
    provider: provider.name,
    phase: 'provisioning',
    createdAt: created.toISOString(),
    expiresAt: new Date(created.getTime() + ttl * 1000).toISOString(),
    ttlSeconds: ttl,
    owner,
    lifetime,
    ...(opts.paths?.length ? { paths: opts.paths.map((p) => resolve(p)) } : {}),
    ...(opts.related?.length ? { related: opts.related.map((p) => resolve(p)) } : {}),
    keep: opts.keep ?? false,
    netns: names.netns(env),
    cidr: net.cidr,
    dir,
    outDir,
    image: { id: image.id, kind: image.kind, ...(image.kind === 'cloud' ? { sha256: image.sha256 } : {}) },
    machines: opts.nodes.map((n, index) => ({
      name: n.name,
      role: n.role,
      index,
      address: net.address(index),
      mac: macOf(env, index),
      machineId: names.machine(env, n.name),
      consoleLog: join(dir, 'console', `${n.name}.log`),
      hostKey: '',
      cpus: n.cpus,
      memory: n.memory,
    })),
    timings: {},
  };
  // The stamp comes first: from here on every resource can be traced back to this state.
  // The directory appears with its state.json inside (rename), so the reaper never sees one without the other.
  const staging = join(envsRoot(), `.${env}.new`);
  // 0755: an unprivileged deploy step (the invoking user of sudo) reaches its key in here.
  await mkdir(staging, { recursive: true, mode: 0o755 });
  await mkdir(join(staging, 'console'), { mode: 0o700 });
  await writeFile(join(staging, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  await rename(staging, dir);
  // The watchdog comes before any resource: from here on, the owner's death or the TTL removes whatever exists.
  const watchdog = await startWatchdog(state, opts.onExpire);
  await saveState(state);
  await mkdir(outDir, { recursive: true });
  await opts.onEnvironmentCreated?.(env, outDir);
  progress.info(
    `environment ${env}: ${opts.nodes.length} node(s) with ${provider.name}, network ${net.cidr}, expires ${state.expiresAt}${lifetime === 'owner' ? `, lives as long as process ${owner.pid}` : ''}`,
  );
  return { state, watchdog };
}

/** Phase 5: the provider checks its tools and records its facts (e.g. kvm or tcg). */
async function prepareProvider({ provider, state, save, progress }: Provisioning): Promise<void> {
  await provider.prepare(state);
  await save();
  if (state.accelerator)
    progress.info(
      `qemu acceleration: ${state.accelerator}${state.accelerator === 'tcg' ? ' (software emulation: no usable /dev/kvm)' : ''}`,
    );
}

/** The keys a machine is made with: the environment's client key and the node's host key pair. */
interface Keys {
  readonly authorizedKey: string;
  readonly hostKeys: ReadonlyArray<{ priv: string; pub: string }>;
}

function keyPathOf(state: EnvState): string {
  return join(state.dir, 'id_ed25519');
}

function knownHostsOf(state: EnvState): string {
  return join(state.dir, 'known_hosts');
}

/**
 * Phase 6: keys (the environment's client key, and a host key per node so the runner checks
 * host keys strictly) are made beside the network, which does not depend on them; joined when
 * both are done.
 */
async function makeKeysBesideNetwork(p: Provisioning, tPrepared: number): Promise<Keys> {
  const { state, stop, record } = p;
  const dir = state.dir;
  const keyPath = keyPathOf(state);
  const knownHosts = knownHostsOf(state);
  stop.checkpoint();
  const network = new SideStep(
    createEnvNetwork(state.environmentId, subnetOf(state.environmentId).gateway).then(() => record('bridge', tPrepared)),
  );
  await mkdir(join(dir, 'hostkeys'), { recursive: true });
  const keygen = (file: string, comment: string) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  const [, ...hostKeys] = await Promise.all([
    keygen(keyPath, state.environmentId),
    ...state.machines.map(async (m) => {
      const path = join(dir, 'hostkeys', m.name);
      await keygen(path, m.machineId);
      return { priv: await readFile(path, 'utf8'), pub: await readFile(`${path}.pub`, 'utf8') };
    }),
  ]);
  const authorizedKey = await readFile(`${keyPath}.pub`, 'utf8');
  state.machines.forEach((m, i) => (m.hostKey = hostKeys[i]!.pub.trim().split(' ').slice(0, 2).join(' ')));
  await writeFile(knownHosts, state.machines.map((m) => `${m.machineId} ${m.hostKey}\n`).join(''));
  await handToInvokingUser([keyPath, `${keyPath}.pub`, knownHosts]);
  await rm(join(dir, 'hostkeys'), { recursive: true, force: true });
  record('keys', tPrepared);
  await network.join();
  return { authorizedKey, hostKeys };
}

/**
 * Phase 7: every machine is created (as many at once as the provider allows) and waited for
 * until it answers SSH (once forwarding is up). The first failure stops the others: none
 * starts a machine after it, none waits on. Every machine task has settled before this
 * returns or throws, so none is made after the teardown that follows a failure.
 */
async function createMachines(p: Provisioning, keys: Keys, forwarding: SideStep<void>): Promise<void> {
  const { opts, provider, image, state, stop, save, record, progress } = p;
  const hosts = state.machines.map((m) => ({ name: m.name, address: m.address }));
  const timeoutMs = (opts.bootTimeoutSeconds ?? (provider.name === 'qemu' || provider.name === 'libvirt' ? 600 : 120)) * 1000;
  const limit = pLimit(provider.maxParallelBoots(state));
  const tasks = state.machines.map((m, i) =>
    limit(async () => {
      stop.checkpoint();
      const started = now();
      const hostKey = keys.hostKeys[i]!;
      await provider.create({
        state,
        machine: m,
        image,
        authorizedKey: keys.authorizedKey,
        save,
        seed: seedFiles({
          node: m.name,
          address: m.address,
          mac: m.mac,
          prefixLength: 24,
          hosts,
          authorizedKey: keys.authorizedKey,
          hostPrivateKey: hostKey.priv,
          hostPublicKey: hostKey.pub,
        }),
      });
      record(`create:${m.name}`, started);
      await opts.onMachineStarted?.(m, state);
      stop.checkpoint();
      await stop.race(forwarding.join());
      await stop.race(provider.waitReady(m, endpointOf(state, m), started + timeoutMs));
      m.readyAt = new Date().toISOString();
      record(`ready:${m.name}`, started);
      progress.info(`${m.name} (${m.role}) ready at ${m.address}, ssh 127.0.0.1:${m.sshPort} after ${secs(now() - started)} s`);
    }).catch((e: unknown) => {
      stop.abort(e);
      throw e;
    }),
  );
  const settled = await Promise.allSettled(tasks);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw stop.reason instanceof Error ? stop.reason : failed.reason;
}

/** Phase 8: the inventory is written and the environment is ready; with lifetime `ttl` it is handed on. */
async function handOn({ state, save, progress }: Provisioning): Promise<ProvisionResult> {
  const inventory = inventoryOf(state);
  const inventoryPath = join(state.outDir, 'inventory.json');
  await writeInventory(inventoryPath, inventory);
  await handToInvokingUser([state.outDir, inventoryPath]);
  state.inventoryPath = inventoryPath;
  state.phase = 'ready';
  await save();
  // Handed on: from now on only the TTL (or destroy) ends it.
  if (state.lifetime === 'ttl') await tellWatchdog(state, { owner: null });
  progress.info(`environment ${state.environmentId} ready in ${state.timings.total} s; inventory ${inventoryPath}`);
  return { inventory, inventoryPath, state, timings: state.timings };
}

/**
 * After any failure: the state says so, logs are saved, and the environment is destroyed, or
 * with `keep` handed on until its TTL with an inventory to reach it. Nothing here throws: the
 * caller rethrows the failure itself.
 */
async function cleanUpAfterFailure({ opts, provider, state, save, progress }: Provisioning): Promise<void> {
  const env = state.environmentId;
  state.phase = 'failed';
  await save().catch(() => {});
  const logsDir = join(state.outDir, 'logs');
  await saveLogs(state, provider, logsDir).catch(() => []);
  if (opts.keep) {
    // Kept for debugging until the TTL, whoever made it: the watchdog no longer watches the owner.
    await handOver(state).catch(() => {});
    // Kept for debugging: write the inventory anyway, so the machines can be reached.
    const inventoryPath = join(state.outDir, 'inventory.json');
    const kept = state.machines.find((m) => m.sshPort && m.hostKey);
    if (kept) await writeInventory(inventoryPath, inventoryOf(state)).catch(() => {});
    progress.warn(
      `provisioning failed; keeping environment ${env} until ${state.expiresAt} (karoo destroy --env ${env}); logs in ${logsDir}` +
        (kept ? `; inventory ${inventoryPath}; ssh: ${sshCommandLine(endpointOf(state, kept))}` : ''),
    );
  } else {
    progress.info(`provisioning failed; logs saved in ${logsDir}; destroying ${env}`);
    await destroyState(state, { progress }).catch((d) => progress.warn(`destroying ${env} failed too: ${(d as Error).message}`));
  }
}

/** How the runner reaches a machine: its port on the forwarder, the environment's key, its host key. */
function endpointOf(state: EnvState, m: MachineState): SshEndpoint {
  return {
    host: '127.0.0.1',
    port: m.sshPort ?? 0,
    user: 'root',
    keyPath: keyPathOf(state),
    knownHostsPath: knownHostsOf(state),
    hostKeyAlias: m.machineId,
    hostKey: m.hostKey,
  };
}

function inventoryOf(state: EnvState): Inventory {
  return {
    version: 1,
    environmentId: state.environmentId,
    createdAt: state.createdAt,
    ttlSeconds: state.ttlSeconds,
    expiresAt: state.expiresAt,
    provider: state.provider,
    ...(state.accelerator ? { accelerator: state.accelerator } : {}),
    image: state.image,
    network: { cidr: state.cidr, namespace: state.netns },
    logsDir: join(state.outDir, 'logs'),
    nodes: state.machines.map((m): InventoryNode => ({
      name: m.name,
      role: m.role,
      address: m.address,
      ssh: endpointOf(state, m),
      provider: state.provider,
      machineId: m.machineId,
      ...(m.cpus ? { cpus: m.cpus } : {}),
      ...(m.memory ? { memory: m.memory } : {}),
    })),
  };
}

interface WatchdogConfig {
  netnsPath: string;
  portsFile: string;
  readyFile: string;
  expiresAt: number;
  onExpire: string[] | null;
  owner: { pid: number; startTime: number } | null;
  nodes: Array<{ name: string; address: string; port: number }>;
}

function watchdogConfigPath(state: EnvState): string {
  return join(state.dir, 'forward.json');
}

async function writeWatchdogConfig(state: EnvState, config: WatchdogConfig): Promise<void> {
  const path = watchdogConfigPath(state);
  await writeFile(`${path}.tmp`, JSON.stringify(config, null, 2));
  await rename(`${path}.tmp`, path);
}

/**
 * Starts the environment's watchdog (helpers/forward.py, detached): it removes the environment
 * (runs `onExpire`) when the TTL passes or, while it has one, when the owner process is gone;
 * later it also becomes the SSH forwarder (startForwarding). Returns once the process exists;
 * `ready` is joined (by startForwarding) once its signal handlers are set.
 */
async function startWatchdog(state: EnvState, onExpire: string[] | undefined): Promise<{ ready: SideStep<void> }> {
  const dir = state.dir;
  const script = join(dir, 'forward.py');
  await writeFile(script, ASSETS['helpers/forward.py']!);
  const readyFile = join(dir, 'watchdog.ready');
  await writeWatchdogConfig(state, {
    netnsPath: netnsPath(state.netns),
    portsFile: join(dir, 'ports.json'),
    readyFile,
    expiresAt: Date.parse(state.expiresAt) / 1000,
    onExpire: onExpire?.map((a) => a.replace(/\{env\}/g, state.environmentId)) ?? null,
    owner: { pid: state.owner.pid, startTime: state.owner.startTime },
    nodes: [],
  });
  const log = await open(join(dir, 'forward.log'), 'a');
  try {
    const child = spawn(systemPython(), ['-I', '-S', script, state.environmentId, watchdogConfigPath(state)], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    const pid = await new Promise<number>((res, rej) => {
      child.once('error', rej);
      child.once('spawn', () => res(child.pid!));
    });
    child.unref();
    state.forwarder = (await procRef(pid)) ?? { pid, startTime: 0 };
  } finally {
    await log.close();
  }
  const ready = new SideStep(
    (async () => {
      const deadline = now() + 10_000;
      while (!existsSync(readyFile)) {
        if (!(await isAlive(state.forwarder)) || now() > deadline) throw await watchdogFailure(state, 'start');
        await sleep(10);
      }
    })(),
  );
  return { ready };
}

async function watchdogFailure(state: EnvState, what: string): Promise<KarooError> {
  const why = await readFile(join(state.dir, 'forward.log'), 'utf8').catch(() => '');
  return new KarooError('internal', `the watchdog of ${state.environmentId} did not ${what}: ${why.trim().split('\n').pop() ?? ''}`);
}

/** Changes what the watchdog watches (owner) or forwards (nodes), then wakes it (SIGUSR1: it reads its config again). */
async function tellWatchdog(state: EnvState, change: Partial<Pick<WatchdogConfig, 'owner' | 'nodes'>>): Promise<void> {
  const config = JSON.parse(await readFile(watchdogConfigPath(state), 'utf8')) as WatchdogConfig;
  await writeWatchdogConfig(state, { ...config, ...change });
  // Before its handlers exist a SIGUSR1 would kill it; it reads its config once more when they do.
  if (existsSync(config.readyFile) && state.forwarder && (await isAlive(state.forwarder))) process.kill(state.forwarder.pid, 'SIGUSR1');
}

/** Has the watchdog forward 127.0.0.1 ports to the nodes' SSH (connections made inside the namespace) and records the ports. */
async function startForwarding(state: EnvState, watchdog: { ready: SideStep<void> }): Promise<void> {
  await watchdog.ready.join();
  await tellWatchdog(state, { nodes: state.machines.map((m) => ({ name: m.name, address: m.address, port: 22 })) });
  const portsFile = join(state.dir, 'ports.json');
  const deadline = now() + 10_000;
  for (;;) {
    try {
      const p = JSON.parse(await readFile(portsFile, 'utf8')) as { ports: Record<string, number> };
      for (const m of state.machines) m.sshPort = p.ports[m.name];
      return;
    } catch {
      if (!(await isAlive(state.forwarder)) || now() > deadline) throw await watchdogFailure(state, 'start forwarding');
      await sleep(20);
    }
  }
}

/**
 * Hands an environment on: it no longer ends with the process that made it, only when it is
 * destroyed or its TTL passes (karoo up --keep, a provisioning failure kept for debugging).
 */
export async function handOver(state: EnvState): Promise<void> {
  state.lifetime = 'ttl';
  await saveState(state);
  await tellWatchdog(state, { owner: null });
}

/**
 * Run through sudo (as the provision action does on GitHub's runners), the files the next,
 * unprivileged steps need (the key, known_hosts, the inventory) are given to the invoking user.
 */
async function handToInvokingUser(paths: string[]): Promise<void> {
  const uid = Number(process.env.SUDO_UID);
  const gid = Number(process.env.SUDO_GID);
  if (process.getuid?.() !== 0 || !(uid > 0)) return;
  for (const p of paths) await chown(p, uid, gid > 0 ? gid : uid);
}

/** Runs a command on a node of an inventory; refuses when the environment's TTL has passed. */
export async function execOnNode(
  inv: Inventory,
  node: string,
  command: string,
  opts: { input?: string; timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<RunResult> {
  return sshExec(nodeEndpoint(inv, node), command, opts);
}

export function nodeEndpoint(inv: Inventory, node: string): SshEndpoint {
  checkNotExpired(inv);
  const n = inv.nodes.find((x) => x.name === node);
  if (!n)
    throw new KarooError(
      'input',
      `node "${node}" is not in the inventory of ${inv.environmentId} (nodes: ${inv.nodes.map((x) => x.name).join(', ')})`,
    );
  return { ...n.ssh, port: sshPort(n.ssh), user: sshUser(n.ssh) };
}

export function checkNotExpired(inv: Inventory, at = Date.now()): void {
  if (inv.expiresAt && Date.parse(inv.expiresAt) <= at) {
    throw new KarooError(
      'refused',
      `environment ${inv.environmentId} expired at ${inv.expiresAt} (TTL ${inv.ttlSeconds ?? '?'} s); provision a new one (karoo reap removes what is left)`,
    );
  }
}
