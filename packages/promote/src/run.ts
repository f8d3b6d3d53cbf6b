import { type GithubRun, runContextFromEnv } from '@karoo/common';
import type { RunInfo } from './records.js';

/** Who promotes and from which run: the run context (@karoo/common), with the run as a promotion record stores it. */
export interface PromotionContext {
  readonly actor: string;
  readonly run?: RunInfo | undefined;
  /** The commit for a GitHub Deployment's `ref`. */
  readonly sha?: string | undefined;
  /** `owner/repo`, when running in GitHub Actions. */
  readonly repository?: string | undefined;
}

/** The run as a promotion record stores it (field names of records already written). */
export function runInfoOf(run: GithubRun): RunInfo {
  return { id: run.runId, attempt: run.runAttempt, url: run.runUrl, repository: run.repository, workflow: run.workflow, sha: run.commit };
}

export function runFromEnv(env: NodeJS.ProcessEnv = process.env): PromotionContext {
  const c = runContextFromEnv(env);
  return { actor: c.actor, run: c.run && runInfoOf(c.run), sha: c.sha, repository: c.repository };
}
