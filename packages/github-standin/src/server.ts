import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GitHubDescription, type Operation, loadGitHubDescription } from './description.js';

/** GITHUB_TOKEN permission scopes the stand-in enforces. */
export type Scope = 'issues' | 'pull_requests' | 'deployments' | 'statuses' | 'contents';
export type Permissions = Partial<Record<Scope, 'read' | 'write'>>;

export interface TokenGrant {
  /** The user the token acts as (shown as a comment's author). Default `github-actions[bot]`. */
  readonly login?: string;
  /** Default: write on every scope. A fork pull request's GITHUB_TOKEN is read on everything. */
  readonly permissions?: Permissions;
}

export const READ_ONLY: Permissions = { issues: 'read', pull_requests: 'read', deployments: 'read', statuses: 'read', contents: 'read' };
export const WRITE_ALL: Permissions = {
  issues: 'write',
  pull_requests: 'write',
  deployments: 'write',
  statuses: 'write',
  contents: 'write',
};

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  /** Undefined when no path of the description matched. */
  readonly operationId: string | undefined;
  readonly route: string | undefined;
  readonly params: Record<string, string>;
  readonly body: unknown;
  readonly token: string | undefined;
  status: number;
}

/** A fault to answer instead of the real handler, for the next `times` matching requests. */
export interface Fault {
  readonly operationId?: string;
  readonly method?: string;
  readonly status: number;
  readonly body?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  /** How many matching requests get the fault (default 1). */
  readonly times?: number;
  /** Only requests to this repository (`owner/repo`, any case). */
  readonly repo?: string;
}

