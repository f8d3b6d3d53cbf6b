import { canonicalJson, type Digest, type GithubRun, hexOf, KarooError } from '@karoo/common';

/** `_type` of an in-toto Statement v1. */
export const IN_TOTO_STATEMENT = 'https://in-toto.io/Statement/v1';
/** DSSE `payloadType` of an in-toto Statement (any version). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** `predicateType` of SLSA Provenance v1. */
export const SLSA_PROVENANCE = 'https://slsa.dev/provenance/v1';
/** `predicateType` of the in-toto test-result predicate. */
export const TEST_RESULT = 'https://in-toto.io/attestation/test-result/v0.1';
/** SLSA `buildType` of a karoo candidate build: the candidate is a pure function of `externalParameters.lock`. */
export const KAROO_BUILD_TYPE = 'https://karoo.dev/attestations/build/candidate/v1';
/** `runDetails.builder.id` of a build outside GitHub Actions (a person's or a server's `karoo build`). */
export const KAROO_LOCAL_BUILDER = 'https://karoo.dev/attestations/builder/local/v1';

/** Names of the test-result `configuration` entries karoo writes (ResourceDescriptor `name`). */
export const TEST_CONFIGURATION = {
  /** digest.sha256 = the system id (candidate + environment configuration); annotations: environment, system. */
  system: 'karoo:system',
  /** digest.sha256 = the environment's configuration digest. */
  configuration: 'karoo:configuration',
  /** uri = the workflow that ran the tests (`https://github.com/OWNER/REPO/PATH@REF`, the form of a Sigstore certificate's identity); digest.gitCommit. */
  workflow: 'karoo:workflow',
} as const;

/** An in-toto ResourceDescriptor (at least one of uri, digest, content). */
export interface ResourceDescriptor {
  readonly name?: string | undefined;
  readonly uri?: string | undefined;
  readonly digest?: Readonly<Record<string, string>> | undefined;
  readonly downloadLocation?: string | undefined;
  readonly mediaType?: string | undefined;
  readonly annotations?: Readonly<Record<string, unknown>> | undefined;
}

export interface Statement<P = Record<string, unknown>> {
  readonly _type: typeof IN_TOTO_STATEMENT;
  readonly subject: readonly ResourceDescriptor[];
  readonly predicateType: string;
  readonly predicate: P;
}

/** The candidate a statement is about: its name (the system) and manifest digest. */
export interface CandidateSubject {
  readonly name: string;
  readonly digest: Digest;
}

export interface SlsaProvenance {
  readonly buildDefinition: {
    readonly buildType: string;
    readonly externalParameters: Readonly<Record<string, unknown>>;
    readonly internalParameters?: Readonly<Record<string, unknown>> | undefined;
    readonly resolvedDependencies?: readonly ResourceDescriptor[] | undefined;
  };
  readonly runDetails: {
    readonly builder: { readonly id: string; readonly version?: Readonly<Record<string, string>> | undefined };
    readonly metadata?:
      | { readonly invocationId?: string | undefined; readonly startedOn?: string | undefined; readonly finishedOn?: string | undefined }
      | undefined;
  };
}

export type TestResultValue = 'PASSED' | 'WARNED' | 'FAILED';

export interface TestResultPredicate {
  readonly result: TestResultValue;
  readonly configuration: readonly ResourceDescriptor[];
  readonly url?: string | undefined;
  readonly passedTests?: readonly string[] | undefined;
  readonly warnedTests?: readonly string[] | undefined;
  readonly failedTests?: readonly string[] | undefined;
}

/** What provenanceStatement needs: the lock's identity and files, who built it and where. */
export interface ProvenanceInput {
  readonly candidate: CandidateSubject;
  readonly lockDigest: Digest;
  readonly system: string;
  /** The target platform the lock was resolved for. */
  readonly target?: Readonly<Record<string, unknown>> | undefined;
  /** Every locked file (wheel, sdist): name, URL, sha256 hex, and `name==version` of its package. */
  readonly files: ReadonlyArray<{
    readonly name: string;
    readonly url?: string | undefined;
    readonly sha256: string;
    readonly package?: string | undefined;
  }>;
  /** The tool that built it, e.g. `karoo 0.1.0`. */
  readonly builder: string;
  /** ISO 8601 time of the build. */
  readonly builtAt: string;
  readonly run?: GithubRun | undefined;
}

/** What testResultStatement needs: one acceptance run of a candidate in one environment. */
export interface TestResultInput {
  readonly candidate: CandidateSubject;
  readonly environment: string;
  readonly systemId: Digest;
  readonly configDigest: Digest;
  readonly result: 'passed' | 'failed';
  readonly passedTests?: readonly string[] | undefined;
  readonly failedTests?: readonly string[] | undefined;
  readonly run?: GithubRun | undefined;
}

