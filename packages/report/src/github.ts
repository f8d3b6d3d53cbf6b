import { getOctokit } from '@actions/github';
import { KAROO_VERSION, KarooError, type Progress, silentProgress } from '@karoo/common';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';

export type GitHubClient = ReturnType<typeof getOctokit>;

export interface ClientOptions {
  readonly token: string;
  /** API root; defaults to `GITHUB_API_URL` (set by the runner), then api.github.com. */
  readonly baseUrl?: string | undefined;
  readonly progress?: Progress | undefined;
  /** Retries after a rate limit (default 3). */
  readonly maxRetries?: number | undefined;
  /** Longest wait GitHub may ask for before we give up instead (default 120 s). */
  readonly maxWaitSeconds?: number | undefined;
  /** How long one second of a wait GitHub asks for lasts (default 1000 ms; tests shorten it). */
  readonly secondMs?: number | undefined;
}

interface HttpErrorLike {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
  request?: { method?: string; url?: string };
}

function asHttpError(e: unknown): HttpErrorLike | undefined {
  if (e && typeof e === 'object' && typeof (e as { status?: unknown }).status === 'number') return e as HttpErrorLike;
  return undefined;
}

function apiMessage(e: HttpErrorLike): string {
  const data = e.response?.data as { message?: unknown } | undefined;
  return typeof data?.message === 'string' ? data.message : e.message;
}

/**
 * Seconds to wait before retrying, when GitHub said to slow down: a secondary rate limit
 * (403 or 429, `retry-after` or the message saying so) or an exhausted primary limit
 * (`x-ratelimit-remaining: 0`, wait until `x-ratelimit-reset`). Undefined for other errors.
 */
export function rateLimitWait(e: unknown, now = Date.now()): number | undefined {
  const h = asHttpError(e);
  if (!h || (h.status !== 403 && h.status !== 429)) return undefined;
  const headers = h.response?.headers ?? {};
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined && /^\d+$/.test(String(retryAfter))) return Number(retryAfter);
  if (/secondary rate limit|abuse detection/i.test(apiMessage(h))) return 60;
  if (String(headers['x-ratelimit-remaining']) === '0' && headers['x-ratelimit-reset'] !== undefined) {
    return Math.max(1, Number(headers['x-ratelimit-reset']) - Math.floor(now / 1000));
  }
  return h.status === 429 ? 60 : undefined;
}

/**
 * An Octokit for the REST API with Octokit's own plugins: `@octokit/plugin-throttling` waits
 * out primary and secondary rate limits (as long as GitHub asks, up to `maxWaitSeconds`, at most
 * `maxRetries` times) and `@octokit/plugin-retry` retries server errors. The throttling plugin's
 * pacing of writes (one a second, one every 3 s for writes that notify) is meant for bulk
 * clients; a karoo step makes a handful of writes, so it is off and only GitHub's answers pace us.
 */
export function createGitHubClient(options: ClientOptions): GitHubClient {
  if (!options.token) {
    throw new KarooError('input', 'no GitHub token: pass the `github-token` input (default `${{ github.token }}`) or set GITHUB_TOKEN');
  }
  const progress = options.progress ?? silentProgress;
  const maxRetries = options.maxRetries ?? 3;
  const maxWait = options.maxWaitSeconds ?? 120;
  const onLimit = (retryAfter: number, request: { method?: unknown; url?: unknown }, retryCount: number): boolean => {
    if (retryCount >= maxRetries || retryAfter > maxWait) return false;
    progress.warn(
      `GitHub rate-limited ${String(request.method)} ${String(request.url)}; retrying in ${retryAfter} s (attempt ${retryCount + 2} of ${maxRetries + 1})`,
    );
    return true;
  };
  const unpaced = new Bottleneck.Group();
  return getOctokit(
    options.token,
    {
      ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : {}),
      userAgent: `karoo/${KAROO_VERSION}`,
      throttle: {
        onRateLimit: (after: number, request: Record<string, unknown>, _octokit: unknown, count: number) => onLimit(after, request, count),
        onSecondaryRateLimit: (after: number, request: Record<string, unknown>, _octokit: unknown, count: number) =>
          onLimit(after, request, count),
        retryAfterBaseValue: options.secondMs ?? 1000,
        write: unpaced,
        notifications: unpaced,
      },
      // Rate limits (403, 429) are the throttling plugin's; this one retries server errors.
      retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451], retryAfterBaseValue: options.secondMs ?? 1000 },
    },
    retry,
    throttling,
  );
}

