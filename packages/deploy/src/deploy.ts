import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalJson,
  type Digest,
  type ErrorKind,
  hexOf,
  isKarooError,
  KarooError,
  type Progress,
  sha256Of,
  silentProgress,
} from '@karoo/common';
import { type KarooConfig, START_TIMEOUT_SECONDS } from '@karoo/config';
import type { Inventory, InventoryNode } from '@karoo/machines';
import type { Store } from '@karoo/oci';
import pLimit, { type LimitFunction } from 'p-limit';
import { AGENT_SHA256 } from './generated/agent.js';
import { type PayloadFile, SshPool } from './ssh.js';
import { stageCandidate, type StagedCandidate } from './stage.js';
import { configDigest, renderNodeFiles, type SystemConfig, systemConfig, systemIdOf } from './system.js';

/** What one node must look like: written to the node as its release's release.json. */
export interface NodeDesiredState {
  readonly format: 1;
  readonly system: string;
  readonly systemId: Digest;
  readonly candidate: Digest;
  readonly candidateShort: string;
  readonly configDigest: Digest;
  readonly environment: string;
  readonly node: string;
  readonly role: string;
  readonly agent: string;
  readonly services: ReadonlyArray<{
    name: string;
    unit: string;
    command: readonly string[];
    environment: Readonly<Record<string, string>>;
    workingDirectory?: string | undefined;
    port?: number | undefined;
  }>;
  readonly files: ReadonlyArray<{ path: string; sha256: string; mode: string }>;
  readonly expected: ReadonlyArray<{ name: string; version: string; marker?: string | undefined }>;
  /** sha256 over the canonical JSON of every field above. */
  readonly stateDigest: Digest;
  /** First 16 hex digits of stateDigest: the release directory's name. */
  readonly releaseId: string;
}

export type NodeOutcome = 'converged' | 'deployed' | 'repaired' | 'failed' | 'prepared' | 'skipped';

/** Milliseconds per phase on one node. */
export interface NodePhases {
  plan: number;
  transfer: number;
  install: number;
  start: number;
  verify: number;
}

export interface NodeResult {
  readonly name: string;
  readonly role: string;
  result: NodeOutcome;
  /** False when the node was already at the desired state (nothing done). */
  changed: boolean;
  durationMs: number;
  phases: NodePhases;
  bytesSent: number;
  /** CPU milliseconds the agent used on the node per call (its children included), as it reports them. */
  cpu: { plan: number; prepare: number; activate: number };
  release?: string | undefined;
  previousRelease?: string | undefined;
  /** The first difference or error, for a failed node. */
  detail?: string | undefined;
  /** The node's interpreter and platform, as the agent reports them. */
  target?: string | undefined;
  /** How the candidate's installation got there: installed from the wheels here, unpacked from another node's installed tree, or already present. */
  install?: 'wheels' | 'archive' | 'reused' | undefined;
  /** For `install: archive`: the node that built the installed tree. */
  installedOn?: string | undefined;
  unreachable?: boolean | undefined;
  /** The node refused something that did not match what vouches for it (a wheel's RECORD, an archive's digest). */
  integrity?: boolean | undefined;
  /** The kind of the node's failure as the node (its agent) or the runner reported it: a node without python3-venv is `input`, an agent bug `internal`. */
  errorKind?: ErrorKind | undefined;
}

export interface DeployPlan {
  readonly config: SystemConfig;
  readonly configDigest: Digest;
  readonly systemId: Digest;
  readonly environment: string;
  readonly nodes: ReadonlyArray<{ node: InventoryNode; desired: NodeDesiredState; files: ReturnType<typeof renderNodeFiles> }>;
}

