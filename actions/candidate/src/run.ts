import { loadConfig } from '@karoo/config';
import { core, type IndexCredentials } from '@karoo/kit';
import type { StoreInputs } from '@karoo/kit/store';
// The steps' own code, compiled beside this action (project references in tsconfig.json) and
// bundled into this action's one file: one process, no second implementation.
import { runBuild } from '../../build/lib/run.js';
import { runPromote } from '../../promote/lib/run.js';
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
  readonly githubToken?: string | undefined;
}

export interface CandidateOutputs {
  readonly candidate: string;
  readonly candidateRef: string;
  readonly existed: boolean;
  readonly lockDigest: string;
  readonly lockPath: string;
  readonly changed: boolean;
  readonly commentUrl: string;
  readonly markdownPath: string;
}

/**
 * resolve → build → (a dry run of promote, when karoo.yml has environments) → report, each
 * step's work called in this process in a log group of its own, each step's outputs handed to
 * the next as typed values. A step that fails stops the rest with its own error.
 */
export async function runCandidate(i: CandidateInputs): Promise<CandidateOutputs> {
  const { config, githubToken, index } = i;
  const resolved = await core.group('karoo resolve', () => runResolve({ config, force: false, cache: false, index }));
  const built = await core.group('karoo build', () =>
    runBuild({ config, lock: resolved.lockPath, store: i.store, githubToken, mountFrom: [], cache: false, index, provenance: true }),
  );

  // Evidence and environments for the report, when the configuration has environments.
  let files: { evidencePath?: string; environmentsPath?: string } = {};
  if ((await loadConfig(config)).environments.length > 0) {
    files = await core.group('karoo promote', () =>
      runPromote({
        candidate: built.candidate,
        config,
        store: i.store,
        rollback: false,
        dryRun: true,
        deploy: true,
        githubDeployment: false,
        githubToken,
      }),
    );
  }

  const reported = await core.group('karoo report', () =>
    runReport({
      lock: resolved.lockPath,
      baseRef: i.baseRef,
      candidate: built.candidate,
      candidateRef: built.candidateRef,
      candidateExisted: built.existed,
      store: { store: i.store.store ?? built.candidateRef.replace(/@sha256:[0-9a-f]{64}$/, '') },
      evidence: files.evidencePath,
      environments: files.environmentsPath,
      fromWorkflowRun: false,
      config,
      comment: i.comment,
      githubToken,
    }),
  );

  return {
    candidate: built.candidate,
    candidateRef: built.candidateRef,
    existed: built.existed,
    lockDigest: resolved.lockDigest,
    lockPath: resolved.lockPath,
    changed: resolved.changed,
    commentUrl: reported.commentUrl,
    markdownPath: reported.markdownPath,
  };
}
