/**
 * Runs: the event, the github context, workflow-level concurrency, then the jobs of a workflow
 * in `needs` order (independent jobs at the same time), each after its `if:` with GitHub's
 * job-level status functions, its strategy.matrix legs, job-level concurrency, and reusable
 * workflow calls with their inputs, secrets and outputs.
 */
import type { GitHubStandin } from '@karoo/github-standin';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheService } from './cache-service.js';
import { ConcurrencyGroups } from './concurrency.js';
import { events, isForkPullRequest, refsFor } from './events.js';
import { notTriggered, type EventFilters } from './filters.js';
import { asString, evaluateCondition, evaluateMapping, evaluateToken, type Scope } from './expressions.js';
import { runJob, type JobInput } from './job.js';
import { Masker } from './log.js';
import { cap, defaultPermissions, nestedPermissionError, parsePermissions, READ_ALL } from './permissions.js';
import {
  field,
  inputDefinitions,
  loadWorkflow,
  workflowEvents,
  parseUses,
  secretDefinitions,
  WorkflowError,
  type PlannedJob,
  type Workflow,
} from './plan.js';
import { Cancellation } from './process.js';
import { git, Repos } from './repos.js';
import type { RunState, Services, TokenInfo } from './state.js';
import type { Conclusion, JobResult, RunOptions, RunResult, TokenPermissions } from './types.js';

export interface RunnerOptions {
  /** The GitHub API stand-in every run talks to (a run's own `github` option wins). */
  readonly github?: GitHubStandin;
  /** GITHUB_SERVER_URL. Default https://github.com (see the README: @actions/cache treats other hosts as GHES). */
  readonly serverUrl?: string;
  /** Where jobs, actions and artifacts live. Default: a new temporary directory, removed by close(). */
  readonly workdir?: string;
}

interface JobOutcome {
  result: Conclusion;
  outputs: Record<string, string>;
}

/** What a re-run starts from: the attempt before, and whether only its failed jobs run again. */
interface Rerun {
  readonly previous: RunResult;
  readonly failedOnly: boolean;
}

interface WorkflowParams {
  readonly inputs: Record<string, unknown> | null;
  readonly secrets: Record<string, string>;
  readonly keyPrefix: string;
  /** A called workflow's token never gets more than its caller job's. */
  readonly permissionsCap?: TokenPermissions;
  readonly cancellation: Cancellation;
}

/** A session of runs sharing artifacts, the Actions cache, concurrency groups and tokens. */
export class WorkflowRunner {
  readonly concurrency = new ConcurrencyGroups();
  readonly artifactsRoot: string;
  private cacheService: Promise<CacheService> | undefined;
  private readonly tokens = new Map<string, TokenInfo>();
  /** Each run's options (its first attempt's), for re-runs. */
  private readonly runs = new Map<number, RunOptions>();
  private id = 1000;
  private readonly ownsWorkdir: boolean;
  private readonly workdir: string;

  constructor(private readonly options: RunnerOptions = {}) {
    this.ownsWorkdir = !options.workdir;
    this.workdir = options.workdir ?? mkdtempSync(join(tmpdir(), 'karoo-workflow-runner-'));
    this.artifactsRoot = join(this.workdir, 'artifacts');
    mkdirSync(this.artifactsRoot, { recursive: true });
    // Node decides whether a .js file (an action's main.js, a `shell: node {0}` script) is
    // CommonJS from the nearest package.json above it. On GitHub there is none above the
    // runner's directories; here a package.json in /tmp (or wherever) would decide. This one
    // says nothing, so the default (CommonJS) applies, as on GitHub.
    writeFileSync(join(this.workdir, 'package.json'), '{}\n');
  }

  /** The Actions cache stand-in, once a JavaScript action has needed it. */
  async cache(): Promise<CacheService> {
    this.cacheService ??= CacheService.start();
    return this.cacheService;
  }

  /** Stops the cache stand-in and removes the working directory (when the runner made it). */
  async close(): Promise<void> {
    if (this.cacheService) await (await this.cacheService).close();
    if (this.ownsWorkdir) rmSync(this.workdir, { recursive: true, force: true });
  }

  /** Runs one workflow for one event, to completion (and what it triggers: RunOptions.followWorkflowRun). */
  async run(options: RunOptions): Promise<RunResult> {
    return this.followed(options, await this.runOnce(options));
  }

