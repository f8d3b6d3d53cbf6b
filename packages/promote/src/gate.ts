import type { Digest } from '@karoo/common';
import type { EnvironmentConfig, KarooConfig } from '@karoo/config';
import { KarooError } from '@karoo/common';
import type { GateCheck, PromotionRecord } from './records.js';

/** The part of an evidence record a gate looks at (as @karoo/evidence's listEvidence returns it). */
export interface GateEvidence {
  readonly digest: Digest;
  readonly environment: string;
  readonly result: 'passed' | 'failed';
  readonly finishedAt?: string | undefined;
  readonly systemId?: string | undefined;
  readonly passed?: number | undefined;
  readonly failed?: number | undefined;
  readonly skipped?: number | undefined;
  /** The run's counts are not known (no JUnit file, no summary line): the numbers mean nothing. */
  readonly countsUnknown?: boolean | undefined;
  readonly durationMs?: number | undefined;
  readonly runUrl?: string | undefined;
  /** The GitHub Actions run the evidence says produced it (a claim of the evidence, checked by trustEvidence). */
  readonly run?: EvidenceRunRef | undefined;
  /** Set by trustEvidence: why this evidence does not count (wrong system id, its run does not check out). */
  readonly untrusted?: string | undefined;
}

/** The run an evidence record names: what a RunVerifier asks GitHub about. */
export interface EvidenceRunRef {
  /** `owner/repo`. */
  readonly repository?: string | undefined;
  readonly runId?: string | undefined;
  /** GITHUB_WORKFLOW_REF (or the workflow's name) as the evidence recorded it. */
  readonly workflow?: string | undefined;
  /** The commit the run was on. */
  readonly commit?: string | undefined;
  /** A pull request run's head commit (`commit` is then GitHub's merge commit): what GitHub reports as the run's `head_sha`. */
  readonly headCommit?: string | undefined;
}

/**
 * Checks the run an evidence record names, against the GitHub API: undefined when it checks out,
 * else why not (one line). Throws when it cannot tell (the API unreachable, no permission).
 */
export type RunVerifier = (run: EvidenceRunRef | undefined) => Promise<string | undefined>;

/** What trustEvidence checks evidence against. */
export interface EvidenceTrust {
  /**
   * The system id of the candidate with an environment's configuration as it is now (karoo.yml
   * as read for this promotion); undefined when the configuration describes no system there.
   */
  readonly systemIdFor: (environment: string) => Promise<Digest | undefined>;
  /** Inside GitHub Actions: the check of the evidence's run (see githubRunVerifier). Absent: runs are not checked. */
  readonly verifyRun?: RunVerifier | undefined;
  /**
   * karoo.yml `attestations.require`: the candidate's test-result attestations that verified
   * (signed by a trusted key, about this candidate, from the allowed workflow; @karoo/attest
   * verifiedTestResults) and the ones that did not. Passing evidence counts only with a verified
   * PASSED attestation of the same environment and system id. Absent: no attestation is required.
   */
  readonly attestations?: AttestedResults | undefined;
  /**
   * The run asking, when it produced evidence itself: that evidence is refused by the run check
   * only because its run, this one, has not completed yet. Evidence counts as this run's when its
   * digest is one of `evidence` (the acceptance job's output, which nothing outside the run can
   * set) and it names this run: same id, repository and commit. Anything else that names this
   * run still goes through the run check.
   */
  readonly thisRun?: ThisRunEvidence | undefined;
}

/** The evidence the asking run produced itself (see EvidenceTrust.thisRun). */
export interface ThisRunEvidence {
  readonly runId: string;
  readonly repository: string;
  readonly commit: string;
  /** Digests (`sha256:…`) of the evidence this run's acceptance job reported. */
  readonly evidence: readonly string[];
}

function fromThisRun(e: GateEvidence, r: ThisRunEvidence | undefined): boolean {
  return (
    !!r &&
    r.evidence.includes(e.digest) &&
    e.run?.runId === r.runId &&
    (e.run.repository ?? '').toLowerCase() === r.repository.toLowerCase() &&
    e.run.commit === r.commit
  );
}

