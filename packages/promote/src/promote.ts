import { type Digest, isKarooError, KarooError, parseDigest, type Progress, sha256Of, shortDigest, silentProgress } from '@karoo/common';
import { type Descriptor, KAROO } from '@karoo/candidate';
import type { EnvironmentConfig, KarooConfig } from '@karoo/config';
import type { Store } from '@karoo/oci';
import { type Committed, commitRecord, type Decision, decisionFor, settleHead } from './claim.js';
import type { LockOptions } from './lock.js';
import {
  evaluateGate,
  type GateEvidence,
  type GatePolicy,
  gatePolicy,
  refusalMessage,
  type RunVerifier,
  type ThisRunEvidence,
  trustEvidence,
} from './gate.js';
import type { DeploymentHandle, DeploymentTracker } from './github.js';
import { attestedResults, systemIdFromConfig } from './seams.js';
import { currentRecord, describeFork, history, readHistory } from './history.js';
import { environmentTags, type GateCheck, type PromotionRecord, type RunInfo, type StoredRecord } from './records.js';

/** Lists a candidate's acceptance evidence (default: candidateEvidence). */
export type EvidenceLister = (store: Store, candidate: Digest, progress?: Progress) => Promise<GateEvidence[]>;

/** What promote hands to deploy for an environment with an inventory. */
export interface DeployRequest {
  readonly candidate: Digest;
  readonly environment: EnvironmentConfig;
  /** Absolute path of the environment's inventory (karoo.yml `inventory`). */
  readonly inventory: string;
  readonly store: Store;
  readonly config: KarooConfig;
  readonly systemId?: Digest | undefined;
  readonly progress: Progress;
}

/** The deploy step, injected (the CLI and the action pass @karoo/deploy). */
export type DeployHandover = (request: DeployRequest) => Promise<{ systemId?: string | undefined; detail: string }>;

/** Evidence as candidateEvidence reads it: the counts and duration are always there. */
export type CandidateEvidence = GateEvidence & Required<Pick<GateEvidence, 'passed' | 'failed' | 'skipped' | 'durationMs'>>;

export interface PromoteOptions {
  readonly store: Store;
  readonly config: KarooConfig;
  /** `sha256:…` of the candidate to promote. */
  readonly candidate: string;
  readonly environment: string;
  readonly reason?: string | undefined;
  readonly actor: string;
  readonly run?: RunInfo | undefined;
  /** Return to a candidate the environment ran before: needs a reason, skips the evidence gate. */
  readonly rollback?: boolean | undefined;
  /** Check the candidate and the gate only; record nothing, deploy nothing. */
  readonly dryRun?: boolean | undefined;
  readonly evidence?: EvidenceLister | undefined;
  /**
   * Inside GitHub Actions: checks the run each passing evidence names (exists in this repository,
   * is a run of the candidate workflow, concluded successfully); see githubRunVerifier.
   */
  readonly evidenceRuns?: RunVerifier | undefined;
  /**
   * Digests of the evidence `run` (the run doing this dry run) produced itself, from its
   * acceptance job's output: counted although the run check would refuse them, since that run,
   * this one, has not completed yet (see EvidenceTrust.thisRun). Only with `dryRun` and `run`:
   * a report in the run that tested, never a promotion.
   */
  readonly thisRunEvidence?: readonly string[] | undefined;
  /** The system id of the candidate with the environment's configuration, for the record and the deployment. */
  readonly systemId?: ((candidate: Digest, environment: EnvironmentConfig) => Promise<Digest | undefined>) | undefined;
  /**
   * GitHub Deployment for the environment, with statuses as the promotion proceeds; for a
   * registry store also the atomic decision (a git ref per place in the history, see claim.ts).
   */
  readonly github?: { readonly tracker: DeploymentTracker; readonly ref: string; readonly environmentUrl?: string | undefined } | undefined;
  /**
   * For a registry store without `github`: the caller states that promotions to this
   * environment are serialised by something else (e.g. a workflow's concurrency group). Without
   * it such a promotion is refused, since nothing could decide between two at once.
   */
  readonly serialized?: boolean | undefined;
  readonly deploy?: DeployHandover | undefined;
  readonly now?: (() => Date) | undefined;
  /** The OCI layout's lock file: how long to wait for another promotion holding it. */
  readonly lock?: LockOptions | undefined;
  readonly progress?: Progress | undefined;
}

