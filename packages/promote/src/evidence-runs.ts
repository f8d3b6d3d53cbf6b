import { KarooError, type Progress } from '@karoo/common';
import { DEFAULT_EVIDENCE_WORKFLOW } from '@karoo/config';
import { createGitHubClient, type GitHubClient } from '@karoo/report';
import type { EvidenceRunRef, RunVerifier } from './gate.js';

export interface GitHubRunVerifierOptions {
  readonly token: string;
  /** `owner/repo`: the repository the promotion runs in. */
  readonly repository: string;
  /** Workflow files whose runs may produce evidence (karoo.yml `acceptance.workflows`), e.g. `.github/workflows/karoo-candidate.yml`. */
  readonly workflows: readonly string[];
  /** API root (GITHUB_API_URL; a local stand-in in tests). */
  readonly baseUrl?: string | undefined;
  readonly progress?: Progress | undefined;
  readonly client?: GitHubClient | undefined;
}

/**
 * Checks an evidence record's run through the REST API (`GET /repos/{owner}/{repo}/actions/runs/{run_id}`):
 * the run must exist in this repository, be a run of one of the candidate workflows (its `path`),
 * run this repository's code (not a fork's), have concluded with `success`, and be on the commit
 * the evidence names. The token needs `actions: read` (without it no evidence counts, and the
 * refusal says so). Answers are cached per run; an API that cannot be reached throws.
 */
export function githubRunVerifier(options: GitHubRunVerifierOptions): RunVerifier {
  const parts = options.repository.split('/');
  const [owner, repo] = parts;
  if (parts.length !== 2 || !owner || !repo) throw new KarooError('input', `GitHub repository "${options.repository}" is not OWNER/REPO`);
  const workflows = options.workflows.map((w) => w.replace(/^\.?\//, ''));
  let gh: GitHubClient | undefined = options.client;
  return async (run: EvidenceRunRef | undefined) => {
    if (!run?.runId) {
      return `it names no GitHub Actions run (made outside GitHub Actions); a promotion inside GitHub Actions counts only evidence from a run of ${workflows.join(' or ')}`;
    }
    if (!/^[0-9]{1,20}$/.test(run.runId)) return `its run id "${run.runId}" is not a run number`;
    if (run.repository && run.repository.toLowerCase() !== options.repository.toLowerCase()) {
      return `its run ${run.runId} belongs to ${run.repository}, not ${options.repository}`;
    }
    gh ??= createGitHubClient({ token: options.token, baseUrl: options.baseUrl, progress: options.progress });
    let data: {
      path?: string | null;
      status?: string | null;
      conclusion?: string | null;
      head_sha?: string;
      head_repository?: { full_name?: string } | null;
    };
    try {
      data = (await gh.rest.actions.getWorkflowRun({ owner, repo, run_id: Number(run.runId) })).data;
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 404) return `its run ${run.runId} does not exist in ${options.repository}`;
      // Unverifiable is not verified: the evidence does not count, and the reason says what to grant.
      if (status === 401 || status === 403) {
        return `GitHub refused to show its run ${run.runId} (${status}); give the job \`permissions: actions: read\` so karoo can check where evidence came from`;
      }
      throw new KarooError(
        'unavailable',
        `could not read run ${run.runId} of ${options.repository}: ${(e as Error).message?.split('\n')[0] ?? String(e)}`,
        { cause: e },
      );
    }
    const path = (data.path ?? '').split('@')[0]!;
    if (!workflows.includes(path)) {
      return `its run ${run.runId} is a run of ${path || 'an unknown workflow'}, not of the candidate workflow (${workflows.join(', ')}; karoo.yml acceptance.workflows)`;
    }
    const head = data.head_repository?.full_name;
    if (!head || head.toLowerCase() !== options.repository.toLowerCase()) {
      return `its run ${run.runId} ran the code of ${head ?? 'an unknown repository'} (a fork), not of ${options.repository}`;
    }
    if (data.status !== 'completed') return `its run ${run.runId} has not completed (${data.status ?? 'unknown'})`;
    if (data.conclusion !== 'success') return `its run ${run.runId} concluded ${data.conclusion ?? 'without a conclusion'}, not success`;
    // GitHub reports a pull_request run's head commit as its head_sha, not the merge commit
    // (GITHUB_SHA) the run tested: the evidence names both for such a run.
    const claimed = run.headCommit ?? run.commit;
    if (claimed && data.head_sha && claimed !== data.head_sha) {
      return `it says its run was on ${claimed}, but run ${run.runId} ran ${data.head_sha}`;
    }
    return undefined;
  };
}

/**
 * The run check of a promotion, from the runner's environment: inside GitHub Actions
 * (`GITHUB_ACTIONS=true`) a githubRunVerifier for GITHUB_REPOSITORY with `token`, accepting runs
 * of `config`'s `acceptance.workflows` (default `.github/workflows/karoo-candidate.yml`; pass the
 * default branch's karoo.yml, which a branch cannot change); elsewhere undefined (a local
 * promotion trusts the store it was given). Without a token or repository inside Actions, the
 * verifier refuses to guess: it fails when asked, naming what is missing.
 */
export function evidenceRunVerifierFromEnv(options: {
  readonly token: string | undefined;
  readonly config: { readonly acceptance?: { readonly workflows?: readonly string[] | undefined } | undefined };
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly progress?: Progress | undefined;
}): RunVerifier | undefined {
  const env = options.env ?? process.env;
  if (env.GITHUB_ACTIONS !== 'true') return undefined;
  const repository = env.GITHUB_REPOSITORY;
  const missing = !repository ? 'GITHUB_REPOSITORY is not set' : !options.token ? 'no GitHub token was given' : undefined;
  if (missing) {
    return async () => {
      throw new KarooError(
        'input',
        `inside GitHub Actions a promotion asks the API which run produced its evidence, but ${missing}; pass the github-token (GITHUB_TOKEN for the CLI) with actions: read`,
      );
    };
  }
  return githubRunVerifier({
    token: options.token!,
    repository: repository!,
    baseUrl: env.GITHUB_API_URL,
    workflows: options.config.acceptance?.workflows ?? [DEFAULT_EVIDENCE_WORKFLOW],
    progress: options.progress,
  });
}
