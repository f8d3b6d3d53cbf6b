import { readFile } from 'node:fs/promises';
import { FileError, KarooError, type Progress, silentProgress } from '@karoo/common';
import { type GitHubClient, type StickyResult, explainGitHubError, upsertStickyComment } from './github.js';
import type { EvidenceInfo, Report } from './model.js';
import { parseReport } from './parse.js';
import { COMMENT_LIMIT, renderMarkdown } from './render.js';

/** What a `workflow_run` event says about the run that triggered it (GitHub wrote it, not the fork). */
export interface WorkflowRunFacts {
  /** The run's id: the only link karoo makes to it is `${server}/${repository}/actions/runs/${id}`. */
  readonly id: number;
  /** The event that started that run: only `pull_request` runs are reported. */
  readonly event: string;
  readonly headSha: string;
  readonly headBranch: string;
  /** `owner/repo` of the head branch: a fork's, or this repository's. */
  readonly headRepository: string;
}

/**
 * Reads the triggering run from a `workflow_run` event payload. Everything comes from GitHub's
 * own event, nothing from the run's artifacts; a payload without these fields is refused.
 */
export function workflowRunFromEvent(eventName: string, payload: Record<string, unknown>): WorkflowRunFacts {
  if (eventName !== 'workflow_run') {
    throw new KarooError(
      'input',
      `from-workflow-run needs a workflow_run event, not ${eventName}; run this step in a workflow triggered by workflow_run`,
    );
  }
  const run = payload.workflow_run as Record<string, unknown> | undefined;
  const headRepo = (run?.head_repository as { full_name?: unknown } | undefined)?.full_name;
  if (
    !run ||
    typeof run.id !== 'number' ||
    typeof run.event !== 'string' ||
    typeof run.head_sha !== 'string' ||
    !/^[0-9a-f]{40}$/.test(run.head_sha) ||
    typeof run.head_branch !== 'string' ||
    typeof headRepo !== 'string' ||
    !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(headRepo)
  ) {
    throw new KarooError('input', 'the workflow_run event lacks the run id, event, head sha, head branch or head repository');
  }
  return { id: run.id, event: run.event, headSha: run.head_sha, headBranch: run.head_branch, headRepository: headRepo };
}

export interface RunPullRequest {
  readonly number: number;
  readonly baseSha: string;
  readonly fork: boolean;
}

/**
 * The pull request a `pull_request` run was for, found from the run itself: the open pull
 * requests of this repository whose head is the run's head repository and branch, kept only
 * when the head commit GitHub reports for the pull request now is the run's head commit.
 * Undefined when none is (the head moved on since: a newer run reports), or when several are.
 */
export async function pullRequestOfRun(
  gh: GitHubClient,
  repo: { owner: string; repo: string },
  run: WorkflowRunFacts,
): Promise<RunPullRequest | undefined> {
  const headOwner = run.headRepository.split('/')[0]!;
  let pulls: Awaited<ReturnType<typeof gh.rest.pulls.list>>['data'];
  try {
    pulls = await gh.paginate(gh.rest.pulls.list, { ...repo, state: 'open', head: `${headOwner}:${run.headBranch}`, per_page: 100 });
  } catch (e) {
    throw explainGitHubError(e, 'list the pull requests of the run', { ...repo, number: 0 });
  }
  const here = `${repo.owner}/${repo.repo}`.toLowerCase();
  const matches = pulls.filter(
    (p) =>
      p.head.sha === run.headSha &&
      p.head.ref === run.headBranch &&
      p.head.repo?.full_name.toLowerCase() === run.headRepository.toLowerCase() &&
      p.base.repo.full_name.toLowerCase() === here,
  );
  if (matches.length !== 1) return undefined;
  const pr = matches[0]!;
  return { number: pr.number, baseSha: pr.base.sha, fork: run.headRepository.toLowerCase() !== here };
}

/** Keeps a run link only when it points at a run of this repository on this GitHub. */
export function trustedRunUrl(url: string | undefined, serverUrl: string, repository: string): string | undefined {
  if (!url) return undefined;
  const base = `${serverUrl.replace(/\/+$/, '')}/${repository}/actions/runs/`;
  if (!url.toLowerCase().startsWith(base.toLowerCase())) return undefined;
  return /^[0-9]+(\/attempts\/[0-9]+)?\/?$/.test(url.slice(base.length)) ? url : undefined;
}

