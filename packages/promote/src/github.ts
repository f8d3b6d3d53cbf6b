import { type Digest, KarooError, type Progress } from '@karoo/common';
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

/** One place in an environment's history, to be taken by one record. */
export interface SequenceClaim {
  readonly environment: string;
  /** 1 for the environment's first promotion. */
  readonly sequence: number;
  /** The record that takes the place (already in the store). */
  readonly record: Digest;
  readonly candidate: Digest;
  /** The store the history lives in (named in the claim, for people reading the ref). */
  readonly store: string;
  /** The commit (or branch) the claim's tag object points at: the run's commit. */
  readonly commit: string;
}

/** `won`: this record holds the place; otherwise the record that does (undefined when it cannot be read). */
export type SequenceOutcome = { readonly won: true } | { readonly won: false; readonly record: Digest | undefined; readonly ref: string };

/** The GitHub side of a promotion: the Deployment (one, statuses as it proceeds), and the atomic claim of a history place. */
export interface DeploymentTracker {
  create(request: DeploymentRequest): Promise<DeploymentHandle>;
  status(
    deployment: DeploymentHandle,
    state: DeploymentState,
    detail: { description: string; logUrl?: string | undefined; environmentUrl?: string | undefined },
  ): Promise<void>;
  /**
   * Claims a place in an environment's history by creating the git ref
   * `refs/karoo/<environment>/<sequence>` (pointing at a tag object that names the record):
   * GitHub creates a ref only when it does not exist, so of two claims of one place exactly one
   * wins. The compare-and-swap a registry store does not have.
   */
  claimSequence?(claim: SequenceClaim): Promise<SequenceOutcome>;
  /** The record that holds place `sequence` of an environment's history, or undefined when the place is free. */
  readSequence?(environment: string, sequence: number): Promise<{ record: Digest | undefined } | undefined>;
}

/** The git ref that holds place `sequence` of an environment's history. */
export function sequenceRef(environment: string, sequence: number): string {
  return `refs/karoo/${environment}/${sequence}`;
}

const RECORD_LINE = /^record: (sha256:[0-9a-f]{64})$/m;

export interface GitHubDeploymentsOptions {
  readonly token: string;
  /** `owner/repo`. */
  readonly repository: string;
  /** API root (GITHUB_API_URL; a local stand-in in tests). */
  readonly baseUrl?: string | undefined;
  readonly progress?: Progress | undefined;
  readonly client?: GitHubClient | undefined;
}

function explain(e: unknown, what: string, repository: string, permission = 'deployments: write', why = ''): KarooError {
  const status = (e as { status?: number }).status;
  const message = (
    (e as { response?: { data?: { message?: string } } }).response?.data?.message ??
    (e as Error).message ??
    String(e)
  ).split('\n')[0];
  if (status === 401 || status === 403) {
    return new KarooError(
      'input',
      `GitHub refused to ${what} in ${repository} (${status}: ${message}); the job needs \`permissions: ${permission}\`${why}`,
      { cause: e },
    );
  }
  if (status === 404)
    return new KarooError(
      'input',
      `GitHub cannot find ${repository} to ${what} (404); check the repository and that the token can see it`,
      { cause: e },
    );
  if (status === 422) return new KarooError('input', `GitHub rejected the request to ${what} in ${repository}: ${message}`, { cause: e });
  return new KarooError('unavailable', `could not ${what} in ${repository}: ${message}`, { cause: e });
}

/** Deployments through the REST API (`@actions/github`), with GitHub's rate limits waited out. */
export function githubDeployments(options: GitHubDeploymentsOptions): DeploymentTracker {
  const [owner, repo] = options.repository.split('/');
  if (!owner || !repo || options.repository.split('/').length !== 2) {
    throw new KarooError('input', `GitHub repository "${options.repository}" is not OWNER/REPO`);
  }
  const [o, r] = [owner, repo] as [string, string];
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
        throw new KarooError(
          'unavailable',
          `GitHub did not create a deployment for ${r.environment} (${res.status}: ${JSON.stringify(res.data).slice(0, 200)})`,
        );
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
    async claimSequence(c) {
      const ref = sequenceRef(c.environment, c.sequence);
      const what = `create ${ref} (karoo's lock on place ${c.sequence} of ${c.environment}'s history)`;
      const permission = 'contents: write';
      const why = ' (karoo claims each place in a history as a git ref: a registry has no compare-and-swap)';
      let commit = c.commit;
      if (!/^[0-9a-f]{40}$/.test(commit)) {
        try {
          commit = (await gh.rest.git.getRef({ owner, repo, ref: `heads/${commit}` })).data.object.sha;
        } catch (e) {
          throw explain(e, `find branch ${c.commit} for ${ref}`, options.repository, permission, why);
        }
      }
      let tagSha: string;
      try {
        const message = [
          `karoo promotion: place ${c.sequence} of ${c.environment}`,
          '',
          `environment: ${c.environment}`,
          `sequence: ${c.sequence}`,
          `record: ${c.record}`,
          `candidate: ${c.candidate}`,
          `store: ${c.store}`,
          '',
        ].join('\n');
        tagSha = (
          await gh.rest.git.createTag({ owner, repo, tag: `karoo/${c.environment}/${c.sequence}`, message, object: commit, type: 'commit' })
        ).data.sha;
      } catch (e) {
        throw explain(e, what, options.repository, permission, why);
      }
      try {
        await gh.rest.git.createRef({ owner, repo, ref, sha: tagSha });
        return { won: true };
      } catch (e) {
        if ((e as { status?: number }).status !== 422) throw explain(e, what, options.repository, permission, why);
        // 422: the ref exists (or the request was bad). Read who holds the place; it may be
        // this very claim, when an earlier attempt was created but its answer lost.
        const holder = await readClaim(ref).catch(() => undefined);
        if (!holder) throw explain(e, what, options.repository, permission, why);
        if (holder.record === c.record) return { won: true };
        return { won: false, record: holder.record, ref };
      }
    },
    async readSequence(environment, sequence) {
      const ref = sequenceRef(environment, sequence);
      try {
        return await readClaim(ref);
      } catch (e) {
        throw explain(e, `read ${ref}`, options.repository, 'contents: read');
      }
    },
  };

  async function readClaim(ref: string): Promise<{ record: Digest | undefined } | undefined> {
    let found;
    try {
      found = await gh.rest.git.getRef({ owner: o, repo: r, ref: ref.replace(/^refs\//, '') });
    } catch (e) {
      if ((e as { status?: number }).status === 404) return undefined;
      throw e;
    }
    const object = found.data.object;
    if (object.type !== 'tag') return { record: undefined };
    const tag = await gh.rest.git.getTag({ owner: o, repo: r, tag_sha: object.sha });
    return { record: RECORD_LINE.exec(tag.data.message)?.[1] as Digest | undefined };
  }
}