/** The identity URI of a GitHub workflow run (`https://github.com/OWNER/REPO/.github/workflows/x.yml@refs/heads/main`), from GITHUB_WORKFLOW_REF. */
export function workflowIdentity(run: GithubRun | undefined): string | undefined {
  const w = run?.workflow;
  if (!w || !/^[^/@\s]+\/[^/@\s]+\/[^@\s]+@\S+$/.test(w)) return undefined; // a bare workflow name is no identity
  const server = run.runUrl ? new URL(run.runUrl).origin : 'https://github.com';
  return `${server}/${w}`;
}

/** The parts of a workflow identity URI; undefined when it is not one. */
export function parseWorkflowIdentity(uri: string): { repository: string; workflow: string; ref: string } | undefined {
  const m = /^https:\/\/[^/]+\/([^/@\s]+\/[^/@\s]+)\/([^@\s]+)@(\S+)$/.exec(uri);
  return m ? { repository: m[1]!, workflow: m[2]!, ref: m[3]! } : undefined;
}

function subjectOf(c: CandidateSubject): ResourceDescriptor[] {
  return [{ name: c.name, digest: { sha256: hexOf(c.digest) } }];
}

/**
 * The SLSA Provenance v1 statement of a candidate build. Everything in it comes from the
 * inputs (no clock, no host), and resolved dependencies are sorted by digest, so the same
 * inputs give the same bytes (statementBytes).
 */
export function provenanceStatement(p: ProvenanceInput): Statement<SlsaProvenance> {
  if (Number.isNaN(Date.parse(p.builtAt))) throw new KarooError('input', `provenance time "${p.builtAt}" is not an ISO 8601 time`);
  const identity = workflowIdentity(p.run);
  const deps: ResourceDescriptor[] = [...p.files]
    .sort((a, b) => cmp(a.sha256, b.sha256) || cmp(a.name, b.name))
    .map((f) => ({ name: f.name, uri: f.url, digest: { sha256: f.sha256 }, annotations: f.package ? { package: f.package } : undefined }));
  const version = /^karoo\s+(\S+)$/.exec(p.builder)?.[1];
  return {
    _type: IN_TOTO_STATEMENT,
    subject: subjectOf(p.candidate),
    predicateType: SLSA_PROVENANCE,
    predicate: {
      buildDefinition: {
        buildType: KAROO_BUILD_TYPE,
        externalParameters: { lock: { digest: { sha256: hexOf(p.lockDigest) } }, system: p.system },
        internalParameters: p.target ? { target: p.target } : undefined,
        resolvedDependencies: deps,
      },
      runDetails: {
        builder: { id: identity ?? KAROO_LOCAL_BUILDER, version: version ? { karoo: version } : undefined },
        metadata: {
          invocationId: p.run?.runUrl ? `${p.run.runUrl}/attempts/${p.run.runAttempt ?? '1'}` : undefined,
          startedOn: new Date(Date.parse(p.builtAt)).toISOString(),
        },
      },
    },
  };
}

/**
 * The in-toto test-result statement of one acceptance run: `result` PASSED or FAILED, the
 * system (candidate + environment configuration) and configuration digests as `configuration`,
 * the workflow identity when the run was in GitHub Actions, the run's URL as `url`.
 */
export function testResultStatement(t: TestResultInput): Statement<TestResultPredicate> {
  const identity = workflowIdentity(t.run);
  const configuration: ResourceDescriptor[] = [
    {
      name: TEST_CONFIGURATION.system,
      digest: { sha256: hexOf(t.systemId) },
      annotations: { environment: t.environment, system: t.candidate.name },
    },
    { name: TEST_CONFIGURATION.configuration, digest: { sha256: hexOf(t.configDigest) } },
  ];
  if (identity)
    configuration.push({
      name: TEST_CONFIGURATION.workflow,
      uri: identity,
      digest: t.run?.commit ? { gitCommit: t.run.commit } : undefined,
    });
  return {
    _type: IN_TOTO_STATEMENT,
    subject: subjectOf(t.candidate),
    predicateType: TEST_RESULT,
    predicate: {
      result: t.result === 'passed' ? 'PASSED' : 'FAILED',
      configuration,
      url: t.run?.runUrl,
      passedTests: [...(t.passedTests ?? [])].sort(),
      warnedTests: [],
      failedTests: [...(t.failedTests ?? [])].sort(),
    },
  };
}

/** The bytes that get signed: canonical JSON (sorted keys, no whitespace, absent fields left out). */
export function statementBytes(s: Statement<unknown>): Buffer {
  return Buffer.from(canonicalJson(s), 'utf8');
}

