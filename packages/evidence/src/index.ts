import { canonicalJson, type Digest, errorMessage, type GithubRun, isDigest, isKarooError, KarooError, parseDigest } from '@karoo/common';
import { ANNOTATIONS, type Descriptor, OCI, referrerFor, type Referrer } from '@karoo/candidate';
import { bufferSource, parseManifestInfo, readVerifiedBlob, type Store } from '@karoo/oci';

/** `artifactType` of an evidence artifact, and the media type of its JSON layer. */
export const EVIDENCE_ARTIFACT_TYPE = 'application/vnd.karoo.evidence.v1+json';
/** Media type of the JUnit XML layer of an evidence artifact. */
export const JUNIT_MEDIA_TYPE = 'application/vnd.karoo.evidence.junit.v1+xml';
/** Schema name inside the evidence JSON. */
export const EVIDENCE_SCHEMA = 'karoo.evidence/v1';

/** Manifest annotations of an evidence artifact: what a registry's referrers listing shows without reading blobs. */
export const EVIDENCE_ANNOTATIONS = {
  environment: 'dev.karoo.environment',
  result: 'dev.karoo.result',
  systemId: 'dev.karoo.system-id',
} as const;

export type EvidenceResult = 'passed' | 'failed';

export interface EvidenceCounts {
  /** Test cases run (passed + failed + errors + skipped). */
  readonly tests: number;
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
  readonly skipped: number;
  /**
   * Where the numbers come from: the JUnit file, the command's closing summary line, or
   * nowhere (`unknown`: the numbers are zeros that mean nothing; show "counts unknown").
   * Absent in evidence written before it existed (JUnit).
   */
  readonly source?: 'junit' | 'output' | 'unknown' | undefined;
}

/** Counts for people: `4 passed, 0 failed, 1 skipped`, or `counts unknown`. */
export function formatCounts(c: EvidenceCounts): string {
  if (c.source === 'unknown') return 'counts unknown';
  return `${c.passed} passed, ${c.failed + c.errors} failed, ${c.skipped} skipped`;
}

/** Where an acceptance run happened: the GitHub Actions run (runContextFromEnv in @karoo/common), when there is one. */
export type EvidenceRun = GithubRun;

/**
 * The evidence of one acceptance run of a candidate in one environment.
 *
 * `systemId` = sha256 over the candidate digest and the config digest of that environment
 * (see @karoo/deploy `systemIdOf`): the exact system the tests ran against.
 */
export interface Evidence {
  readonly schema: typeof EVIDENCE_SCHEMA;
  readonly candidate: Digest;
  /** The system's name (karoo.yml `system`). */
  readonly system: string;
  readonly systemId: Digest;
  readonly configDigest: Digest;
  readonly environment: string;
  readonly result: EvidenceResult;
  readonly counts: EvidenceCounts;
  /** ISO 8601 UTC. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** Exit code of the acceptance command; null when it was killed (timeout). */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly command: readonly string[];
  /** The nodes the system ran on. */
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly role: string }>;
  /** Machine provider of an ephemeral environment (`nspawn`, `qemu`), or undefined for real hosts. */
  readonly provider?: string | undefined;
  readonly run?: EvidenceRun | undefined;
  /** Why the result is `failed` when no test failed (timeout, deploy failure, no tests ran). */
  readonly reason?: string | undefined;
}

/** What `evidenceFor` needs; `schema` is filled in. */
export type EvidenceInput = Omit<Evidence, 'schema'>;

/** One evidence artifact found in a store. */
export interface EvidenceRecord {
  /** Digest of the evidence manifest. */
  readonly digest: Digest;
  readonly evidence: Evidence;
  /** Digest of the JUnit layer, when the run wrote JUnit. */
  readonly junit?: Descriptor | undefined;
}

/**
 * Builds the evidence artifact: an OCI image manifest (empty config) with `subject` = the
 * candidate, a canonical-JSON layer `evidence.json`, and the JUnit XML as a second layer when given.
 */
