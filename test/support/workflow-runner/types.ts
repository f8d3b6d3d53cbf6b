/** The workflow runner's public types: what a test passes in and what it gets back. */
import type { GitHubStandin, RecordedRequest } from '@karoo/github-standin';
import type { Annotation } from './log.js';

/** A job's, step's or run's result, GitHub's words. */
export type Conclusion = 'success' | 'failure' | 'cancelled' | 'skipped';

/** GITHUB_TOKEN permission levels by scope (`contents`, `issues`, `pull-requests`, …). */
export type TokenPermissions = Record<string, 'read' | 'write'>;

/** An environment's settings and protection rules (GitHub keeps these in the repository's settings). */
export interface EnvironmentSettings {
  readonly secrets?: Record<string, string>;
  readonly vars?: Record<string, string>;
  /** Deployment branch/tag policy: glob patterns of refs (`main`, `release/*`, `v*`) allowed to deploy. */
  readonly branches?: readonly string[];
  /** Required reviewers: the decision they make. Default: no reviewers. */
  readonly reviewers?: 'approve' | 'reject';
}

export interface RunOptions {
  /** Local git repository holding the workflow (the repository the run belongs to). */
  readonly repo: string;
  /** `owner/name` of that repository. Default: the payload's `repository.full_name`, else the key of `repos` that maps to `repo`. */
  readonly repository?: string;
  /** Path of the workflow file inside the repository, e.g. `.github/workflows/ci.yml`. */
  readonly workflow: string;
  /** Commit the run is for (github.sha). Default: the event's commit, else HEAD of `repo`. */
  readonly sha?: string;
  /** github.ref. Default: derived from the event. */
  readonly ref?: string;
  readonly event:
    'pull_request' | 'pull_request_target' | 'push' | 'workflow_dispatch' | 'workflow_run' | 'workflow_call' | 'schedule' | string;
  /** The webhook payload (github.event). See `events` for builders. */
  readonly payload?: Record<string, unknown>;
  /** Repository secrets (not given to pull requests from forks). */
  readonly secrets?: Record<string, string>;
  /** Repository variables. */
  readonly vars?: Record<string, string>;
  /** Environments by name, with their secrets, variables and protection rules. */
  readonly environments?: Record<string, EnvironmentSettings>;
  /** Other repositories by `owner/name` → local git directory, for `uses: owner/name…@ref` and checkout. */
  readonly repos?: Record<string, string>;
  /** The GitHub API stand-in: GITHUB_API_URL, and every job's GITHUB_TOKEN is registered with it. */
  readonly github?: GitHubStandin;
  /** Default GITHUB_TOKEN permissions when a workflow has no `permissions:` (GitHub's repository setting). Default `restricted`. */
  readonly defaultPermissions?: 'restricted' | 'permissive';
  /** github.actor. Default `octocat`. */
  readonly actor?: string;
  /** Extra environment for every step (e.g. PATH additions on the test machine). */
  readonly env?: Record<string, string>;
  /** Called with each log line as it is produced (masked), e.g. to print progress. */
  readonly onLog?: (job: string, line: string) => void;
  /**
   * Start, as GitHub does once this run has completed, every workflow of the default branch
   * whose `on.workflow_run` names this workflow (type `completed`, `branches` matching), with the
   * repository's secrets and variables given here (a fork's run has none; the run it triggers
   * has the repository's). The runs it starts trigger nothing further. See RunResult.triggered.
   */
  readonly followWorkflowRun?: { readonly secrets?: Record<string, string>; readonly vars?: Record<string, string> };
}

export interface StepResult {
  /** The step's `id`, or the id GitHub generates (`__run`, `__actions_checkout`, …). */
  readonly id: string;
  readonly name: string;
  /** Before `continue-on-error`. */
  readonly outcome: Conclusion;
  /** After `continue-on-error`. */
  readonly conclusion: Conclusion;
  readonly outputs: Record<string, string>;
  /** Masked log of the step. */
  readonly log: string;
  readonly annotations: readonly Annotation[];
  /** `pre`/`post` steps of JavaScript actions appear as their own entries. */
  readonly stage: 'pre' | 'main' | 'post';
  /** Wall-clock milliseconds from the step's start (its condition evaluated) to its end: for benchmarks, never for assertions. */
  readonly ms: number;
}

export interface JobResult {
  /** Key in `RunResult.jobs`: the job id, `caller/callee` inside reusable workflows, `id (a, b)` for matrix legs. */
  readonly key: string;
  readonly jobId: string;
  readonly name: string;
  /** The job's conclusion (what `needs.<id>.result` shows): success for a failed job with `continue-on-error: true`. */
  readonly result: Conclusion;
  /** Before the job's `continue-on-error`. */
  readonly outcome: Conclusion;
  readonly outputs: Record<string, string>;
  readonly steps: StepResult[];
  /** Masked log of the whole job. */
  readonly log: string;
  readonly summary: string;
  readonly matrix?: Record<string, unknown>;
  readonly environment?: string;
  /** The scopes of the job's GITHUB_TOKEN. */
  readonly permissions: TokenPermissions;
  /** The job's GITHUB_TOKEN (registered with the stand-in). */
  readonly token: string;
  readonly annotations: readonly Annotation[];
  /** Set for a job a re-run of failed jobs did not run again: the attempt whose result and outputs it keeps. */
  readonly fromAttempt?: number;
}

export interface RunResult {
  readonly runId: number;
  /** `github.run_attempt`: 1, then one more for each re-run (WorkflowRunner.rerun). */
  readonly attempt: number;
  readonly conclusion: Conclusion;
  readonly jobs: Record<string, JobResult>;
  /** Empty for a run started by an event; a called workflow's outputs are its caller job's `outputs`. */
  readonly outputs: Record<string, string>;
  /** Artifacts of this run: one directory per artifact name. */
  readonly artifactsDir: string;
  /** Requests made to the stand-in with this run's tokens. */
  readonly requests: RecordedRequest[];
  /** Masked log of every job, in order of completion. */
  readonly log: string;
  /** Secrets the masker had to hide from a log or summary, or that an output held (see Masker.masked): none, when karoo keeps its secrets. */
  readonly masked: readonly string[];
  /** Why the run did not start or was cancelled (concurrency, a refused dispatch), if so. */
  readonly reason?: string;
  /** The workflow's `name:` (else its path), as `on.workflow_run.workflows` names it. */
  readonly workflowName: string;
  /** What GitHub reports as the run's head: the pull request's head for a pull request run, else the run's commit and branch. */
  readonly head: { readonly sha: string; readonly branch: string; readonly repository: string };
  /** The `workflow_run` runs this run started when it completed (RunOptions.followWorkflowRun). */
  readonly triggered?: readonly RunResult[];
}