export interface DeployResult {
  readonly ok: boolean;
  readonly system: string;
  readonly systemId: Digest;
  readonly candidate: Digest;
  readonly configDigest: Digest;
  readonly environment: string;
  readonly nodes: NodeResult[];
  readonly durationMs: number;
  /** Wall-clock milliseconds of each phase of the whole deploy (see DeployTimings). */
  readonly timings: DeployTimings;
  /** The first failure: node name and what went wrong. */
  readonly error?: string | undefined;
  /** The first failed node's kind (see failureKind). */
  readonly errorKind?: ErrorKind | undefined;
}

/**
 * Where a deploy's time went, in wall-clock milliseconds: `stage` (the candidate read and checked
 * on the runner), `plan` (every node), `install` (until the first node of every target has
 * installed, and packed its tree when others need it), `ship` (until every other node has
 * unpacked and verified the tree), `activate` (switch, restart, wait, verify), `close` (SSH).
 */
export interface DeployTimings {
  stage: number;
  plan: number;
  install: number;
  ship: number;
  activate: number;
  close: number;
}

export interface DeployOptions {
  readonly config: KarooConfig;
  readonly environment?: string | undefined;
  readonly store: Store;
  readonly candidate: Digest | string;
  readonly inventory: Inventory;
  /** Nodes worked on at once. Default 8. */
  readonly parallel?: number | undefined;
  /**
   * How long every node's services may take to come up (active, port listening). Default: per
   * node, its slowest service's `start-timeout` in karoo.yml (60 s where none is given).
   */
  readonly waitSeconds?: number | undefined;
  readonly progress?: Progress | undefined;
  /** An SSH pool to reuse (accept after deploy); default: opened and closed here. */
  readonly pool?: SshPool | undefined;
  /** Test hook: called when a node has started its transfer. */
  readonly onTransfer?: ((node: string) => void | Promise<void>) | undefined;
}

export function unitName(system: string, service: string): string {
  return `karoo-${system}-${service}.service`;
}

/** Pairs the inventory with the configuration's nodes: every configured node once, with the same role. */
export function matchInventory(config: SystemConfig, inventory: Inventory, where = 'the inventory'): InventoryNode[] {
  const byName = new Map(inventory.nodes.map((n) => [n.name, n]));
  for (const n of inventory.nodes) {
    if (!config.nodes.some((c) => c.name === n.name)) {
      throw new KarooError(
        'input',
        `${where}: node "${n.name}" is not a node of the configuration (${config.nodes.map((c) => c.name).join(', ')})`,
      );
    }
  }
  return config.nodes.map((c) => {
    const n = byName.get(c.name);
    if (!n) throw new KarooError('input', `${where} has no node "${c.name}" (role ${c.role}); provision from the same karoo.yml or add it`);
    if (n.role !== c.role)
      throw new KarooError('input', `${where}: node "${c.name}" has role "${n.role}", the configuration says "${c.role}"`);
    return n;
  });
}

/** Computes the desired state of every node; pure apart from reading nothing: everything is in its inputs. */
export function planDeploy(sc: SystemConfig, candidate: StagedCandidate, nodes: readonly InventoryNode[], where: string): DeployPlan {
  const cfgDigest = configDigest(sc);
  const systemId = systemIdOf(candidate.digest, cfgDigest);
  if (candidate.config.system !== sc.system) {
    throw new KarooError(
      'input',
      `candidate ${candidate.digest} was built for system "${candidate.config.system}", the configuration is for "${sc.system}"`,
    );
  }
  const locked = new Set(candidate.lock.packages.map((p) => p.name));
  for (const [name, role] of Object.entries(sc.roles)) {
    for (const leaf of role.leaves) {
      if (!locked.has(leaf))
        throw new KarooError(
          'input',
          `role "${name}" runs leaf "${leaf}", which is not in candidate ${candidate.digest}; resolve and build again, or fix roles.${name}.leaves`,
        );
    }
  }
  return {
    config: sc,
    configDigest: cfgDigest,
    systemId,
    environment: sc.environment,
    nodes: nodes.map((node) => {
      const role = sc.roles[node.role]!;
      const files = renderNodeFiles(sc, node, { systemId, candidate: candidate.digest }, where);
      const body = {
        format: 1 as const,
        system: sc.system,
        systemId,
        candidate: candidate.digest,
        candidateShort: candidate.short,
        configDigest: cfgDigest,
        environment: sc.environment,
        node: node.name,
        role: node.role,
        agent: AGENT_SHA256,
        services: role.services.map((s) => ({ ...s, unit: unitName(sc.system, s.name) })),
        files: files.map((f) => ({ path: f.path, sha256: f.sha256, mode: f.mode })),
        expected: candidate.expected,
      };
      const stateDigest = sha256Of(canonicalJson(body));
      return { node, files, desired: { ...body, stateDigest, releaseId: hexOf(stateDigest).slice(0, 16) } };
    }),
  };
}

