import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, type Digest, hexOf, isKarooError, KarooError, type Progress, sha256Of, silentProgress } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import type { Inventory, InventoryNode } from '@karoo/machines';
import type { Store } from '@karoo/oci';
import pLimit from 'p-limit';
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
  readonly errorKind?: 'unavailable' | 'integrity' | 'conflict' | undefined;
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
  /** How long services may take to come up (active, port listening). Default 60 s. */
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
      throw new KarooError('input', `${where}: node "${n.name}" is not a node of the configuration (${config.nodes.map((c) => c.name).join(', ')})`);
    }
  }
  return config.nodes.map((c) => {
    const n = byName.get(c.name);
    if (!n) throw new KarooError('input', `${where} has no node "${c.name}" (role ${c.role}); provision from the same karoo.yml or add it`);
    if (n.role !== c.role) throw new KarooError('input', `${where}: node "${c.name}" has role "${n.role}", the configuration says "${c.role}"`);
    return n;
  });
}

/** Computes the desired state of every node; pure apart from reading nothing: everything is in its inputs. */
export function planDeploy(sc: SystemConfig, candidate: StagedCandidate, nodes: readonly InventoryNode[], where: string): DeployPlan {
  const cfgDigest = configDigest(sc);
  const systemId = systemIdOf(candidate.digest, cfgDigest);
  if (candidate.config.system !== sc.system) {
    throw new KarooError('input', `candidate ${candidate.digest} was built for system "${candidate.config.system}", the configuration is for "${sc.system}"`);
  }
  const locked = new Set(candidate.lock.packages.map((p) => p.name));
  for (const [name, role] of Object.entries(sc.roles)) {
    for (const leaf of role.leaves) {
      if (!locked.has(leaf)) throw new KarooError('input', `role "${name}" runs leaf "${leaf}", which is not in candidate ${candidate.digest}; resolve and build again, or fix roles.${name}.leaves`);
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
 */
export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const t0 = Date.now();
  // The one place that records phase timings: each phase ends where the next begins.
  const timings: DeployTimings = { stage: 0, plan: 0, install: 0, ship: 0, activate: 0, close: 0 };
  let mark = t0;
  const lap = (phase: keyof DeployTimings) => {
    const now = Date.now();
    timings[phase] += now - mark;
    mark = now;
  };
  const progress = opts.progress ?? silentProgress;
  const sc = await systemConfig(opts.config, opts.environment);
  const nodes = matchInventory(sc, opts.inventory);
  // The pool first: it refuses a bad target before any temporary directory exists.
  const pool = opts.pool ?? (await SshPool.open(nodes.map((n) => ({ name: n.name, ...n.ssh }))));
  const work = await mkdtemp(join(tmpdir(), 'karoo-deploy-')).catch(async (e: unknown) => {
    if (!opts.pool) await pool.close();
    throw e;
  });
  let result: Omit<DeployResult, 'durationMs' | 'timings'>;
  try {
    const candidate = await stageCandidate(opts.store, opts.candidate, work);
    lap('stage');
    const plan = planDeploy(sc, candidate, nodes, opts.config.dir);
    progress.info(`deploying candidate ${candidate.digest} as system ${plan.systemId} (${sc.environment}) to ${nodes.length} node(s)`);
    const limit = pLimit(Math.max(1, opts.parallel ?? 8));
    const results = new Map<string, NodeResult>();
    const started = new Map<string, number>();
    const fail = (r: NodeResult, e: unknown) => {
      r.result = 'failed';
      r.detail = isKarooError(e) || e instanceof Error ? e.message.replace(new RegExp(`^node ${r.name}: `), '') : String(e);
      r.unreachable = isKarooError(e) && e.kind === 'unavailable';
      r.integrity = isKarooError(e) && e.kind === 'integrity';
    };

    // 1a. Plan every node: what it has, whether it is converged, and its target.
    const answers = new Map<string, PlanAnswer>();
    await Promise.all(
      plan.nodes.map(({ node, desired }) =>
        limit(async () => {
          const r: NodeResult = { name: node.name, role: node.role, result: 'skipped', changed: false, durationMs: 0, phases: { plan: 0, transfer: 0, install: 0, start: 0, verify: 0 }, bytesSent: 0, cpu: { plan: 0, prepare: 0, activate: 0 } };
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
            fail(r, e);
            progress.info(`${node.name}: failed: ${r.detail}`);
          } finally {
            r.durationMs = Date.now() - s0;
          }
        }),
      ),
    );

    lap('plan');

    // 1b. Install once per distinct target: the first node of each target that lacks the
    // installation builds it from the wheels; the others of that target get the installed tree.
    const installers = installPlan(plan.nodes.map(({ node }) => node.name).filter((n) => answers.has(n) && !answers.get(n)!.venvComplete), answers);
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
    const roleOf = new Map(installers.flatMap((g) => [[g.builder, g] as const, ...g.receivers.map((n) => [n, g] as const)]));
    const pkgOf = new Map(candidate.lock.files().map(({ pkg, file }) => [file.sha256, pkg]));
    const wheels = candidate.wheels.map((w) => ({ hex: w.hex, filename: w.filename, package: pkgOf.get(w.hex)?.name, marker: pkgOf.get(w.hex)?.marker }));
    const archives = new Map<InstallGroup, Promise<SharedArchive>>();
    let archiveSeq = 0;

    /**
     * One agent call per node: the wheels it lacks (or the installed tree, `archive`) stream after
     * the request and are checked on arrival; the node installs and renders its release; with
     * `packTo`, it streams its installed tree back, which is checked and written there.
     */
    const prepare = async ({ node, desired, files }: (typeof plan.nodes)[number], archive: SharedArchive | undefined, packTo?: string): Promise<PrepareAnswer> => {
      const r = results.get(node.name)!;
      const p = answers.get(node.name)!;
      await opts.onTransfer?.(node.name);
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
    };

    const planFailed = [...results.values()].some((r) => r.result === 'failed');
    // `install` lasts until the last node that installs for itself is done; the rest is `ship`.
    let installing = 0;
    const installDone = () => {
      if (--installing === 0) lap('install');
    };
    const tasks = plan.nodes
      .filter(({ node }) => answers.has(node.name) && !planFailed)
      .map((entry) => {
        const { node, desired } = entry;
        const r = results.get(node.name)!;
        const g = roleOf.get(node.name);
        const finish = () => (r.durationMs = Date.now() - started.get(node.name)!);
        if (g && g.receivers.includes(node.name)) {
          // Waits for its target's archive outside the limit, so that waiting never holds a slot the builder needs.
          return (async () => {
            let archive: SharedArchive;
            try {
              archive = await archives.get(g)!;
            } catch (e) {
              r.result = 'failed';
              r.detail = `not prepared: the installation for its target (${g.label}) failed on node ${g.builder}`;
              finish();
              return;
            }
            await limit(async () => {
              try {
                await prepare(entry, archive);
                r.installedOn = g.builder;
                progress.info(
                  `${node.name}: prepared release ${desired.releaseId} with the installation built on ${g.builder} (${r.bytesSent} bytes, unpacked as they arrived + verified: ${ms(r.phases.install)})`,
                );
              } catch (e) {
                fail(r, e);
                progress.info(`${node.name}: failed: ${r.detail}`);
              } finally {
                finish();
              }
            });
          })();
        }
        installing++;
        let resolveArchive: (a: SharedArchive) => void = () => undefined;
        let rejectArchive: (e: unknown) => void = () => undefined;
        if (g && g.receivers.length > 0) {
          const promise = new Promise<SharedArchive>((res, rej) => {
            resolveArchive = res;
            rejectArchive = rej;
          });
          promise.catch(() => undefined);
          archives.set(g, promise);
        }
        return limit(async () => {
          try {
            if (g && g.receivers.length > 0) {
              const path = join(work, `installed-${archiveSeq++}.tar.gz`);
              const packed = (await prepare(entry, undefined, path)).packed!;
              resolveArchive({ hex: packed.hex, size: packed.size, path });
              progress.info(
                `${node.name}: installed candidate ${candidate.short} from ${candidate.wheels.length} wheels and packed it for ${g.receivers.length} more node(s) of target ${g.label} (sha256:${packed.hex.slice(0, 12)}…, ${packed.size} bytes; transfer ${ms(r.phases.transfer)}, install + pack ${ms(r.phases.install)})`,
              );
            } else {
              await prepare(entry, undefined);
              progress.info(`${node.name}: prepared release ${desired.releaseId} (transfer ${ms(r.phases.transfer)}, ${r.bytesSent} bytes; install ${ms(r.phases.install)})`);
            }
          } catch (e) {
            rejectArchive(e);
            fail(r, e);
            progress.info(`${node.name}: failed: ${r.detail}`);
          } finally {
            finish();
            installDone();
          }
        });
      });
    await Promise.all(tasks);
    lap(installing > 0 ? 'install' : 'ship');

    const ordered = () => plan.nodes.map(({ node }) => results.get(node.name)!);
    const failedIn = (list: NodeResult[]) => list.filter((r) => r.result === 'failed');
    let failures = failedIn(ordered());
    if (failures.length === 0) {
      await Promise.all(
        plan.nodes.map(({ node, desired }) =>
          limit(async () => {
            const r = results.get(node.name)!;
            if (r.result !== 'prepared') return;
            const s = Date.now();
            try {
              const a = await pool.agent<{ previous: string | null; startSeconds: number; verifySeconds: number; cpuSeconds?: number }>(
                node.name,
                'activate',
                { system: sc.system, releaseId: desired.releaseId, waitSeconds: opts.waitSeconds ?? 60 },
                [],
              );
              r.phases.verify = Math.round(a.verifySeconds * 1000);
              r.cpu.activate = cpuMs(a);
              r.phases.start = Date.now() - s - r.phases.verify;
              r.previousRelease = a.previous ?? undefined;
              r.result = a.previous === desired.releaseId ? 'repaired' : 'deployed';
              progress.info(`${node.name}: running release ${desired.releaseId} (start ${ms(r.phases.start)}, verify ${ms(r.phases.verify)})`);
            } catch (e) {
              fail(r, e);
              progress.info(`${node.name}: failed: ${r.detail}`);
            } finally {
              r.durationMs = Date.now() - started.get(node.name)!;
            }
          }),
        ),
      );
      failures = failedIn(ordered());
    } else {
      progress.info(`not switching any node: ${failures.map((f) => f.name).join(', ')} failed while preparing; every node stays on its current release`);
    }
    lap('activate');
    const list = ordered();
    const first = failures[0];
    result = {
      ok: failures.length === 0,
      system: sc.system,
      systemId: plan.systemId,
      candidate: candidate.digest,
      configDigest: plan.configDigest,
      environment: sc.environment,
      nodes: list,
      error: first ? `deploy failed on node ${first.name}: ${first.detail}${failures.length > 1 ? ` (and ${failures.length - 1} more node(s))` : ''}` : undefined,
      errorKind: first ? (first.unreachable ? 'unavailable' : first.integrity ? 'integrity' : 'conflict') : undefined,
    };
  } finally {
    if (!opts.pool) await pool.close();
    await rm(work, { recursive: true, force: true });
  }
  lap('close');
  const durationMs = Date.now() - t0;
  const cpu = (k: keyof NodeResult['cpu']) => ms(result.nodes.reduce((n, r) => n + r.cpu[k], 0));
  progress.info(`timings: ${Object.entries(timings).map(([k, v]) => `${k} ${ms(v)}`).join(', ')}; whole deploy ${ms(durationMs)}; agent CPU on the nodes: plan ${cpu('plan')}, prepare ${cpu('prepare')}, activate ${cpu('activate')}`);
  return { ...result, durationMs, timings };
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
  timings: { install: { reused?: boolean; from?: string }; receiveSeconds?: number; installSeconds?: number; renderSeconds?: number; packSeconds?: number };
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
    throw new KarooError('input', `node ${node} runs Python ${have}, the candidate is locked for Python ${want}; provision nodes with Python ${want} or resolve for ${have.split('.').slice(0, 2).join('.')}`);
  }
}

function cpuMs(answer: { cpuSeconds?: number }): number {
  return Math.round((answer.cpuSeconds ?? 0) * 1000);
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`;
}
