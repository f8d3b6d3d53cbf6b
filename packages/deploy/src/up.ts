import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Digest, KarooError, type Progress, silentProgress } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import type { EvidenceRun } from '@karoo/evidence';
import type { Inventory, InventoryNode } from '@karoo/machines';
import type { Store } from '@karoo/oci';
import { accept, type AcceptOptions, type AcceptResult } from './accept.js';
import { deploy, type DeployResult, planDeploy } from './deploy.js';
import { SshPool } from './ssh.js';
import { stageCandidate } from './stage.js';
import { systemConfig } from './system.js';

/**
 * Everything deploy can check without machines: the configuration for the environment, the
 * candidate in the store (every blob against its digest), the roles' leaves in the candidate.
 * Returns the system id. Throws before anything is provisioned.
 */
export async function precheck(
  config: KarooConfig,
  environment: string | undefined,
  store: Store,
  candidate: Digest | string,
): Promise<{ systemId: Digest; environment: string }> {
  const sc = await systemConfig(config, environment);
  const dir = await mkdtemp(join(tmpdir(), 'karoo-precheck-'));
  try {
    const staged = await stageCandidate(store, candidate, dir);
    const nodes: InventoryNode[] = sc.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      address: n.name,
      ssh: { host: n.name, port: 22, user: 'root' },
      provider: 'static',
    }));
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
  /** Where the inventory and acceptance files go. Default: the run's temporary directory, deleted with the environment unless kept. */
  readonly outDir?: string | undefined;
  readonly run?: EvidenceRun | undefined;
  readonly progress?: Progress | undefined;
  readonly output?: NodeJS.WritableStream | undefined;
  /** argv the environment's watchdog runs when its owner (this process) is gone or its TTL passes (`{env}` = the environment id); see @karoo/machines. */
  readonly onExpire?: string[] | undefined;
  /** Aborting (SIGINT, SIGTERM, SIGHUP in the CLI) stops the run and tears down at once, as at a normal end; up() then throws. */
  readonly signal?: AbortSignal | undefined;
  /** Signs the acceptance result (see AcceptOptions.attest). */
  readonly attest?: AcceptOptions['attest'];
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
 * provision → deploy → accept → teardown, on fresh machines, for one candidate. The environment
 * belongs to this process (lifetime `owner`): its watchdog and `karoo reap` remove it the moment
 * the process is gone, however it ended. Teardown happens whatever happened before (unless
 * `keep`), once, also when `signal` aborts. Every temporary file of the run (the staged
 * candidate, SSH control sockets, the acceptance files) lives in one `karoo-up-*` directory
 * that goes with the environment: TMPDIR points there while up() runs. A deploy that fails is
 * recorded as failed evidence (reason: the deploy's first failure); a provisioning failure is
 * thrown (no evidence: it says nothing about the candidate).
 */
export async function up(opts: UpOptions): Promise<UpResult> {
  const progress = opts.progress ?? silentProgress;
  const machines = await import('@karoo/machines');
  // Short (SSH control sockets live below it) and named after its owner, so reap finds it even before the stamp.
  const work = await machines.ownedTempDir('karoo-up-');
  const previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = work;
  const outDir = resolve(opts.outDir ?? work);
  const acceptDir = join(outDir, 'acceptance');
  const timings = { provision: 0, deploy: 0, accept: 0, teardown: 0 };
  let env: Awaited<ReturnType<typeof machines.provision>> | undefined;
  let pool: SshPool | undefined;
  let torn: Promise<void> | undefined;
  const teardown = (): Promise<void> =>
    (torn ??= (async () => {
      const t = Date.now();
      await pool?.close().catch(() => undefined);
      if (env && opts.keep) {
        await machines.handOver(env.state);
        // Kept with the machines: no longer removed when this process ends, only with the environment.
        await rm(join(work, machines.OWNER_FILE), { force: true });
        progress.info(
          `up: keeping environment ${env.state.environmentId} (inventory ${env.inventoryPath}); destroy it with: karoo destroy --inventory ${env.inventoryPath}`,
        );
      } else if (opts.keep && existsSync(join(outDir, 'environment', 'inventory.json'))) {
        // Provisioning failed and kept its machines (--keep): their inventory and logs are in here.
        await rm(join(work, machines.OWNER_FILE), { force: true });
      } else {
        if (env)
          await machines
            .destroyState(env.state, { progress })
            .catch((e: unknown) =>
              progress.warn(`up: teardown of ${env!.state.environmentId} failed: ${(e as Error).message}; run karoo reap`),
            );
        await rm(work, { recursive: true, force: true });
      }
      timings.teardown = secs(Date.now() - t);
    })());
  const interrupted = new Promise<never>((_, reject) => {
    const stop = () =>
      reject(
        opts.signal?.reason instanceof Error
          ? opts.signal.reason
          : new KarooError('refused', `up was interrupted${opts.signal?.reason ? ` (${String(opts.signal.reason)})` : ''}`),
      );
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop, { once: true });
  });
  interrupted.catch(() => undefined);
  const orStop = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    return Promise.race([p, interrupted]);
  };
  try {
    const pre = await orStop(precheck(opts.config, opts.environment, opts.store, opts.candidate));
    const provider = opts.provider ?? opts.config.provision.provider ?? 'nspawn';
    let t = Date.now();
    progress.info(`up: provisioning ${opts.config.nodes.length} node(s) with ${provider} for system ${pre.systemId} (${pre.environment})`);
    // Not raced with the signal: provision() itself stops at the signal and destroys what it made before it returns.
    env = await machines.provision({
      nodes: opts.config.nodes.map((n) => ({ name: n.name, role: n.role, cpus: n.cpus, memory: n.memory })),
      provider,
      ...machines.libvirtOptions(opts.config.provision),
      image: opts.config.provision.image,
      imageSha256: opts.config.provision.imageSha256,
      ttlSeconds: opts.config.provision.ttlSeconds,
      outDir: join(outDir, 'environment'),
      keep: opts.keep,
      onExpire: opts.onExpire,
      progress,
      lifetime: 'owner',
      paths: [work],
      related: [acceptDir],
      signal: opts.signal,
    });
    timings.provision = secs(Date.now() - t);
    const inventory: Inventory = env.inventory;
    pool = await SshPool.open(inventory.nodes.map((n) => ({ name: n.name, ...n.ssh })));
    t = Date.now();
    progress.info(`up: deploying to ${inventory.environmentId}`);
    const d = await orStop(
      deploy({
        config: opts.config,
        environment: pre.environment,
        store: opts.store,
        candidate: opts.candidate,
        inventory,
        progress,
        pool,
      }),
    );
    timings.deploy = secs(Date.now() - t);
    t = Date.now();
    progress.info(`up: accepting on ${inventory.environmentId}`);
    const a = await orStop(
      accept({
        config: opts.config,
        environment: pre.environment,
        inventory,
        store: opts.store,
        candidate: d.candidate,
        outDir: acceptDir,
        run: opts.run,
        progress,
        output: opts.output,
        pool,
        failedBefore: d.ok ? undefined : d.error,
        attest: opts.attest,
      }),
    );
    timings.accept = secs(Date.now() - t);
    await teardown();
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
    await teardown();
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
  }
}

function secs(ms: number): number {
  return Math.round(ms / 10) / 100;
}