/** GitHub refused the token (401, 403) or could not find the target (404). */
export class GitHubAccessError extends KarooError {
  override name = 'GitHubAccessError';
  readonly status: number;
  /** The `permissions:` entry the job needs, when a missing one is the likely cause. */
  readonly permission: string | undefined;
  /** GitHub's own message, e.g. `Resource not accessible by integration`. */
  readonly apiMessage: string;

  constructor(status: number, message: string, apiMsg: string, permission?: string, cause?: unknown) {
    super('input', message, { cause, detail: { status, permission, apiMessage: apiMsg } });
    this.status = status;
    this.permission = permission;
    this.apiMessage = apiMsg;
  }
}

export function isGitHubAccessError(e: unknown): e is GitHubAccessError {
  return e instanceof Error && e.name === 'GitHubAccessError';
}

export interface IssueTarget {
  readonly owner: string;
  readonly repo: string;
  /** Pull request (or issue) number. */
  readonly number: number;
}

/**
 * Turns an API failure into one line that says what was refused and what to do: for
 * 401/403/404 a GitHubAccessError naming the missing permission; other failures keep
 * GitHub's message with the request.
 */
export function explainGitHubError(e: unknown, action: string, target: IssueTarget): Error {
  const h = asHttpError(e);
  if (!h) return e instanceof Error ? e : new Error(String(e));
  const msg = apiMessage(h);
  const where = `${target.owner}/${target.repo}#${target.number}`;
  const perm = 'pull-requests: write';
  if (h.status === 401) {
    return new GitHubAccessError(
      401,
      `GitHub refused the token while trying to ${action} on ${where} (401 ${msg}); pass a valid token in the \`github-token\` input`,
      msg,
      undefined,
      e,
    );
  }
  if (h.status === 403 && rateLimitWait(e) === undefined) {
    return new GitHubAccessError(
      403,
      `GitHub refused to ${action} on ${where} (403 ${msg}): the token lacks \`${perm}\`; add \`permissions: { ${perm} }\` (or \`issues: write\`) to the job, or pass a token that has it in the \`github-token\` input`,
      msg,
      perm,
      e,
    );
  }
  if (h.status === 404) {
    return new GitHubAccessError(
      404,
      `GitHub answered 404 (${msg}) when trying to ${action} on ${where}: the pull request does not exist or the token cannot see ${target.owner}/${target.repo}; check the \`pull-request\` input and give the job \`${perm}\` (and read access to the repository)`,
      msg,
      perm,
      e,
    );
  }
  return new KarooError(
    h.status >= 500 || h.status === 429 || h.status === 403 ? 'unavailable' : 'internal',
    `GitHub answered ${h.status} (${msg}) when trying to ${action} on ${where}`,
    {
      cause: e,
      detail: { status: h.status },
    },
  );
}

export interface StickyResult {
  readonly id: number;
  readonly url: string;
  /** `created`: no comment existed; `updated`: an existing one was rewritten; `unchanged`: it already said this. */
  readonly action: 'created' | 'updated' | 'unchanged';
  /** Duplicates removed (left by racing runs). */
  readonly deleted: readonly number[];
}

interface FoundComment {
  id: number;
  url: string;
  body: string;
  created: string;
}

/** Every comment on the pull request whose body starts with the marker, oldest first. */
export async function findMarkedComments(gh: GitHubClient, t: IssueTarget, marker: string): Promise<FoundComment[]> {
  const all = await gh.paginate(gh.rest.issues.listComments, { owner: t.owner, repo: t.repo, issue_number: t.number, per_page: 100 });
  return all
    .filter((c) => typeof c.body === 'string' && (c.body === marker || c.body.startsWith(`${marker}\n`)))
    .map((c) => ({ id: c.id, url: c.html_url, body: c.body!, created: c.created_at }))
    .sort(oldestFirst);
}