/** What decides whether an installed tree fits a node (the agent's target_info()). */
interface NodeTarget {
  implementation: string;
  python: string;
  executable: string;
  soabi: string;
  platform: string;
  machine: string;
  libc: string;
}

interface PlanAnswer {
  python: string;
  target: NodeTarget;
  current: string | null;
  cpuSeconds?: number;
  converged: boolean;
  drift?: string[];
  missing: string[];
  venvComplete: boolean;
}

/**
 * Makes every node of the inventory converge to candidate + configuration, in two phases:
 * 1. on all nodes in parallel: plan (a converged node stops here), send missing blobs (checked
 *    on the node), install offline into the candidate's directory, render the release;
 * 2. only if every node prepared: switch each node to its release (one symlink rename),
 *    restart its services, verify, write the receipt.
 * A node that fails in phase 1 leaves every node on its old release. Everything that can be
 * checked without machines (configuration, inventory, candidate blobs) is checked first.
 *
 * Read from the top: open (SSH pool, work directory) → stage the candidate → plan every node
 * → prepare (install once per target, ship the installed tree) → activate → summarise → close.
 */
export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const clock = new PhaseClock();
  const progress = opts.progress ?? silentProgress;
  const sc = await systemConfig(opts.config, opts.environment);
  const nodes = matchInventory(sc, opts.inventory);
  const { pool, work } = await openDeploy(opts, nodes);
  let result: Omit<DeployResult, 'durationMs' | 'timings'>;
  try {
    const candidate = await stageCandidate(opts.store, opts.candidate, work);
    clock.lap('stage');
    const plan = planDeploy(sc, candidate, nodes, opts.config.dir);
    progress.info(`deploying candidate ${candidate.digest} as system ${plan.systemId} (${sc.environment}) to ${nodes.length} node(s)`);
    const d: Deployment = {
      opts,
      progress,
      sc,
      pool,
      work,
      candidate,
      plan,
      limit: pLimit(Math.max(1, opts.parallel ?? 8)),
      results: new Map(),
      started: new Map(),
    };
    const answers = await planNodes(d);
    clock.lap('plan');
    await prepareNodes(d, answers, clock);
    await activateNodes(d);
    clock.lap('activate');
    result = summarise(d);
  } finally {
    if (!opts.pool) await pool.close();
    await rm(work, { recursive: true, force: true });
  }
  clock.lap('close');
  const durationMs = clock.elapsed();
  const cpu = (k: keyof NodeResult['cpu']) => ms(result.nodes.reduce((n, r) => n + r.cpu[k], 0));
  progress.info(
    `timings: ${Object.entries(clock.timings)
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(
        ', ',
      )}; whole deploy ${ms(durationMs)}; agent CPU on the nodes: plan ${cpu('plan')}, prepare ${cpu('prepare')}, activate ${cpu('activate')}`,
  );
  return { ...result, durationMs, timings: clock.timings };
}

/** The one place that records a deploy's phase timings (DeployTimings): each phase ends where the next begins. */
class PhaseClock {
  readonly timings: DeployTimings = { stage: 0, plan: 0, install: 0, ship: 0, activate: 0, close: 0 };
  private readonly t0 = Date.now();
  private mark = this.t0;