export interface PromoteResult {
  readonly candidate: Digest;
  readonly environment: string;
  readonly kind: 'promotion' | 'rollback';
  /** `promoted`: recorded now; `unchanged`: the environment already ran it; `checked`: a dry run. */
  readonly status: 'promoted' | 'unchanged' | 'checked';
  /** Whether the gate lets the candidate in (always true unless a dry run was refused). */
  readonly allowed: boolean;
  readonly previous?: Digest | undefined;
  readonly record?: Digest | undefined;
  readonly systemId?: Digest | undefined;
  /** The tag that now names the environment's candidate. */
  readonly tag: string;
  readonly time: string;
  readonly gate: readonly GateCheck[];
  /** Environments the candidate has passing evidence from. */
  readonly passingEvidence: readonly string[];
  /** Every evidence record of the candidate, oldest first. */
  readonly evidence: readonly GateEvidence[];
  readonly deployment?: DeploymentHandle | undefined;
  readonly deploy: { readonly status: 'deployed' | 'skipped'; readonly detail: string };
}

/** The candidate's manifest, read back and checked: present, its bytes hashing to the digest, a karoo candidate. */
export async function verifyCandidate(store: Store, candidate: Digest): Promise<Descriptor> {
  const found = await store.hasManifest(candidate);
  if (!found) {
    throw new KarooError(
      'input',
      `candidate ${candidate} is not in ${store.ref}; build it there first (karoo build --store ${store.ref}) or check the digest`,
      {
        detail: { candidate, store: store.ref },
      },
    );
  }
  const m = await store.getManifest(candidate);
  const actual = sha256Of(m.bytes);
  if (actual !== candidate)
    throw new KarooError('integrity', `manifest ${candidate} in ${store.ref} hashes to ${actual}; the store is damaged`);
  let artifactType: unknown;
  try {
    artifactType = (JSON.parse(m.bytes.toString('utf8')) as { artifactType?: unknown }).artifactType;
  } catch {
    throw new KarooError('integrity', `manifest ${candidate} in ${store.ref} is not JSON`);
  }
  if (artifactType !== KAROO.candidate) {
    throw new KarooError(
      'input',
      `${candidate} in ${store.ref} is not a karoo candidate (artifactType ${String(artifactType ?? 'none')}); promote the candidate digest that karoo build printed`,
    );
  }
  return { mediaType: m.descriptor.mediaType, digest: candidate, size: m.bytes.length };
}

/**
 * A candidate's acceptance evidence as the gate (and whatever shows it) reads it: @karoo/evidence's
 * records, oldest first, malformed referrers skipped with a warning. Not yet judged: pass it
 * through trustEvidence before counting or showing any of it as passing.
 */
export async function candidateEvidence(
  store: Store,
  candidate: Digest,
  progress: Progress = silentProgress,
): Promise<CandidateEvidence[]> {
  const { listEvidence } = await import('@karoo/evidence');
  const onInvalid = (i: { digest: string; reason: string }) =>
    progress.warn(`evidence ${i.digest} is invalid and does not count: ${i.reason}`);
  return (await listEvidence(store, candidate, { onInvalid })).map((r) => ({
    digest: r.digest,
    environment: r.evidence.environment,
    result: r.evidence.result,
    finishedAt: r.evidence.finishedAt,
    systemId: r.evidence.systemId,
    passed: r.evidence.counts.passed,
    failed: r.evidence.counts.failed + r.evidence.counts.errors,
    skipped: r.evidence.counts.skipped,
    ...(r.evidence.counts.source === 'unknown' ? { countsUnknown: true } : {}),
    durationMs: r.evidence.durationMs,
    runUrl: r.evidence.run?.runUrl,
    run: r.evidence.run && {
      repository: r.evidence.run.repository,
      runId: r.evidence.run.runId,
      workflow: r.evidence.run.workflow,
      commit: r.evidence.run.commit,
      headCommit: r.evidence.run.headCommit,
    },
  }));
}

/**
 * Promotes a candidate to an environment: (1) the candidate must be in the store and its
 * manifest must hash to its digest; (2) the gate (passing evidence from the required
 * environments, soak time) must let it in — otherwise a `refused` error names every missing
 * piece; (3) the promotion is recorded — a hash-chained promotion record (subject = the
 * candidate) and the `env-<name>` tag, committed exactly once even when two promotions race
 * (an atomic decision, see claim.ts), and only then a GitHub Deployment naming the record, with
 * statuses; (4) deploy takes over for the environment's inventory. Nothing is built: the environment gets the very digest that was tested.
 *
 * Read from the top: check the request → verify the candidate → judge its evidence → the gate
 * → how the decision is made, and the environment's current record → (dry run, or already
 * there: stop) → commit the record → GitHub Deployment → deploy, with its statuses.
 */