  /**
   * Re-runs a completed run as GitHub's "Re-run all jobs" (or, with `failedOnly`, "Re-run failed
   * jobs") does: the next attempt of the same run, with the same id, event, commit, ref, inputs
   * and secrets (the first attempt's options), and the same artifacts, so an upload of a name an
   * earlier attempt uploaded needs `overwrite: true`. With `failedOnly`, only the jobs that
   * failed or were cancelled and the jobs that need them run again; the others keep the result
   * and outputs of the attempt before (JobResult.fromAttempt), inside called workflows too. A
   * matrix job with a failed leg runs all its legs again (GitHub re-runs only the failed legs).
   */
  async rerun(previous: RunResult, o: { readonly failedOnly?: boolean } = {}): Promise<RunResult> {
    const options = this.runs.get(previous.runId);
    if (!options) throw new WorkflowError(`run ${previous.runId} was not run by this runner: nothing to re-run`);
    return this.followed(options, await this.runOnce(options, { previous, failedOnly: o.failedOnly === true }));
  }

  /** The result, with the workflow_run runs its completion started when the options ask for them. */
  private async followed(options: RunOptions, result: RunResult): Promise<RunResult> {
    if (!options.followWorkflowRun) return result;
    return { ...result, triggered: await this.workflowRunsOf(options, result) };
  }

