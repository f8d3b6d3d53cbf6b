import { KarooError, parseDigest } from '@karoo/common';
import { type ChangeKind, type Lock, type PackageChange, diffLocks } from '@karoo/lock';

/** What the build step says about the candidate (issue 3 feeds this). */
export interface CandidateInfo {
  /** `sha256:…` manifest digest. */
  readonly digest: string;
  /** Full reference by digest in the store, e.g. `ghcr.io/acme/cam@sha256:…`. Derived from the store when absent. */
  readonly ref?: string | undefined;
  /** True when the store already had it (nothing was built). Undefined when not known. */
  readonly existed?: boolean | undefined;
}

/** An acceptance run's evidence (issue 5 feeds this). */
export interface EvidenceInfo {
  readonly result: 'passed' | 'failed';
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** True when the run's counts are not known (the evidence says `source: unknown`): the numbers are zeros that mean nothing. */
  readonly countsUnknown?: boolean | undefined;
  readonly durationMs: number;
  readonly runUrl?: string | undefined;
  readonly environment?: string | undefined;
  /** Digest of the evidence artifact, when stored. */
  readonly digest?: string | undefined;
}

/**
 * One signed attestation of the candidate (an in-toto statement in a Sigstore bundle, an OCI
 * referrer), as @karoo/attest's inspection found it: what it is, how it was signed, by whom, and
 * whether it verified here with the keys (and workflow identity) of karoo.yml.
 */
export interface AttestationInfo {
  readonly digest: string;
  /** `provenance` (SLSA, the build), `test-result` (acceptance evidence), or another predicate. */
  readonly kind: 'provenance' | 'test-result' | 'other';
  /** `key`: a key karoo was given; `keyless`: Sigstore, a certificate for a workflow identity. */
  readonly signing: 'key' | 'keyless' | 'unknown';
  /** By whom: the key id (key), or the workflow identity the bundle names (keyless). */
  readonly signer?: string | undefined;
  readonly verified: boolean;
  /** False when there was nothing to check it with here (a keyless bundle and no `attestations.trusted-root`). */
  readonly checked?: boolean | undefined;
  /** Why it did not verify. */
  readonly reason?: string | undefined;
  /** test-result: the environment and the result it states. */
  readonly environment?: string | undefined;
  readonly result?: string | undefined;
}

/** What an environment runs now, from the promotion records (issue 7 feeds this). */
export interface EnvironmentInfo {
  readonly name: string;
  /** Candidate digest it runs; absent when nothing was promoted there yet. */
  readonly candidate?: string | undefined;
  readonly systemId?: string | undefined;
  /** The lock of that candidate, for a package-level diff. */
  readonly lock?: Lock | undefined;
  /** Marks the production environment (default: an environment named `production`, else the last one). */
  readonly production?: boolean | undefined;
}

export interface ReportInput {
  readonly head: Lock;
  readonly base?: Lock | undefined;
  /** How to name the base in prose: a branch, a ref or a path. */
  readonly baseLabel?: string | undefined;
  /** Path of the head lock as the user would pass it to `karoo build --lock`. */
  readonly lockPath?: string | undefined;
  readonly candidate?: CandidateInfo | undefined;
  readonly store?: string | undefined;
  readonly evidence?: readonly EvidenceInfo[] | undefined;
  readonly environments?: readonly EnvironmentInfo[] | undefined;
  /** The candidate's signed attestations, when they were looked up (undefined: not looked up; []: none). */
  readonly attestations?: readonly AttestationInfo[] | undefined;
}

export interface ReportChange {
  readonly name: string;
  readonly change: ChangeKind;
  readonly old?: string | undefined;
  readonly new?: string | undefined;
  readonly leaf: boolean;
}

export interface ReportDiff {
  readonly counts: Readonly<Record<ChangeKind | 'unchanged', number>>;
  readonly changes: readonly ReportChange[];
}

/** The report as data: what `--format json` prints and what every rendering is made from. */
export interface Report {
  readonly schema: 'karoo.report/v1';
  readonly candidate: { digest: string; ref: string | null; status: 'new' | 'existed' | 'unknown' } | null;
  readonly lock: {
    digest: string;
    path: string | null;
    packages: number;
    target: { python: string; platforms: readonly string[] } | null;
  };
  readonly leaves: ReadonlyArray<{ name: string; version: string | null; old: string | null; moved: boolean }>;
  readonly base: { digest: string; label: string | null } | null;
  readonly diff: ReportDiff;
  readonly evidence: readonly EvidenceInfo[];
  readonly environments: ReadonlyArray<{
    name: string;
    candidate: string | null;
    systemId: string | null;
    production: boolean;
    /** True when it runs this very candidate; null when unknown. */
    same: boolean | null;
    /** Package diff from what the environment runs to this candidate, when its lock is known. */
    diff: ReportDiff | null;
  }>;
  readonly reproduce: { lockDigest: string; command: string; candidate: string | null };
  /**
   * The candidate's attestations as read from the store and verified there (absent when they
   * were not looked up). Like `claims`, never read from a report file: a file cannot vouch for a signature.
   */
  readonly attestations?: readonly AttestationInfo[] | undefined;
  /**
   * Set when the candidate and the lock diff are claims of a run karoo does not trust (a fork's
   * pull request, reported from a `workflow_run` workflow): the run and the head it ran.
   * Never read from a report file.
   */
  readonly claims?: { readonly runUrl: string; readonly headRepository: string; readonly headSha: string } | undefined;
}