export function evidenceFor(candidate: Descriptor, input: EvidenceInput, junit?: Uint8Array | string): Referrer {
  const evidence: Evidence = { schema: EVIDENCE_SCHEMA, ...input, durationMs: Math.round(input.durationMs) };
  checkEvidence(evidence, 'evidence');
  if (evidence.candidate !== candidate.digest) {
    throw new KarooError('internal', `evidence names candidate ${evidence.candidate} but refers to ${candidate.digest}`);
  }
  const payloads: Array<{ mediaType: string; content: string | Uint8Array; title: string }> = [
    { mediaType: EVIDENCE_ARTIFACT_TYPE, content: canonicalJson(evidence), title: 'evidence.json' },
  ];
  if (junit !== undefined) payloads.push({ mediaType: JUNIT_MEDIA_TYPE, content: junit, title: 'junit.xml' });
  return referrerFor({
    subject: candidate,
    artifactType: EVIDENCE_ARTIFACT_TYPE,
    payloads,
    annotations: {
      [ANNOTATIONS.created]: evidence.finishedAt,
      [EVIDENCE_ANNOTATIONS.environment]: evidence.environment,
      [EVIDENCE_ANNOTATIONS.result]: evidence.result,
      [EVIDENCE_ANNOTATIONS.systemId]: evidence.systemId,
    },
  });
}

/** Pushes an evidence artifact (its blobs, then the manifest) to the candidate's store. */
export async function pushEvidence(store: Store, artifact: Referrer): Promise<Descriptor> {
  for (const b of artifact.blobs) {
    if (!(await store.hasBlob(b.descriptor.digest))) await store.putBlob(b.descriptor, bufferSource(b.bytes));
  }
  await store.putManifest(artifact.manifestBytes, OCI.imageManifest);
  return artifact.descriptor;
}

/** A referrer of the candidate that claims to be evidence but cannot be read as such: skipped, and reported. */
export interface InvalidEvidence {
  /** Digest of the referrer's manifest. */
  readonly digest: string;
  /** Why it does not count, one line. */
  readonly reason: string;
}

/** What scanEvidence found: the readable records (oldest first) and the referrers that are not. */
export interface EvidenceScan {
  readonly records: EvidenceRecord[];
  readonly invalid: InvalidEvidence[];
}

export interface EvidenceFilter {
  readonly environment?: string | undefined;
  readonly result?: EvidenceResult | undefined;
}

/**
 * Every evidence artifact of a candidate in a store, oldest first (by `finishedAt`, then digest),
 * and every referrer that claims to be evidence but is not readable evidence of this candidate.
 * Each one is read and checked: manifest and blobs against their digests, descriptors, schema
 * and fields, subject and the evidence's own `candidate` against the candidate asked for. A
 * malformed or damaged referrer is listed in `invalid` and skipped — never fatal, so one bad push
 * cannot block the promotion or the report of a candidate, and never counted. A store that
 * cannot be reached still throws.
 */
export async function scanEvidence(store: Store, candidate: Digest | string, filter: EvidenceFilter = {}): Promise<EvidenceScan> {
  const subject = parseDigest(candidate, 'candidate');
  const found = await store.referrers(subject, EVIDENCE_ARTIFACT_TYPE);
  const records: EvidenceRecord[] = [];
  const invalid: InvalidEvidence[] = [];
  for (const d of found) {
    if (d.artifactType !== undefined && d.artifactType !== EVIDENCE_ARTIFACT_TYPE) continue;
    let r: EvidenceRecord;
    try {
      r = await readEvidence(store, d.digest);
      if (r.evidence.candidate !== subject) {
        throw new KarooError(
          'integrity',
          `evidence ${d.digest} in ${store.ref} is about candidate ${r.evidence.candidate}, not ${subject}`,
        );
      }
    } catch (e) {
      if (isKarooError(e) && (e.kind === 'integrity' || e.kind === 'input')) {
        invalid.push({ digest: d.digest, reason: errorMessage(e) });
        continue;
      }
      throw e;
    }
    if (filter.environment !== undefined && r.evidence.environment !== filter.environment) continue;
    if (filter.result !== undefined && r.evidence.result !== filter.result) continue;
    records.push(r);
  }
  records.sort((a, b) => cmp(a.evidence.finishedAt, b.evidence.finishedAt) || cmp(a.digest, b.digest));
  return { records, invalid: invalid.sort((a, b) => cmp(a.digest, b.digest)) };
}

