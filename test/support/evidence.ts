/**
 * Acceptance evidence in a store, as a gate or a report reads it: for tests of promotion and of
 * what karoo shows about a candidate. The evidence is built and pushed by @karoo/evidence itself,
 * about the system the gate expects (the candidate with the environment's configuration as it is
 * now) unless a test says otherwise, to forge it.
 */
import { type Digest, sha256Of } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import { evidenceFor, type EvidenceCounts, type EvidenceRun, pushEvidence } from '@karoo/evidence';
import type { Store } from '@karoo/oci';
import { systemIdFromConfig, verifyCandidate } from '@karoo/promote';

/**
 * karoo.yml lines for the system `cam`: one node `cam-1` of role `cam`, which runs the leaf
 * `acme-cam` (a configuration with nodes, so it has a system id). Tests append `environments:`
 * and whatever else they need.
 */
export const CAM_SYSTEM_YML = `system: cam
leaves: [acme-cam]
indexes: [{ url: ./index }]
nodes: [{ name: cam-1, role: cam }]
roles:
  cam:
    leaves: [acme-cam]
    services: [{ name: cam, command: [cam] }]
`;

/** The system id a gate expects of evidence for `candidate` in `environment`, from `config` as it is. */
export async function expectedSystemId(config: KarooConfig, candidate: Digest, environment: string): Promise<Digest> {
  const env = config.environments.find((e) => e.name === environment);
  if (!env) throw new Error(`test setup: ${environment} is not an environment of ${config.path}`);
  const id = await systemIdFromConfig(config)(candidate, env);
  if (!id) throw new Error(`test setup: ${config.path} has no nodes, so no system id`);
  return id;
}

export interface TestEvidence {
  readonly environment: string;
  /** The configuration whose system id the evidence is about (see expectedSystemId); not needed when `systemId` is given. */
  readonly config?: KarooConfig | undefined;
  /** A system id of the test's choosing instead (forged evidence). */
  readonly systemId?: Digest | undefined;
  readonly result?: 'passed' | 'failed' | undefined;
  /** Passed tests (default 3); a failed run has one more test, failed. */
  readonly passed?: number | undefined;
  readonly run?: EvidenceRun | undefined;
  /** ISO 8601 time the run finished (default now). */
  readonly at?: string | undefined;
  readonly durationMs?: number | undefined;
}

/** Pushes the evidence of one acceptance run of `candidate` to `store`; returns its digest. */
export async function addEvidence(store: Store, candidate: Digest, o: TestEvidence): Promise<Digest> {
  const result = o.result ?? 'passed';
  const passed = o.passed ?? 3;
  const failed = result === 'passed' ? 0 : 1;
  const counts: EvidenceCounts = { tests: passed + failed, passed, failed, errors: 0, skipped: 0 };
  const systemId = o.systemId ?? (o.config ? await expectedSystemId(o.config, candidate, o.environment) : undefined);
  if (!systemId) throw new Error('test setup: addEvidence needs a config or a systemId');
  const at = o.at ?? new Date().toISOString();
  const artifact = evidenceFor(await verifyCandidate(store, candidate), {
    candidate,
    system: 'cam',
    systemId,
    configDigest: sha256Of(`the configuration of ${o.environment} the evidence claims`),
    environment: o.environment,
    result,
    counts,
    startedAt: at,
    finishedAt: at,
    durationMs: o.durationMs ?? 10,
    exitCode: failed,
    timedOut: false,
    command: ['pytest'],
    nodes: [{ name: 'cam-1', role: 'cam' }],
    run: o.run,
  });
  return (await pushEvidence(store, artifact)).digest as Digest;
}
