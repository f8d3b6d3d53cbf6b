/**
 * Webhook payloads for the events the runner starts runs for, and what GitHub derives from them:
 * github.ref, github.sha, github.head_ref/base_ref. Payloads carry the fields workflows and
 * @actions/github's `context` read; tests may pass any payload of their own instead.
 */

export interface RepoInfo {
  readonly full_name: string;
  readonly name: string;
  readonly owner: { login: string; id: number; type: string };
  readonly id: number;
  readonly default_branch: string;
  readonly private: boolean;
  readonly fork: boolean;
  readonly html_url: string;
}

export function repoInfo(
  fullName: string,
  options: { id?: number; defaultBranch?: string; private?: boolean; fork?: boolean } = {},
): RepoInfo {
  const [owner, name] = fullName.split('/') as [string, string];
  return {
    full_name: fullName,
    name,
    owner: { login: owner, id: 1000, type: 'Organization' },
    id: options.id ?? 100,
    default_branch: options.defaultBranch ?? 'main',
    private: options.private ?? false,
    fork: options.fork ?? false,
    html_url: `https://github.com/${fullName}`,
  };
}

export const events = {
  /** A pull request; `headRepo` other than `repository` makes it a pull request from a fork. */
  pullRequest(o: {
    repository: string;
    number: number;
    headSha: string;
    baseSha?: string;
    headRef?: string;
    baseRef?: string;
    headRepo?: string;
    /** The repository is itself a fork of another (its `fork` field: true for its own branches' pull requests too). */
    repositoryIsFork?: boolean;
    /** The merge commit GitHub would test (github.sha); default headSha. */
    mergeSha?: string;
    action?: string;
    title?: string;
    user?: string;
  }): Record<string, unknown> {
    const base = repoInfo(o.repository, { fork: o.repositoryIsFork ?? false });
    const head =
      o.headRepo && o.headRepo.toLowerCase() !== o.repository.toLowerCase() ? repoInfo(o.headRepo, { id: 200, fork: true }) : base;
    return {
      action: o.action ?? 'synchronize',
      number: o.number,
      pull_request: {
        number: o.number,
        title: o.title ?? `Pull request ${o.number}`,
        state: 'open',
        user: { login: o.user ?? 'contributor', id: 2000, type: 'User' },
        html_url: `https://github.com/${o.repository}/pull/${o.number}`,
        merge_commit_sha: o.mergeSha ?? o.headSha,
        head: { ref: o.headRef ?? 'topic', sha: o.headSha, label: `${head.owner.login}:${o.headRef ?? 'topic'}`, repo: head },
        base: {
          ref: o.baseRef ?? base.default_branch,
          sha: o.baseSha ?? '0'.repeat(40),
          label: `${base.owner.login}:${o.baseRef ?? base.default_branch}`,
          repo: base,
        },
      },
      repository: base,
      sender: { login: o.user ?? 'contributor', id: 2000, type: 'User' },
    };
  },

  push(o: { repository: string; ref?: string; after: string; before?: string; user?: string }): Record<string, unknown> {
    return {
      ref: o.ref ?? 'refs/heads/main',
      before: o.before ?? '0'.repeat(40),
      after: o.after,
      head_commit: { id: o.after, message: 'commit' },
      repository: repoInfo(o.repository),
      sender: { login: o.user ?? 'octocat', id: 1, type: 'User' },
    };
  },

  /** Inputs as the dispatch form sends them: strings (`'true'` for a boolean). */
  workflowDispatch(o: {
    repository: string;
    inputs?: Record<string, string | boolean | number>;
    ref?: string;
    workflow?: string;
    user?: string;
  }): Record<string, unknown> {
    return {
      inputs: Object.fromEntries(Object.entries(o.inputs ?? {}).map(([k, v]) => [k, String(v)])),
      ref: o.ref ?? 'refs/heads/main',
      workflow: o.workflow ?? '.github/workflows/workflow.yml',
      repository: repoInfo(o.repository),
      sender: { login: o.user ?? 'octocat', id: 1, type: 'User' },
    };
  },

  /**
   * A merge queue's group (`merge_group`, action `checks_requested`): GitHub made `headSha`, the
   * base branch with the queued pull requests merged, on `refs/heads/gh-readonly-queue/<base>/pr-<n>-<head sha>`.
   */
  mergeGroup(o: {
    repository: string;
    number: number;
    headSha: string;
    prHeadSha: string;
    baseSha: string;
    baseRef?: string;
  }): Record<string, unknown> {
    const base = o.baseRef ?? 'main';
    return {
      action: 'checks_requested',
      merge_group: {
        head_sha: o.headSha,
        head_ref: `refs/heads/gh-readonly-queue/${base}/pr-${o.number}-${o.prHeadSha}`,
        base_sha: o.baseSha,
        base_ref: `refs/heads/${base}`,
        head_commit: { id: o.headSha, message: `Merge pull request #${o.number}` },
      },
      repository: repoInfo(o.repository),
      sender: { login: 'github-merge-queue[bot]', id: 3, type: 'Bot' },
    };
  },

  /** A completed run of another workflow (e.g. a fork's pull request run). */
  workflowRun(o: {
    repository: string;
    id: number;
    name?: string;
    conclusion?: string;
    event?: string;
    headSha: string;
    headBranch?: string;
    headRepo?: string;
    pullRequests?: Array<{ number: number }>;
    action?: string;
  }): Record<string, unknown> {
    const repo = repoInfo(o.repository);
    const headRepo = o.headRepo && o.headRepo !== o.repository ? repoInfo(o.headRepo, { id: 200, fork: true }) : repo;
    return {
      action: o.action ?? 'completed',
      workflow_run: {
        id: o.id,
        name: o.name ?? 'candidate',
        event: o.event ?? 'pull_request',
        status: 'completed',
        conclusion: o.conclusion ?? 'success',
        head_sha: o.headSha,
        head_branch: o.headBranch ?? 'topic',
        head_repository: headRepo,
        repository: repo,
        run_number: 1,
        run_attempt: 1,
        html_url: `https://github.com/${o.repository}/actions/runs/${o.id}`,
        pull_requests: (o.pullRequests ?? []).map((p) => ({
          number: p.number,
          head: { sha: o.headSha, ref: o.headBranch ?? 'topic' },
          base: { ref: repo.default_branch },
        })),
      },
      repository: repo,
      sender: { login: 'octocat', id: 1, type: 'User' },
    };
  },
};

