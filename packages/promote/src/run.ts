import { userInfo } from 'node:os';
import type { RunInfo } from './records.js';

/** Who promotes and from which run, as the runner's environment says (GITHUB_*), else the local user. */
export interface RunContext {
  readonly actor: string;
  readonly run?: RunInfo | undefined;
  /** The commit for a GitHub Deployment's `ref`. */
  readonly sha?: string | undefined;
  /** `owner/repo`, when running in GitHub Actions. */
  readonly repository?: string | undefined;
}

export function runFromEnv(env: NodeJS.ProcessEnv = process.env): RunContext {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repository = env.GITHUB_REPOSITORY || undefined;
  const run: RunInfo | undefined = env.GITHUB_RUN_ID
    ? {
        id: env.GITHUB_RUN_ID,
        attempt: env.GITHUB_RUN_ATTEMPT,
        url: repository ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
        repository,
        workflow: env.GITHUB_WORKFLOW_REF ?? env.GITHUB_WORKFLOW,
        sha: env.GITHUB_SHA,
      }
    : undefined;
  const actor = env.GITHUB_TRIGGERING_ACTOR || env.GITHUB_ACTOR || env.USER || env.LOGNAME || localUser();
  return { actor, run, sha: env.GITHUB_SHA || undefined, repository };
}

function localUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