  /** Ends `phase` now: the time since the previous lap is added to it. */
  lap(phase: keyof DeployTimings): void {
    const now = Date.now();
    this.timings[phase] += now - this.mark;
    this.mark = now;
  }

  /** Milliseconds since the deploy began. */
  elapsed(): number {
    return Date.now() - this.t0;
  }
}

/** What one deploy works with, passed from phase to phase; `results` fills in as nodes progress. */
interface Deployment {
  readonly opts: DeployOptions;
  readonly progress: Progress;
  readonly sc: SystemConfig;
  readonly pool: SshPool;
  /** The runner's temporary directory (staged candidate, installed trees). */
  readonly work: string;
  readonly candidate: StagedCandidate;
  readonly plan: DeployPlan;
  /** Nodes worked on at once. */
  readonly limit: LimitFunction;
  readonly results: Map<string, NodeResult>;
  /** When each node's work began (its plan call). */
  readonly started: Map<string, number>;
}

type PlannedNode = DeployPlan['nodes'][number];

/** Opens the SSH pool (unless one is given) and the work directory; the pool is closed again if the directory cannot be made. */
async function openDeploy(opts: DeployOptions, nodes: readonly InventoryNode[]): Promise<{ pool: SshPool; work: string }> {
  // The pool first: it refuses a bad target before any temporary directory exists.
  const pool = opts.pool ?? (await SshPool.open(nodes.map((n) => ({ name: n.name, ...n.ssh }))));
  try {
    return { pool, work: await mkdtemp(join(tmpdir(), 'karoo-deploy-')) };
  } catch (e) {
    if (!opts.pool) await pool.close();
    throw e;
  }
}

/** Marks a node failed with the error's message (and whether it was unreachable or refused bytes), and says so. */
function failNode(progress: Progress, r: NodeResult, e: unknown): void {
  r.result = 'failed';
  r.detail = isKarooError(e) || e instanceof Error ? e.message.replace(new RegExp(`^node ${r.name}: `), '') : String(e);
  r.unreachable = isKarooError(e) && e.kind === 'unavailable';
  r.integrity = isKarooError(e) && e.kind === 'integrity';
  r.errorKind = isKarooError(e) ? e.kind : undefined;
  progress.info(`${r.name}: failed: ${r.detail}`);
}

/**
 * Phase 1a: every node is asked what it has, whether it is converged, and its target. Returns
 * the answers of the nodes that need work (a converged or failed node has none).
 */
async function planNodes(d: Deployment): Promise<Map<string, PlanAnswer>> {
  const { sc, candidate, pool, progress, results, started } = d;
  const answers = new Map<string, PlanAnswer>();
  await Promise.all(
    d.plan.nodes.map(({ node, desired }) =>
      d.limit(async () => {
        const r: NodeResult = {
          name: node.name,
          role: node.role,
          result: 'skipped',
          changed: false,
          durationMs: 0,
          phases: { plan: 0, transfer: 0, install: 0, start: 0, verify: 0 },
          bytesSent: 0,
          cpu: { plan: 0, prepare: 0, activate: 0 },
        };
        results.set(node.name, r);
        const s0 = Date.now();
        started.set(node.name, s0);
        try {
          const p = await pool.agent<PlanAnswer>(node.name, 'plan', {
            system: sc.system,
            releaseId: desired.releaseId,
            stateDigest: desired.stateDigest,
            candidate: candidate.digest,
            candidateShort: candidate.short,
            expected: candidate.expected,
            blobs: candidate.wheels.map((w) => w.hex),
          });
          r.phases.plan = Date.now() - s0;
          r.cpu.plan = cpuMs(p);
          r.release = desired.releaseId;
          r.target = targetLabel(p.target);
          checkPython(node.name, p.python, candidate.config.target?.python);
          if (p.converged) {
            r.result = 'converged';
            r.install = 'reused';
            r.previousRelease = p.current ?? undefined;
            progress.info(`${node.name}: converged at ${desired.releaseId}, nothing to do (${Date.now() - s0} ms)`);
            return;
          }
          r.changed = true;
          answers.set(node.name, p);
        } catch (e) {
          failNode(progress, r, e);
        } finally {
          r.durationMs = Date.now() - s0;
        }
      }),
    ),
  );
  return answers;
}

