import { join } from 'node:path';
import {
  canonicalJson,
  type Digest,
  errorMessage,
  hexOf,
  isKarooError,
  KarooError,
  parseDigest,
  type Progress,
  sha256Of,
  silentProgress,
} from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import type { UpOptions } from '@karoo/deploy';
import type { EvidenceRun } from '@karoo/evidence';
import { compareVersionStrings, type Lock, normalizeName } from '@karoo/lock';
import type { Store } from '@karoo/oci';
import { type LeafMove, searchCulprits, type Verdict } from './search.js';

/** One end of the bisection: a lock (built into the store when needed) or a candidate already in the store (it holds its lock). */
export type Endpoint = { readonly lock: Lock } | { readonly candidate: Digest | string };

/** What acceptance of one candidate gave (what `karoo up` records as evidence). */
export interface AcceptanceOutcome {
  readonly result: 'passed' | 'failed';
  readonly evidence?: Digest | undefined;
  readonly reason?: string | undefined;
}

/** One state bisect judged: the good lock with `moves` applied. */
export interface BisectStep {
  /** Names of the leaves at their bad version; the others are at their good version. */
  readonly moved: readonly string[];
  readonly result: Verdict;
  /** The acceptance verdict came from evidence already stored for this system: nothing was run. */
  readonly reused: boolean;
  readonly lockDigest?: Digest | undefined;
  readonly candidate?: Digest | undefined;
  readonly systemId?: Digest | undefined;
  readonly evidence?: Digest | undefined;
  /** Why the lock could not be resolved, or why acceptance failed. */
  readonly reason?: string | undefined;
}

export interface BisectResult {
  readonly system: string;
  readonly environment: string;
  readonly good: { readonly candidate: Digest; readonly lockDigest: Digest };
  readonly bad: { readonly candidate: Digest; readonly lockDigest: Digest };
  /** Every leaf whose version differs between the good and the bad lock, in karoo.yml order. */
  readonly moved: readonly LeafMove[];
  /** The smallest set of moves found that turns acceptance from passing to failing. */
  readonly culprits: readonly LeafMove[];
  /** Moves that no resolvable intermediate lock could separate (each group counted as one move). */
  readonly inseparable: ReadonlyArray<readonly LeafMove[]>;
  /** Every state judged, in order. */
  readonly steps: readonly BisectStep[];
  /** Acceptance verdicts used (run now or reused), and how many of them were reused. */
  readonly runs: number;
  readonly reused: number;
  /** Intermediate locks that could not be resolved. */
  readonly unresolvable: number;
}

/** The acceptance a step runs when its candidate has no evidence for this system: by default @karoo/deploy's `up` (fresh machines, deploy, accept, evidence, teardown). */
export type AcceptFn = (candidate: Digest) => Promise<AcceptanceOutcome>;

export interface BisectOptions {
  readonly config: KarooConfig;
  readonly store: Store;
  readonly good: Endpoint;
  readonly bad: Endpoint;
  /** Whose values to deploy with (default: the configuration's first environment); part of the system id. */
  readonly environment?: string | undefined;
  /** Machine provider for `up` (default: provision.provider, else nspawn). */
  readonly provider?: string | undefined;
  readonly run?: EvidenceRun | undefined;
  /** See @karoo/deploy UpOptions.onExpire. */
  readonly onExpire?: string[] | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly progress?: Progress | undefined;
  /**
   * Where each intermediate lock is written (`<moved leaves>-<hash of every pin>/pylock.toml` and
   * requirements.txt). A later bisection over the same states reads them back, and resolve reuses
   * a lock whose leaves and index pages are unchanged instead of running the resolver again.
   */
  readonly lockDir?: string | undefined;
  /** Signs each step's acceptance result as `up` does (see @karoo/deploy UpOptions.attest); nothing is signed when absent. */
  readonly attest?: UpOptions['attest'];
  /** Replaces `up` (tests, or another way to run acceptance); it must store its evidence like `up` does to be reused. */
  readonly accept?: AcceptFn | undefined;
}

interface EndpointState {
  readonly lock: Lock;
  /** Leaf name → version. */
  readonly leaves: ReadonlyMap<string, string>;
}

/**
 * Which leaf broke it: computes the leaves that moved between a passing (good) and a failing
 * (bad) lock, and bisects them (searchCulprits) to the smallest set of moves that fails
 * acceptance. Each intermediate state is resolved again with every leaf pinned (the moved ones
 * to their bad version, the rest to their good version, under the bad lock's upload-time cutoff
 * when it has one), built into the store, and accepted as `karoo up` does; a candidate that
 * already has evidence for this system (same system id, so the same candidate and
 * configuration) is not run again. A lock that cannot resolve is recorded and another split
 * tried.
 */
