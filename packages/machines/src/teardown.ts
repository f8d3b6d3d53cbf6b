import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { KarooError, silentProgress, type Progress } from '@karoo/common';
import { cgroupRoots, cgroupsWithPrefix, removeCgroupTree } from './cgroups.js';
import { readInventory, type SshEndpoint } from './inventory.js';
import { ENV_ID_IN_TEXT_RE, checkEnvironmentId, isEnvironmentId } from './names.js';
import { deleteNetns, listNetns, netnsPath } from './network.js';
import { envDir, OWNER_FILE } from './paths.js';
import { bootId, isAlive, killAndWait, listProcesses, netnsInode, type OwnerRef, ownerGone, processesUsing, type ProcRef } from './proc.js';
import type { Provider } from './provider.js';
import { NspawnProvider, unmount } from './providers/nspawn.js';
import { QemuProvider } from './providers/qemu.js';
import { LibvirtProvider } from './providers/libvirt.js';
import { reapLibvirt } from './providers/libvirt-reap.js';
import { systemPython } from './run.js';
import { type EnvState, listStateDirs, loadState, saveState } from './state.js';

function providerOf(name: string): Provider {
  if (name === 'libvirt') return new LibvirtProvider();
  return name === 'qemu' ? new QemuProvider() : new NspawnProvider();
}

/** Console logs and journals of every machine, into `dir`. */
export async function saveLogs(state: EnvState, provider: Provider, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const keyPath = join(state.dir, 'id_ed25519');
  const all = await Promise.all(
    state.machines.map(async (m) => {
      const ssh: SshEndpoint | undefined =
        m.sshPort && (await provider.isRunning(m))
          ? {
              host: '127.0.0.1',
              port: m.sshPort,
              user: 'root',
              keyPath,
              knownHostsPath: join(state.dir, 'known_hosts'),
              hostKeyAlias: m.machineId,
            }
          : undefined;
      return provider.collectLogs(state, m, ssh, dir).catch(() => []);
    }),
  );
  return all.flat();
}

export interface DestroyReport {
  environmentId: string;
  seconds: number;
  /** Things still there after teardown (should be empty). */
  leftovers: string[];
}

/** Set by the watchdog for the teardown it starts (its onExpire): the lock is held for that process. */
export const TEARDOWN_LOCK_ENV = 'KAROO_TEARDOWN_LOCK';

/**
 * Holds the lock for as long as its stdin is open (this process's life at most). Node cannot
 * bind an abstract unix socket, so a small Python process (python3 is a required tool) does.
 */
const HOLD_TEARDOWN_LOCK_PY = `import errno, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
deadline = time.time() + float(sys.argv[2])
while True:
    try:
        s.bind(b"\\0karoo-teardown-" + sys.argv[1].encode())
        break
    except OSError as e:
        if e.errno != errno.EADDRINUSE or time.time() > deadline:
            sys.exit(75)
        time.sleep(0.1)
sys.stdout.write("held\\n")
sys.stdout.flush()
sys.stdin.read()
`;

/**
 * One teardown of an environment at a time, across processes: an abstract unix socket named
 * for the environment (`@karoo-teardown-<id>`, in this network namespace) is bound while it
 * runs. Binding is atomic and the kernel frees the name when its holder dies, so a killed
 * teardown leaves no stale lock. The watchdog (helpers/forward.py) binds the same name before
 * it runs its onExpire and holds it until that process ends, telling it so through
 * KAROO_TEARDOWN_LOCK=<id>. A teardown that finds the lock taken waits: when it returns, the
 * other one has finished too.
 */
async function teardownLock(env: string, timeoutSeconds = 180): Promise<{ forWatchdog: boolean; release: () => Promise<void> }> {
  if (process.env[TEARDOWN_LOCK_ENV] === env) return { forWatchdog: true, release: async () => {} };
  const holder = spawn(systemPython(), ['-I', '-S', '-c', HOLD_TEARDOWN_LOCK_PY, env, String(timeoutSeconds)], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((r) => holder.once('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (code) =>
      reject(
        code === 75
          ? new KarooError(
              'conflict',
              `environment ${env} is still being torn down by another process after ${timeoutSeconds} s; run karoo reap --env ${env} once it has finished`,
            )
          : new KarooError('internal', `the teardown lock of ${env} could not be taken (python3 exited with ${code})`),
      ),
    );
  });
  return {
    forWatchdog: false,
    release: async () => {
      holder.stdin!.end();
      await exited;
    },
  };
}