  /**
   * The `workflow_run` workflows a completed run starts, as GitHub does: those on the default
   * branch whose `on.workflow_run.workflows` names the run's workflow, whose `types` (default:
   * all) include `completed` and whose `branches`/`branches-ignore` let the run's head branch
   * through; each runs on the default branch's head with the repository's secrets.
   */
  private async workflowRunsOf(options: RunOptions, r: RunResult): Promise<RunResult[]> {
    const follow = options.followWorkflowRun!;
    const repository = repositoryOf(options);
    const defaultBranch = defaultBranchOf(options.payload ?? {});
    const mainSha = git(options.repo, ['rev-parse', `refs/heads/${defaultBranch}`]).trim();
    const files = git(options.repo, ['ls-tree', '--name-only', `${mainSha}:.github/workflows`])
      .split('\n')
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => `.github/workflows/${f}`);
    const out: RunResult[] = [];
    const payload = events.workflowRun({
      repository,
      id: r.runId,
      name: r.workflowName,
      event: options.event,
      conclusion: r.conclusion,
      headSha: r.head.sha,
      headBranch: r.head.branch,
      headRepo: r.head.repository,
    });
    for (const path of files) {
      const on = (await workflowEvents(path, git(options.repo, ['show', `${mainSha}:${path}`])))?.workflow_run;
      // The workflows it names, then the filters every event goes through (types, branches).
      if (!on?.workflows?.includes(r.workflowName) || notTriggered('workflow_run', on as EventFilters, payload)) continue;
      out.push(
        await this.runOnce({
          repo: options.repo,
          repository,
          workflow: path,
          event: 'workflow_run',
          payload,
          sha: mainSha,
          ref: `refs/heads/${defaultBranch}`,
          secrets: { ...(follow.secrets ?? {}) },
          vars: { ...(follow.vars ?? {}) },
          ...(options.repos ? { repos: options.repos } : {}),
          ...(options.github ? { github: options.github } : {}),
          ...(options.env ? { env: options.env } : {}),
          ...(options.onLog ? { onLog: options.onLog } : {}),
        }),
      );
    }
    return out;
  }

  private async runOnce(options: RunOptions, rerun?: Rerun): Promise<RunResult> {
    const standin = options.github ?? this.options.github;
    const repository = repositoryOf(options);
    const repos = new Repos({ ...(options.repos ?? {}), [repository]: options.repo }, join(this.workdir, 'actions'));
    const services: Services = {
      repos,
      workdir: this.workdir,
      artifactsRoot: this.artifactsRoot,
      toolCache: join(this.workdir, 'tool_cache'),
      concurrency: this.concurrency,
      tokens: this.tokens,
      standin,
      apiUrl: standin?.url ?? 'http://127.0.0.1:9',
      serverUrl: this.options.serverUrl ?? 'https://github.com',
      cache: () => this.cache(),
      nextId: () => this.id++,
    };
    mkdirSync(services.toolCache, { recursive: true });
    const payload = { ...(options.payload ?? {}) };
    const defaultBranch = defaultBranchOf(payload);
    const refs = refsFor(options.event, payload, () => git(options.repo, ['rev-parse', 'HEAD']), defaultBranch);
    const sha = options.sha ?? refs.sha;
    const ref = options.ref ?? refs.ref;
    const workflow = await loadWorkflow(repos, repository, sha, options.workflow, ref);
    if (!(options.event in workflow.template.events)) {
      throw new WorkflowError(
        `${options.workflow} is not triggered by ${options.event} (on: ${Object.keys(workflow.template.events).join(', ')})`,
      );
    }
    // As GitHub: an event its filters (types, branches, tags) leave out starts no run at all.
    const filtered = notTriggered(options.event, workflow.template.events[options.event] as EventFilters | undefined, payload);
    if (filtered) throw new WorkflowError(`${options.workflow} is not triggered by this ${options.event} event: ${filtered}`);
    const runId = rerun ? rerun.previous.runId : services.nextId();
    const attempt = rerun ? rerun.previous.attempt + 1 : 1;
    if (!rerun) this.runs.set(runId, options);
    // One directory for every attempt: GitHub keeps a run's artifacts across its attempts.
    const artifactsDir = join(this.artifactsRoot, String(runId));
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(join(artifactsDir, '.repository'), repository);
    const eventPath = join(this.workdir, `event-${runId}-${attempt}.json`);
    writeFileSync(eventPath, JSON.stringify(payload));
    const fork = isForkPullRequest(options.event, payload);
    const masker = new Masker();
    const secrets = fork ? {} : { ...(options.secrets ?? {}) };
    for (const v of Object.values(secrets)) masker.add(v);
    const [owner] = repository.split('/');
    const refName = ref.startsWith('refs/pull/') ? ref.slice('refs/pull/'.length) : ref.replace(/^refs\/(heads|tags)\//, '');
    const actor = options.actor ?? 'octocat';
    const github: Record<string, unknown> = {
      event_name: options.event,
      event: payload,
      event_path: eventPath,
      sha,
      ref,
      ref_name: refName,
      ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      ref_protected: 'false',
      head_ref: refs.headRef,
      base_ref: refs.baseRef,
      repository,
      repository_id: String((payload.repository as { id?: number } | undefined)?.id ?? 100),
      repository_owner: owner,
      repository_owner_id: '1000',
      repositoryUrl: `git://github.com/${repository}.git`,
      actor,
      actor_id: '1',
      triggering_actor: actor,
      run_id: String(runId),
      run_number: String(runId - 999),
      run_attempt: String(attempt),
      workflow: workflow.name,
      workflow_ref: workflow.ref,
      workflow_sha: sha,
      server_url: services.serverUrl,
      api_url: services.apiUrl,
      graphql_url: `${services.apiUrl}/graphql`,
      retention_days: '90',
      secret_source: 'Actions',
    };
    const run: RunState = {
      services,
      options,
      runId,
      repository,
      defaultBranch,
      github,
      eventPath,
      cancellation: new Cancellation(),
      masker,
      tokens: [],
      results: [],
      artifactsDir,
      vars: { ...(options.vars ?? {}) },
      environments: options.environments ?? {},
      fork,
      log: [],
      ...(rerun?.failedOnly ? { kept: { attempt: rerun.previous.attempt, jobs: rerun.previous.jobs } } : {}),
    };
    // The run as the API shows it (actions/get-workflow-run), for workflows that look it up
    // (a workflow_run workflow checking the run that triggered it).
    const pr = payload.pull_request as { head?: { sha?: string; ref?: string; repo?: { full_name?: string } } } | undefined;
    const publish = (status: 'in_progress' | 'completed', conclusion: Conclusion | null) => {
      if (!standin || !standin.addWorkflowRun) return;
      try {
        standin.addWorkflowRun(repository, {
          id: runId,
          path: options.workflow,
          name: workflow.name,
          event: options.event,
          status,
          conclusion,
          headSha: pr?.head?.sha ?? sha,
          headBranch: pr?.head?.ref ?? refName,
          headRepo: pr?.head?.repo?.full_name ?? repository,
          runAttempt: attempt,
        });
      } catch {
        // the stand-in does not know the repository (no addRepo): nothing to show
      }
    };
    publish('in_progress', null);
    const finish = (conclusion: Conclusion, outputs: Record<string, string> = {}, reason?: string): RunResult => {
      publish('completed', conclusion);
      return finishResult(conclusion, outputs, reason);
    };
    const finishResult = (conclusion: Conclusion, outputs: Record<string, string> = {}, reason?: string): RunResult => ({
      runId,
      attempt,
      workflowName: workflow.name,
      head: { sha: pr?.head?.sha ?? sha, branch: pr?.head?.ref ?? refName, repository: pr?.head?.repo?.full_name ?? repository },
      conclusion,
      jobs: Object.fromEntries(run.results.map((r) => [r.key, r])),
      outputs,
      artifactsDir,
      requests: standin ? standin.requests.filter((r) => r.token !== undefined && run.tokens.includes(r.token)) : [],
      log: run.log.join('\n'),
      masked: masker.masked,
      reason,
    });

    const inputs = options.event === 'workflow_dispatch' ? dispatchInputs(workflow, payload) : null;
    const baseScope: Scope = { contexts: { github, inputs, vars: run.vars } };
    // Workflow-level concurrency.
    const group = concurrency(workflow.template.concurrency, baseScope);
    const holder = {
      label: `run ${runId}`,
      cancelRunning: () => run.cancellation.cancel('cancelled by a newer run in its concurrency group'),
    };
    if (group) {
      const got = await this.concurrency.acquire(group.group, holder, group);
      if (got === 'cancelled') return finish('cancelled', {}, `cancelled while pending in concurrency group ${group.group}`);
    }
    try {
      const outcomes = await executeWorkflow(run, workflow, { inputs, secrets, keyPrefix: '', cancellation: run.cancellation });
      const results = [...outcomes.values()].map((o) => o.result);
      const conclusion: Conclusion = run.cancellation.cancelled
        ? 'cancelled'
        : results.includes('failure')
          ? 'failure'
          : results.includes('cancelled')
            ? 'cancelled'
            : 'success';
      return finish(conclusion, {}, run.cancellation.reason);
    } finally {
      if (group) this.concurrency.release(group.group, holder);
    }
  }
}