/**
 * The installed tree a builder packs for the other nodes of its target. The builder settles it;
 * each receiver awaits it and, when the builder failed, is not prepared. The rejection is marked
 * handled at once: it is the receivers' to read, never an unhandled rejection of the deploy.
 */
class SharedTree {
  readonly tree: Promise<SharedArchive>;
  resolve: (a: SharedArchive) => void = () => undefined;
  reject: (e: unknown) => void = () => undefined;

  constructor() {
    this.tree = new Promise<SharedArchive>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.tree.catch(() => undefined);
  }
}

/**
 * Phase 1b: install once per distinct target: the first node of each target that lacks the
 * installation builds it from the wheels (and packs it when others need it); the others of that
 * target get the installed tree. Nothing is prepared when a node failed to plan. Laps `install`
 * when the last node that installs for itself is done; the rest is `ship`.
 */
async function prepareNodes(d: Deployment, answers: ReadonlyMap<string, PlanAnswer>, clock: PhaseClock): Promise<void> {
  const { plan, candidate, progress, results } = d;
  const installers = installPlan(
    plan.nodes.map(({ node }) => node.name).filter((n) => answers.has(n) && !answers.get(n)!.venvComplete),
    answers,
  );
  if (installers.length > 1) {
    progress.info(`the nodes run ${installers.length} different targets: the candidate is installed once per target`);
    for (const g of installers) {
      progress.info(
        g.receivers.length > 0
          ? `target ${g.label}: ${g.builder} installs, ${g.receivers.join(', ')} receive its installed tree`
          : `${g.builder}: its target (${g.label}) differs from the other nodes': installing on this node`,
      );
    }
  }
  const groupOf = new Map(installers.flatMap((g) => [[g.builder, g] as const, ...g.receivers.map((n) => [n, g] as const)]));
  const pkgOf = new Map(candidate.lock.files().map(({ pkg, file }) => [file.sha256, pkg]));
  const wheels: WheelRef[] = candidate.wheels.map((w) => ({
    hex: w.hex,
    filename: w.filename,
    package: pkgOf.get(w.hex)?.name,
    marker: pkgOf.get(w.hex)?.marker,
  }));
  const trees = new Map<InstallGroup, SharedTree>();
  let archiveSeq = 0;

  const planFailed = [...results.values()].some((r) => r.result === 'failed');
  let installing = 0;
  const installDone = () => {
    if (--installing === 0) clock.lap('install');
  };
  const tasks = plan.nodes
    .filter(({ node }) => answers.has(node.name) && !planFailed)
    .map((entry) => {
      const answer = answers.get(entry.node.name)!;
      const g = groupOf.get(entry.node.name);
      if (g && g.receivers.includes(entry.node.name)) return receiveTree(d, entry, answer, wheels, g, trees.get(g)!);
      installing++;
      let shared: { tree: SharedTree; path: string } | undefined;
      if (g && g.receivers.length > 0) {
        shared = { tree: new SharedTree(), path: join(d.work, `installed-${archiveSeq++}.tar.gz`) };
        trees.set(g, shared.tree);
      }
      return installOnNode(d, entry, answer, wheels, g, shared).finally(installDone);
    });
  await Promise.all(tasks);
  clock.lap(installing > 0 ? 'install' : 'ship');
}