/**
 * The readable evidence of a candidate (see scanEvidence), oldest first. Malformed referrers are
 * skipped, and passed to `onInvalid` when given.
 */
export async function listEvidence(
  store: Store,
  candidate: Digest | string,
  filter: EvidenceFilter & { onInvalid?: ((invalid: InvalidEvidence) => void) | undefined } = {},
): Promise<EvidenceRecord[]> {
  const scan = await scanEvidence(store, candidate, filter);
  for (const i of scan.invalid) filter.onInvalid?.(i);
  return scan.records;
}

/** Reads one evidence artifact by its manifest digest, checking every byte against its digest. */
export async function readEvidence(store: Store, digest: Digest | string): Promise<EvidenceRecord> {
  const d = parseDigest(digest, 'evidence');
  const m = await store.getManifest(d); // checked against its digest by the store
  // Every descriptor (layers, subject) is checked here; nothing unchecked reaches a blob read.
  const manifest = parseManifestInfo(m.bytes, `evidence manifest ${d} in ${store.ref}`);
  if (manifest.artifactType !== EVIDENCE_ARTIFACT_TYPE) {
    throw new KarooError(
      'input',
      `${d} in ${store.ref} is not evidence (artifactType ${manifest.artifactType ?? 'none'}, expected ${EVIDENCE_ARTIFACT_TYPE})`,
    );
  }
  const layers = manifest.layers ?? [];
  const json = layers.find((l) => l.mediaType === EVIDENCE_ARTIFACT_TYPE);
  if (!json) throw new KarooError('integrity', `evidence ${d} in ${store.ref} has no ${EVIDENCE_ARTIFACT_TYPE} layer`);
  const bytes = await readVerifiedBlob(store, json, `evidence ${d}`, EVIDENCE_LAYER_MAX);
  let evidence: Evidence;
  try {
    evidence = JSON.parse(bytes.toString('utf8')) as Evidence;
  } catch {
    throw new KarooError('integrity', `evidence ${d} in ${store.ref}: evidence.json is not JSON`);
  }
  checkEvidence(evidence, `evidence ${d} in ${store.ref}`);
  if (manifest.subject?.digest !== evidence.candidate) {
    throw new KarooError(
      'integrity',
      `evidence ${d} in ${store.ref}: subject ${manifest.subject?.digest ?? 'none'} is not the candidate it names (${evidence.candidate})`,
    );
  }
  const junit = layers.find((l) => l.mediaType === JUNIT_MEDIA_TYPE);
  return { digest: d, evidence, junit };
}

/** The JUnit XML of an evidence record, checked against its digest; undefined when the run wrote none. */
export async function readJunit(store: Store, record: EvidenceRecord): Promise<string | undefined> {
  if (!record.junit) return undefined;
  return (await readVerifiedBlob(store, record.junit, `JUnit of evidence ${record.digest}`, EVIDENCE_LAYER_MAX)).toString('utf8');
}

/**
 * The newest passing evidence for an environment, or undefined: what a promotion gate asks.
 * `records` as listEvidence returns them (oldest first).
 */
export function latestPassing(records: readonly EvidenceRecord[], environment: string): EvidenceRecord | undefined {
  return [...records].reverse().find((r) => r.evidence.environment === environment && r.evidence.result === 'passed');
}