/** Runs one workflow with a runner of its own, closed afterwards (artifacts go with it: use a WorkflowRunner to keep them). */
export async function runWorkflow(options: RunOptions & { runner?: WorkflowRunner }): Promise<RunResult> {
  if (options.runner) return options.runner.run(options);
  const runner = new WorkflowRunner({ github: options.github });
  try {
    return await runner.run(options);
  } finally {
    await runner.close();
  }
}

interface ConcurrencySetting {
  readonly group: string;
  readonly cancelInProgress: boolean;
  readonly queue: 'single' | 'max';
}

function concurrency(token: unknown, scope: Scope): ConcurrencySetting | undefined {
  if (!token) return undefined;
  const v = evaluateToken(token as never, scope);
  if (v === null || v === undefined || v === '') return undefined;
  if (typeof v === 'string') return { group: v, cancelInProgress: false, queue: 'single' };
  const o = v as { group?: unknown; 'cancel-in-progress'?: unknown; queue?: unknown };
  if (!o.group) return undefined;
  return {
    group: asString(o.group),
    cancelInProgress: o['cancel-in-progress'] === true || o['cancel-in-progress'] === 'true',
    queue: o.queue === 'max' ? 'max' : 'single',
  };
}

/** workflow_dispatch inputs: the form's strings, typed by their definitions, defaults applied. */
function dispatchInputs(workflow: Workflow, payload: Record<string, unknown>): Record<string, unknown> {
  const defs = inputDefinitions(workflow, 'workflow_dispatch');
  const given = (payload.inputs ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(defs)) {
    const raw = given[name];
    const fallback = def.default ? evaluateToken(def.default, { contexts: {} }) : undefined;
    if ((raw === undefined || raw === '') && def.required && fallback === undefined)
      throw new WorkflowError(`workflow_dispatch: Required input '${name}' not provided`);
    const value = raw === undefined ? fallback : raw;
    if (def.type === 'choice' && def.options && value !== undefined && !def.options.includes(String(value))) {
      throw new WorkflowError(`workflow_dispatch: Provided value '${String(value)}' for input '${name}' not in the list of allowed values`);
    }
    out[name] = typed(def.type, value, name);
  }
  for (const name of Object.keys(given))
    if (!(name in defs)) throw new WorkflowError(`workflow_dispatch: Unexpected inputs provided: ["${name}"]`);
  return out;
}