/** What a gate that requires attestations knows of a candidate's signed test results. */
export interface AttestedResults {
  readonly results: ReadonlyArray<{
    readonly digest: string;
    readonly environment?: string | undefined;
    readonly systemId?: string | undefined;
    readonly result: string;
  }>;
  readonly rejected: ReadonlyArray<{ readonly digest: string; readonly reason: string }>;
}

/** Why passing evidence has no signed attestation behind it, or undefined when it has one. */
function unattested(e: GateEvidence, a: AttestedResults): string | undefined {
  const ok = a.results.some((r) => r.result === 'PASSED' && r.environment === e.environment && r.systemId === e.systemId);
  if (ok) return undefined;
  const why = a.rejected.length > 0 ? ` (${a.rejected.map((r) => r.reason).join('; ')})` : '';
  return `karoo.yml attestations.require is set, and no signed test-result attestation that verifies says system ${e.systemId ?? 'none'} passed in ${e.environment}${why}; run the acceptance tests with a signing key (--attest-key or attestations.signing-key)`;
}

/**
 * Marks the evidence that must not count (`untrusted`, with the reason): evidence whose system id
 * is not the id of this candidate with that environment's configuration as it is now (forged, or
 * from before the configuration changed: a changed configuration needs new evidence), and — when
 * a RunVerifier is given (promotions inside GitHub Actions) — passing evidence whose run does not
 * exist in this repository, is not a run of the candidate workflow, or did not conclude
 * successfully (except the asking run's own evidence, `thisRun`). Failed evidence is left as it is (it never lets anything in).
 */
export async function trustEvidence<E extends GateEvidence>(evidence: readonly E[], trust: EvidenceTrust): Promise<E[]> {
  const ids = new Map<string, Promise<Digest | undefined>>();
  const runs = new Map<string, Promise<string | undefined>>();
  const out: E[] = [];
  for (const e of evidence) {
    if (e.result !== 'passed' || e.untrusted) {
      out.push(e);
      continue;
    }
    if (!ids.has(e.environment)) ids.set(e.environment, trust.systemIdFor(e.environment));
    const expected = await ids.get(e.environment)!;
    let untrusted: string | undefined;
    if (expected === undefined) {
      untrusted = `the configuration describes no system for ${e.environment} (no nodes), so no evidence can be about it`;
    } else if (e.systemId !== expected) {
      untrusted = `it is about system ${e.systemId ?? 'none'}, but this candidate with the configuration of ${e.environment} as it is now is system ${expected} (the configuration changed since, or the evidence is forged); run the acceptance tests again`;
    } else if (trust.verifyRun && !fromThisRun(e, trust.thisRun)) {
      const key = `${e.run?.repository ?? ''}#${e.run?.runId ?? ''}#${e.run?.commit ?? ''}`;
      if (!runs.has(key)) runs.set(key, trust.verifyRun(e.run));
      untrusted = await runs.get(key)!;
    }
    if (untrusted === undefined && trust.attestations) untrusted = unattested(e, trust.attestations);
    out.push(untrusted ? { ...e, untrusted } : e);
  }
  return out;
}

/** What a candidate must bring to enter an environment. */
export interface GatePolicy {
  readonly environment: string;
  /** Environments whose passing evidence is needed (the environment itself for a first stage without explicit `requires`). */
  readonly evidenceFrom: readonly string[];
  /** Minimum seconds the candidate must have spent in each of `soakIn`. */
  readonly soakSeconds?: number | undefined;
  readonly soakIn: readonly string[];
}

/**
 * The gate of an environment, from karoo.yml: `requires` (default: the environment before),
 * `soak`. The first environment, when its `requires` is not written, needs passing evidence of
 * its own (from an acceptance run on ephemeral machines with its values, e.g. `karoo up
 * --environment integration`); `requires: []` written out means no evidence is needed.
 */
export function gatePolicy(config: KarooConfig, environment: string): GatePolicy {
  const index = config.environments.findIndex((e) => e.name === environment);
  const env = config.environments[index];
  if (!env) {
    const known = config.environments.map((e) => e.name).join(', ') || 'none';
    throw new KarooError(
      'input',
      `environment "${environment}" is not in ${config.path} (environments: ${known}); add it under environments:`,
    );
  }
  const raw = (config.raw.environments as Array<{ requires?: unknown }> | undefined)?.[index];
  const explicit = raw !== undefined && raw.requires !== undefined;
  const evidenceFrom = env.requires.length > 0 || explicit ? env.requires : [env.name];
  return { environment, evidenceFrom, soakSeconds: env.soakSeconds, soakIn: env.soakSeconds ? env.requires : [] };
}