/**
 * Counts from a JUnit XML document (one `<testsuite>` or a `<testsuites>` of them): the sum of
 * the testsuite attributes `tests`, `failures`, `errors`, `skipped`; when a suite lacks them,
 * its `<testcase>` elements are counted. Throws an input error when the text holds no test suite.
 */
export function countJunit(xml: string): EvidenceCounts {
  const suites = [...xml.matchAll(/<testsuite\b([^>]*?)(\/?)>([\s\S]*?)(?:<\/testsuite>|(?=<testsuite\b)|$)/g)];
  if (suites.length === 0) throw new KarooError('input', 'the JUnit file has no <testsuite> element');
  let tests = 0;
  let failed = 0;
  let errors = 0;
  let skipped = 0;
  for (const s of suites) {
    const attrs = s[1] ?? '';
    const body = s[2] === '/' ? '' : (s[3] ?? '');
    const attr = (name: string): number | undefined => {
      const m = new RegExp(`\\b${name}\\s*=\\s*["']([0-9]+)["']`).exec(attrs);
      return m ? Number(m[1]) : undefined;
    };
    const cases = [...body.matchAll(/<testcase\b[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)];
    const inCases = (tag: string) => cases.filter((c) => new RegExp(`<${tag}\\b`).test(c[1] ?? '')).length;
    tests += attr('tests') ?? cases.length;
    failed += attr('failures') ?? inCases('failure');
    errors += attr('errors') ?? inCases('error');
    skipped += attr('skipped') ?? attr('disabled') ?? inCases('skipped');
  }
  return { tests, passed: Math.max(0, tests - failed - errors - skipped), failed, errors, skipped };
}

/** Evidence layers (the JSON, the JUnit report) are small: a descriptor claiming more is refused unread. */
const EVIDENCE_LAYER_MAX = 64 << 20;

function checkEvidence(e: Evidence, what: string): void {
  const bad = (reason: string): never => {
    throw new KarooError('integrity', `${what}: ${reason}`);
  };
  if (!e || typeof e !== 'object') bad('not an object');
  if (e.schema !== EVIDENCE_SCHEMA) bad(`schema ${JSON.stringify(e.schema)} is not ${EVIDENCE_SCHEMA}`);
  for (const k of ['candidate', 'systemId', 'configDigest'] as const) if (!isDigest(e[k])) bad(`${k} is not a sha256 digest`);
  if (typeof e.environment !== 'string' || e.environment === '') bad('environment is missing');
  if (e.result !== 'passed' && e.result !== 'failed') bad(`result ${JSON.stringify(e.result)} is neither passed nor failed`);
  const c = e.counts;
  if (!c || ![c.tests, c.passed, c.failed, c.errors, c.skipped].every((n) => Number.isInteger(n) && n >= 0))
    bad('counts are not non-negative integers');
  if (c.source !== undefined && c.source !== 'junit' && c.source !== 'output' && c.source !== 'unknown')
    bad(`counts.source ${JSON.stringify(c.source)} is not junit, output or unknown`);
  if (e.result === 'passed' && (c.failed > 0 || c.errors > 0)) bad('result is passed but tests failed');
  for (const k of ['startedAt', 'finishedAt'] as const)
    if (typeof e[k] !== 'string' || Number.isNaN(Date.parse(e[k]))) bad(`${k} is not an ISO 8601 time`);
  if (e.run !== undefined) {
    if (!e.run || typeof e.run !== 'object' || Array.isArray(e.run)) bad('run is not an object');
    for (const [k, v] of Object.entries(e.run)) if (v !== undefined && typeof v !== 'string') bad(`run.${k} is not a string`);
    if (e.run.runId !== undefined && !/^[0-9]{1,20}$/.test(e.run.runId))
      bad(`run.runId ${JSON.stringify(e.run.runId)} is not a run number`);
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
