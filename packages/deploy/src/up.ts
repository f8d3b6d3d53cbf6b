import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Digest, type Progress, silentProgress } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import type { EvidenceRun } from '@karoo/evidence';
import type { Inventory, InventoryNode } from '@karoo/machines';
import type { Store } from '@karoo/oci';
import { accept, type AcceptResult } from './accept.js';
import { deploy, type DeployResult, planDeploy } from './deploy.js';
import { SshPool } from './ssh.js';
import { stageCandidate } from './stage.js';
import { systemConfig } from './system.js';

/**
 * Everything deploy can check without machines: the configuration for the environment, the
 * candidate in the store (every blob against its digest), the roles' leaves in the candidate.
 * Returns the system id. Throws before anything is provisioned.
 */
export async function precheck(config: KarooConfig, environment: string | undefined, store: Store, candidate: Digest | string): Promise<{ systemId: Digest; environment: string }> {
  const sc = await systemConfig(config, environment);
  const dir = await mkdtemp(join(tmpdir(), 'karoo-precheck-'));
  try {
    const staged = await stageCandidate(store, candidate, dir);
    const nodes: InventoryNode[] = sc.nodes.map((n) => ({ name: n.name, role: n.role, address: n.name, ssh: { host: n.name, port: 22, user: 'root' }, provider: 'static' }));
    const plan = planDeploy(sc, staged, nodes, config.dir);
    return { systemId: plan.systemId, environment: sc.environment };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface UpOptions {
  readonly config: KarooConfig;
  readonly store: Store;
  readonly candidate: Digest | string;
  readonly provider?: string | undefined;
  readonly environment?: string | undefined;
  /** Keep the machines afterwards (until their TTL), for debugging. */
  readonly keep?: boolean | undefined;
  /** Where the inventory and acceptance files go. Default: a temporary directory, deleted unless kept. */
  readonly outDir?: string | undefined;
  readonly run?: EvidenceRun | undefined;
  readonly progress?: Progress | undefined;
  readonly output?: NodeJS.WritableStream | undefined;
  /** argv the environment's TTL watchdog runs when it expires (`{env}` = the environment id); see @karoo/machines. */
  readonly onExpire?: string[] | undefined;
}

export interface UpResult {
  readonly systemId: Digest;
  readonly candidate: Digest;
  readonly environment: string;
  readonly environmentId: string;
  readonly provider: string;
  readonly result: 'passed' | 'failed';
  /** Digest of the evidence artifact (also when the result is failed). */
  readonly evidence?: Digest | undefined;
  readonly deploy: DeployResult;
  readonly accept?: AcceptResult | undefined;
  /** Seconds per step. */
  readonly timings: { provision: number; deploy: number; accept: number; teardown: number };
  readonly kept: boolean;
  readonly inventory?: string | undefined;
  readonly reason?: string | undefined;
}

/**
 * provision → deploy → accept → teardown, on fresh machines, for one candidate. Teardown
 * happens whatever happened before (unless `keep`). A deploy that fails is recorded as failed
 * evidence (reason: the deploy's first failure); a provisioning failure is thrown (no evidence:
 * it says nothing about the candidate).
 */
export async function up(opts: UpOptions): Promise<UpResult> {
  const progress = opts.progress ?? silentProgress;
  const pre = await precheck(opts.config, opts.environment, opts.store, opts.candidate);
  const machines = await import('@karoo/machines');
  const provider = opts.provider ?? opts.config.provision.provider ?? 'nspawn';
  const ownOut = opts.outDir === undefined;
  const outDir = resolve(opts.outDir ?? (await mkdtemp(join(tmpdir(), 'karoo-up-'))));
  const timings = { provision: 0, deploy: 0, accept: 0, teardown: 0 };
  let t = Date.now();
  progress.info(`up: provisioning ${opts.config.nodes.length} node(s) with ${provider} for system ${pre.systemId} (${pre.environment})`);
  const env = await machines.provision({
    nodes: opts.config.nodes.map((n) => ({ name: n.name, role: n.role, cpus: n.cpus, memory: n.memory })),
    provider,
    image: opts.config.provision.image,
    imageSha256: opts.config.provision.imageSha256,
    ttlSeconds: opts.config.provision.ttlSeconds,
    outDir: join(outDir, 'environment'),
    keep: opts.keep,
    onExpire: opts.onExpire,
    progress,
  });
  timings.provision = secs(Date.now() - t);
  const inventory: Inventory = env.inventory;
  let pool: SshPool | undefined;
  try {
    pool = await SshPool.open(inventory.nodes.map((n) => ({ name: n.name, ...n.ssh })));
    t = Date.now();
    const d = await deploy({ config: opts.config, environment: pre.environment, store: opts.store, candidate: opts.candidate, inventory, progress, pool });
    timings.deploy = secs(Date.now() - t);
    t = Date.now();
    const a = await accept({
      config: opts.config,
      environment: pre.environment,
      inventory,
      store: opts.store,
      candidate: d.candidate,
      outDir: join(outDir, 'acceptance'),
      run: opts.run,
      progress,
      output: opts.output,
      pool,
      failedBefore: d.ok ? undefined : d.error,
    });
    timings.accept = secs(Date.now() - t);
    return {
      systemId: d.systemId,
      candidate: d.candidate,
      environment: d.environment,
      environmentId: inventory.environmentId,
      provider,
      result: a.result,
      evidence: a.evidence,
      deploy: d,
      accept: a,
      timings,
      kept: !!opts.keep,
      inventory: opts.keep ? env.inventoryPath : undefined,
      reason: a.reason,
    };
  } finally {
    await pool?.close().catch(() => undefined);
    t = Date.now();
    if (opts.keep) {
      progress.info(`up: keeping environment ${inventory.environmentId} (inventory ${env.inventoryPath}); destroy it with: karoo destroy --inventory ${env.inventoryPath}`);
    } else {
      await machines.destroyState(env.state, { progress }).catch((e: unknown) => progress.info(`up: teardown of ${inventory.environmentId} failed: ${(e as Error).message}; run karoo reap`));
      if (ownOut) await rm(outDir, { recursive: true, force: true });
    }
    timings.teardown = secs(Date.now() - t);
  }
}

function secs(ms: number): number {
  return Math.round(ms / 10) / 100;
}