/** A node that installs from the wheels itself; with `shared`, it also packs its tree for the receivers of its target. */
async function installOnNode(
  d: Deployment,
  entry: PlannedNode,
  answer: PlanAnswer,
  wheels: readonly WheelRef[],
  g: InstallGroup | undefined,
  shared: { tree: SharedTree; path: string } | undefined,
): Promise<void> {
  const { node, desired } = entry;
  const { candidate, progress } = d;
  const r = d.results.get(node.name)!;
  await d.limit(async () => {
    try {
      if (g && shared) {
        const packed = (await prepareNode(d, entry, answer, wheels, undefined, shared.path)).packed!;
        shared.tree.resolve({ hex: packed.hex, size: packed.size, path: shared.path });
        progress.info(
          `${node.name}: installed candidate ${candidate.short} from ${candidate.wheels.length} wheels and packed it for ${g.receivers.length} more node(s) of target ${g.label} (sha256:${packed.hex.slice(0, 12)}…, ${packed.size} bytes; transfer ${ms(r.phases.transfer)}, install + pack ${ms(r.phases.install)})`,
        );
      } else {
        await prepareNode(d, entry, answer, wheels, undefined);
        progress.info(
          `${node.name}: prepared release ${desired.releaseId} (transfer ${ms(r.phases.transfer)}, ${r.bytesSent} bytes; install ${ms(r.phases.install)})`,
        );
      }
    } catch (e) {
      shared?.tree.reject(e);
      failNode(progress, r, e);
    } finally {
      r.durationMs = Date.now() - d.started.get(node.name)!;
    }
  });
}

/** A node that gets the installed tree its target's builder packed; it waits for the tree outside the limit, so that waiting never holds a slot the builder needs. */
async function receiveTree(
  d: Deployment,
  entry: PlannedNode,
  answer: PlanAnswer,
  wheels: readonly WheelRef[],
  g: InstallGroup,
  shared: SharedTree,
): Promise<void> {
  const { node, desired } = entry;
  const { progress } = d;
  const r = d.results.get(node.name)!;
  const finish = () => (r.durationMs = Date.now() - d.started.get(node.name)!);
  let archive: SharedArchive;
  try {
    archive = await shared.tree;
  } catch {
    r.result = 'failed';
    r.detail = `not prepared: the installation for its target (${g.label}) failed on node ${g.builder}`;
    finish();
    return;
  }
  await d.limit(async () => {
    try {
      await prepareNode(d, entry, answer, wheels, archive);
      r.installedOn = g.builder;
      progress.info(
        `${node.name}: prepared release ${desired.releaseId} with the installation built on ${g.builder} (${r.bytesSent} bytes, unpacked as they arrived + verified: ${ms(r.phases.install)})`,
      );
    } catch (e) {
      failNode(progress, r, e);
    } finally {
      finish();
    }
  });
}

/**
 * One agent call per node: the wheels it lacks (or the installed tree, `archive`) stream after
 * the request and are checked on arrival; the node installs and renders its release; with
 * `packTo`, it streams its installed tree back, which is checked and written there.
 */