/** The seconds a candidate spent in an environment in its latest stay there, or undefined when it never was. */
export function timeIn(
  records: readonly PromotionRecord[],
  candidate: Digest,
  now: Date,
): { seconds: number; since: string; current: boolean } | undefined {
  // records: newest first (as history() returns them).
  const i = records.findIndex((r) => r.candidate === candidate);
  if (i < 0) return undefined;
  const start = Date.parse(records[i]!.time);
  const end = i === 0 ? now.getTime() : Date.parse(records[i - 1]!.time);
  return { seconds: Math.max(0, Math.floor((end - start) / 1000)), since: records[i]!.time, current: i === 0 };
}

export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0 && seconds >= 2 * 86400) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600}h`;
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  return `${seconds}s`;
}

export interface GateResult {
  readonly allowed: boolean;
  readonly checks: readonly GateCheck[];
}

/**
 * Evaluates a gate: pure, no I/O. `evidence` is every evidence record of the candidate,
 * `histories` the records (newest first) of each environment named in `policy.soakIn`.
 */
export function evaluateGate(
  policy: GatePolicy,
  candidate: Digest,
  evidence: readonly GateEvidence[],
  histories: Readonly<Record<string, readonly PromotionRecord[]>>,
  now: Date,
): GateResult {
  const checks: GateCheck[] = [];
  for (const env of policy.evidenceFrom) {
    const mine = evidence.filter((e) => e.environment === env);
    const passing = mine.filter((e) => e.result === 'passed' && !e.untrusted);
    const refused = mine.filter((e) => e.result === 'passed' && e.untrusted);
    const latest = [...passing].sort((a, b) => cmp(a.finishedAt ?? '', b.finishedAt ?? '') || cmp(a.digest, b.digest)).at(-1);
    checks.push(
      latest
        ? {
            environment: env,
            requirement: 'evidence',
            met: true,
            detail: `passed${latest.countsUnknown ? ' (counts unknown)' : latest.passed !== undefined ? ` (${latest.passed} tests)` : ''}: evidence ${latest.digest}${latest.finishedAt ? ` at ${latest.finishedAt}` : ''}`,
          }
        : {
            environment: env,
            requirement: 'evidence',
            met: false,
            detail:
              refused.length > 0
                ? `no passing evidence from ${env} that counts: ${refused.map((e) => `evidence ${e.digest} does not count: ${e.untrusted}`).join('; ')}`
                : mine.length > 0
                  ? `no passing evidence from ${env}: ${mine.length} run(s), all failed (latest ${mine.at(-1)!.digest})`
                  : `no evidence from ${env}; run the acceptance tests for ${env} (karoo up --environment ${env})`,
          },
    );
  }
  if (policy.soakSeconds) {
    for (const env of policy.soakIn) {
      const stay = timeIn(histories[env] ?? [], candidate, now);
      const need = formatDuration(policy.soakSeconds);
      if (!stay) {
        checks.push({
          environment: env,
          requirement: 'soak',
          met: false,
          detail: `soak ${need} in ${env}: the candidate was never promoted to ${env}`,
        });
      } else {
        const met = stay.seconds >= policy.soakSeconds;
        checks.push({
          environment: env,
          requirement: 'soak',
          met,
          detail: `soak ${need} in ${env}: ${formatDuration(stay.seconds)} since ${stay.since}${stay.current ? '' : ' (replaced since)'}${met ? '' : `, ${formatDuration(policy.soakSeconds - stay.seconds)} to go`}`,
        });
      }
    }
  }
  return { allowed: checks.every((c) => c.met), checks };
}

/** The one-line refusal: every unmet check, named. */
export function refusalMessage(candidate: Digest, environment: string, checks: readonly GateCheck[]): string {
  const missing = checks.filter((c) => !c.met).map((c) => c.detail);
  return `candidate ${candidate} may not enter ${environment}: ${missing.join('; ')}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type { EnvironmentConfig };