function oldestFirst(a: FoundComment, b: FoundComment): number {
  return a.created < b.created ? -1 : a.created > b.created ? 1 : a.id - b.id;
}

/**
 * Makes sure exactly one comment carrying `marker` exists on the pull request, saying
 * `body`. Finds it by the marker (all pages), updates it in place, or creates it. When two
 * runs race and both create, each re-lists after creating, keeps the oldest, deletes the
 * others and writes its body into the one kept: one comment remains whatever the interleaving.
 */
export async function upsertStickyComment(
  gh: GitHubClient,
  t: IssueTarget,
  marker: string,
  body: string,
  progress: Progress = silentProgress,
): Promise<StickyResult> {
  if (!body.startsWith(`${marker}\n`)) throw new KarooError('internal', 'sticky comment body must start with its marker line');
  const base = { owner: t.owner, repo: t.repo };
  const step = async <T>(action: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw explainGitHubError(e, action, t);
    }
  };
  const removeDuplicates = async (keep: number, found: FoundComment[]) => {
    const deleted: number[] = [];
    for (const c of found) {
      if (c.id === keep) continue;
      try {
        await gh.rest.issues.deleteComment({ ...base, comment_id: c.id });
        deleted.push(c.id);
        progress.info(`removed duplicate report comment ${c.id}`);
      } catch (e) {
        // Another run removed it first.
        if (asHttpError(e)?.status !== 404) throw explainGitHubError(e, 'delete a duplicate report comment', t);
      }
    }
    return deleted;
  };
  const update = async (id: number) =>
    step('update the report comment', () => gh.rest.issues.updateComment({ ...base, comment_id: id, body })).then((r) => ({
      id: r.data.id,
      url: r.data.html_url,
    }));

  const found = await step('list the pull request comments', () => findMarkedComments(gh, t, marker));
  if (found.length) {
    const keep = found[0]!;
    const deleted = await removeDuplicates(keep.id, found);
    if (keep.body === body) return { id: keep.id, url: keep.url, action: 'unchanged', deleted };
    return { ...(await update(keep.id)), action: 'updated', deleted };
  }
  const created = await step('create the report comment', () => gh.rest.issues.createComment({ ...base, issue_number: t.number, body }));
  const mine: FoundComment = { id: created.data.id, url: created.data.html_url, body, created: created.data.created_at };
  const again = await step('list the pull request comments', () => findMarkedComments(gh, t, marker));
  if (!again.some((c) => c.id === mine.id)) again.push(mine);
  again.sort(oldestFirst);
  const keep = again[0]!;
  const deleted = await removeDuplicates(keep.id, again);
  if (keep.id === mine.id) return { id: mine.id, url: mine.url, action: 'created', deleted };
  // Another run created first: ours is gone, so write our body into theirs.
  return { ...(await update(keep.id)), action: 'updated', deleted };
}

export type PublishResult =
  ({ readonly posted: true } & StickyResult) | { readonly posted: false; readonly reason: 'read-only-token'; readonly message: string };

/**
 * Posts the report comment. A pull request from a fork runs with a read-only token: then a
 * 403 is expected, and the result says so instead of failing (the caller writes the job
 * summary and an artifact; a `workflow_run` workflow posts the comment). A 403 on a
 * same-repository pull request is a missing permission and fails with a message naming it.
 */
export async function publishReport(
  gh: GitHubClient,
  t: IssueTarget,
  marker: string,
  body: string,
  options: { fork: boolean; progress?: Progress | undefined },
): Promise<PublishResult> {
  try {
    return { posted: true, ...(await upsertStickyComment(gh, t, marker, body, options.progress)) };
  } catch (e) {
    if (options.fork && isGitHubAccessError(e) && e.status === 403) {
      return {
        posted: false,
        reason: 'read-only-token',
        message:
          `pull request ${t.owner}/${t.repo}#${t.number} comes from a fork, whose token is read-only (${e.apiMessage}); ` +
          'the report is in the job summary and the markdown-path file. To comment on fork pull requests, post it from a `workflow_run` workflow (see the action README)',
      };
    }
    throw e;
  }
}