/** github.ref, github.sha, github.head_ref, github.base_ref for an event, as GitHub sets them. */
export function refsFor(
  event: string,
  payload: Record<string, unknown>,
  fallbackSha: () => string,
  defaultBranch: string,
): { ref: string; sha: string; headRef: string; baseRef: string } {
  const pr = payload.pull_request as
    { number: number; merge_commit_sha?: string; head: { ref: string; sha: string }; base: { ref: string } } | undefined;
  switch (event) {
    case 'pull_request':
      if (!pr) break;
      return { ref: `refs/pull/${pr.number}/merge`, sha: pr.merge_commit_sha ?? pr.head.sha, headRef: pr.head.ref, baseRef: pr.base.ref };
    case 'pull_request_target':
      if (!pr) break;
      return { ref: `refs/heads/${pr.base.ref}`, sha: fallbackSha(), headRef: pr.head.ref, baseRef: pr.base.ref };
    case 'push':
      return {
        ref: String(payload.ref ?? `refs/heads/${defaultBranch}`),
        sha: String(payload.after ?? fallbackSha()),
        headRef: '',
        baseRef: '',
      };
    case 'workflow_dispatch':
      return { ref: String(payload.ref ?? `refs/heads/${defaultBranch}`), sha: fallbackSha(), headRef: '', baseRef: '' };
    case 'merge_group': {
      const g = payload.merge_group as { head_ref?: string; head_sha?: string } | undefined;
      if (!g?.head_ref || !g.head_sha) break;
      return { ref: g.head_ref, sha: g.head_sha, headRef: '', baseRef: '' };
    }
    default:
      break;
  }
  return { ref: `refs/heads/${defaultBranch}`, sha: fallbackSha(), headRef: '', baseRef: '' };
}

/** True when the event is a pull request whose head lives in another repository (a fork). */
export function isForkPullRequest(event: string, payload: Record<string, unknown>): boolean {
  if (event !== 'pull_request') return false;
  const pr = payload.pull_request as { head?: { repo?: { full_name?: string } }; base?: { repo?: { full_name?: string } } } | undefined;
  const head = pr?.head?.repo?.full_name;
  const base = pr?.base?.repo?.full_name;
  return !!head && !!base && head.toLowerCase() !== base.toLowerCase();
}