export async function promote(o: PromoteOptions): Promise<PromoteResult> {
  const now = o.now ?? (() => new Date());
  const progress = o.progress ?? silentProgress;
  const { policy, candidate, env, kind, thisRun } = checkRequest(o);
  const subject = await verifyCandidate(o.store, candidate);
  progress.info(`candidate ${candidate} is in ${o.store.ref} (manifest verified)`);
  // Evidence counts only for this candidate with each environment's configuration as it is now, and (in GitHub Actions) from a run that checks out.
  const systemIdOf = o.systemId ?? systemIdFromConfig(o.config);
  const evidence = await judgeEvidence(o, candidate, systemIdOf, thisRun, progress);
  const passingEvidence = [...new Set(evidence.filter((e) => e.result === 'passed' && !e.untrusted).map((e) => e.environment))].sort();
  const { checks, allowed } = o.rollback ? await rollbackGate(o, candidate) : await promotionGate(o, policy, candidate, evidence, now);
  if (!o.dryRun && !allowed) {
    throw new KarooError('refused', refusalMessage(candidate, o.environment, checks), {
      detail: { candidate, environment: o.environment, gate: checks },
    });
  }
  const { decision, undecidable, current } = await decideAndReadCurrent(o, progress);
  const base = {
    candidate,
    environment: o.environment,
    kind,
    allowed,
    previous: current?.candidate,
    tag: environmentTags(o.environment).env,
    gate: checks,
    passingEvidence,
    evidence,
  } as const;

  if (o.dryRun) {
    // The system id the evidence was checked against: a workflow that skips acceptance because of that evidence reports it.
    return {
      ...base,
      status: 'checked',
      systemId: await systemIdOf(candidate, env),
      time: now().toISOString(),
      deploy: { status: 'skipped', detail: 'dry run' },
    };
  }

  const systemId = await o.systemId?.(candidate, env);

  if (current?.candidate === candidate) {
    progress.info(`${o.environment} already runs ${candidate} (since ${current.time}); nothing recorded`);
    const deploy = await handOver(o, env, candidate, systemId ?? current.systemId, progress);
    return { ...base, status: 'unchanged', record: current.digest, systemId: systemId ?? current.systemId, time: current.time, deploy };
  }

  if (undecidable) throw undecidable;
  await warnOfOpenForks(o, current, progress);
  const time = now().toISOString();
  const committed = await commitPromotion(o, { candidate, subject, kind, systemId, checks, time, current, decision: decision! }, progress);
  const deployment = await createDeployment(o, env, { candidate, kind, systemId, current, committed });
  const deploy = await deployWithStatuses(o, env, { candidate, systemId, record: committed.digest, deployment }, progress);
  return { ...base, previous: current?.candidate, status: 'promoted', record: committed.digest, systemId, time, deployment, deploy };
}

/** The request, checked before the store is read: the environment (and its gate), the candidate's digest, a rollback's reason. */
function checkRequest(o: PromoteOptions): {
  policy: GatePolicy;
  candidate: Digest;
  env: EnvironmentConfig;
  kind: PromotionRecord['kind'];
  thisRun: ThisRunEvidence | undefined;
} {
  const policy = gatePolicy(o.config, o.environment);
  const env = o.config.environments.find((e) => e.name === o.environment)!;
  const candidate = parseDigest(o.candidate, 'candidate');
  const kind = o.rollback ? 'rollback' : 'promotion';
  if (o.rollback && !o.reason?.trim()) {
    throw new KarooError(
      'input',
      `a rollback of ${o.environment} needs a reason; pass --reason "…" (it is kept in the environment's history)`,
    );
  }
  return { policy, candidate, env, kind, thisRun: thisRunOf(o) };
}

/** `thisRunEvidence` with the run it came from, checked: only for a dry run inside a run. */
function thisRunOf(o: PromoteOptions): ThisRunEvidence | undefined {
  if (!o.thisRunEvidence?.length) return undefined;
  if (!o.dryRun)
    throw new KarooError(
      'input',
      "this run's evidence counts before its run has completed only for a dry run (a report); a promotion counts evidence of completed runs, so leave it out",
    );
  const { id, repository, sha } = o.run ?? {};
  if (!id || !repository || !sha)
    throw new KarooError(
      'input',
      "this run's evidence needs the run it came from (GITHUB_RUN_ID, GITHUB_REPOSITORY, GITHUB_SHA); pass it inside GitHub Actions only",
    );
  return { runId: id, repository, commit: sha, evidence: o.thisRunEvidence.map((d) => parseDigest(d, "this run's evidence")) };
}

