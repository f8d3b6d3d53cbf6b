/**
 * The job executor: one job of a workflow on a fresh "machine" (its own workspace, temp and
 * home directories), as the runner executes it: actions prepared first (a missing action fails
 * the job before any step), `pre` steps, the steps in order with their conditions, `post` steps
 * in reverse order, then the job's outputs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateCondition, evaluateMapping, evaluateString, evaluateToken, isTruthy, type Scope } from './expressions.js';
import { matchesPattern } from './filters.js';
import { CommandProcessor, readKeyValueFile, readPathFile, type Annotation } from './log.js';
import { field, planSteps, type PlannedJob, type PlannedStep, type Workflow } from './plan.js';
import { standinScopes } from './permissions.js';
import { Cancellation, exec, killGroups, type ExecResult } from './process.js';
import type { RunState } from './state.js';
import { prepareAction, runStep, type Frame } from './steps/step.js';
import type { Conclusion, JobResult, StepResult, TokenPermissions } from './types.js';

export interface JobInput {
  readonly key: string;
  readonly jobId: string;
  readonly workflow: Workflow;
  readonly planned: PlannedJob;
  /** The `inputs` context (workflow_dispatch or workflow_call inputs). */
  readonly inputs: Record<string, unknown> | null;
  readonly secrets: Record<string, string>;
  readonly needs: Record<string, { result: Conclusion; outputs: Record<string, string> }>;
  readonly matrix: Record<string, unknown> | null;
  readonly strategy: Record<string, unknown>;
  readonly permissions: TokenPermissions;
  /** Evaluated workflow-level env. */
  readonly workflowEnv: Record<string, string>;
  readonly cancellation: Cancellation;
}

export interface StepContextEntry {
  outputs: Record<string, string>;
  outcome: Conclusion;
  conclusion: Conclusion;
}

export interface PostStep {
  readonly name: string;
  readonly condition: string;
  readonly run: () => Promise<StepResult>;
}

/** A job while it runs. */
export class JobRun {
  readonly workspace: string;
  readonly temp: string;
  readonly home: string;
  readonly files: string;
  readonly token = `ghs_${randomBytes(18).toString('hex')}`;
  readonly runtimeToken = `rt_${randomBytes(18).toString('hex')}`;
  status: 'success' | 'failure' | 'cancelled' = 'success';
  /** Environment set through GITHUB_ENV. */
  readonly runtimeEnv: Record<string, string> = {};
  /** Directories added through GITHUB_PATH, in order (later ones first on PATH). */
  readonly pathPrepend: string[] = [];
  readonly steps: Record<string, StepContextEntry> = {};
  readonly results: StepResult[] = [];
  readonly posts: PostStep[] = [];
  readonly log: string[] = [];
  readonly annotations: Annotation[] = [];
  /** Process groups of the job's steps, ended when the job ends. */
  readonly processGroups: number[] = [];
  summary = '';
  env: Record<string, string> = {};
  defaults: { shell?: string; workingDirectory?: string } = {};
  secrets: Record<string, string>;
  vars: Record<string, string>;
  environment: { name: string; url?: string } | undefined;
  readonly name: string;

  constructor(
    readonly run: RunState,
    readonly input: JobInput,
  ) {
    const base = join(run.services.workdir, `run-${run.runId}`, input.key.replace(/[^A-Za-z0-9_.-]+/g, '_'));
    const repoName = run.repository.split('/')[1]!;
    this.workspace = join(base, 'work', repoName, repoName);
    this.temp = join(base, 'temp');
    this.home = join(base, 'home');
    this.files = join(base, 'file_commands');
    for (const d of [this.workspace, this.temp, this.home, this.files]) mkdirSync(d, { recursive: true });
    this.secrets = { ...input.secrets, GITHUB_TOKEN: this.token };
    this.vars = { ...run.vars };
    const nameToken = input.planned.model.name;
    this.name = nameToken ? evaluateString(nameToken, this.scope({})) : input.jobId;
    if (input.matrix && !nameToken)
      this.name = `${input.jobId} (${Object.values(input.matrix)
        .map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)))
        .join(', ')})`;
  }

  get cancellation(): Cancellation {
    return this.input.cancellation;
  }

  /**
   * The cancellation of a step's process: cancelled with the job; a step that starts after the
   * job was cancelled (an always() or cancelled() step) runs to its end, as on GitHub.
   */
  stepCancellation(): Cancellation {
    return this.input.cancellation.cancelled ? new Cancellation() : this.input.cancellation.child();
  }