async function underTeardownLock<T>(env: string, fn: (forWatchdog: boolean) => Promise<T>): Promise<T> {
  const lock = await teardownLock(env);
  try {
    return await fn(lock.forWatchdog);
  } finally {
    await lock.release();
  }
}

/**
 * Destroys everything of an environment: machines (nspawn: the container's init; qemu: the
 * VM process), the forwarder, overlays and disks, namespaces with their bridge, veths and
 * taps, keys and the state directory. Then sweeps anything else carrying the environment id.
 * Under the environment's teardown lock: a teardown already running elsewhere (its watchdog's,
 * another reap) is waited for, and what it removed is not touched again.
 */
export function destroyState(state: EnvState, opts: DestroyOptions = {}): Promise<DestroyReport> {
  return underTeardownLock(state.environmentId, (forWatchdog) => destroyLocked(state, opts, forWatchdog));
}

async function destroyLocked(state: EnvState, opts: DestroyOptions, forWatchdog: boolean): Promise<DestroyReport> {
  const progress = opts.progress ?? silentProgress;
  const env = state.environmentId;
  const started = Date.now();
  if (!existsSync(state.dir)) {
    // Destroyed by another teardown while this one waited for the lock: only the sweep is left.
    const leftovers = await sweep(env, state.paths, state.related);
    return { environmentId: env, seconds: Math.round((Date.now() - started) / 10) / 100, leftovers };
  }
  const provider = providerOf(state.provider);
  if (opts.saveLogsTo) {
    const saved = await saveLogs(state, provider, opts.saveLogsTo).catch(() => []);
    if (saved.length) progress.info(`saved ${saved.length} console log(s) and journal(s) in ${opts.saveLogsTo}`);
  }
  state.phase = 'destroying';
  await saveState(state).catch(() => {});
  const failures: string[] = [];
  const processes = await listProcesses();
  await Promise.all(
    state.machines.map((m) =>
      provider.destroy(state, m, processes).catch((e: Error) => {
        failures.push(`${m.name}: ${e.message}`);
      }),
    ),
  );
  // The watchdog goes last: if this process dies half-way, it still removes the rest. When it
  // started this teardown, it holds the lock for it and ends by itself.
  if (state.forwarder && !forWatchdog) await killAndWait([state.forwarder], 2000);
  // The sweep also kills what the owner started for the environment (the acceptance command and its children).
  const leftovers = await sweep(env, state.paths, state.related);
  for (const f of failures) progress.warn(`destroying ${f}`);
  const seconds = Math.round((Date.now() - started) / 10) / 100;
  progress.info(`environment ${env} destroyed in ${seconds} s${leftovers.length ? `; left over: ${leftovers.join(', ')}` : ''}`);
  return { environmentId: env, seconds, leftovers };
}

/** Destroys an environment named by id, or by the inventory karoo provision wrote. */
export interface DestroyOptions {
  progress?: Progress;
  /** Save every machine's console log and journal into this directory before destroying. */
  saveLogsTo?: string;
}

export async function destroyEnvironment(
  target: { environmentId?: string; inventory?: string },
  opts: DestroyOptions = {},
): Promise<DestroyReport> {
  let env = target.environmentId;
  if (!env && target.inventory) env = (await readInventory(target.inventory)).environmentId;
  if (!env) throw new KarooError('input', 'name the environment: --inventory INVENTORY or --env karoo-XXXXXXXX');
  if (!isEnvironmentId(env))
    throw new KarooError(
      'input',
      `inventory environment "${env}" is not an ephemeral karoo environment (karoo-XXXXXXXX); real hosts are never destroyed`,
    );
  const state = await loadState(env);
  if (state) return destroyState(state, opts);
  const started = Date.now();
  const leftovers = await underTeardownLock(env, () => sweep(env));
  return { environmentId: env, seconds: Math.round((Date.now() - started) / 10) / 100, leftovers };
}

/**
 * Removes whatever still carries the environment's id: processes (by command line or by
 * network namespace), overlay mounts, namespaces, nspawn's runtime directories, the state
 * directory. Touches nothing whose name is not `karoo-<8 hex>` of this environment.
 * Returns what could not be removed.
 */