function typed(type: string, value: unknown, name: string): unknown {
  if (value === undefined || value === null) return type === 'boolean' ? false : type === 'number' ? null : '';
  switch (type) {
    case 'boolean':
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      throw new WorkflowError(`input '${name}' must be a boolean, got ${JSON.stringify(value)}`);
    case 'number': {
      const n = Number(value);
      if (Number.isNaN(n)) throw new WorkflowError(`input '${name}' must be a number, got ${JSON.stringify(value)}`);
      return n;
    }
    default:
      return asString(value);
  }
}

/** Runs the jobs of one workflow (the run's, or a called one) and returns their outcomes by job id. */
async function executeWorkflow(run: RunState, workflow: Workflow, params: WorkflowParams): Promise<Map<string, JobOutcome>> {
  const outcomes = new Map<string, Promise<JobOutcome>>();
  const byId = new Map(workflow.jobs.map((j) => [j.id, j]));
  const ancestors = (id: string, seen = new Set<string>()): Set<string> => {
    for (const n of byId.get(id)?.model.needs ?? []) {
      if (seen.has(n.value)) continue;
      seen.add(n.value);
      ancestors(n.value, seen);
    }
    return seen;
  };
  const workflowEnv = evaluateMapping(workflow.template.env, {
    contexts: { github: run.github, inputs: params.inputs, vars: run.vars, secrets: params.secrets },
  });
  const final = new Map<string, JobOutcome>();
  // Jobs that run in this attempt (all of them, unless this is a re-run of failed jobs).
  const ran = new Set<string>();
  const start = (job: PlannedJob): Promise<JobOutcome> => {
    let p = outcomes.get(job.id);
    if (p) return p;
    p = (async () => {
      const needIds = (job.model.needs ?? []).map((n) => n.value);
      await Promise.all(needIds.map((n) => start(byId.get(n)!)));
      const needs = Object.fromEntries(needIds.map((n) => [n, final.get(n)!]));
      const anc = [...ancestors(job.id)].map((a) => final.get(a)!.result);
      const status = {
        success: () => !params.cancellation.cancelled && anc.every((r) => r === 'success'),
        failure: () => anc.includes('failure'),
        cancelled: () => params.cancellation.cancelled,
      };
      const key = `${params.keyPrefix}${job.id}`;
      const kept = needIds.some((n) => ran.has(n)) ? undefined : keptOutcome(run, key);
      if (kept) {
        final.set(job.id, kept);
        return kept;
      }
      ran.add(job.id);
      const scope: Scope = { contexts: { github: run.github, needs, vars: run.vars, inputs: params.inputs }, status };
      let outcome: JobOutcome;
      try {
        if (!evaluateCondition(job.model.if.expression, scope)) {
          recordPlaceholder(run, key, job.id, 'skipped');
          outcome = { result: 'skipped', outputs: {} };
        } else {
          outcome = await runLegs(run, workflow, job, params, needs, workflowEnv);
        }
      } catch (e) {
        recordPlaceholder(run, key, job.id, 'failure', (e as Error).message);
        outcome = { result: 'failure', outputs: {} };
      }
      final.set(job.id, outcome);
      return outcome;
    })();
    outcomes.set(job.id, p);
    return p;
  };
  await Promise.all(workflow.jobs.map((j) => start(j)));
  return final;
}

/**
 * In a re-run of failed jobs, the outcome of a job that does not run again: its results of the
 * attempt before (its matrix legs', its called jobs') recorded again, when none failed or was
 * cancelled; else undefined (it runs).
 */
function keptOutcome(run: RunState, key: string): JobOutcome | undefined {
  if (!run.kept) return undefined;
  const before = Object.values(run.kept.jobs).filter((j) => j.key === key || j.key.startsWith(`${key} (`) || j.key.startsWith(`${key}/`));
  if (before.length === 0 || before.some((j) => j.result === 'failure' || j.result === 'cancelled')) return undefined;
  for (const j of before) {
    run.results.push({ ...j, fromAttempt: j.fromAttempt ?? run.kept.attempt });
    run.log.push(`== ${j.key}: ${j.result} (kept from attempt ${j.fromAttempt ?? run.kept.attempt})`);
  }
  const own = before.find((j) => j.key === key);
  if (own) return { result: own.result, outputs: own.outputs };
  const legs = before.filter((j) => j.key.startsWith(`${key} (`));
  return {
    result: legs.every((j) => j.result === 'skipped') ? 'skipped' : 'success',
    outputs: Object.assign({}, ...legs.map((j) => j.outputs)) as Record<string, string>,
  };
}