async function prepareNode(
  d: Deployment,
  { node, desired, files }: PlannedNode,
  p: PlanAnswer,
  wheels: readonly WheelRef[],
  archive: SharedArchive | undefined,
  packTo?: string,
): Promise<PrepareAnswer> {
  const { sc, candidate, pool } = d;
  const r = d.results.get(node.name)!;
  await d.opts.onTransfer?.(node.name);
  const send = archive || p.venvComplete ? [] : p.missing.map((h) => candidate.wheels.find((w) => w.hex === h)!).filter(Boolean);
  const payload: PayloadFile[] = archive ? [{ path: archive.path, size: archive.size }] : send.map((w) => ({ path: w.path, size: w.size }));
  const request = {
    system: sc.system,
    candidate: candidate.digest,
    candidateShort: candidate.short,
    releaseId: desired.releaseId,
    blobs: send.map((w) => ({ hex: w.hex, size: w.size })),
    wheels,
    archive: archive ? { hex: archive.hex, size: archive.size, inline: true } : undefined,
    pack: packTo ? true : undefined,
    expected: candidate.expected,
    release: desired,
    files: files.map((f) => ({ path: f.path, mode: f.mode, content: Buffer.from(f.bytes).toString('base64') })),
  };
  const t = Date.now();
  const a = packTo
    ? await pool.agentWithBlob<PrepareAnswer>(node.name, 'prepare', request, payload, (x) => x.packed ?? { hex: '', size: -1 }, packTo)
    : await pool.agent<PrepareAnswer>(node.name, 'prepare', request, payload);
  const took = Date.now() - t;
  r.cpu.prepare = cpuMs(a);
  r.bytesSent = payload.reduce((n, f) => n + f.size, 0);
  r.phases.transfer = Math.round((a.timings.receiveSeconds ?? 0) * 1000);
  r.phases.install = took - r.phases.transfer;
  r.install = a.timings.install.reused ? 'reused' : archive ? 'archive' : 'wheels';
  r.result = 'prepared';
  return a;
}

/** The deploy's results in configuration order. */
function orderedResults(d: Deployment): NodeResult[] {
  return d.plan.nodes.map(({ node }) => d.results.get(node.name)!);
}

/** How long a node of `role` waits for its services: its slowest service's `start-timeout` (START_TIMEOUT_SECONDS where none is given). */
export function startWaitSeconds(config: KarooConfig, role: string): number {
  const each = (config.roles[role]?.services ?? []).map((s) => s.startTimeoutSeconds ?? START_TIMEOUT_SECONDS);
  return each.length > 0 ? Math.max(...each) : START_TIMEOUT_SECONDS;
}

/**
 * Phase 2: only if every node prepared, each prepared node switches to its release, restarts
 * its services and verifies; otherwise no node is switched.
 */
async function activateNodes(d: Deployment): Promise<void> {
  const { sc, pool, progress, opts } = d;
  const failures = orderedResults(d).filter((r) => r.result === 'failed');
  if (failures.length > 0) {
    progress.info(
      `not switching any node: ${failures.map((f) => f.name).join(', ')} failed while preparing; every node stays on its current release`,
    );
    return;
  }
  await Promise.all(
    d.plan.nodes.map(({ node, desired }) =>
      d.limit(async () => {
        const r = d.results.get(node.name)!;
        if (r.result !== 'prepared') return;
        const s = Date.now();
        const waitSeconds = opts.waitSeconds ?? startWaitSeconds(opts.config, node.role);
        try {
          const a = await pool.agent<{ previous: string | null; startSeconds: number; verifySeconds: number; cpuSeconds?: number }>(
            node.name,
            'activate',
            { system: sc.system, releaseId: desired.releaseId, waitSeconds },
            [],
            (waitSeconds + 120) * 1000,
          );
          r.phases.verify = Math.round(a.verifySeconds * 1000);
          r.cpu.activate = cpuMs(a);
          r.phases.start = Date.now() - s - r.phases.verify;
          r.previousRelease = a.previous ?? undefined;
          r.result = a.previous === desired.releaseId ? 'repaired' : 'deployed';
          progress.info(`${node.name}: running release ${desired.releaseId} (start ${ms(r.phases.start)}, verify ${ms(r.phases.verify)})`);
        } catch (e) {
          failNode(progress, r, e);
        } finally {
          r.durationMs = Date.now() - d.started.get(node.name)!;
        }
      }),
    ),
  );
}