  /** The github context as a step sees it. */
  github(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      ...this.run.github,
      job: this.input.jobId,
      token: this.token,
      workspace: this.workspace,
      action: '',
      action_path: '',
      action_ref: '',
      action_repository: '',
      ...extra,
    };
  }

  jobContext(): Record<string, unknown> {
    const w = this.input.workflow;
    return {
      status: this.status,
      container: { network: '', id: '' },
      services: {},
      workflow_ref: w.ref,
      workflow_sha: w.sha,
      workflow_repository: w.repository,
      workflow_file_path: w.path,
    };
  }

  runnerContext(): Record<string, unknown> {
    return {
      name: 'karoo-workflow-runner',
      os: 'Linux',
      arch: 'X64',
      temp: this.temp,
      tool_cache: this.run.services.toolCache,
      debug: '',
      environment: 'github-hosted',
    };
  }

  /** An expression scope for this job; `contexts` override the defaults. */
  scope(contexts: Record<string, unknown>, status?: Scope['status']): Scope {
    return {
      contexts: {
        github: this.github(),
        env: { ...this.input.workflowEnv, ...this.env, ...this.runtimeEnv },
        vars: this.vars,
        secrets: this.secrets,
        inputs: this.input.inputs,
        needs: this.input.needs,
        steps: this.steps,
        job: this.jobContext(),
        runner: this.runnerContext(),
        matrix: this.input.matrix,
        strategy: this.input.strategy,
        ...contexts,
      },
      status,
      workspace: this.workspace,
    };
  }

  /** Status functions for the job's own steps (and pre/post steps). */
  statusFunctions(): NonNullable<Scope['status']> {
    return {
      success: () => this.status === 'success',
      failure: () => this.status === 'failure',
      cancelled: () => this.status === 'cancelled',
    };
  }

  write(line: string): void {
    const masked = this.run.masker.mask(line);
    this.log.push(masked);
    this.run.options.onLog?.(this.input.key, masked);
  }

  /** Runs a step's process: its lines through `commands`, cancelled with the step, its process group killed with the job. */
  execStep(
    commands: CommandProcessor,
    o: { command: string; args: string[]; cwd: string; env: Record<string, string>; timeoutMs: number | undefined },
  ): Promise<ExecResult> {
    return exec({
      ...o,
      onLine: (l) => commands.line(l),
      cancellation: this.stepCancellation(),
      onSpawn: (pgid) => this.processGroups.push(pgid),
    });
  }

  /** New, empty file-command files for one step. */
  fileCommands(): Record<'GITHUB_OUTPUT' | 'GITHUB_ENV' | 'GITHUB_PATH' | 'GITHUB_STATE' | 'GITHUB_STEP_SUMMARY', string> {
    const id = randomUUID();
    const out = {
      GITHUB_OUTPUT: join(this.files, `set_output_${id}`),
      GITHUB_ENV: join(this.files, `set_env_${id}`),
      GITHUB_PATH: join(this.files, `add_path_${id}`),
      GITHUB_STATE: join(this.files, `save_state_${id}`),
      GITHUB_STEP_SUMMARY: join(this.files, `step_summary_${id}`),
    };
    for (const f of Object.values(out)) writeFileSync(f, '');
    return out;
  }

  /**
   * Applies a step's GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY to the job; returns its
   * GITHUB_OUTPUT and GITHUB_STATE values.
   */
  applyFileCommands(
    files: ReturnType<JobRun['fileCommands']>,
    commands: CommandProcessor,
  ): { outputs: Record<string, string>; state: Record<string, string> } {
    for (const [k, v] of Object.entries(readKeyValueFile(files.GITHUB_ENV))) {
      if (k.toUpperCase() === 'NODE_OPTIONS') {
        this.write(`Warning: Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.`);
        continue;
      }
      this.runtimeEnv[k] = v;
    }
    this.pathPrepend.push(...readPathFile(files.GITHUB_PATH));
    const summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
    if (summary) this.summary += this.run.masker.mask(summary);
    this.annotations.push(...commands.annotations);
    return {
      outputs: { ...commands.outputs, ...readKeyValueFile(files.GITHUB_OUTPUT) },
      state: { ...commands.state, ...readKeyValueFile(files.GITHUB_STATE) },
    };
  }

  /**
   * The process environment of a step: the host's (minus anything GitHub- or jest-specific),
   * the step's env, then the runner's GITHUB_* and RUNNER_* variables, which env: cannot override.
   */
  processEnv(
    stepEnv: Record<string, string>,
    files: ReturnType<JobRun['fileCommands']>,
    github: Record<string, unknown>,
  ): Record<string, string> {
    const host: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v === undefined || /^(GITHUB_|INPUT_|RUNNER_|ACTIONS_|STATE_|JEST_|NODE_OPTIONS$|NODE_ENV$|npm_)/.test(k)) continue;
      host[k] = v;
    }
    const env: Record<string, string> = { ...host, HOME: this.home, ...this.run.options.env, ...stepEnv };
    const g = github as Record<string, string>;
    const runner = this.runnerContext() as Record<string, string>;
    Object.assign(env, {
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTION: g.action ?? '',
      GITHUB_ACTION_PATH: g.action_path ?? '',
      GITHUB_ACTION_REF: g.action_ref ?? '',
      GITHUB_ACTION_REPOSITORY: g.action_repository ?? '',
      GITHUB_ACTOR: g.actor,
      GITHUB_ACTOR_ID: g.actor_id,
      GITHUB_API_URL: g.api_url,
      GITHUB_BASE_REF: g.base_ref,
      GITHUB_EVENT_NAME: g.event_name,
      GITHUB_EVENT_PATH: this.run.eventPath,
      GITHUB_GRAPHQL_URL: g.graphql_url,
      GITHUB_HEAD_REF: g.head_ref,
      GITHUB_JOB: this.input.jobId,
      GITHUB_REF: g.ref,
      GITHUB_REF_NAME: g.ref_name,
      GITHUB_REF_PROTECTED: g.ref_protected,
      GITHUB_REF_TYPE: g.ref_type,
      GITHUB_REPOSITORY: g.repository,
      GITHUB_REPOSITORY_ID: g.repository_id,
      GITHUB_REPOSITORY_OWNER: g.repository_owner,
      GITHUB_REPOSITORY_OWNER_ID: g.repository_owner_id,
      GITHUB_RETENTION_DAYS: g.retention_days,
      GITHUB_RUN_ATTEMPT: g.run_attempt,
      GITHUB_RUN_ID: g.run_id,
      GITHUB_RUN_NUMBER: g.run_number,
      GITHUB_SERVER_URL: g.server_url,
      GITHUB_SHA: g.sha,
      GITHUB_TRIGGERING_ACTOR: g.triggering_actor,
      GITHUB_WORKFLOW: g.workflow,
      GITHUB_WORKFLOW_REF: g.workflow_ref,
      GITHUB_WORKFLOW_SHA: g.workflow_sha,
      GITHUB_WORKSPACE: this.workspace,
      RUNNER_ARCH: runner.arch,
      RUNNER_DEBUG: '',
      RUNNER_ENVIRONMENT: runner.environment,
      RUNNER_NAME: runner.name,
      RUNNER_OS: runner.os,
      RUNNER_TEMP: this.temp,
      RUNNER_TOOL_CACHE: runner.tool_cache,
      ...files,
    });
    if (!g.action_path) delete env.GITHUB_ACTION_PATH;
    env.PATH = [...[...this.pathPrepend].reverse(), stepEnv.PATH ?? env.PATH ?? ''].filter(Boolean).join(':');
    return env;
  }

  /** The job's frame: its own steps, the workflow's repository for `$/`. */
  frame(): Frame {
    return {
      job: this,
      steps: this.steps,
      inputs: this.input.inputs,
      baseEnv: () => ({ ...this.input.workflowEnv, ...this.env, ...this.runtimeEnv }),
      status: () => this.status,
      statusFunctions: this.statusFunctions(),
      markFailed: () => {
        if (this.status === 'success') this.status = 'failure';
      },
      self: { repository: this.input.workflow.repository, sha: this.input.workflow.sha },
      secrets: true,
      depth: 0,
      record: (r) => this.results.push(r),
    };
  }
}

