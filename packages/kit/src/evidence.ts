import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KarooError } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import type { Store } from '@karoo/oci';
import { environmentStatus, evidenceRunVerifierFromEnv, type GateEvidence, promote, runFromEnv, systemIdFromConfig } from '@karoo/promote';
import { actionProgress } from './index.js';

/** The input and output names of the evidence look-up, as every action that offers it declares them. */
export const EVIDENCE_OUTPUTS = {
  environment: 'environment',
  hasEvidence: 'has-evidence',
  evidence: 'evidence',
  systemId: 'system-id',
  evidencePath: 'evidence-path',
  environmentsPath: 'environments-path',
} as const;

/** What the look-up found: the outputs of EVIDENCE_OUTPUTS. */
export interface EvidenceFound {
  readonly environment: string;
  readonly hasEvidence: boolean;
  /** Digest of the passing evidence from the environment; empty when there is none. */
  readonly evidence: string;
  readonly systemId: string;
  readonly evidencePath: string;
  readonly environmentsPath: string;
}

/** The outputs of an evidence look-up, by the names of EVIDENCE_OUTPUTS; none when there was no look-up. */
export function evidenceOutputs(e: EvidenceFound | undefined): Record<string, string | boolean> {
  if (!e) return {};
  return {
    [EVIDENCE_OUTPUTS.environment]: e.environment,
    [EVIDENCE_OUTPUTS.hasEvidence]: e.hasEvidence,
    [EVIDENCE_OUTPUTS.evidence]: e.evidence,
    [EVIDENCE_OUTPUTS.systemId]: e.systemId,
    [EVIDENCE_OUTPUTS.evidencePath]: e.evidencePath,
    [EVIDENCE_OUTPUTS.environmentsPath]: e.environmentsPath,
  };
}

/** The environment a promotion or an evidence look-up is for: the given one, else the configuration's first. */
export function evidenceEnvironment(config: KarooConfig, given: string | undefined, purpose = 'look for evidence'): string {
  const environment = given ?? config.environments[0]?.name;
  if (!environment) throw new KarooError('input', `${config.path} has no environments; add them under environments: to ${purpose}`);
  return environment;
}

/**
 * Whether the candidate already has passing acceptance evidence from the environment, decided
 * exactly as promotion's gate decides it (promote's dry run: evidence for this system id, from a
 * run of an allowed workflow that succeeded, signed when karoo.yml requires it), and the files
 * the report step reads. Build calls it right after the candidate is in the store, so a pull
 * request whose candidate was tested before skips acceptance without a step of its own.
 */
export async function lookForEvidence(o: {
  readonly store: Store;
  readonly config: KarooConfig;
  readonly candidate: string;
  readonly environment?: string | undefined;
  readonly githubToken?: string | undefined;
}): Promise<EvidenceFound> {
  const environment = evidenceEnvironment(o.config, o.environment);
  const ctx = runFromEnv();
  const r = await promote({
    store: o.store,
    config: o.config,
    candidate: o.candidate,
    environment,
    actor: ctx.actor,
    run: ctx.run,
    dryRun: true,
    systemId: systemIdFromConfig(o.config),
    evidenceRuns: evidenceRunVerifierFromEnv({ token: o.githubToken, config: o.config, progress: actionProgress }),
    progress: actionProgress,
  });
  const hasEvidence = r.passingEvidence.includes(environment);
  // Say why passing evidence from this environment does not spare the acceptance run.
  if (!hasEvidence)
    for (const e of r.evidence)
      if (e.environment === environment && e.result === 'passed' && e.untrusted)
        actionProgress.info(`evidence ${e.digest} from ${environment} does not count: ${e.untrusted}`);
  const files = await reportFiles(o.store, o.config, r.evidence);
  return {
    environment,
    hasEvidence,
    evidence: countingEvidence(r.evidence, environment),
    systemId: r.systemId ?? '',
    ...files,
  };
}

/** The digest of the candidate's passing evidence from the environment that counts ('' for none): never a record the gate does not count. */
export function countingEvidence(evidence: readonly GateEvidence[], environment: string): string {
  return evidence.find((e) => e.environment === environment && e.result === 'passed' && !e.untrusted)?.digest ?? '';
}

/**
 * The candidate's evidence and what each environment runs, as the JSON files the report step
 * reads (its `evidence` and `environments` inputs), under RUNNER_TEMP.
 */
export async function reportFiles(
  store: Store,
  config: KarooConfig,
  evidence: readonly GateEvidence[],
): Promise<{ evidencePath: string; environmentsPath: string }> {
  const dir = join(process.env.RUNNER_TEMP || tmpdir(), 'karoo-promote');
  await mkdir(dir, { recursive: true });
  const names = config.environments.map((e) => e.name);
  const environments = (await environmentStatus(store, names)).map((s) => ({
    name: s.environment,
    ...(s.candidate ? { candidate: s.candidate } : {}),
    ...(s.systemId ? { systemId: s.systemId } : {}),
    production: s.environment === names.at(-1),
  }));
  // Evidence that does not count (wrong system, a run that does not check out) is not reported as a result.
  const records = evidence
    .filter((e) => !e.untrusted)
    .map((e) => ({
      result: e.result,
      passed: e.passed ?? 0,
      failed: e.failed ?? 0,
      skipped: e.skipped ?? 0,
      ...(e.countsUnknown ? { countsUnknown: true } : {}),
      durationMs: e.durationMs ?? 0,
      environment: e.environment,
      digest: e.digest,
      ...(e.runUrl ? { runUrl: e.runUrl } : {}),
    }));
  const paths = { evidence: join(dir, 'evidence.json'), environments: join(dir, 'environments.json') };
  await writeFile(paths.evidence, `${JSON.stringify(records, null, 2)}\n`);
  await writeFile(paths.environments, `${JSON.stringify(environments, null, 2)}\n`);
  return { evidencePath: paths.evidence, environmentsPath: paths.environments };
}
