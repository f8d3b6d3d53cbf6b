import { KarooError, type Progress } from '@karoo/common';
import { createGitHubClient, type GitHubClient } from '@karoo/report';

export type DeploymentState = 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

export interface DeploymentRequest {
  /** GitHub Environment name. */
  readonly environment: string;
  /** The commit the run is on: GitHub wants a ref; the release itself is the candidate in the payload. */
  readonly ref: string;
  readonly payload: Record<string, unknown>;
  readonly description: string;
  readonly production: boolean;
}

export interface DeploymentHandle {
  readonly id: number;
  /** The deployment's API URL. */
  readonly url: string;
}

/** The GitHub Deployments a promotion records (one deployment, statuses as it proceeds). */
export interface DeploymentTracker {
  create(request: DeploymentRequest): Promise<DeploymentHandle>;
  status(deployment: DeploymentHandle, state: DeploymentState, detail: { description: string; logUrl?: string | undefined; environmentUrl?: string | undefined }): Promise<void>;
}

export interface GitHubDeploymentsOptions {
  readonly token: string;
  /** `owner/repo`. */
  readonly repository: string;
  /** API root (GITHUB_API_URL; a local stand-in in tests). */
  readonly baseUrl?: string | undefined;
  readonly progress?: Progress | undefined;
  readonly client?: GitHubClient | undefined;
}

function explain(e: unknown, what: string, repository: string): KarooError {
  const status = (e as { status?: number }).status;
  const message = ((e as { response?: { data?: { message?: string } } }).response?.data?.message ?? (e as Error).message ?? String(e)).split('\n')[0];
  if (status === 401 || status === 403) {
    return new KarooError('input', `GitHub refused to ${what} in ${repository} (${status}: ${message}); the job needs \`permissions: deployments: write\``, { cause: e });
  }
  if (status === 404) return new KarooError('input', `GitHub cannot find ${repository} to ${what} (404); check the repository and that the token can see it`, { cause: e });
  if (status === 422) return new KarooError('input', `GitHub rejected the request to ${what} in ${repository}: ${message}`, { cause: e });
  return new KarooError('unavailable', `could not ${what} in ${repository}: ${message}`, { cause: e });
}

/** Deployments through the REST API (`@actions/github`), with GitHub's rate limits waited out. */
export function githubDeployments(options: GitHubDeploymentsOptions): DeploymentTracker {
  const [owner, repo] = options.repository.split('/');
  if (!owner || !repo || options.repository.split('/').length !== 2) {
    throw new KarooError('input', `GitHub repository "${options.repository}" is not OWNER/REPO`);
  }
  const gh = options.client ?? createGitHubClient({ token: options.token, baseUrl: options.baseUrl, progress: options.progress });
  return {
    async create(r) {
      let res;
      try {
        res = await gh.rest.repos.createDeployment({
          owner,
          repo,
          ref: r.ref,
          environment: r.environment,
          payload: r.payload,
          description: r.description.slice(0, 140),
          // The gate is karoo's evidence, not commit statuses; and nothing may be merged to deploy.
          auto_merge: false,
          required_contexts: [],
          production_environment: r.production,
          transient_environment: false,
        });
      } catch (e) {
        throw explain(e, `create a deployment for ${r.environment}`, options.repository);
      }
      if (res.status !== 201 || !('id' in res.data)) {
        throw new KarooError('unavailable', `GitHub did not create a deployment for ${r.environment} (${res.status}: ${JSON.stringify(res.data).slice(0, 200)})`);
      }
      return { id: res.data.id, url: res.data.url };
    },
    async status(d, state, detail) {
      try {
        await gh.rest.repos.createDeploymentStatus({
          owner,
          repo,
          deployment_id: d.id,
          state,
          description: detail.description.slice(0, 140),
          ...(detail.logUrl ? { log_url: detail.logUrl } : {}),
          ...(detail.environmentUrl ? { environment_url: detail.environmentUrl } : {}),
        });
      } catch (e) {
        throw explain(e, `set deployment ${d.id} to ${state}`, options.repository);
      }
    },
  };
}