export async function sweep(env: string, paths: readonly string[] = [], related: readonly string[] = []): Promise<string[]> {
  checkEnvironmentId(env);
  const dirs = [envDir(env), ...paths.filter(isOwnTempDir)];
  const used = [...dirs, ...related.filter((p) => p.startsWith('/') && p.split('/').length >= 3)];
  const ours = (s: string) => s === env || s.startsWith(`${env}-`) || s.startsWith(`${envDir(env)}/`);
  const namespaces = (await listNetns()).filter(ours);
  const inodes = new Set<number>();
  for (const ns of namespaces) {
    const ino = await netnsInode(netnsPath(ns));
    if (ino !== undefined) inodes.add(ino);
  }
  const victims: ProcRef[] = [];
  const procs = await listProcesses();
  const ancestors = ancestorsOf(process.pid, procs);
  for (const p of procs) {
    if (ancestors.has(p.pid)) continue;
    const inNamespace = p.netns !== undefined && inodes.has(p.netns);
    if (inNamespace || (isOurKind(p.argv) && mentions(p.argv, env))) victims.push({ pid: p.pid, startTime: p.startTime });
  }
  for (const p of await processesUsing(used)) if (!ancestors.has(p.pid)) victims.push(p);
  const stubborn = await killAndWait(victims, 5000);
  for (const g of await cgroupsWithPrefix(env)) await removeCgroupTree(g);
  for (const m of await ourMounts(env)) await unmount(m);
  for (const ns of namespaces) await deleteNetns(ns);
  try {
    for (const d of await readdir('/run/systemd/nspawn/propagate'))
      if (ours(d)) await rm(join('/run/systemd/nspawn/propagate', d), { recursive: true, force: true });
  } catch {
    // no nspawn runtime directory
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  const left = await resourcesOf(env);
  for (const d of dirs.slice(1))
    if (
      await readdir(d).then(
        () => true,
        () => false,
      )
    )
      left.push(`directory ${d}`);
  return [...stubborn.map((p) => `process ${p.pid}`), ...left];
}

/**
 * Only karoo's own temporary directories are ever removed on the word of a state file: absolute,
 * named `karoo-<kind>-<random>`, directly in a temporary directory.
 */
function isOwnTempDir(p: string): boolean {
  return p.startsWith('/') && !p.includes('/../') && /^karoo-[a-z]+-[A-Za-z0-9]{6,}$/.test(basename(p)) && p.split('/').length >= 3;
}

/**
 * karoo's temporary directories (`karoo-up-*`, …, made by ownedTempDir) whose owner process is
 * gone: what a killed `karoo up` left before (or besides) its environment's stamp.
 */
export async function reapTempDirs(progress: Progress = silentProgress): Promise<string[]> {
  const removed: string[] = [];
  for (const base of new Set([tmpdir(), '/tmp'])) {
    for (const name of await readdir(base).catch(() => [] as string[])) {
      const dir = join(base, name);
      if (!isOwnTempDir(dir)) continue;
      let owner: OwnerRef;
      try {
        owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as OwnerRef;
      } catch {
        continue;
      }
      if (!(await ownerGone(owner))) continue;
      await killAndWait(await processesUsing([dir]), 3000);
      await rm(dir, { recursive: true, force: true });
      progress.info(`removed ${dir}: its process ${owner.pid} is gone`);
      removed.push(dir);
    }
  }
  return removed;
}

function idsIn(text: string): string[] {
  return Array.from(text.matchAll(ENV_ID_IN_TEXT_RE), (m) => m[0]);
}

function mentions(argv: readonly string[], env: string): boolean {
  return argv.some((a) => idsIn(a).includes(env));
}

/**
 * Only processes karoo starts are killed by name: the machine monitors, the forwarder, and
 * ssh/scp/ip commands aimed at the environment. Shells or CLIs that merely mention the id
 * (e.g. `karoo destroy --env …`) are left alone.
 */
function isOurKind(argv: readonly string[]): boolean {
  const exe = (argv[0] ?? '').split('/').pop() ?? '';
  if (exe === 'systemd-nspawn' || exe.startsWith('qemu-system-') || exe === 'ssh' || exe === 'scp' || exe === 'ip') return true;
  return exe.startsWith('python3') && argv.some((a) => a.endsWith('/forward.py'));
}

function ancestorsOf(pid: number, procs: ReadonlyArray<{ pid: number; ppid: number }>): Set<number> {
  const parent = new Map(procs.map((p) => [p.pid, p.ppid]));
  const out = new Set<number>([pid]);
  let cur = process.ppid;
  while (cur > 1 && !out.has(cur)) {
    out.add(cur);
    cur = parent.get(cur) ?? 0;
  }
  return out;
}

async function ourMounts(env: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const f = line.split(' ');
    const mountPoint = f[4];
    const sep = f.indexOf('-');
    const source = sep > 0 ? f[sep + 2] : undefined;
    if (!mountPoint) continue;
    if (mountPoint.startsWith(`${envDir(env)}/`) || source === env || source?.startsWith(`${env}-`)) out.push(mountPoint);
  }
  // Deepest first.
  return out.sort((a, b) => b.length - a.length);
}