export interface EventPullRequest {
  readonly number: number;
  /** True when the head branch lives in another repository (its token is read-only on `pull_request`). */
  readonly fork: boolean;
  /** The base commit, to read the base lock from. */
  readonly baseSha: string | undefined;
}

/**
 * The pull request an event is about. `pull_request` and `pull_request_target` carry it;
 * `workflow_run` carries it only for same-repository branches, so the fork-safe pattern passes
 * the number explicitly. A fork counts as read-only only on `pull_request`:
 * `pull_request_target` and `workflow_run` run with the base repository's token.
 */
export function pullRequestFromEvent(
  eventName: string,
  payload: Record<string, unknown>,
  repository: string,
): EventPullRequest | undefined {
  const pr = payload.pull_request as
    { number?: unknown; head?: { repo?: { full_name?: unknown } | null }; base?: { sha?: unknown } } | undefined;
  if (pr && typeof pr.number === 'number') {
    const head = pr.head?.repo?.full_name;
    const fork = typeof head !== 'string' || head.toLowerCase() !== repository.toLowerCase();
    return {
      number: pr.number,
      fork: eventName === 'pull_request' && fork,
      baseSha: typeof pr.base?.sha === 'string' ? pr.base.sha : undefined,
    };
  }
  const run = payload.workflow_run as { pull_requests?: Array<{ number?: unknown; base?: { sha?: unknown } }> } | undefined;
  const first = run?.pull_requests?.[0];
  if (first && typeof first.number === 'number') {
    return { number: first.number, fork: false, baseSha: typeof first.base?.sha === 'string' ? first.base.sha : undefined };
  }
  return undefined;
}

/** A file of a repository at a commit (or branch, or tag). */
export interface FileTarget {
  readonly owner: string;
  readonly repo: string;
  /** Path in the repository, `/`-separated. */
  readonly path: string;
  readonly ref: string;
}

/**
 * A file's text at a ref, through the contents API (`contents: read`), for a checkout that does
 * not hold the ref (actions/checkout fetches one commit by default): undefined when the file
 * does not exist there. A file over 1 MB comes without its content from that endpoint and is
 * read as its blob (up to 100 MB). A ref GitHub does not know, a directory at the path, or a
 * token that may not read the repository is one error that says which.
 */
export async function fileAtRef(gh: GitHubClient, t: FileTarget): Promise<string | undefined> {
  const where = `${t.path} at ${t.ref} in ${t.owner}/${t.repo}`;
  let data: unknown;
  try {
    ({ data } = await gh.rest.repos.getContent({ owner: t.owner, repo: t.repo, path: t.path, ref: t.ref }));
  } catch (e) {
    const h = asHttpError(e);
    if (h?.status === 404 && !/no commit found/i.test(apiMessage(h))) return undefined;
    if (h?.status === 404)
      throw new KarooError('input', `cannot read ${where}: GitHub knows no commit ${t.ref} (${apiMessage(h)}); check the base ref`);
    if (h && (h.status === 401 || (h.status === 403 && rateLimitWait(e) === undefined)))
      throw new GitHubAccessError(
        h.status,
        `GitHub refused to read ${where} (${h.status} ${apiMessage(h)}); give the job \`permissions: { contents: read }\``,
        apiMessage(h),
        'contents: read',
        e,
      );
    if (h) throw new KarooError('unavailable', `GitHub answered ${h.status} (${apiMessage(h)}) when reading ${where}`, { cause: e });
    throw e;
  }
  const f = data as { type?: unknown; encoding?: unknown; content?: unknown; sha?: unknown };
  if (Array.isArray(data) || f.type !== 'file')
    throw new KarooError('input', `${where} is ${Array.isArray(data) ? 'a directory' : `a ${String(f.type)}`}, not a lock file`);
  if (f.encoding === 'base64' && typeof f.content === 'string') return Buffer.from(f.content, 'base64').toString('utf8');
  const { data: blob } = await gh.rest.git.getBlob({ owner: t.owner, repo: t.repo, file_sha: String(f.sha) });
  return Buffer.from(blob.content, blob.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
}