function recordPlaceholder(run: RunState, key: string, jobId: string, result: Conclusion, error?: string): JobResult {
  const r: JobResult = {
    key,
    jobId,
    name: jobId,
    result,
    outcome: result,
    outputs: {},
    steps: [],
    log: error ? `##[error]${run.masker.mask(error)}` : '',
    summary: '',
    permissions: {},
    token: '',
    annotations: error ? [{ level: 'error', message: run.masker.mask(error), properties: {} }] : [],
  };
  run.results.push(r);
  run.log.push(`== ${key}: ${result}${error ? ` (${run.masker.mask(error)})` : ''}`);
  return r;
}

/** What a job's `permissions:` (or its workflow's) asks for; undefined when neither says. */
function askedPermissions(workflow: Workflow, job: PlannedJob): TokenPermissions | undefined {
  const where = `${workflow.path} jobs.${job.id}`;
  return (
    parsePermissions(evaluateToken(field(job.raw, 'permissions'), { contexts: {} }), where) ??
    parsePermissions(evaluateToken(field(workflow.root, 'permissions'), { contexts: {} }), workflow.path)
  );
}

/** The permissions a job is granted as written: its own, its workflow's, the caller's, or the repository's default. */
function declaredPermissions(run: RunState, workflow: Workflow, job: PlannedJob, params: WorkflowParams): TokenPermissions {
  let p = askedPermissions(workflow, job);
  if (p === undefined) p = params.permissionsCap ?? defaultPermissions(run.options.defaultPermissions ?? 'restricted');
  if (params.permissionsCap) p = cap(p, params.permissionsCap);
  return p;
}

/** The permissions of a job's token: as declared, and read-only in a fork's pull request run. */
function jobPermissions(run: RunState, workflow: Workflow, job: PlannedJob, params: WorkflowParams): TokenPermissions {
  const p = declaredPermissions(run, workflow, job, params);
  return run.fork ? cap(p, READ_ALL) : p;
}

/** strategy.matrix: the legs of a job, GitHub's include/exclude rules. */
function expandMatrix(matrix: unknown): Array<Record<string, unknown>> | undefined {
  if (matrix === undefined || matrix === null) return undefined;
  if (typeof matrix !== 'object' || Array.isArray(matrix))
    throw new WorkflowError(`strategy.matrix must be a mapping, got ${JSON.stringify(matrix)}`);
  const m = matrix as Record<string, unknown>;
  const keys = Object.keys(m).filter((k) => k !== 'include' && k !== 'exclude');
  let combos: Array<Record<string, unknown>> = [{}];
  for (const k of keys) {
    const values = m[k];
    if (!Array.isArray(values)) throw new WorkflowError(`strategy.matrix.${k} must be a sequence`);
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  }
  if (keys.length === 0) combos = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const ex of (m.exclude as Array<Record<string, unknown>>) ?? [])
    combos = combos.filter((c) => !Object.entries(ex).every(([k, v]) => same(c[k], v)));
  const originals = combos.map((c) => ({ ...c }));
  for (const inc of (m.include as Array<Record<string, unknown>>) ?? []) {
    let matched = false;
    combos = combos.map((c, i) => {
      const orig = originals[i]!;
      if (Object.entries(inc).every(([k, v]) => !(k in orig) || same(orig[k], v))) {
        matched = true;
        return { ...c, ...inc };
      }
      return c;
    });
    if (!matched) {
      combos.push({ ...inc });
      originals.push({ ...inc });
    }
  }
  if (combos.length === 0) throw new WorkflowError('Matrix vector does not contain any values');
  return combos;
}