export interface WorkflowRunCommentOptions {
  readonly gh: GitHubClient;
  readonly owner: string;
  readonly repo: string;
  /** `GITHUB_SERVER_URL`. */
  readonly serverUrl: string;
  readonly eventName: string;
  readonly payload: Record<string, unknown>;
  /** The triggering run's report.json (from its artifact): read as claims, trusted in no way. Nothing else of the artifact is read. */
  readonly reportFile: string;
  /** The candidate's acceptance evidence as the store has it (evidence referrers), never the artifact's. */
  readonly evidenceFor: (candidate: string) => Promise<EvidenceInfo[]>;
  /** What each environment runs, from the store; absent: no environments section. */
  readonly environments?: (() => Promise<Report['environments']>) | undefined;
  readonly marker: string;
  readonly progress?: Progress | undefined;
}

export type WorkflowRunCommentResult =
  | ({ readonly posted: true; readonly number: number; readonly markdown: string } & StickyResult)
  | { readonly posted: false; readonly message: string };

/**
 * Posts the report of a fork's `pull_request` run from a `workflow_run` workflow — the way fork
 * pull requests get their comment — trusting nothing the run uploaded (a run of this
 * repository's own branch is left alone: its report job has commented):
 * - the pull request is found from the event (head repository, branch and commit, checked
 *   against the pull request's head through the API), never from the artifact;
 * - the candidate digest and the lock diff are shown as claims of that run;
 * - acceptance evidence and environments are read from the store, and every run link must
 *   point at a run of this repository; the run itself is linked by the event's run id.
 */
export async function commentFromWorkflowRun(o: WorkflowRunCommentOptions): Promise<WorkflowRunCommentResult> {
  const progress = o.progress ?? silentProgress;
  const run = workflowRunFromEvent(o.eventName, o.payload);
  const repository = `${o.owner}/${o.repo}`;
  if (run.event !== 'pull_request')
    return { posted: false, message: `run ${run.id} was started by ${run.event}, not pull_request: nothing to comment on` };
  // A run of this repository's own branch has a write token: its report job has posted the
  // full comment already, which this one (claims only, no store diff) must not replace.
  if (run.headRepository.toLowerCase() === repository.toLowerCase())
    return {
      posted: false,
      message: `run ${run.id} is for a branch of ${repository} itself, whose report job comments with its own token: nothing is posted here (this workflow is for pull requests from forks; give its job the condition of workflows-templates/karoo-report-comment.yml)`,
    };
  const pr = await pullRequestOfRun(o.gh, { owner: o.owner, repo: o.repo }, run);
  if (!pr) {
    return {
      posted: false,
      message: `no single open pull request of ${repository} has ${run.headRepository}:${run.headBranch} at ${run.headSha} as its head (it moved on, or was closed): nothing is posted`,
    };
  }
  const claimed = parseReport(await readJsonFile(o.reportFile), o.reportFile);
  const runUrl = `${o.serverUrl.replace(/\/+$/, '')}/${repository}/actions/runs/${run.id}`;
  const evidence = claimed.candidate ? await o.evidenceFor(claimed.candidate.digest) : [];
  const environments = o.environments ? await o.environments() : [];
  const report: Report = {
    ...claimed,
    // The store's word on the candidate, not the run's: where it is and whether it existed is unknown here.
    candidate: claimed.candidate && { digest: claimed.candidate.digest, ref: null, status: 'unknown' },
    evidence: evidence.map((e) => ({ ...e, runUrl: trustedRunUrl(e.runUrl, o.serverUrl, repository) })),
    environments: environments.map((e) => ({
      ...e,
      same: e.candidate && claimed.candidate ? e.candidate === claimed.candidate.digest : null,
      diff: null,
    })),
    claims: { runUrl, headRepository: run.headRepository, headSha: run.headSha },
  };
  const { markdown } = renderMarkdown(report, {
    marker: o.marker,
    limit: COMMENT_LIMIT,
    fullReportHint: `The report of the pull request's run is in its [job summary](${runUrl}).`,
  });
  const posted = await upsertStickyComment(o.gh, { owner: o.owner, repo: o.repo, number: pr.number }, o.marker, markdown, progress);
  return { posted: true, number: pr.number, markdown, ...posted };
}

async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new FileError(file, undefined, `cannot read a report from it (${(e as Error).message})`);
  }
}