export async function bisect(options: BisectOptions): Promise<BisectResult> {
  const { config, store } = options;
  const progress = options.progress ?? silentProgress;
  const { systemConfig, configDigest, systemIdOf } = await import('@karoo/deploy');
  const sc = await systemConfig(config, options.environment);
  const cfgDigest = configDigest(sc);
  const input = { system: config.system, target: config.target, leaves: config.leaves.map((l) => l.key) };

  // Both ends are read and compared before anything is built, so bad input writes nothing.
  const goodEnd = await readEndpoint(options.good, 'good', store);
  const badEnd = await readEndpoint(options.bad, 'bad', store);
  if (goodEnd.lock.digest === badEnd.lock.digest) {
    throw new KarooError(
      'input',
      `--good and --bad are the same lock (${goodEnd.lock.digest}); pass the lock or candidate that passed and the one that failed`,
    );
  }
  const moved: LeafMove[] = [];
  for (const leaf of config.leaves) {
    const from = goodEnd.leaves.get(leaf.key);
    const to = badEnd.leaves.get(leaf.key);
    if (from === undefined || to === undefined) {
      throw new KarooError(
        'input',
        `leaf "${leaf.name}" of ${config.path} is not in the ${from === undefined ? 'good' : 'bad'} lock; bisect moves leaf versions only, so both ends must lock every leaf`,
      );
    }
    if (compareVersionStrings(from, to) !== 0) moved.push({ name: leaf.key, from, to });
  }
  if (moved.length === 0) {
    throw new KarooError(
      'input',
      `no leaf moved between the good lock ${goodEnd.lock.digest} and the bad lock ${badEnd.lock.digest} (only their other dependencies differ); bisect finds which leaf broke acceptance, so there is nothing to bisect`,
    );
  }
  const good = await builtEndpoint(goodEnd, options, input);
  const bad = await builtEndpoint(badEnd, options, input);
  progress.info(`bisect: ${moved.length} leaves moved: ${moved.map(formatMove).join(', ')}`);

  const steps: BisectStep[] = [];
  const asOf = bad.lock.meta.asOf?.time;
  const accept = options.accept ?? upAcceptance(options);
  const { build } = await import('@karoo/build');
  const { readExistingLock, resolveLock, writeLockFiles } = await import('@karoo/resolve');
  const { scanEvidence } = await import('@karoo/evidence');

  const judge = async (moves: readonly LeafMove[]): Promise<Verdict> => {
    const names = moves.map((m) => m.name);
    const what =
      names.length === 0 ? 'the good end' : names.length === moved.length ? 'the bad end' : `moving ${moves.map(formatMove).join(', ')}`;
    let candidate: Digest;
    let lockDigest: Digest;
    if (names.length === 0 || names.length === moved.length) {
      const e = names.length === 0 ? good : bad;
      candidate = e.candidate;
      lockDigest = e.lock.digest;
    } else {
      const to = new Map(moves.map((m) => [m.name, m.to]));
      const pinned: KarooConfig = {
        ...config,
        leaves: config.leaves.map((l) => ({ ...l, pin: to.get(l.key) ?? good.leaves.get(l.key)! })),
      };
      const pins = Object.fromEntries(pinned.leaves.map((l) => [l.key, l.pin]));
      const stateDir =
        options.lockDir === undefined
          ? undefined
          : join(options.lockDir, `${names.join('+')}-${hexOf(sha256Of(canonicalJson({ pins, asOf: asOf ?? null }))).slice(0, 12)}`);
      let lock: Lock;
      try {
        const previous = stateDir === undefined ? undefined : await readExistingLock(stateDir);
        lock = (await resolveLock({ config: pinned, previous, force: previous === undefined, asOf, env: options.env, progress })).lock;
      } catch (e) {
        // A resolution that fails on the request itself (conflicting requirements, no fitting version) says this state cannot exist.
        if (!isKarooError(e) || e.kind !== 'input') throw e;
        progress.warn(`bisect: ${what} cannot be resolved: ${errorMessage(e)}`);
        steps.push({ moved: names, result: 'unresolvable', reused: false, reason: errorMessage(e) });
        return 'unresolvable';
      }
      if (stateDir !== undefined) await writeLockFiles(stateDir, lock);
      lockDigest = lock.digest;
      candidate = (await build({ lock, store, ...input, indexes: config.indexes, env: options.env, progress })).candidate;
    }
    const systemId = systemIdOf(candidate, cfgDigest);
    const stored = (await scanEvidence(store, candidate)).records.filter((r) => r.evidence.systemId === systemId).pop();
    let outcome: AcceptanceOutcome;
    let reused = false;
    if (stored) {
      outcome = { result: stored.evidence.result, evidence: stored.digest, reason: stored.evidence.reason };
      reused = true;
      progress.info(`bisect: ${what}: ${outcome.result} (evidence ${stored.digest} of system ${systemId}, reused)`);
    } else {
      progress.info(`bisect: ${what}: acceptance of candidate ${candidate}`);
      outcome = await accept(candidate);
      progress.info(`bisect: ${what}: ${outcome.result}`);
    }
    steps.push({
      moved: names,
      result: outcome.result,
      reused,
      lockDigest,
      candidate,
      systemId,
      evidence: outcome.evidence,
      reason: outcome.reason,
    });
    return outcome.result;
  };

  const found = await searchCulprits(moved, judge);
  const judged = steps.filter((s) => s.result !== 'unresolvable');
  return {
    system: config.system,
    environment: sc.environment,
    good: { candidate: good.candidate, lockDigest: good.lock.digest },
    bad: { candidate: bad.candidate, lockDigest: bad.lock.digest },
    moved,
    culprits: found.culprits,
    inseparable: found.inseparable,
    steps,
    runs: judged.length,
    reused: judged.filter((s) => s.reused).length,
    unresolvable: steps.length - judged.length,
  };
}