async function runLegs(
  run: RunState,
  workflow: Workflow,
  job: PlannedJob,
  params: WorkflowParams,
  needs: Record<string, JobOutcome>,
  workflowEnv: Record<string, string>,
): Promise<JobOutcome> {
  const scope: Scope = { contexts: { github: run.github, needs, vars: run.vars, inputs: params.inputs } };
  const strategy = (evaluateToken(job.model.strategy, scope) ?? {}) as Record<string, unknown>;
  const legs = expandMatrix(strategy.matrix);
  const failFast = strategy['fail-fast'] === undefined ? true : strategy['fail-fast'] === true || strategy['fail-fast'] === 'true';
  const list = legs ?? [null];
  const results: JobOutcome[] = [];
  let stop = false;
  for (const [i, matrix] of list.entries()) {
    const legKey = matrix
      ? `${params.keyPrefix}${job.id} (${Object.values(matrix)
          .map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)))
          .join(', ')})`
      : `${params.keyPrefix}${job.id}`;
    if (stop) {
      recordPlaceholder(run, legKey, job.id, 'cancelled');
      results.push({ result: 'cancelled', outputs: {} });
      continue;
    }
    const strategyContext = {
      'fail-fast': failFast,
      'job-index': i,
      'job-total': list.length,
      'max-parallel': Number(strategy['max-parallel'] ?? list.length),
    };
    const o = await runOne(run, workflow, job, params, needs, workflowEnv, legKey, matrix, strategyContext);
    results.push(o);
    if (o.result === 'failure' && failFast && legs) stop = true;
  }
  const rs = results.map((r) => r.result);
  const result: Conclusion = rs.includes('failure')
    ? 'failure'
    : rs.includes('cancelled')
      ? 'cancelled'
      : rs.every((r) => r === 'skipped')
        ? 'skipped'
        : 'success';
  return { result, outputs: Object.assign({}, ...results.map((r) => r.outputs)) as Record<string, string> };
}

async function runOne(
  run: RunState,
  workflow: Workflow,
  job: PlannedJob,
  params: WorkflowParams,
  needs: Record<string, JobOutcome>,
  workflowEnv: Record<string, string>,
  key: string,
  matrix: Record<string, unknown> | null,
  strategy: Record<string, unknown>,
): Promise<JobOutcome> {
  const cancellation = params.cancellation.child();
  const scope: Scope = { contexts: { github: run.github, needs, vars: run.vars, inputs: params.inputs, matrix, strategy } };
  const group = concurrency(field(job.raw, 'concurrency'), scope);
  const holder = {
    label: `${key} of run ${run.runId}`,
    cancelRunning: () => cancellation.cancel('cancelled by a newer job in its concurrency group'),
  };
  if (group) {
    const got = await run.services.concurrency.acquire(group.group, holder, group);
    if (got === 'cancelled') {
      recordPlaceholder(run, key, job.id, 'cancelled', `Canceling since a higher priority waiting request for ${group.group} exists`);
      return { result: 'cancelled', outputs: {} };
    }
  }
  try {
    const permissions = jobPermissions(run, workflow, job, params);
    if (job.model.type === 'reusableWorkflowJob') {
      // GitHub checks the called jobs against what this job was granted as written (a fork's
      // read-only token is a runtime cap, not part of that check).
      const declared = declaredPermissions(run, workflow, job, params);
      return await callWorkflow(run, workflow, job, params, needs, key, matrix, strategy, permissions, cancellation, declared);
    }
    const input: JobInput = {
      key,
      jobId: job.id,
      workflow,
      planned: job,
      inputs: params.inputs,
      secrets: params.secrets,
      needs,
      matrix,
      strategy,
      permissions,
      workflowEnv,
      cancellation,
    };
    const r = await runJob(run, input);
    return { result: r.result, outputs: r.outputs };
  } finally {
    if (group) run.services.concurrency.release(group.group, holder);
  }
}

