import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

/**
 * The GitHub Actions run a step runs in, as the runner's environment says. Its field names are
 * those of the stored records (evidence's `run`, the build's provenance): records written before
 * this module read the same.
 */
export interface GithubRun {
  /** `owner/repo` (GITHUB_REPOSITORY). */
  readonly repository?: string | undefined;
  /** The commit the run was started on (GITHUB_SHA). */
  readonly commit?: string | undefined;
  /**
   * A `pull_request` run's head commit (the event's `pull_request.head.sha`): the commit GitHub
   * reports as the run's `head_sha`. `commit` is then the merge commit GitHub made of the head
   * and the base (refs/pull/N/merge), which the run checked out and tested.
   */
  readonly headCommit?: string | undefined;
  /** The branch or tag (GITHUB_REF). */
  readonly ref?: string | undefined;
  /**
   * The workflow file and its ref (GITHUB_WORKFLOW_REF, `owner/repo/.github/workflows/x.yml@refs/heads/main`),
   * else its name (GITHUB_WORKFLOW): the ref says which file, a name is not unique.
   */
  readonly workflow?: string | undefined;
  readonly runId?: string | undefined;
  readonly runAttempt?: string | undefined;
  /** The run's page (GITHUB_SERVER_URL/owner/repo/actions/runs/ID), when the repository is known. */
  readonly runUrl?: string | undefined;
  /** Who started (or re-ran) it: GITHUB_TRIGGERING_ACTOR, else GITHUB_ACTOR. */
  readonly actor?: string | undefined;
}

/** Who runs karoo and from which run: the one reading of GITHUB_* (provenance, evidence, promotion records). */
export interface RunContext {
  /** The run's triggering actor, else the local user (USER, LOGNAME, the account), else `unknown`. */
  readonly actor: string;
  /** `owner/repo`, when GITHUB_REPOSITORY is set. */
  readonly repository?: string | undefined;
  /** GITHUB_SHA, when set. */
  readonly sha?: string | undefined;
  /** The GitHub Actions run: present only when GITHUB_RUN_ID is set. */
  readonly run?: GithubRun | undefined;
}

/** Reads the run context from the environment (an empty variable counts as unset). */
export function runContextFromEnv(env: NodeJS.ProcessEnv = process.env): RunContext {
  const v = (k: string): string | undefined => env[k] || undefined;
  const repository = v('GITHUB_REPOSITORY');
  const sha = v('GITHUB_SHA');
  const runId = v('GITHUB_RUN_ID');
  const ghActor = v('GITHUB_TRIGGERING_ACTOR') ?? v('GITHUB_ACTOR');
  const server = (v('GITHUB_SERVER_URL') ?? 'https://github.com').replace(/\/+$/, '');
  const run: GithubRun | undefined = runId
    ? {
        repository,
        commit: sha,
        headCommit: v('GITHUB_EVENT_NAME') === 'pull_request' ? pullRequestHead(env)?.sha : undefined,
        ref: v('GITHUB_REF'),
        workflow: v('GITHUB_WORKFLOW_REF') ?? v('GITHUB_WORKFLOW'),
        runId,
        runAttempt: v('GITHUB_RUN_ATTEMPT'),
        runUrl: repository ? `${server}/${repository}/actions/runs/${runId}` : undefined,
        actor: ghActor,
      }
    : undefined;
  return { actor: ghActor ?? v('USER') ?? v('LOGNAME') ?? localUser(), repository, sha, run };
}

/** The head of a pull request run, from its event file (GITHUB_EVENT_PATH). */
export interface PullRequestHead {
  /** The head commit, when well formed. */
  readonly sha?: string | undefined;
  /** `owner/repo` the head branch is in: another repository's for a fork. */
  readonly repository?: string | undefined;
}

/** The run's event payload (GITHUB_EVENT_PATH); undefined without one, or when it cannot be read as JSON. */
function eventPayload<T>(env: NodeJS.ProcessEnv): T | undefined {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  try {
    return JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The head of the pull request in the event file of a `pull_request*` run; undefined for other events or an unreadable file. */
export function pullRequestHead(env: NodeJS.ProcessEnv = process.env): PullRequestHead | undefined {
  if (!(env.GITHUB_EVENT_NAME ?? '').startsWith('pull_request')) return undefined;
  const head = eventPayload<{ pull_request?: { head?: { sha?: unknown; repo?: { full_name?: unknown } } } }>(env)?.pull_request?.head;
  if (!head) return undefined;
  const sha = typeof head.sha === 'string' && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(head.sha) ? head.sha : undefined;
  const repository = typeof head.repo?.full_name === 'string' ? head.repo.full_name : undefined;
  return { sha, repository };
}

/**
 * True for a run of a push to the repository's default branch (the event's
 * `repository.default_branch`): the one scope whose Actions cache entries every pull request restores.
 */
export function isDefaultBranchPush(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.GITHUB_EVENT_NAME !== 'push' || !env.GITHUB_REF) return false;
  const branch = eventPayload<{ repository?: { default_branch?: unknown } }>(env)?.repository?.default_branch;
  return typeof branch === 'string' && env.GITHUB_REF === `refs/heads/${branch}`;
}

function localUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