/** Runs one job to completion and returns its result. */
export async function runJob(run: RunState, input: JobInput): Promise<JobResult> {
  const job = new JobRun(run, input);
  run.tokens.push(job.token);
  run.services.tokens.set(job.token, { permissions: input.permissions, runId: run.runId, repository: run.repository, job: input.key });
  run.services.standin?.addToken(job.token, { permissions: standinScopes(input.permissions) as never });
  run.masker.add(job.token);
  const offCancel = input.cancellation.on(() => {
    job.status = 'cancelled';
  });
  const finish = (outcome: Conclusion, outputs: Record<string, string> = {}): JobResult => {
    offCancel();
    killGroups(job.processGroups);
    // jobs.<id>.continue-on-error: a failed job does not fail the run (its conclusion is success).
    let continueOnError = false;
    try {
      continueOnError = isTruthy(evaluateToken(field(input.planned.raw, 'continue-on-error'), job.scope({})));
    } catch {
      // an invalid value fails the job as it is
    }
    const result: Conclusion = outcome === 'failure' && continueOnError ? 'success' : outcome;
    const r: JobResult = {
      key: input.key,
      jobId: input.jobId,
      name: job.name,
      result,
      outcome,
      outputs,
      steps: job.results,
      log: job.log.join('\n'),
      summary: job.summary,
      matrix: input.matrix ?? undefined,
      environment: job.environment?.name,
      permissions: input.permissions,
      token: job.token,
      annotations: job.annotations,
    };
    run.results.push(r);
    run.log.push(`== ${input.key}: ${result}`, r.log);
    return r;
  };
  const raw = input.planned.raw;
  const model = input.planned.model;
  if (model.type !== 'job') throw new Error('runJob: not a job with steps');
  job.write(`##[job] ${input.key}`);
  try {
    if (field(raw, 'container') || field(raw, 'services'))
      throw new JobFailure('container: and services: are not supported by the workflow runner');
    // environment: its secrets and variables, then its protection rules.
    if (model.environment) {
      const env = evaluateToken(model.environment, job.scope({}));
      const e = typeof env === 'string' ? { name: env } : (env as { name?: string; url?: string });
      if (e?.name) {
        job.environment = { name: e.name, url: e.url };
        const settings = Object.entries(run.environments).find(([k]) => k.toLowerCase() === e.name!.toLowerCase())?.[1];
        if (settings) {
          if (settings.branches && !refAllowed(String(run.github.ref), settings.branches)) {
            throw new JobFailure(
              `Branch "${String(run.github.ref_name)}" is not allowed to deploy to ${e.name} due to environment protection rules.`,
            );
          }
          if (settings.reviewers === 'reject') throw new JobFailure(`The deployment to ${e.name} was rejected by a required reviewer.`);
          if (!run.fork)
            for (const [k, v] of Object.entries(settings.secrets ?? {})) {
              job.secrets[k] = v;
              run.masker.add(v);
            }
          Object.assign(job.vars, settings.vars ?? {});
        }
      }
    }
    // env and defaults.
    job.env = evaluateMapping(model.env, job.scope({ env: input.workflowEnv }));
    const runDefaults = (t: unknown) => field(field(t as never, 'defaults'), 'run');
    for (const d of [runDefaults(input.workflow.root), runDefaults(raw)]) {
      if (!d) continue;
      const v = evaluateToken(d, job.scope({})) as { shell?: string; 'working-directory'?: string };
      if (v?.shell) job.defaults.shell = v.shell;
      if (v?.['working-directory']) job.defaults.workingDirectory = v['working-directory'];
    }
    const timeout = evaluateToken(field(raw, 'timeout-minutes'), job.scope({}));
    const timeoutMinutes = typeof timeout === 'number' ? timeout : timeout ? Number(timeout) : 360;
    const steps = planSteps(model.steps, field(raw, 'steps'));
    // "Prepare all required actions": resolve every action first, then run the pre steps.
    const prepared = new Map<PlannedStep, Awaited<ReturnType<typeof prepareAction>>>();
    for (const s of steps) if ('uses' in s.model) prepared.set(s, await prepareAction(job.frame(), s.model.uses.value));
    const jobCancel = input.cancellation;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      job.write(
        `##[error]The job running on runner karoo-workflow-runner has exceeded the maximum execution time of ${timeoutMinutes} minutes.`,
      );
      jobCancel.cancel('timeout');
    }, timeoutMinutes * 60_000);
    try {
      const frame = job.frame();
      for (const s of steps) {
        const p = prepared.get(s);
        if (p?.pre) await p.pre(frame, s);
      }
      for (const s of steps) await runStep(frame, s, prepared.get(s));
      for (const post of [...job.posts].reverse()) {
        const ok = evaluateCondition(post.condition, job.scope({}, job.statusFunctions()));
        if (ok) job.results.push(await post.run());
      }
    } finally {
      clearTimeout(timer);
    }
    // Job outputs: values that contain a secret are left out, as GitHub does.
    const outputs: Record<string, string> = {};
    const outputsToken = model.outputs;
    if (outputsToken) {
      const scope = job.scope({});
      for (const pair of outputsToken) {
        const name = evaluateString(pair.key, scope);
        const value = evaluateString(pair.value, scope);
        if (run.masker.contains(value)) {
          job.write(`Warning: Skip output '${name}' since it may contain secret.`);
          continue;
        }
        outputs[name] = value;
      }
    }
    const result: Conclusion = timedOut ? 'failure' : job.status === 'cancelled' ? 'cancelled' : job.status;
    return finish(result, outputs);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    job.write(`##[error]${message}`);
    job.annotations.push({ level: 'error', message, properties: {} });
    return finish(input.cancellation.cancelled ? 'cancelled' : 'failure');
  }
}

export class JobFailure extends Error {
  override name = 'JobFailure';
}

/** A deployment branch/tag policy: `main`, `release/*`, `v*` against refs/heads/… or refs/tags/…. */
function refAllowed(ref: string, patterns: readonly string[]): boolean {
  const name = ref.replace(/^refs\/(heads|tags)\//, '');
  return patterns.some((p) => matchesPattern(p, name));
}