/** A job that calls a reusable workflow: its inputs, secrets, jobs and outputs. */
async function callWorkflow(
  run: RunState,
  caller: Workflow,
  job: PlannedJob,
  params: WorkflowParams,
  needs: Record<string, JobOutcome>,
  key: string,
  matrix: Record<string, unknown> | null,
  strategy: Record<string, unknown>,
  permissions: TokenPermissions,
  cancellation: Cancellation,
  declared: TokenPermissions,
): Promise<JobOutcome> {
  const model = job.model;
  if (model.type !== 'reusableWorkflowJob') throw new Error('not a reusable workflow job');
  const uses = parseUses(model.ref.value);
  let repository = caller.repository;
  let sha = caller.sha;
  let refName = String(run.github.ref);
  let path: string;
  if (uses.kind === 'remote') {
    repository = uses.repository;
    sha = run.services.repos.resolve(uses.repository, uses.ref);
    refName = uses.ref;
    path = uses.path;
  } else if (uses.kind === 'local' || uses.kind === 'self') {
    path = uses.path;
  } else throw new WorkflowError(`${model.ref.value}: not a reusable workflow`);
  const called = await loadWorkflow(run.services.repos, repository, sha, path, refName);
  if (!called.template.events.workflow_call)
    throw new WorkflowError(`${model.ref.value}: the workflow is not reusable (no on.workflow_call)`);
  for (const nested of called.jobs) {
    const asked = askedPermissions(called, nested);
    const error = asked && nestedPermissionError(nested.id, asked, declared);
    if (error) throw new WorkflowError(`${caller.path}: Error calling workflow '${model.ref.value}'. ${error}`);
  }
  const scope: Scope = {
    contexts: { github: run.github, needs, vars: run.vars, inputs: params.inputs, matrix, strategy, secrets: params.secrets },
  };
  // Inputs: typed by the called workflow's definitions, defaults evaluated there.
  const given = (evaluateToken(model['input-values'], scope) ?? {}) as Record<string, unknown>;
  const inputs: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(inputDefinitions(called, 'workflow_call'))) {
    let value = given[name];
    if (value === undefined && def.default !== undefined)
      value = evaluateToken(def.default, { contexts: { github: run.github, inputs: {}, vars: run.vars } });
    if (value === undefined && def.required)
      throw new WorkflowError(`${model.ref.value}: input '${name}' is required, but not provided while calling`);
    inputs[name] = typed(def.type, value, name);
  }
  // Secrets: mapped one by one, or inherited whole, which GitHub does only for a called workflow
  // of the same organization or enterprise (here: the same owner); another's gets none.
  let secrets: Record<string, string>;
  if (!model['inherit-secrets']) secrets = evaluateMapping(model['secret-values'], scope);
  else if (ownerOf(repository) === ownerOf(caller.repository)) secrets = { ...params.secrets };
  else {
    secrets = {};
    run.log.push(
      `== ${key}: secrets: inherit passes nothing to ${repository}, of another owner than ${caller.repository} (GitHub passes inherited secrets only within an organization or enterprise)`,
    );
  }
  for (const [name, required] of Object.entries(secretDefinitions(called))) {
    if (required && !secrets[name])
      throw new WorkflowError(`${model.ref.value}: secret '${name}' is required, but not provided while calling`);
  }
  const outcomes = await executeWorkflow(run, called, { inputs, secrets, keyPrefix: `${key}/`, permissionsCap: permissions, cancellation });
  const jobs = Object.fromEntries([...outcomes].map(([id, o]) => [id, { result: o.result, outputs: o.outputs }]));
  const outputs: Record<string, string> = {};
  const defs = field(field(field(called.root, 'on'), 'workflow_call'), 'outputs');
  if (defs && 'count' in defs) {
    const outScope: Scope = { contexts: { github: run.github, inputs, vars: run.vars, jobs } };
    for (const pair of defs as unknown as Iterable<{ key: { value: string }; value: unknown }>) {
      outputs[pair.key.value] = asString(evaluateToken(field(pair.value as never, 'value'), outScope));
    }
  }
  const rs = [...outcomes.values()].map((o) => o.result);
  const result: Conclusion = cancellation.cancelled
    ? 'cancelled'
    : rs.includes('failure')
      ? 'failure'
      : rs.includes('cancelled')
        ? 'cancelled'
        : 'success';
  const r = recordPlaceholder(run, key, job.id, result);
  Object.assign(r.outputs, outputs);
  Object.assign(r, { permissions });
  return { result, outputs };
}

const ownerOf = (repository: string) => repository.split('/')[0]!.toLowerCase();

/** `owner/name` of the run's repository: the option, else the payload's, else the key of `repos` mapping to `repo`. */
function repositoryOf(options: RunOptions): string {
  const fromPayload = (options.payload?.repository as { full_name?: string } | undefined)?.full_name;
  const repository = options.repository ?? fromPayload ?? Object.entries(options.repos ?? {}).find(([, d]) => d === options.repo)?.[0];
  if (!repository)
    throw new WorkflowError(`runWorkflow: name the repository of ${options.repo} with repository: 'owner/name' (or map it in repos)`);
  return repository;
}

/** The repository's default branch as the payload names it (GitHub's default: main). */
function defaultBranchOf(payload: Record<string, unknown>): string {
  return String((payload.repository as { default_branch?: string } | undefined)?.default_branch ?? 'main');
}