/**
 * Checks a parsed statement against the in-toto Statement v1 rules (and, for the two predicate
 * types karoo writes, their required fields): one line naming the first problem, or undefined.
 */
export function statementProblem(s: unknown): string | undefined {
  if (!isObject(s)) return 'the statement is not a JSON object';
  if (s._type !== IN_TOTO_STATEMENT) return `_type ${JSON.stringify(s._type)} is not ${IN_TOTO_STATEMENT}`;
  if (!Array.isArray(s.subject) || s.subject.length === 0) return 'subject is not a non-empty list';
  for (const [i, d] of s.subject.entries()) {
    const p = descriptorProblem(d, `subject[${i}]`);
    if (p) return p;
    if (!isObject(d) || !isObject(d.digest) || Object.keys(d.digest).length === 0) return `subject[${i}] has no digest`;
  }
  if (typeof s.predicateType !== 'string' || !isUri(s.predicateType)) return 'predicateType is not a URI';
  if (s.predicate !== undefined && !isObject(s.predicate)) return 'predicate is not an object';
  const p = s.predicate as Record<string, unknown> | undefined;
  if (s.predicateType === TEST_RESULT) {
    if (!p) return 'the test-result predicate is missing';
    if (p.result !== 'PASSED' && p.result !== 'WARNED' && p.result !== 'FAILED')
      return `predicate.result ${JSON.stringify(p.result)} is not PASSED, WARNED or FAILED`;
    if (!Array.isArray(p.configuration)) return 'predicate.configuration is not a list';
    for (const [i, d] of p.configuration.entries()) {
      const q = descriptorProblem(d, `predicate.configuration[${i}]`);
      if (q) return q;
    }
    if (p.url !== undefined && (typeof p.url !== 'string' || !isUri(p.url))) return 'predicate.url is not a URI';
    for (const k of ['passedTests', 'warnedTests', 'failedTests']) {
      if (p[k] !== undefined && !(Array.isArray(p[k]) && (p[k] as unknown[]).every((x) => typeof x === 'string')))
        return `predicate.${k} is not a list of strings`;
    }
  } else if (s.predicateType === SLSA_PROVENANCE) {
    if (!p) return 'the provenance predicate is missing';
    const b = p.buildDefinition;
    if (!isObject(b)) return 'predicate.buildDefinition is not an object';
    if (typeof b.buildType !== 'string' || !isUri(b.buildType)) return 'predicate.buildDefinition.buildType is not a URI';
    if (!isObject(b.externalParameters)) return 'predicate.buildDefinition.externalParameters is not an object';
    if (b.internalParameters !== undefined && !isObject(b.internalParameters))
      return 'predicate.buildDefinition.internalParameters is not an object';
    if (b.resolvedDependencies !== undefined) {
      if (!Array.isArray(b.resolvedDependencies)) return 'predicate.buildDefinition.resolvedDependencies is not a list';
      for (const [i, d] of b.resolvedDependencies.entries()) {
        const q = descriptorProblem(d, `predicate.buildDefinition.resolvedDependencies[${i}]`);
        if (q) return q;
      }
    }
    const r = p.runDetails;
    if (!isObject(r) || !isObject(r.builder) || typeof r.builder.id !== 'string' || !isUri(r.builder.id))
      return 'predicate.runDetails.builder.id is not a URI';
    if (r.metadata !== undefined) {
      if (!isObject(r.metadata)) return 'predicate.runDetails.metadata is not an object';
      for (const k of ['startedOn', 'finishedOn']) {
        const v = r.metadata[k];
        if (v !== undefined && (typeof v !== 'string' || !RFC3339.test(v)))
          return `predicate.runDetails.metadata.${k} is not an RFC 3339 time`;
      }
    }
  }
  return undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function descriptorProblem(d: unknown, what: string): string | undefined {
  if (!isObject(d)) return `${what} is not a ResourceDescriptor object`;
  if (d.uri === undefined && d.digest === undefined && d.content === undefined) return `${what} has none of uri, digest, content`;
  if (d.uri !== undefined && (typeof d.uri !== 'string' || !isUri(d.uri))) return `${what}.uri is not a URI`;
  if (d.digest !== undefined) {
    if (!isObject(d.digest)) return `${what}.digest is not a map`;
    for (const [alg, v] of Object.entries(d.digest)) {
      if (typeof v !== 'string' || !/^[0-9a-f]+$/.test(v)) return `${what}.digest.${alg} is not lowercase hex`;
    }
  }
  for (const k of ['name', 'downloadLocation', 'mediaType'] as const)
    if (d[k] !== undefined && typeof d[k] !== 'string') return `${what}.${k} is not a string`;
  if (d.annotations !== undefined && !isObject(d.annotations)) return `${what}.annotations is not an object`;
  return undefined;
}

function isUri(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(s);
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