/** `up` as a step's acceptance: fresh machines, deploy, accept, evidence stored, teardown. */
function upAcceptance(options: BisectOptions): AcceptFn {
  return async (candidate) => {
    const { up } = await import('@karoo/deploy');
    const r = await up({
      config: options.config,
      store: options.store,
      candidate,
      provider: options.provider,
      environment: options.environment,
      run: options.run,
      progress: options.progress,
      onExpire: options.onExpire,
      signal: options.signal,
      attest: options.attest,
    });
    return { result: r.result, evidence: r.evidence, reason: r.reason };
  };
}

async function readEndpoint(
  e: Endpoint,
  which: 'good' | 'bad',
  store: Store,
): Promise<EndpointState & { readonly candidate?: Digest | undefined }> {
  if ('lock' in e) return { lock: e.lock, leaves: leavesOf(e.lock) };
  const digest = parseDigest(e.candidate, `--${which}`);
  if (!(await store.hasManifest(digest))) {
    throw new KarooError(
      'input',
      `--${which} ${digest} is not in ${store.ref}; pass a candidate digest of this store (karoo build, karoo status) or a lock file`,
    );
  }
  const { readStoredCandidate } = await import('@karoo/rebuild');
  const stored = await readStoredCandidate(store, digest);
  const leaves = new Map(leavesOf(stored.lock));
  for (const l of stored.config.leaves) leaves.set(normalizeName(l.name), l.version);
  return { candidate: digest, lock: stored.lock, leaves };
}

/** A lock end is built into the store (nothing happens when its candidate is there already). */
async function builtEndpoint(
  e: EndpointState & { readonly candidate?: Digest | undefined },
  options: BisectOptions,
  input: { system: string; target: KarooConfig['target']; leaves: string[] },
): Promise<EndpointState & { readonly candidate: Digest }> {
  if (e.candidate !== undefined) return { ...e, candidate: e.candidate };
  const { build } = await import('@karoo/build');
  const r = await build({
    lock: e.lock,
    store: options.store,
    ...input,
    indexes: options.config.indexes,
    env: options.env,
    progress: options.progress,
  });
  return { ...e, candidate: r.candidate };
}

/** Leaf name → version: the lock's own record of its leaves, else every locked package (the caller asks for the leaves of karoo.yml). */
function leavesOf(lock: Lock): Map<string, string> {
  const m = new Map(lock.packages.map((p) => [p.name, p.version]));
  for (const [name, version] of Object.entries(lock.meta.leaves ?? {})) m.set(normalizeName(name), version);
  return m;
}

export function formatMove(m: LeafMove): string {
  return `${m.name} ${m.from} → ${m.to}`;
}

/**
 * What `--good`/`--bad` (and the action's inputs) take: a candidate digest (`sha256:…`, read
 * from the store later), else a lock file. `what` names the option in errors.
 */
export async function endpointFrom(value: string, what: string): Promise<Endpoint> {
  if (value.startsWith('sha256:')) return { candidate: parseDigest(value, what) };
  const { existsSync, statSync } = await import('node:fs');
  if (!existsSync(value) || !statSync(value).isFile()) {
    throw new KarooError(
      'input',
      `${what} ${value} is neither a candidate digest (sha256:…) nor a lock file; pass a pylock.toml or the digest karoo build printed`,
    );
  }
  const { readLockFile } = await import('@karoo/lock');
  try {
    return { lock: (await readLockFile(value)).lock };
  } catch (e) {
    throw new KarooError('input', `${what}: ${errorMessage(e)}`);
  }
}