/** The candidate's evidence, each record judged (system id, the run it names, attestations when karoo.yml requires them). */
async function judgeEvidence(
  o: PromoteOptions,
  candidate: Digest,
  systemIdOf: NonNullable<PromoteOptions['systemId']>,
  thisRun: ThisRunEvidence | undefined,
  progress: Progress,
): Promise<GateEvidence[]> {
  const list = o.evidence ?? candidateEvidence;
  return trustEvidence(await list(o.store, candidate, progress), {
    systemIdFor: async (name) => {
      const e = o.config.environments.find((x) => x.name === name);
      return e ? systemIdOf(candidate, e) : undefined;
    },
    // A rollback skips the evidence gate: it must not wait on the API for evidence it ignores.
    verifyRun: o.rollback ? undefined : o.evidenceRuns,
    thisRun,
    // karoo.yml attestations.require: evidence counts only with a signed test-result attestation that verifies.
    attestations:
      o.rollback || !o.config.attestations?.require
        ? undefined
        : await attestedResults(o.store, candidate, o.config.attestations, progress),
  });
}

/** A rollback's gate: the candidate must have run in the environment before. */
async function rollbackGate(o: PromoteOptions, candidate: Digest): Promise<{ checks: GateCheck[]; allowed: boolean }> {
  const past = await history(o.store, o.environment);
  const stay = past.find((r) => r.candidate === candidate);
  const check: GateCheck = stay
    ? {
        environment: o.environment,
        requirement: 'history',
        met: true,
        detail: `ran in ${o.environment} from ${stay.time} (record ${stay.digest})`,
      }
    : {
        environment: o.environment,
        requirement: 'history',
        met: false,
        detail: `${candidate} never ran in ${o.environment}; a rollback can only return to an earlier candidate of ${o.environment} (see karoo history ${o.environment})`,
      };
  return { checks: [check], allowed: !!stay };
}

/** A promotion's gate: passing evidence from the required environments, soak time in them. */
async function promotionGate(
  o: PromoteOptions,
  policy: GatePolicy,
  candidate: Digest,
  evidence: readonly GateEvidence[],
  now: () => Date,
): Promise<{ checks: GateCheck[]; allowed: boolean }> {
  const histories: Record<string, StoredRecord[]> = {};
  for (const e of policy.soakIn) histories[e] = await history(o.store, e);
  const g = evaluateGate(policy, candidate, evidence, histories, now());
  return { checks: [...g.checks], allowed: g.allowed };
}

/**
 * How the environment's next state is decided, and its current record. A registry without an
 * atomic decision is refused (`undecidable`), but only later, when something would be written.
 * A promotion that won its place but crashed before moving the tags is completed first.
 */
async function decideAndReadCurrent(
  o: PromoteOptions,
  progress: Progress,
): Promise<{ decision: Decision | undefined; undecidable: unknown; current: StoredRecord | undefined }> {
  let decision: Decision | undefined;
  let undecidable: unknown;
  try {
    decision = o.dryRun ? undefined : decisionFor(o.store, o.github?.tracker, o.serialized, o.environment);
  } catch (e) {
    undecidable = e;
  }
  if (decision === 'github-ref') await settleHead(o.store, o.environment, o.github!.tracker, progress);
  const current = await currentRecord(o.store, o.environment);
  return { decision, undecidable, current };
}

/** An open fork in the environment's history is settled by this promotion: it says so. */
async function warnOfOpenForks(o: PromoteOptions, current: StoredRecord | undefined, progress: Progress): Promise<void> {
  for (const f of (await readHistory(o.store, o.environment)).forks.filter((x) => x.open)) {
    progress.warn(`${describeFork(o.environment, f)}; this promotion follows ${current?.digest ?? 'nothing'} and settles it`);
  }
}

/** The record, committed by an atomic decision (GitHub hears of it only afterwards). */
async function commitPromotion(
  o: PromoteOptions,
  p: {
    candidate: Digest;
    subject: Descriptor;
    kind: PromotionRecord['kind'];
    systemId: Digest | undefined;
    checks: GateCheck[];
    time: string;
    current: StoredRecord | undefined;
    decision: Decision;
  },
  progress: Progress,
): Promise<Committed> {
  const committed = await commitRecord({
    store: o.store,
    environment: o.environment,
    candidate: p.candidate,
    subject: p.subject,
    base: p.current,
    decision: p.decision,
    github: o.github ? { tracker: o.github.tracker, commit: o.github.ref } : undefined,
    lock: o.lock,
    progress,
    record: (place): PromotionRecord => ({
      schema: 'karoo.promotion/v1',
      kind: p.kind,
      environment: o.environment,
      candidate: p.candidate,
      system: o.config.system,
      systemId: p.systemId,
      previousCandidate: place.previousCandidate,
      previousRecord: place.previousRecord,
      sequence: place.sequence,
      actor: o.actor,
      reason: o.reason,
      run: o.run,
      time: p.time,
      gate: p.checks,
    }),
  });
  progress.info(
    `${o.environment} now runs ${p.candidate} (${environmentTags(o.environment).env}; record ${committed.digest}, place ${committed.sequence})`,
  );
  return committed;
}

