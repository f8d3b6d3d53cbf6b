import { loadConfig } from '@karoo/config';
import { core, type IndexCredentials } from '@karoo/kit';
import type { AttestInputs } from '@karoo/kit/attest';
import type { EvidenceFound } from '@karoo/kit/evidence';
import type { StoreInputs } from '@karoo/kit/store';
// The steps' own code, compiled beside this action (project references in tsconfig.json) and
// bundled into this action's one file: one process, no second implementation.
import { runBuild } from '../../build/lib/run.js';
import { runReport } from '../../report/lib/run.js';
import { runResolve } from '../../resolve/lib/run.js';

/** The candidate step's inputs (action.yml's, typed). */
export interface CandidateInputs {
  readonly config: string;
  readonly store: StoreInputs;
  /** Post the pull request comment (else the job summary only). */
  readonly comment: boolean;
  readonly baseRef?: string | undefined;
  readonly index: IndexCredentials;
  /** Downloaded wheels and pip's HTTP cache in the Actions cache. */
  readonly cache?: boolean | undefined;
  /** How to sign a new candidate's provenance; absent: karoo.yml attestations.signing-key. */
  readonly attest?: AttestInputs | undefined;
  /** The environment whose passing evidence counts; default, the configuration's first. */
  readonly environment?: string | undefined;
  /**
   * An acceptance run follows (in a later job) when the candidate has no passing evidence from
   * the environment: the report then waits for it, and this step reports only when the
   * evidence makes that run unnecessary.
   */
  readonly acceptance?: boolean | undefined;
  /** The report reads and verifies the candidate's signed attestations. */
  readonly attestations?: boolean | undefined;
  /** One comment per key, for a workflow that reports several systems on one pull request. */
  readonly key?: string | undefined;
  readonly githubToken?: string | undefined;
}

/** What is known once the candidate is in the store. */
export interface BuiltOutputs {
  readonly candidate: string;
  readonly candidateRef: string;
  readonly existed: boolean;
  /** The signed SLSA provenance, when a new candidate was signed. */
  readonly attestation?: string | undefined;
  readonly lockDigest: string;
  readonly lockPath: string;
  readonly requirementsPath: string;
  readonly changed: boolean;
  /** The passing evidence looked for, when the configuration has environments. */
  readonly evidence?: EvidenceFound | undefined;
}

export interface CandidateOutputs extends BuiltOutputs {
  /** The report was made by this step (false: an acceptance run follows and its job reports). */
  readonly reported: boolean;
  readonly commentUrl: string;
  readonly markdownPath: string;
}

/**
 * resolve → build (with the look for passing evidence, when karoo.yml has environments) →
 * report, each step's work called in this process in a log group of its own, each step's
 * outputs handed to the next as typed values. A step that fails stops the rest with its own
 * error. `built` gets the outputs known before the report, so a failed comment loses none.
 */
export async function runCandidate(i: CandidateInputs, built: (o: BuiltOutputs) => void = () => {}): Promise<CandidateOutputs> {
  const { config, githubToken, index } = i;
  const cache = i.cache ?? false;
  // Read once, for the three steps.
  const loaded = await loadConfig(config);
  const resolved = await core.group('karoo resolve', () => runResolve({ config, loaded, force: false, cache, index }));
  // Evidence (and what each environment runs, for the report) when there are environments; an
  // acceptance run that follows needs them, and the look-up says so when there are none.
  const lookForEvidence = i.acceptance || loaded.environments.length > 0;
  const b = await core.group('karoo build', () =>
    runBuild({
      config,
      loaded,
      lock: resolved.lockPath,
      store: i.store,
      githubToken,
      mountFrom: [],
      cache,
      index,
      provenance: true,
      attest: i.attest,
      lookForEvidence,
      environment: i.environment,
    }),
  );
  const known: BuiltOutputs = {
    candidate: b.candidate,
    candidateRef: b.candidateRef,
    existed: b.existed,
    attestation: b.attestation,
    lockDigest: resolved.lockDigest,
    lockPath: resolved.lockPath,
    requirementsPath: resolved.requirementsPath,
    changed: resolved.changed,
    evidence: b.evidence,
  };
  built(known);

  if (i.acceptance && !b.evidence?.hasEvidence) {
    core.info(`${b.candidate} has no passing evidence from ${b.evidence?.environment}: the acceptance run follows, and its job reports`);
    return { ...known, reported: false, commentUrl: '', markdownPath: '' };
  }
  if (i.acceptance && b.evidence) {
    core.notice(
      `candidate ${b.candidate} already has passing evidence from ${b.evidence.environment}; the acceptance run is skipped (nothing changed that needs testing)`,
    );
    await core.summary
      .addHeading('Acceptance skipped', 3)
      .addRaw(`<code>${b.candidate}</code> already has passing evidence from <code>${b.evidence.environment}</code>.`, true)
      .write();
  }

  const reported = await core.group('karoo report', () =>
    runReport({
      lock: resolved.lockPath,
      baseRef: i.baseRef,
      candidate: b.candidate,
      candidateRef: b.candidateRef,
      candidateExisted: b.existed,
      store: { ...i.store, store: i.store.store ?? b.candidateRef.replace(/@sha256:[0-9a-f]{64}$/, '') },
      evidence: b.evidence?.evidencePath,
      environments: b.evidence?.environmentsPath,
      fromWorkflowRun: false,
      config,
      loaded,
      attestations: i.attestations,
      key: i.key,
      comment: i.comment,
      githubToken,
    }),
  );
  return { ...known, reported: true, commentUrl: reported.commentUrl, markdownPath: reported.markdownPath };
}