export const faults = {
  /** A token that may not write (fork pull requests, missing `permissions:`). */
  forbidden(operationId?: string, times = 1): Fault {
    return {
      operationId,
      status: 403,
      times,
      body: { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' },
    };
  },
  notFound(operationId?: string, times = 1): Fault {
    return { operationId, status: 404, times, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
  },
  /** GitHub's secondary rate limit: 403 (or 429) with `retry-after` in seconds. */
  secondaryRateLimit(operationId?: string, options: { retryAfter?: number; status?: 403 | 429; times?: number } = {}): Fault {
    return {
      operationId,
      status: options.status ?? 403,
      times: options.times ?? 1,
      headers: { 'retry-after': String(options.retryAfter ?? 1), 'x-ratelimit-remaining': '4000' },
      body: {
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
        documentation_url:
          'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        status: String(options.status ?? 403),
      },
    };
  },
};

const DOCS = 'https://docs.github.com/rest';

/** The permission scope (any one of them) a read needs on a private repository. */
const READ_SCOPES: Record<string, string[]> = {
  'pulls/get': ['pull_requests'],
  'pulls/list': ['pull_requests'],
  'issues/list-comments': ['issues', 'pull_requests'],
  'issues/get-comment': ['issues', 'pull_requests'],
  'issues/list-for-repo': ['issues'],
  'issues/get': ['issues'],
  'actions/get-workflow-run': ['actions'],
  'repos/list-deployments': ['deployments'],
  'repos/get-deployment': ['deployments'],
  'repos/list-deployment-statuses': ['deployments'],
  'repos/get-deployment-status': ['deployments'],
  'repos/list-commit-statuses-for-ref': ['statuses'],
  'git/get-ref': ['contents'],
  'git/get-tag': ['contents'],
  'repos/get-content': ['contents'],
  'git/get-blob': ['contents'],
};
/** The contents API gives a file's content inline up to this size; above it, `encoding: none` and the blob API. */
export const CONTENTS_INLINE_LIMIT = 1024 * 1024;
/** GitHub refuses comment bodies longer than this many characters. */
export const COMMENT_BODY_LIMIT = 65536;

export interface StandinOptions {
  /** Tokens the stand-in accepts. Without any, every token is accepted with write on every scope. */
  readonly tokens?: Record<string, TokenGrant>;
  /** Loaded once per test file when not given. */
  readonly description?: GitHubDescription;
}

export interface PullRequestSeed {
  readonly number: number;
  readonly title?: string;
  readonly headRef?: string;
  readonly headSha?: string;
  /** `owner/repo` the head branch lives in; differs from the base repository for a fork. */
  readonly headRepo?: string;
  readonly baseRef?: string;
  readonly baseSha?: string;
}

/** A workflow run the stand-in answers `GET /repos/{owner}/{repo}/actions/runs/{run_id}` with. */
export interface WorkflowRunSeed {
  readonly id: number;
  /** The workflow file, e.g. `.github/workflows/karoo-candidate.yml`. */
  readonly path: string;
  readonly status?: 'queued' | 'in_progress' | 'completed';
  readonly conclusion?: 'success' | 'failure' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'neutral' | null;
  readonly headSha?: string;
  /** `owner/repo` whose code the run ran; differs from the repository for a fork's pull request. */
  readonly headRepo?: string;
  readonly headBranch?: string;
  readonly event?: string;
  readonly name?: string;
  readonly runAttempt?: number;
}

interface Comment {
  id: number;
  issue: number;
  body: string;
  login: string;
  created: string;
  updated: string;
}

interface Deployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  environment: string;
  originalEnvironment: string;
  description: string | null;
  transient: boolean;
  production: boolean;
  login: string;
  created: string;
  statuses: DeploymentStatus[];
}

interface DeploymentStatus {
  id: number;
  state: string;
  description: string;
  environment: string;
  targetUrl: string;
  logUrl: string;
  environmentUrl: string | undefined;
  login: string;
  created: string;
}

interface CommitStatus {
  id: number;
  sha: string;
  state: string;
  targetUrl: string | null;
  description: string | null;
  context: string;
  login: string;
  created: string;
}

interface Repo {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  defaultBranch: string;
  branches: Map<string, string>;
  pulls: Map<number, PullRequestSeed>;
  comments: Map<number, Comment>;
  deployments: Map<number, Deployment>;
  commitStatuses: CommitStatus[];
  /** Git refs created through the API (`refs/…` → object sha); branches stay in `branches`. */
  refs?: Map<string, { sha: string; type: 'commit' | 'tag' }>;
  /** Annotated tag objects created through the API, by their sha. */
  gitTags?: Map<string, GitTag>;
  /** Issues created through the API (or seeded), by number; numbers are shared with pull requests. */
  issues?: Map<number, Issue>;
  /** A local git repository whose commits the contents and blob endpoints answer from. */
  git?: string;
}

interface Issue {
  number: number;
  id: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  login: string;
  created: string;
  updated: string;
}

interface GitTag {
  sha: string;
  tag: string;
  message: string;
  object: { sha: string; type: string };
  tagger: { name: string; email: string; date: string };
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const error = (status: number, message: string, extra: Record<string, unknown> = {}) =>
  new HttpAnswer(status, { message, documentation_url: DOCS, status: String(status), ...extra });

/**
 * A stand-in for api.github.com on 127.0.0.1. Every request is checked against GitHub's
 * published REST description: a path, method, parameter or body field the description does
 * not allow is answered with 400 and recorded as a violation, and `close()` then rejects, so
 * the test that sent it fails. Responses are built from the description's own examples and
 * checked against its response schemas too. Keeps state for the endpoints karoo uses:
 * issue comments, pull requests (read), repositories (read), deployments and their
 * statuses, commit statuses, git tag objects and refs (a ref is created once: the second creation is 422),
 * and, for a repository added with a local git directory, files and blobs at any of its commits.
 */
export class GitHubStandin {
  readonly url: string;
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private violationList: string[] = [];
  private readonly repos = new Map<string, Repo>();
  private readonly faultList: Array<Fault & { left: number }> = [];
  private readonly gates: Array<{ operationId: string; count: number; waiting: Array<() => void> }> = [];
  private readonly tokens: Record<string, TokenGrant> | undefined;
  private readonly issued = new Map<string, TokenGrant>();
  private nextId = 1000;
  private readonly workflowRuns = new Map<string, Map<number, WorkflowRunSeed>>();
  private clock = Date.parse('2025-01-01T00:00:00Z');

  private constructor(
    private readonly server: Server,
    private readonly description: GitHubDescription,
    options: StandinOptions,
  ) {
    const addr = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${addr.port}`;
    this.tokens = options.tokens;
  }

  static async start(options: StandinOptions = {}): Promise<GitHubStandin> {
    const description = options.description ?? (await loadGitHubDescription());
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const standin = new GitHubStandin(server, description, options);
    server.on('request', (req, res) => void standin.handle(req, res));
    return standin;
  }

  /**
   * Registers a token the stand-in accepts from now on, with its grant (e.g. a job's
   * GITHUB_TOKEN minted by the workflow runner from the job's `permissions:`). Registered
   * tokens are checked even when the stand-in was started without `tokens`.
   */
  addToken(token: string, grant: TokenGrant): void {
    this.issued.set(token, grant);
  }

  /** Problems found so far (requests the description does not allow, unimplemented endpoints, bad responses). */
  get violations(): readonly string[] {
    return this.violationList;
  }

  /** Returns the violations and forgets them, for tests that provoke one on purpose. */
  takeViolations(): string[] {
    const v = this.violationList;
    this.violationList = [];
    return v;
  }

  /**
   * `git`: a local git repository whose commits `GET /repos/{owner}/{repo}/contents/{path}` and
   * `GET /repos/{owner}/{repo}/git/blobs/{file_sha}` read (any commit, branch or tag it holds).
   */
  addRepo(
    fullName: string,
    options: { private?: boolean; defaultBranch?: string; branches?: Record<string, string>; git?: string } = {},
  ): void {
    const [owner, name] = splitRepo(fullName);
    const defaultBranch = options.defaultBranch ?? 'main';
    this.repos.set(key(owner, name), {
      id: this.id(),
      owner,
      name,
      private: options.private ?? false,
      defaultBranch,
      branches: new Map(Object.entries(options.branches ?? { [defaultBranch]: 'e'.repeat(40) })),
      pulls: new Map(),
      comments: new Map(),
      deployments: new Map(),
      commitStatuses: [],
      ...(options.git ? { git: options.git } : {}),
    });
  }

  addPullRequest(fullName: string, pr: PullRequestSeed): void {
    this.repo(fullName).pulls.set(pr.number, pr);
  }

  /** Adds a workflow run of a repository (what `actions/get-workflow-run` answers with). */
  addWorkflowRun(fullName: string, run: WorkflowRunSeed): void {
    const r = this.repo(fullName);
    const k = key(r.owner, r.name);
    if (!this.workflowRuns.has(k)) this.workflowRuns.set(k, new Map());
    this.workflowRuns.get(k)!.set(run.id, run);
  }

  /** Comments on an issue or pull request, oldest first, as the API lists them. */
  comments(fullName: string, issue: number): Array<{ id: number; body: string; login: string }> {
    return [...this.repo(fullName).comments.values()].filter((c) => c.issue === issue).map(({ id, body, login }) => ({ id, body, login }));
  }

  /** Adds a comment directly (e.g. one left by an earlier run), returning its id. */
  seedComment(fullName: string, issue: number, body: string, login = 'github-actions[bot]'): number {
    const c = this.newComment(issue, body, login);
    this.repo(fullName).comments.set(c.id, c);
    return c.id;
  }

  /** Issues of a repository (not pull requests), by number. */
  issues(fullName: string): Array<{ number: number; title: string; body: string; state: string; labels: string[] }> {
    return [...(this.repo(fullName).issues ?? new Map<number, Issue>()).values()].map(({ number, title, body, state, labels }) => ({
      number,
      title,
      body,
      state,
      labels: [...labels],
    }));
  }

  deployments(
    fullName: string,
  ): Array<{ id: number; environment: string; ref: string; sha: string; payload: unknown; statuses: string[] }> {
    return [...this.repo(fullName).deployments.values()].map((d) => ({
      id: d.id,
      environment: d.environment,
      ref: d.ref,
      sha: d.sha,
      payload: d.payload,
      statuses: d.statuses.map((s) => s.state),
    }));
  }

  /** Git refs created through the API, with the message of the tag object each points at (if any). */
  gitRefs(fullName: string): Array<{ ref: string; sha: string; type: string; message?: string }> {
    const r = this.repo(fullName);
    return [...(r.refs ?? new Map()).entries()].map(([ref, o]) => ({
      ref,
      sha: o.sha,
      type: o.type,
      message: r.gitTags?.get(o.sha)?.message,
    }));
  }

  commitStatuses(fullName: string): Array<{ sha: string; state: string; context: string; description: string | null }> {
    return this.repo(fullName).commitStatuses.map(({ sha, state, context, description }) => ({ sha, state, context, description }));
  }

  /** Answers the next matching request(s) with a fault instead of handling them. */
  inject(fault: Fault): void {
    if (fault.operationId && !this.description.operation(fault.operationId)) {
      throw new Error(`stand-in: no operation "${fault.operationId}" in GitHub's REST description`);
    }
    this.faultList.push({ ...fault, left: fault.times ?? 1 });
  }

  /**
   * Holds requests of one operation until `count` of them have arrived, then lets all of
   * them through at once: makes races (two runs listing before either creates) certain.
   */
  gate(operationId: string, count: number): void {
    if (!this.description.operation(operationId)) throw new Error(`stand-in: no operation "${operationId}" in GitHub's REST description`);
    this.gates.push({ operationId, count, waiting: [] });
  }

  /** Requests of one operation, for assertions. */
  calls(operationId: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operationId === operationId);
  }

  /** Stops the server; rejects when any violation was recorded and not taken. */
  async close(): Promise<void> {
    for (const g of this.gates.splice(0)) for (const w of g.waiting) w();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.violationList.length) {
      throw new Error(
        `GitHub stand-in saw ${this.violationList.length} request(s) GitHub would not accept:\n${this.violationList.join('\n')}`,
      );
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const auth = req.headers.authorization;
    const token = auth?.match(/^(?:token|bearer)\s+(\S+)$/i)?.[1];
    const match = this.description.match(method, url.pathname);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      operationId: match?.operation?.operationId,
      route: match?.route,
      params: match?.params ?? {},
      body: undefined,
      token,
      status: 0,
    };
    this.requests.push(record);
    let answer: HttpAnswer;
    try {
      answer = await this.answer(req, url, method, raw, match, token, record);
    } catch (e) {
      this.violationList.push(`${method} ${url.pathname}: stand-in failed: ${e instanceof Error ? e.stack : String(e)}`);
      answer = error(500, 'stand-in failure');
    }
    record.status = answer.status;
    const headers: Record<string, string> = {
      'x-github-request-id': `0000:${record.operationId ?? 'none'}:${this.requests.length}`,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-github-api-version-selected': '2022-11-28',
      ...answer.headers,
    };
    if (answer.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    res.writeHead(answer.status, headers);
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  }

  private async answer(
    req: IncomingMessage,
    url: URL,
    method: string,
    raw: string,
    match: ReturnType<GitHubDescription['match']>,
    token: string | undefined,
    record: RecordedRequest,
  ): Promise<HttpAnswer> {
    const where = `${method} ${url.pathname}${url.search}`;
    const reject = (problem: string) => {
      this.violationList.push(`${where}: ${problem}`);
      return error(400, `karoo github stand-in: ${problem}`);
    };
    if (!match) return reject(`no path in GitHub's REST description matches ${url.pathname}`);
    const op = match.operation;
    if (!op) return reject(`${match.route} has no ${method} operation (allowed: ${match.allowed.join(', ')})`);
    const problems = this.description.checkParameters(op, match.params, url.searchParams);
    let body: unknown;
    if (raw !== '') {
      if (!op.hasBody) problems.push(`${op.operationId} takes no request body`);
      else if (!/^application\/(vnd\.github[.+\w-]*\+)?json\b/.test(req.headers['content-type'] ?? '')) {
        problems.push(`request body sent as "${req.headers['content-type'] ?? 'no content-type'}", expected application/json`);
      } else {
        try {
          body = JSON.parse(raw);
          (record as { body: unknown }).body = body;
          problems.push(...this.description.checkBody(op, body));
        } catch {
          problems.push('request body is not JSON');
        }
      }
    } else if (op.bodyRequired) problems.push(`${op.operationId} requires a request body`);
    if (!req.headers.authorization) problems.push('no Authorization header (karoo always authenticates)');
    else if (!token) problems.push(`Authorization header is not "token X" or "Bearer X"`);
    if (problems.length) return reject(problems.join('; '));

    const grant = this.grant(token!);
    if (!grant) return error(401, 'Bad credentials');

    const gate = this.gates.find((g) => g.operationId === op.operationId);
    if (gate) {
      await new Promise<void>((resolve) => {
        gate.waiting.push(resolve);
        if (gate.waiting.length >= gate.count) {
          this.gates.splice(this.gates.indexOf(gate), 1);
          for (const w of gate.waiting) w();
        }
      });
    }

    const fault = this.faultList.find(
      (f) =>
        f.left > 0 &&
        (!f.operationId || f.operationId === op.operationId) &&
        (!f.method || f.method === method) &&
        (!f.repo || f.repo.toLowerCase() === `${match.params.owner ?? ''}/${match.params.repo ?? ''}`.toLowerCase()),
    );
    if (fault) {
      fault.left--;
      return new HttpAnswer(fault.status, fault.body, fault.headers);
    }

    const answer = this.route(op, match.params, url.searchParams, body, grant);
    if (answer.status === 501)
      this.violationList.push(`${where}: ${op.operationId} is allowed by GitHub but not implemented by the stand-in`);
    if (answer.body !== undefined && answer.status < 300) {
      const bad = this.description.checkResponse(op, answer.status, answer.body);
      if (bad.length) {
        this.violationList.push(`${where}: the stand-in built a response GitHub's description does not allow: ${bad.join('; ')}`);
        return error(500, 'stand-in built an invalid response');
      }
    }
    return answer;
  }

  private grant(token: string): { login: string; permissions: Permissions; issued?: boolean } | undefined {
    const issued = this.issued.get(token);
    if (issued) return { login: issued.login ?? 'github-actions[bot]', permissions: issued.permissions ?? WRITE_ALL, issued: true };
    if (!this.tokens) return { login: 'github-actions[bot]', permissions: WRITE_ALL };
    const g = this.tokens[token];
    if (!g) return undefined;
    return { login: g.login ?? 'github-actions[bot]', permissions: g.permissions ?? WRITE_ALL };
  }

  private route(
    op: Operation,
    p: Record<string, string>,
    q: URLSearchParams,
    body: unknown,
    grant: { login: string; permissions: Permissions; issued?: boolean },
  ): HttpAnswer {
    const repo = this.repos.get(key(p.owner ?? '', p.repo ?? ''));
    if (!repo) return error(404, 'Not Found');
    const b = (body ?? {}) as Record<string, unknown>;
    const can = (...scopes: Scope[]) => scopes.some((s) => grant.permissions[s] === 'write');
    const forbidden = () => error(403, 'Resource not accessible by integration');
    // Reading a private repository needs the scope too, for tokens registered with addToken
    // (a job's GITHUB_TOKEN from its permissions:); public repositories are readable by any token.
    const readScopes = READ_SCOPES[op.operationId];
    const levels = grant.permissions as Record<string, string | undefined>;
    if (grant.issued && repo.private && readScopes && !readScopes.some((s) => levels[s] === 'read' || levels[s] === 'write'))
      return forbidden();
    const api = `${this.url}/repos/${repo.owner}/${repo.name}`;
    switch (op.operationId) {
      case 'repos/get':
        return this.ok(op, 200, this.repoJson(repo));
      case 'pulls/get': {
        const pr = repo.pulls.get(Number(p.pull_number));
        return pr ? this.ok(op, 200, this.pullJson(repo, pr)) : error(404, 'Not Found');
      }
      case 'pulls/list': {
        // GitHub's filters: state (every seeded pull request is open), head as `owner:branch`, base branch.
        const state = q.get('state') ?? 'open';
        const head = q.get('head');
        const base = q.get('base');
        const all = [...repo.pulls.values()]
          .filter(() => state !== 'closed')
          .filter(
            (pr) =>
              !head ||
              head.toLowerCase() === `${splitRepo(pr.headRepo ?? `${repo.owner}/${repo.name}`)[0]}:${pr.headRef ?? 'topic'}`.toLowerCase(),
          )
          .filter((pr) => !base || base === (pr.baseRef ?? repo.defaultBranch))
          .sort((a, b) => b.number - a.number);
        return this.page(op, q, all, (pr) => this.pullJson(repo, pr), `${api}/pulls`);
      }
      case 'issues/list-comments': {
        const issue = Number(p.issue_number);
        if (!repo.pulls.has(issue)) return error(404, 'Not Found');
        const since = q.get('since');
        const all = [...repo.comments.values()].filter((c) => c.issue === issue && (!since || c.updated >= since));
        return this.page(op, q, all, (c) => this.commentJson(repo, c), `${api}/issues/${issue}/comments`);
      }
      case 'issues/create-comment': {
        const issue = Number(p.issue_number);
        if (!repo.pulls.has(issue)) return error(404, 'Not Found');
        if (!can('issues', 'pull_requests')) return forbidden();
        const tooLong = this.bodyTooLong(b.body);
        if (tooLong) return tooLong;
        const c = this.newComment(issue, String(b.body), grant.login);
        repo.comments.set(c.id, c);
        const json = this.commentJson(repo, c);
        return this.ok(op, 201, json, { location: String((json as { url: string }).url) });
      }
      case 'issues/get-comment':
      case 'issues/update-comment':
      case 'issues/delete-comment': {
        const c = repo.comments.get(Number(p.comment_id));
        if (!c) return error(404, 'Not Found');
        if (op.operationId === 'issues/get-comment') return this.ok(op, 200, this.commentJson(repo, c));
        if (!can('issues', 'pull_requests')) return forbidden();
        if (op.operationId === 'issues/delete-comment') {
          repo.comments.delete(c.id);
          return new HttpAnswer(204);
        }
        const tooLong = this.bodyTooLong(b.body);
        if (tooLong) return tooLong;
        c.body = String(b.body);
        c.updated = this.now();
        return this.ok(op, 200, this.commentJson(repo, c));
      }
      case 'issues/list-for-repo': {
        const state = q.get('state') ?? 'open';
        const labels = (q.get('labels') ?? '').split(',').filter((l) => l !== '');
        const all = [...(repo.issues?.values() ?? [])]
          .filter((i) => state === 'all' || i.state === state)
          .filter((i) => labels.every((l) => i.labels.includes(l)))
          .sort((a, b) => b.number - a.number);
        return this.page(op, q, all, (i) => this.issueJson(repo, i), `${api}/issues`);
      }
      case 'issues/create': {
        if (!can('issues')) return forbidden();
        const tooLong = this.bodyTooLong(b.body);
        if (tooLong) return tooLong;
        repo.issues ??= new Map();
        const number = Math.max(0, ...repo.pulls.keys(), ...repo.issues.keys()) + 1;
        const t = this.now();
        const labels = Array.isArray(b.labels)
          ? b.labels.map((l) => (typeof l === 'string' ? l : String((l as { name?: unknown }).name)))
          : [];
        const issue: Issue = {
          number,
          id: this.id(),
          title: String(b.title),
          body: typeof b.body === 'string' ? b.body : '',
          state: 'open',
          labels,
          login: grant.login,
          created: t,
          updated: t,
        };
        repo.issues.set(number, issue);
        const json = this.issueJson(repo, issue);
        return this.ok(op, 201, json, { location: String((json as { url: string }).url) });
      }
      case 'issues/get':
      case 'issues/update': {
        const issue = repo.issues?.get(Number(p.issue_number));
        if (!issue) return error(404, 'Not Found');
        if (op.operationId === 'issues/get') return this.ok(op, 200, this.issueJson(repo, issue));
        if (!can('issues')) return forbidden();
        const tooLong = this.bodyTooLong(b.body);
        if (tooLong) return tooLong;
        if (typeof b.title === 'string') issue.title = b.title;
        if (typeof b.body === 'string') issue.body = b.body;
        if (b.state === 'open' || b.state === 'closed') issue.state = b.state;
        if (Array.isArray(b.labels))
          issue.labels = b.labels.map((l) => (typeof l === 'string' ? l : String((l as { name?: unknown }).name)));
        issue.updated = this.now();
        return this.ok(op, 200, this.issueJson(repo, issue));
      }
      case 'actions/get-workflow-run': {
        const run = this.workflowRuns.get(key(repo.owner, repo.name))?.get(Number(p.run_id));
        return run ? this.ok(op, 200, this.workflowRunJson(repo, run)) : error(404, 'Not Found');
      }
      case 'repos/list-deployments': {
        const all = [...repo.deployments.values()]
          .filter((d) =>
            ['sha', 'ref', 'task', 'environment'].every(
              (f) => !q.get(f) || q.get(f) === (f === 'environment' ? d.environment : d[f as 'sha' | 'ref' | 'task']),
            ),
          )
          .sort((a, c) => c.id - a.id);
        return this.page(op, q, all, (d) => this.deploymentJson(repo, d), `${api}/deployments`);
      }
      case 'repos/create-deployment': {
        if (!can('deployments')) return forbidden();
        const ref = String(b.ref);
        const sha = /^[0-9a-f]{40}$/.test(ref) ? ref : repo.branches.get(ref);
        if (!sha) return error(422, `No ref found for: ${ref}`);
        const environment = typeof b.environment === 'string' ? b.environment : 'production';
        const d: Deployment = {
          id: this.id(),
          sha,
          ref,
          task: typeof b.task === 'string' ? b.task : 'deploy',
          payload: typeof b.payload === 'string' ? safeJson(b.payload) : (b.payload ?? {}),
          environment,
          originalEnvironment: environment,
          description: typeof b.description === 'string' ? b.description : null,
          transient: b.transient_environment === true,
          production: typeof b.production_environment === 'boolean' ? b.production_environment : environment === 'production',
          login: grant.login,
          created: this.now(),
          statuses: [],
        };
        repo.deployments.set(d.id, d);
        return this.ok(op, 201, this.deploymentJson(repo, d));
      }
      case 'repos/get-deployment':
      case 'repos/delete-deployment': {
        const d = repo.deployments.get(Number(p.deployment_id));
        if (!d) return error(404, 'Not Found');
        if (op.operationId === 'repos/get-deployment') return this.ok(op, 200, this.deploymentJson(repo, d));
        if (!can('deployments')) return forbidden();
        const active = d.statuses.at(-1)?.state === 'success';
        const others = [...repo.deployments.values()].filter((x) => x.environment === d.environment && x.id !== d.id);
        if (active && others.length)
          return error(422, 'We cannot delete an active deployment unless it is the only deployment in a given environment.');
        repo.deployments.delete(d.id);
        return new HttpAnswer(204);
      }
      case 'repos/list-deployment-statuses': {
        const d = repo.deployments.get(Number(p.deployment_id));
        if (!d) return error(404, 'Not Found');
        const all = [...d.statuses].reverse();
        return this.page(op, q, all, (s) => this.deploymentStatusJson(repo, d, s), `${api}/deployments/${d.id}/statuses`);
      }
      case 'repos/get-deployment-status': {
        const d = repo.deployments.get(Number(p.deployment_id));
        const s = d?.statuses.find((x) => x.id === Number(p.status_id));
        return d && s ? this.ok(op, 200, this.deploymentStatusJson(repo, d, s)) : error(404, 'Not Found');
      }
      case 'repos/create-deployment-status': {
        const d = repo.deployments.get(Number(p.deployment_id));
        if (!d) return error(404, 'Not Found');
        if (!can('deployments')) return forbidden();
        const s = this.addDeploymentStatus(repo, d, String(b.state), b, grant.login);
        if (typeof b.environment === 'string') d.environment = b.environment;
        // GitHub marks earlier successful deployments to the same environment inactive.
        if (s.state === 'success' && b.auto_inactive !== false) {
          for (const other of repo.deployments.values()) {
            if (
              other.id !== d.id &&
              other.environment === d.environment &&
              !other.transient &&
              other.statuses.at(-1)?.state === 'success'
            ) {
              this.addDeploymentStatus(repo, other, 'inactive', {}, grant.login);
            }
          }
        }
        return this.ok(op, 201, this.deploymentStatusJson(repo, d, s));
      }
      case 'repos/create-commit-status': {
        if (!can('statuses')) return forbidden();
        const s: CommitStatus = {
          id: this.id(),
          sha: p.sha!,
          state: String(b.state),
          targetUrl: typeof b.target_url === 'string' ? b.target_url : null,
          description: typeof b.description === 'string' ? b.description : null,
          context: typeof b.context === 'string' ? b.context : 'default',
          login: grant.login,
          created: this.now(),
        };
        repo.commitStatuses.push(s);
        return this.ok(op, 201, this.commitStatusJson(s));
      }
      case 'git/create-tag': {
        if (!can('contents')) return forbidden();
        const object = String(b.object);
        const known = repo.gitTags?.has(object) || [...repo.branches.values()].includes(object) || /^[0-9a-f]{40}$/.test(object);
        if (!known) return error(422, 'Object does not exist');
        const t: GitTag = {
          sha: createHash('sha1')
            .update(`tag ${repo.owner}/${repo.name} ${this.id()} ${String(b.tag)} ${String(b.message)}`)
            .digest('hex'),
          tag: String(b.tag),
          message: String(b.message),
          object: { sha: object, type: String(b.type) },
          tagger: { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com', date: this.now() },
        };
        (repo.gitTags ??= new Map()).set(t.sha, t);
        return this.ok(op, 201, this.gitTagJson(repo, t));
      }
      case 'git/get-tag': {
        const t = repo.gitTags?.get(p.tag_sha ?? '');
        return t ? this.ok(op, 200, this.gitTagJson(repo, t)) : error(404, 'Not Found');
      }
      case 'git/create-ref': {
        if (!can('contents')) return forbidden();
        const ref = String(b.ref);
        const sha = String(b.sha);
        if (!/^refs\/[^/]+\/.+/.test(ref) || ref.split('/').some((x) => x === '' || x === '.' || x === '..'))
          return error(422, `${ref} is not a valid ref name.`);
        const type = repo.gitTags?.has(sha) ? 'tag' : 'commit';
        if (type === 'commit' && !/^[0-9a-f]{40}$/.test(sha)) return error(422, 'Object does not exist');
        const refs = (repo.refs ??= new Map());
        // Atomic in the stand-in as on GitHub: of two creations of one ref, the second gets 422.
        if (refs.has(ref) || (ref.startsWith('refs/heads/') && repo.branches.has(ref.slice(11))))
          return error(422, 'Reference already exists');
        refs.set(ref, { sha, type });
        return this.ok(op, 201, this.gitRefJson(repo, ref, sha, type));
      }
      case 'git/get-ref': {
        const ref = `refs/${p.ref ?? ''}`;
        const found =
          repo.refs?.get(ref) ??
          (ref.startsWith('refs/heads/') && repo.branches.has(ref.slice(11))
            ? { sha: repo.branches.get(ref.slice(11))!, type: 'commit' as const }
            : undefined);
        return found ? this.ok(op, 200, this.gitRefJson(repo, ref, found.sha, found.type)) : error(404, 'Not Found');
      }
      case 'repos/get-content': {
        if (!repo.git) return error(404, 'Not Found');
        const ref = q.get('ref') ?? repo.defaultBranch;
        const commit = ref.startsWith('-') ? undefined : gitOut(repo.git, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
        if (!commit) return error(404, `No commit found for the ref ${ref}`);
        const path = (p.path ?? '').replace(/^\/+|\/+$/g, '');
        const type = gitOut(repo.git, ['cat-file', '-t', `${commit}:${path}`]);
        if (type === 'tree') {
          const entries = (gitOut(repo.git, ['ls-tree', '-l', commit, ...(path ? [`${path}/`] : [])]) ?? '').split('\n').filter(Boolean);
          return this.ok(
            op,
            200,
            entries.map((line) => {
              const [meta, name] = line.split('\t') as [string, string];
              const [, kind, sha, size] = meta.split(/\s+/);
              return this.contentJson(repo, commit, name, kind === 'tree' ? 'dir' : 'file', sha!, kind === 'tree' ? 0 : Number(size));
            }),
          );
        }
        if (type !== 'blob') return error(404, 'Not Found');
        const sha = gitOut(repo.git, ['rev-parse', `${commit}:${path}`])!;
        const data = gitBlob(repo.git, sha);
        const inline = data.length <= CONTENTS_INLINE_LIMIT;
        return this.ok(op, 200, {
          ...(this.contentJson(repo, commit, path, 'file', sha, data.length) as object),
          encoding: inline ? 'base64' : 'none',
          // GitHub wraps the base64 text at 60 characters.
          content: inline ? (data.toString('base64').match(/.{1,60}/g) ?? []).join('\n') + '\n' : '',
        });
      }
      case 'git/get-blob': {
        if (!repo.git || !/^[0-9a-f]{40}$/.test(p.file_sha ?? '')) return error(404, 'Not Found');
        if (gitOut(repo.git, ['cat-file', '-t', p.file_sha!]) !== 'blob') return error(404, 'Not Found');
        const data = gitBlob(repo.git, p.file_sha!);
        return this.ok(op, 200, {
          sha: p.file_sha,
          node_id: Buffer.from(`Blob${p.file_sha}`).toString('base64'),
          size: data.length,
          url: `${api}/git/blobs/${p.file_sha}`,
          content: data.toString('base64'),
          encoding: 'base64',
        });
      }
      case 'repos/list-commit-statuses-for-ref': {
        const ref = p.ref!;
        const sha = repo.branches.get(ref) ?? ref;
        const all = repo.commitStatuses.filter((s) => s.sha === sha).reverse();
        return this.page(op, q, all, (s) => this.commitStatusJson(s), `${api}/commits/${ref}/statuses`);
      }
      default:
        return error(501, `karoo github stand-in does not implement ${op.operationId}`);
    }
  }

  private bodyTooLong(body: unknown): HttpAnswer | undefined {
    if (typeof body === 'string' && body.length > COMMENT_BODY_LIMIT) {
      return error(422, 'Validation Failed', {
        errors: [
          {
            resource: 'IssueComment',
            code: 'custom',
            field: 'body',
            message: `body is too long (maximum is ${COMMENT_BODY_LIMIT} characters)`,
          },
        ],
      });
    }
    return undefined;
  }

  private ok(_op: Operation, status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
    return new HttpAnswer(status, body, headers);
  }

  /** GitHub's pagination: `per_page` (max 100, default 30), `page`, and a `Link` header. */
  private page<T>(_op: Operation, q: URLSearchParams, all: T[], render: (t: T) => unknown, base: string): HttpAnswer {
    const perPage = Math.min(Number(q.get('per_page') ?? 30), 100);
    const page = Math.max(Number(q.get('page') ?? 1), 1);
    const last = Math.max(Math.ceil(all.length / perPage), 1);
    const items = all.slice((page - 1) * perPage, page * perPage).map(render);
    const link = (n: number, rel: string) => {
      const u = new URL(base);
      for (const [k, v] of q) if (k !== 'page') u.searchParams.set(k, v);
      u.searchParams.set('page', String(n));
      return `<${u.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'), link(1, 'first'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    return new HttpAnswer(200, items, links.length ? { link: links.join(', ') } : {});
  }

  private repo(fullName: string): Repo {
    const [owner, name] = splitRepo(fullName);
    const r = this.repos.get(key(owner, name));
    if (!r) throw new Error(`stand-in: no repository ${fullName}; call addRepo first`);
    return r;
  }

  private id(): number {
    return this.nextId++;
  }

  /** A clock that moves one second per event, so creation order is visible in timestamps. */
  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private newComment(issue: number, body: string, login: string): Comment {
    const t = this.now();
    return { id: this.id(), issue, body, login, created: t, updated: t };
  }

  private addDeploymentStatus(r: Repo, d: Deployment, state: string, b: Record<string, unknown>, login: string): DeploymentStatus {
    // GitHub's schema wants URIs here even when none was given.
    const fallback = `https://github.com/${r.owner}/${r.name}/deployments`;
    const s: DeploymentStatus = {
      id: this.id(),
      state,
      description: typeof b.description === 'string' ? b.description : '',
      environment: typeof b.environment === 'string' ? b.environment : d.environment,
      targetUrl: typeof b.target_url === 'string' ? b.target_url : typeof b.log_url === 'string' ? b.log_url : fallback,
      logUrl: typeof b.log_url === 'string' ? b.log_url : typeof b.target_url === 'string' ? b.target_url : fallback,
      environmentUrl: typeof b.environment_url === 'string' ? b.environment_url : undefined,
      login,
      created: this.now(),
    };
    d.statuses.push(s);
    return s;
  }

  private example(operationId: string, status: number): Record<string, unknown> {
    const op = this.description.operation(operationId)!;
    let ex = this.description.example(op, status);
    if (Array.isArray(ex)) ex = ex[0];
    return (ex ?? {}) as Record<string, unknown>;
  }

  private user(login: string): Record<string, unknown> {
    const u = (this.example('issues/get-comment', 200).user ?? {}) as Record<string, unknown>;
    const bot = login.endsWith('[bot]');
    return {
      ...u,
      login,
      id: bot ? 41898282 : 1,
      url: `${this.url}/users/${encodeURIComponent(login)}`,
      html_url: `https://github.com/${bot ? 'apps/' + login.replace(/\[bot\]$/, '') : login}`,
      type: bot ? 'Bot' : 'User',
    };
  }

  private repoJson(r: Repo): unknown {
    const ex = this.example('repos/get', 200);
    const owner = { ...this.user(r.owner), type: 'Organization', id: r.id + 1 };
    const { parent: _parent, source: _source, template_repository: _template, ...rest } = ex;
    return {
      ...rest,
      id: r.id,
      name: r.name,
      full_name: `${r.owner}/${r.name}`,
      owner,
      private: r.private,
      visibility: r.private ? 'private' : 'public',
      html_url: `https://github.com/${r.owner}/${r.name}`,
      url: `${this.url}/repos/${r.owner}/${r.name}`,
      default_branch: r.defaultBranch,
      language: 'Python',
      fork: false,
    };
  }

  private pullJson(r: Repo, pr: PullRequestSeed): unknown {
    const ex = this.example('pulls/get', 200);
    const repoJson = this.repoJson(r) as Record<string, unknown>;
    const headRepoName = pr.headRepo ?? `${r.owner}/${r.name}`;
    const fork = headRepoName.toLowerCase() !== `${r.owner}/${r.name}`.toLowerCase();
    const [ho, hn] = splitRepo(headRepoName);
    const headRepo = fork
      ? { ...repoJson, id: r.id + 100, name: hn, full_name: headRepoName, owner: { ...this.user(ho), id: r.id + 101 }, fork: true }
      : repoJson;
    const exHead = ex.head as Record<string, unknown>;
    const exBase = ex.base as Record<string, unknown>;
    const api = `${this.url}/repos/${r.owner}/${r.name}`;
    return {
      ...ex,
      url: `${api}/pulls/${pr.number}`,
      id: pr.number + 500000,
      number: pr.number,
      state: 'open',
      title: pr.title ?? `Pull request ${pr.number}`,
      html_url: `https://github.com/${r.owner}/${r.name}/pull/${pr.number}`,
      issue_url: `${api}/issues/${pr.number}`,
      comments_url: `${api}/issues/${pr.number}/comments`,
      requested_teams: [],
      head: {
        ...exHead,
        ref: pr.headRef ?? 'topic',
        sha: pr.headSha ?? 'f'.repeat(40),
        label: `${ho}:${pr.headRef ?? 'topic'}`,
        repo: headRepo,
        user: headRepo.owner,
      },
      base: {
        ...exBase,
        ref: pr.baseRef ?? r.defaultBranch,
        sha: pr.baseSha ?? r.branches.get(r.defaultBranch) ?? 'e'.repeat(40),
        label: `${r.owner}:${pr.baseRef ?? r.defaultBranch}`,
        repo: repoJson,
        user: repoJson.owner,
      },
    };
  }

  private commentJson(r: Repo, c: Comment): unknown {
    const ex = this.example('issues/get-comment', 200);
    const api = `${this.url}/repos/${r.owner}/${r.name}`;
    return {
      ...ex,
      id: c.id,
      node_id: Buffer.from(`IssueComment${c.id}`).toString('base64'),
      url: `${api}/issues/comments/${c.id}`,
      html_url: `https://github.com/${r.owner}/${r.name}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `${api}/issues/${c.issue}`,
      body: c.body,
      user: this.user(c.login),
      created_at: c.created,
      updated_at: c.updated,
      author_association: c.login.endsWith('[bot]') ? 'NONE' : 'MEMBER',
    };
  }

  private issueJson(r: Repo, i: Issue): unknown {
    const ex = this.example('issues/get', 200);
    const api = `${this.url}/repos/${r.owner}/${r.name}`;
    // state_reason: GitHub sends null for an open issue, which the description's enum does not list: left out.
    const {
      pull_request: _pr,
      closed_by: _closedBy,
      milestone: _milestone,
      assignee: _assignee,
      assignees: _assignees,
      state_reason: _reason,
      ...rest
    } = ex;
    const exLabel = ((ex.labels as unknown[] | undefined)?.[0] ?? {}) as Record<string, unknown>;
    return {
      ...rest,
      id: i.id,
      node_id: Buffer.from(`Issue${i.id}`).toString('base64'),
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      ...(i.state === 'closed' ? { state_reason: 'completed' } : {}),
      locked: false,
      comments: 0,
      url: `${api}/issues/${i.number}`,
      repository_url: api,
      labels_url: `${api}/issues/${i.number}/labels{/name}`,
      comments_url: `${api}/issues/${i.number}/comments`,
      events_url: `${api}/issues/${i.number}/events`,
      html_url: `https://github.com/${r.owner}/${r.name}/issues/${i.number}`,
      labels: i.labels.map((name, n) => ({ ...exLabel, id: n + 1, name, url: `${api}/labels/${encodeURIComponent(name)}` })),
      assignee: null,
      assignees: [],
      milestone: null,
      user: this.user(i.login),
      created_at: i.created,
      updated_at: i.updated,
      closed_at: i.state === 'closed' ? i.updated : null,
      closed_by: null,
      author_association: i.login.endsWith('[bot]') ? 'NONE' : 'MEMBER',
    };
  }

  private workflowRunJson(r: Repo, run: WorkflowRunSeed): unknown {
    const ex = this.example('actions/get-workflow-run', 200);
    const api = `${this.url}/repos/${r.owner}/${r.name}`;
    const repoJson = this.repoJson(r) as Record<string, unknown>;
    const headName = run.headRepo ?? `${r.owner}/${r.name}`;
    const fork = headName.toLowerCase() !== `${r.owner}/${r.name}`.toLowerCase();
    const [ho, hn] = splitRepo(headName);
    const headRepo = fork
      ? { ...repoJson, id: r.id + 100, name: hn, full_name: headName, owner: { ...this.user(ho), id: r.id + 101 }, fork: true }
      : repoJson;
    const sha = run.headSha ?? 'f'.repeat(40);
    return {
      ...ex,
      id: run.id,
      node_id: Buffer.from(`WorkflowRun${run.id}`).toString('base64'),
      name: run.name ?? run.path.split('/').pop(),
      display_title: run.name ?? run.path,
      path: run.path,
      head_branch: run.headBranch ?? r.defaultBranch,
      head_sha: sha,
      run_number: run.id,
      run_attempt: run.runAttempt ?? 1,
      event: run.event ?? 'push',
      status: run.status ?? 'completed',
      conclusion:
        run.status === undefined || run.status === 'completed' ? (run.conclusion === undefined ? 'success' : run.conclusion) : null,
      url: `${api}/actions/runs/${run.id}`,
      html_url: `https://github.com/${r.owner}/${r.name}/actions/runs/${run.id}`,
      jobs_url: `${api}/actions/runs/${run.id}/jobs`,
      logs_url: `${api}/actions/runs/${run.id}/logs`,
      check_suite_url: `${api}/check-suites/${run.id}`,
      artifacts_url: `${api}/actions/runs/${run.id}/artifacts`,
      cancel_url: `${api}/actions/runs/${run.id}/cancel`,
      rerun_url: `${api}/actions/runs/${run.id}/rerun`,
      workflow_url: `${api}/actions/workflows/${run.path.split('/').pop()}`,
      pull_requests: [],
      head_commit: { ...(ex.head_commit as Record<string, unknown>), id: sha, tree_id: sha },
      repository: repoJson,
      head_repository: headRepo,
    };
  }

  private deploymentJson(r: Repo, d: Deployment): unknown {
    const ex = this.example('repos/get-deployment', 200);
    const api = `${this.url}/repos/${r.owner}/${r.name}`;
    return {
      ...ex,
      url: `${api}/deployments/${d.id}`,
      id: d.id,
      node_id: Buffer.from(`Deployment${d.id}`).toString('base64'),
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload,
      original_environment: d.originalEnvironment,
      environment: d.environment,
      description: d.description,
      creator: this.user(d.login),
      created_at: d.created,
      updated_at: d.statuses.at(-1)?.created ?? d.created,
      statuses_url: `${api}/deployments/${d.id}/statuses`,
      repository_url: api,
      transient_environment: d.transient,
      production_environment: d.production,
    };
  }

  private deploymentStatusJson(r: Repo, d: Deployment, s: DeploymentStatus): unknown {
    const ex = this.example('repos/get-deployment-status', 200);
    const api = `${this.url}/repos/${r.owner}/${r.name}`;
    return {
      ...ex,
      url: `${api}/deployments/${d.id}/statuses/${s.id}`,
      id: s.id,
      node_id: Buffer.from(`DeploymentStatus${s.id}`).toString('base64'),
      state: s.state,
      creator: this.user(s.login),
      description: s.description,
      environment: s.environment,
      target_url: s.targetUrl,
      log_url: s.logUrl,
      environment_url: s.environmentUrl,
      created_at: s.created,
      updated_at: s.created,
      deployment_url: `${api}/deployments/${d.id}`,
      repository_url: api,
    };
  }

  /** An entry of the contents API (a file or a directory), without a file's content. */
  private contentJson(r: Repo, commit: string, path: string, type: 'file' | 'dir', sha: string, size: number): unknown {
    const api = `${this.url}/repos/${r.owner}/${r.name}`;
    const html = `${this.url.replace('127.0.0.1', 'localhost')}/${r.owner}/${r.name}/${type === 'dir' ? 'tree' : 'blob'}/${commit}/${path}`;
    const self = `${api}/contents/${path}?ref=${commit}`;
    const git = `${api}/git/${type === 'dir' ? 'trees' : 'blobs'}/${sha}`;
    return {
      type,
      size,
      name: path.split('/').pop() ?? path,
      path,
      sha,
      url: self,
      git_url: git,
      html_url: html,
      download_url: type === 'file' ? `${this.url}/raw/${r.owner}/${r.name}/${commit}/${path}` : null,
      _links: { self, git, html },
    };
  }

  private gitRefJson(r: Repo, ref: string, sha: string, type: string): unknown {
    const api = `${this.url}/repos/${r.owner}/${r.name}`;
    return {
      ref,
      node_id: Buffer.from(`Ref${ref}`).toString('base64'),
      url: `${api}/git/${ref}`,
      object: { type, sha, url: `${api}/git/${type === 'tag' ? 'tags' : 'commits'}/${sha}` },
    };
  }

  private gitTagJson(r: Repo, t: GitTag): unknown {
    const ex = this.example('git/get-tag', 200);
    const api = `${this.url}/repos/${r.owner}/${r.name}`;
    return {
      ...ex,
      node_id: Buffer.from(`Tag${t.sha}`).toString('base64'),
      tag: t.tag,
      sha: t.sha,
      url: `${api}/git/tags/${t.sha}`,
      message: t.message,
      tagger: t.tagger,
      object: { ...t.object, url: `${api}/git/${t.object.type === 'tag' ? 'tags' : 'commits'}/${t.object.sha}` },
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  }

  private commitStatusJson(s: CommitStatus): unknown {
    const ex = this.example('repos/create-commit-status', 201);
    return {
      ...ex,
      id: s.id,
      node_id: Buffer.from(`StatusContext${s.id}`).toString('base64'),
      url: `${this.url}/repos/statuses/${s.sha}`,
      state: s.state,
      description: s.description,
      target_url: s.targetUrl,
      context: s.context,
      creator: this.user(s.login),
      created_at: s.created,
      updated_at: s.created,
    };
  }
}

function key(owner: string, name: string): string {
  return `${owner.toLowerCase()}/${name.toLowerCase()}`;
}

function splitRepo(fullName: string): [string, string] {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(fullName);
  if (!m) throw new Error(`stand-in: "${fullName}" is not owner/repo`);
  return [m[1]!, m[2]!];
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a stand-in for api.github.com on 127.0.0.1. Pass its `url` as Octokit's `baseUrl`. */
export function startGitHubStandin(options: StandinOptions = {}): Promise<GitHubStandin> {
  return GitHubStandin.start(options);
}

/** A blob's bytes (up to GitHub's 100 MB file limit). */
function gitBlob(dir: string, sha: string): Buffer {
  return execFileSync('git', ['cat-file', 'blob', sha], { cwd: dir, maxBuffer: 128 * 1024 * 1024 });
}

/** A git command's trimmed output in `dir`, or undefined when it fails (an unknown ref or path). */
function gitOut(dir: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