/** Order in which change kinds are listed: the ones reviewers must not miss first. */
export const CHANGE_ORDER: readonly ChangeKind[] = ['downgraded', 'rehashed', 'removed', 'upgraded', 'added'];

/** Builds the report data from locks and what the other steps know. Pure: no I/O. */
export function buildReport(input: ReportInput): Report {
  const candidateDigest = input.candidate ? parseDigest(input.candidate.digest, 'candidate') : undefined;
  const diff = diffLocks(input.base, input.head);
  const headLeaves = input.head.meta.leaves ?? {};
  const baseLeaves = input.base?.meta.leaves ?? {};
  const leafNames = [...new Set([...Object.keys(headLeaves), ...Object.keys(baseLeaves)])].sort();
  const envs = input.environments ?? [];
  const prodName = envs.find((e) => e.production)?.name ?? envs.find((e) => e.name === 'production')?.name ?? envs.at(-1)?.name;
  for (const e of envs) if (e.candidate !== undefined) parseDigest(e.candidate, `candidate of environment "${e.name}"`);
  const store = input.store?.trim() || undefined;
  const ref = input.candidate?.ref ?? (candidateDigest && store ? `${store}@${candidateDigest}` : undefined);
  const lockArg = input.lockPath ?? 'pylock.toml';
  const command = `karoo build --lock ${shellWord(lockArg)} --store ${store ? shellWord(store) : 'STORE'}`;
  return {
    schema: 'karoo.report/v1',
    candidate: candidateDigest
      ? {
          digest: candidateDigest,
          ref: ref ?? null,
          status: input.candidate?.existed === undefined ? 'unknown' : input.candidate.existed ? 'existed' : 'new',
        }
      : null,
    lock: {
      digest: input.head.digest,
      path: input.lockPath ?? null,
      packages: input.head.packages.length,
      target: input.head.meta.target ? { python: input.head.meta.target.python, platforms: [...input.head.meta.target.platforms] } : null,
    },
    leaves: leafNames.map((name) => {
      const version = headLeaves[name] ?? null;
      const old = input.base ? (baseLeaves[name] ?? null) : null;
      return { name, version, old, moved: input.base !== undefined && old !== version };
    }),
    base: input.base ? { digest: input.base.digest, label: input.baseLabel ?? null } : null,
    diff: reportDiff(diff.changes, diff.counts),
    evidence: [...(input.evidence ?? [])],
    environments: envs.map((e) => {
      const d = e.lock ? diffLocks(e.lock, input.head) : undefined;
      return {
        name: e.name,
        candidate: e.candidate ? parseDigest(e.candidate) : null,
        systemId: e.systemId ?? null,
        production: e.name === prodName,
        same:
          e.candidate && candidateDigest
            ? parseDigest(e.candidate) === candidateDigest
            : e.lock
              ? e.lock.digest === input.head.digest
              : null,
        diff: d ? reportDiff(d.changes, d.counts) : null,
      };
    }),
    reproduce: { lockDigest: input.head.digest, command, candidate: candidateDigest ?? null },
    ...(input.attestations && candidateDigest ? { attestations: [...input.attestations] } : {}),
  };
}

function reportDiff(changes: readonly PackageChange[], counts: ReportDiff['counts']): ReportDiff {
  const rank = (k: ChangeKind) => CHANGE_ORDER.indexOf(k);
  const sorted = [...changes].sort(
    (a, b) => rank(a.change) - rank(b.change) || Number(b.leaf) - Number(a.leaf) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return {
    counts: { ...counts },
    changes: sorted.map((c) => ({
      name: c.name,
      change: c.change,
      ...(c.old === undefined ? {} : { old: c.old }),
      ...(c.new === undefined ? {} : { new: c.new }),
      leaf: c.leaf,
    })),
  };
}

/** Quotes a word for a POSIX shell only when it needs it. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Validates a report key (several reports on one pull request, e.g. one per system). */
export function checkReportKey(key: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(key)) {
    throw new KarooError('input', `report key "${key}" may hold only letters, digits, ".", "_" and "-" (at most 64)`);
  }
  return key;
}

/** The hidden marker that finds the report's comment again. */
export function reportMarker(key?: string): string {
  return key ? `<!-- karoo:report key=${checkReportKey(key)} -->` : '<!-- karoo:report -->';
}