/** With `github`: the GitHub Deployment naming the committed record; when it cannot be made, nothing is deployed. */
async function createDeployment(
  o: PromoteOptions,
  env: EnvironmentConfig,
  p: {
    candidate: Digest;
    kind: PromotionRecord['kind'];
    systemId: Digest | undefined;
    current: StoredRecord | undefined;
    committed: Committed;
  },
): Promise<DeploymentHandle | undefined> {
  if (!o.github) return undefined;
  const record = p.committed.digest;
  try {
    return await o.github.tracker.create({
      environment: env.githubEnvironment ?? env.name,
      ref: o.github.ref,
      payload: {
        karoo: 'karoo.promotion/v1',
        candidate: p.candidate,
        systemId: p.systemId,
        system: o.config.system,
        store: o.store.ref,
        environment: o.environment,
        kind: p.kind,
        previous: p.current?.candidate,
        record,
        sequence: p.committed.sequence,
        reason: o.reason,
      },
      description: `${p.kind === 'rollback' ? 'roll back' : 'promote'} ${shortDigest(p.candidate)} to ${o.environment}`,
      production: o.config.environments.at(-1)?.name === o.environment,
    });
  } catch (e) {
    throw new KarooError(
      isKarooError(e) ? e.kind : 'unavailable',
      `${p.candidate} is recorded in ${o.environment} (record ${record}) but no GitHub Deployment was created and nothing was deployed: ${messageOf(e)}; fix it and run karoo deploy, or promote again`,
      { cause: e, detail: { record } },
    );
  }
}

/** Deploy takes over, with the Deployment's statuses (in_progress, then success or failure) when there is one. */
async function deployWithStatuses(
  o: PromoteOptions,
  env: EnvironmentConfig,
  p: { candidate: Digest; systemId: Digest | undefined; record: Digest; deployment: DeploymentHandle | undefined },
  progress: Progress,
): Promise<PromoteResult['deploy']> {
  const { candidate, record, deployment } = p;
  const logUrl = o.run?.url;
  let deploy: PromoteResult['deploy'];
  try {
    if (deployment)
      await o.github!.tracker.status(deployment, 'in_progress', {
        description: `deploying ${shortDigest(candidate)} to ${o.environment}`,
        logUrl,
      });
    deploy = await handOver(o, env, candidate, p.systemId, progress);
  } catch (e) {
    // Best effort: the deploy's failure is what is reported; a status that cannot be posted must not hide it.
    if (deployment)
      await o
        .github!.tracker.status(deployment, 'failure', { description: `deploy failed: ${messageOf(e)}`, logUrl })
        .catch(() => undefined);
    const kindOf = isKarooError(e) ? e.kind : 'internal';
    throw new KarooError(
      kindOf,
      `${candidate} is recorded in ${o.environment} (record ${record}) but deploy failed: ${messageOf(e)}; fix it and run karoo deploy, or roll back`,
      {
        cause: e,
        detail: { record },
      },
    );
  }
  if (deployment) {
    await o.github!.tracker.status(deployment, 'success', {
      description: `${o.environment} runs ${shortDigest(candidate)}`,
      logUrl,
      environmentUrl: o.github!.environmentUrl,
    });
  }
  return deploy;
}

async function handOver(
  o: PromoteOptions,
  env: EnvironmentConfig,
  candidate: Digest,
  systemId: Digest | undefined,
  progress: Progress,
): Promise<PromoteResult['deploy']> {
  if (!env.inventory)
    return { status: 'skipped', detail: `${env.name} has no inventory in karoo.yml (an ephemeral environment): nothing to deploy` };
  if (!o.deploy) return { status: 'skipped', detail: `deploy was not requested for ${env.name}` };
  progress.info(`handing ${candidate} over to deploy for ${env.name} (${env.inventory})`);
  const r = await o.deploy({ candidate, environment: env, inventory: env.inventory, store: o.store, config: o.config, systemId, progress });
  return { status: 'deployed', detail: r.detail };
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