/** Everything on this machine that still belongs to the environment: processes, mounts, namespaces, files. */
export async function resourcesOf(env: string): Promise<string[]> {
  const ours = (s: string) => s === env || s.startsWith(`${env}-`);
  const out: string[] = [];
  for (const ns of await listNetns()) if (ours(ns)) out.push(`netns ${ns}`);
  for (const m of await ourMounts(env)) out.push(`mount ${m}`);
  for (const g of await cgroupsWithPrefix(env)) out.push(`cgroup ${g}`);
  const procs = await listProcesses();
  // Never the caller's own ancestors: the watchdog waiting for the teardown it started.
  const ancestors = ancestorsOf(process.pid, procs);
  for (const p of procs) {
    if (!ancestors.has(p.pid) && isOurKind(p.argv) && mentions(p.argv, env)) out.push(`process ${p.pid} (${p.argv.slice(0, 3).join(' ')})`);
  }
  if (
    await readdir(envDir(env)).then(
      () => true,
      () => false,
    )
  )
    out.push(`directory ${envDir(env)}`);
  return out;
}

export interface ReapOptions {
  /** Reap environments created longer ago than this, whatever their TTL. */
  olderThanSeconds?: number;
  /** Reap this one environment only (whatever its state). */
  environmentId?: string;
  progress?: Progress;
  now?: number;
}

export interface Reaped {
  environmentId: string;
  reason: string;
  leftovers: string[];
}

/** Every environment id with something on this machine: state directories, namespaces, processes, mounts. */
export async function knownEnvironments(): Promise<string[]> {
  const ids = new Set<string>(await listStateDirs());
  for (const ns of await listNetns()) for (const m of idsIn(ns)) if (ns.startsWith(m)) ids.add(m);
  for (const p of await listProcesses()) if (isOurKind(p.argv)) for (const a of p.argv) for (const m of idsIn(a)) ids.add(m);
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  for (const m of idsIn(info)) ids.add(m);
  for (const r of await cgroupRoots())
    for (const e of await readdir(r).catch(() => [] as string[])) for (const m of idsIn(e)) if (e.startsWith(m)) ids.add(m);
  return [...ids].sort();
}

/** Why an environment may be reaped, or undefined when it is still wanted. */
export async function reapReason(env: string, state: EnvState | undefined, opts: ReapOptions): Promise<string | undefined> {
  const now = opts.now ?? Date.now();
  if (opts.environmentId) return opts.environmentId === env ? 'asked for' : undefined;
  if (!state) return 'no state (left by a killed process)';
  if (state.lifetime === 'owner' && (await ownerGone(state.owner))) return `its owner process ${state.owner.pid} is gone`;
  if (state.owner.bootId && state.owner.bootId !== (await bootId())) return 'made before this machine last started';
  if (Date.parse(state.expiresAt) <= now) return `expired at ${state.expiresAt}`;
  if (opts.olderThanSeconds !== undefined && Date.parse(state.createdAt) <= now - opts.olderThanSeconds * 1000)
    return `older than ${opts.olderThanSeconds} s`;
  const ownerAlive = await isAlive(state.owner);
  if ((state.phase === 'provisioning' || state.phase === 'destroying') && !ownerAlive)
    return `its ${state.phase} process ${state.owner.pid} is gone`;
  if (state.phase === 'failed' && !state.keep && !ownerAlive) return 'failed and not kept';
  return undefined;
}

/** Finds environments that are gone, expired or orphaned (stamps and owners) and removes what they left. */
export async function reap(opts: ReapOptions = {}): Promise<Reaped[]> {
  const progress = opts.progress ?? silentProgress;
  if (opts.environmentId) checkEnvironmentId(opts.environmentId);
  const out: Reaped[] = [];
  for (const env of await knownEnvironments()) {
    const state = await loadState(env);
    const reason = await reapReason(env, state, opts);
    if (!reason) continue;
    progress.info(`reaping ${env}: ${reason}`);
    const leftovers = state ? (await destroyState(state, { progress })).leftovers : await underTeardownLock(env, () => sweep(env));
    out.push({ environmentId: env, reason, leftovers });
  }
  if (!opts.environmentId) await reapTempDirs(progress);
  // libvirt hosts this runner used: stamped domains whose environment has no state here.
  if (!opts.environmentId) {
    for (const r of await reapLibvirt({ progress, ...(opts.now !== undefined ? { now: opts.now } : {}) })) {
      if (r.environmentId)
        out.push({ environmentId: r.environmentId, reason: `${r.reason} (libvirt host ${r.host})`, leftovers: r.leftovers });
    }
  }
  return out;
}