/** The deploy's outcome: every node's result, and the first failure (with its kind) when there was one. */
function summarise(d: Deployment): Omit<DeployResult, 'durationMs' | 'timings'> {
  const list = orderedResults(d);
  const failures = list.filter((r) => r.result === 'failed');
  const first = failures[0];
  return {
    ok: failures.length === 0,
    system: d.sc.system,
    systemId: d.plan.systemId,
    candidate: d.candidate.digest,
    configDigest: d.plan.configDigest,
    environment: d.sc.environment,
    nodes: list,
    error: first
      ? `deploy failed on node ${first.name}: ${first.detail}${failures.length > 1 ? ` (and ${failures.length - 1} more node(s))` : ''}`
      : undefined,
    errorKind: first ? failureKind(first) : undefined,
  };
}

/**
 * The kind a failed node's deploy exits with: the one its error carried (the agent's own kind
 * travels through ssh.ts), else unavailable or integrity when that is what happened, else
 * conflict (the node is not in the state the deploy needs, e.g. a service did not come up).
 */
export function failureKind(r: Pick<NodeResult, 'errorKind' | 'unreachable' | 'integrity'>): ErrorKind {
  return r.errorKind ?? (r.unreachable ? 'unavailable' : r.integrity ? 'integrity' : 'conflict');
}

/** A wheel of the candidate as the agent's `prepare` request names it. */
interface WheelRef {
  hex: string;
  filename: string;
  package: string | undefined;
  marker: string | undefined;
}

interface InstallGroup {
  readonly key: string;
  readonly label: string;
  /** The node that installs from the wheels (and packs the tree when there are receivers). */
  readonly builder: string;
  /** Nodes of the same target that get the installed tree. */
  readonly receivers: string[];
}

/** The agent's answer to `prepare` (seconds, measured on the node). */
interface PrepareAnswer {
  cpuSeconds?: number;
  timings: {
    install: { reused?: boolean; from?: string };
    receiveSeconds?: number;
    installSeconds?: number;
    renderSeconds?: number;
    packSeconds?: number;
  };
  /** With `pack`: the installed tree streamed before the answer. */
  packed?: { hex: string; size: number };
}

interface SharedArchive {
  readonly hex: string;
  readonly size: number;
  /** On the runner, checked against hex and size. */
  readonly path: string;
}

/** A node's target in one line: `cpython 3.11.2 linux-x86_64 glibc 2.36`. */
function targetLabel(t: NodeTarget | undefined): string {
  if (!t) return 'unknown';
  return [t.implementation, t.python, t.platform, t.libc, t.executable].filter(Boolean).join(' ');
}

/**
 * Groups the nodes that need the candidate installed by target (interpreter, version, ABI,
 * platform, libc, interpreter path), in configuration order: the first node of each group
 * installs, the others receive its installed tree.
 */
export function installPlan(nodes: readonly string[], answers: ReadonlyMap<string, { target: NodeTarget }>): InstallGroup[] {
  const groups = new Map<string, InstallGroup>();
  for (const n of nodes) {
    const t = answers.get(n)!.target;
    const key = canonicalJson(t ?? {});
    const g = groups.get(key);
    if (g) g.receivers.push(n);
    else groups.set(key, { key, label: targetLabel(t), builder: n, receivers: [] });
  }
  return [...groups.values()];
}

/** Throws the deploy's failure as a KarooError (exit 4 when a node was unreachable, 3 when a node refused a damaged wheel or archive, 5 otherwise). */
export function assertDeployed(r: DeployResult): void {
  if (!r.ok) throw new KarooError(r.errorKind ?? 'conflict', r.error ?? 'deploy failed', { detail: { nodes: r.nodes } });
}

function checkPython(node: string, have: string, want: string | undefined): void {
  if (!want) return;
  if (have !== want && !have.startsWith(`${want}.`)) {
    throw new KarooError(
      'input',
      `node ${node} runs Python ${have}, the candidate is locked for Python ${want}; provision nodes with Python ${want} or resolve for ${have.split('.').slice(0, 2).join('.')}`,
    );
  }
}

function cpuMs(answer: { cpuSeconds?: number }): number {
  return Math.round((answer.cpuSeconds ?? 0) * 1000);
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`;
}
