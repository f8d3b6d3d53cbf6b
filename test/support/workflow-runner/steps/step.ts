/**
 * One step, whatever it runs: its condition, env, `continue-on-error`, `timeout-minutes`,
 * outcome and conclusion, the steps context. `uses:` is resolved as the runner resolves it:
 * `./path` in the job's workspace, `$/path` in the repository (and commit) of the workflow or
 * composite action that contains the step, `owner/repo[/path]@ref` through the repos map;
 * third-party actions the runner emulates are matched by owner/name, whatever the ref.
 */
import { join } from 'node:path';
import {
  evaluateCondition,
  evaluateMapping,
  evaluateString,
  evaluateToken,
  ExpressionFailure,
  isTruthy,
  type Scope,
  type StatusSource,
} from '../expressions.js';
import type { JobRun, StepContextEntry } from '../job.js';
import { CommandProcessor } from '../log.js';
import { condition, field, loadAction, parseUses, type LoadedAction, type PlannedStep } from '../plan.js';
import { emulatedAction, type EmulatedAction } from '../emulated/index.js';
import type { Conclusion, StepResult } from '../types.js';
import { runScript } from './run.js';
import { runNodeStage } from './node.js';
import { runComposite } from './composite.js';

/** Where steps run: the job itself, or a composite action inside it. */
export interface Frame {
  readonly job: JobRun;
  readonly steps: Record<string, StepContextEntry>;
  readonly inputs: unknown;
  /** The env a step of this frame starts from. */
  readonly baseEnv: () => Record<string, string>;
  readonly status: () => 'success' | 'failure' | 'cancelled';
  readonly statusFunctions: StatusSource;
  readonly markFailed: () => void;
  /** The repository and commit `$/` refers to. */
  readonly self: { repository: string; sha: string };
  /** Whether the secrets context exists (not inside composite actions). */
  readonly secrets: boolean;
  readonly depth: number;
  readonly record: (r: StepResult) => void;
  /** github.action_path / action_repository / action_ref inside a composite action. */
  readonly action?: { path: string; repository: string; ref: string };
  /** Inside a composite action: the id of the job's step that uses it (post steps are shown under it). */
  readonly owner?: string;
}

/** An action a step uses, located (and loaded, unless it is in the workspace). */
export interface Prepared {
  readonly uses: string;
  readonly kind: 'local' | 'self' | 'remote' | 'docker';
  readonly dir?: string;
  readonly repository?: string;
  readonly ref?: string;
  readonly sha?: string;
  action?: LoadedAction;
  readonly emulated?: EmulatedAction;
  /** For JavaScript actions with `pre`: runs it (before the job's first step). */
  pre?: (frame: Frame, step: PlannedStep) => Promise<void>;
  /** State saved by `pre` (and then `main`) for the later stages. */
  readonly state: Record<string, string>;
}

export class StepFailure extends Error {
  override name = 'StepFailure';
}

/** Locates the action of a `uses:` (the runner's "Download action repository" and action.yml loading). */
export async function prepareAction(frame: Frame, uses: string): Promise<Prepared> {
  const ref = parseUses(uses);
  const repos = frame.job.run.services.repos;
  switch (ref.kind) {
    case 'docker':
      return { uses, kind: 'docker', state: {} };
    case 'local':
      return { uses, kind: 'local', dir: join(frame.job.workspace, ref.path), state: {} };
    case 'self': {
      const tree = repos.tree(frame.self.repository, frame.self.sha);
      const dir = join(tree, ref.path);
      const p: Prepared = {
        uses,
        kind: 'self',
        dir,
        repository: frame.self.repository,
        ref: frame.self.sha,
        sha: frame.self.sha,
        action: loadAction(dir, uses),
        state: {},
      };
      addPre(p);
      return p;
    }
    case 'remote': {
      const emulated = ref.path === '' ? emulatedAction(ref.repository) : undefined;
      if (emulated) return { uses, kind: 'remote', repository: ref.repository, ref: ref.ref, emulated, state: {} };
      const sha = repos.resolve(ref.repository, ref.ref);
      const dir = join(repos.tree(ref.repository, sha), ref.path);
      const p: Prepared = {
        uses,
        kind: 'remote',
        dir,
        repository: ref.repository,
        ref: ref.ref,
        sha,
        action: loadAction(dir, uses),
        state: {},
      };
      addPre(p);
      return p;
    }
  }
}

function addPre(p: Prepared): void {
  const runs = p.action?.template.runs;
  if (!runs || !('main' in runs) || !runs.pre) return;
  p.pre = async (frame, step) => {
    const job = frame.job;
    const scope = stepScope(frame, frame.baseEnv());
    const cond = condition(runs.preIf, 'always()');
    if (!evaluateCondition(cond, scope)) return;
    const name = `Pre ${stepName(step, scope)}`;
    const started = performance.now();
    const env = { ...frame.baseEnv(), ...evaluateMapping('env' in step.model ? step.model.env : undefined, scope) };
    const inputs = actionInputs(p, step, stepScope(frame, env), job);
    const outcome = await runNodeStage(frame, p, runs.pre!, inputs, env, undefined, name);
    job.results.push({
      id: step.model.id,
      name,
      outcome: outcome.outcome,
      conclusion: outcome.outcome,
      outputs: {},
      log: outcome.log.join('\n'),
      annotations: outcome.annotations,
      stage: 'pre',
      ms: performance.now() - started,
    });
    if (outcome.outcome === 'failure') frame.markFailed();
  };
}

/** The expression scope of a step of a frame, with `env` as the step sees it. */
export function stepScope(frame: Frame, env: Record<string, string>, extraGithub: Record<string, unknown> = {}): Scope {
  const job = frame.job;
  const github = job.github({
    ...(frame.action ? { action_path: frame.action.path, action_repository: frame.action.repository, action_ref: frame.action.ref } : {}),
    ...extraGithub,
  });
  return job.scope(
    { github, env, steps: frame.steps, inputs: frame.inputs, secrets: frame.secrets ? job.secrets : undefined },
    frame.statusFunctions,
  );
}

function stepName(step: PlannedStep, scope: Scope): string {
  if (step.model.name) return evaluateString(step.model.name, scope);
  if ('run' in step.model) {
    const run = step.model.run as { value?: string; source?: string; expression?: string };
    const text = run.value ?? run.source ?? run.expression ?? '';
    return `Run ${text.split('\n')[0]}`;
  }
  if ('uses' in step.model) return `Run ${step.model.uses.value}`;
  return step.model.id;
}

/** The inputs an action gets: `with:` values, then the action's defaults (evaluated in the step's scope). */
export function actionInputs(p: Prepared, step: PlannedStep, scope: Scope, job: JobRun): Record<string, string> {
  const given = evaluateMapping(field(step.raw, 'with'), scope);
  const out: Record<string, string> = {};
  const declared = p.emulated ? p.emulated.inputs : Object.fromEntries((p.action?.template.inputs ?? []).map((i) => [i.id, i.default]));
  const lower = new Map(Object.keys(declared).map((k) => [k.toLowerCase(), k]));
  const unexpected = Object.keys(given).filter((k) => !lower.has(k.toLowerCase()));
  if (unexpected.length)
    job.write(`Warning: Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${Object.keys(declared).join("', '")}']`);
  for (const [id, def] of Object.entries(declared)) {
    const key = Object.keys(given).find((k) => k.toLowerCase() === id.toLowerCase());
    if (key !== undefined) out[id] = given[key]!;
    else if (def !== undefined) out[id] = typeof def === 'string' ? def : evaluateString(def, scope);
  }
  for (const k of unexpected) out[k] = given[k]!;
  return out;
}

export interface StageOutcome {
  outcome: Conclusion;
  outputs: Record<string, string>;
  log: string[];
  annotations: CommandProcessor['annotations'];
}

/** Runs one step of a frame and records it. */
export async function runStep(frame: Frame, step: PlannedStep, prepared: Prepared | undefined): Promise<void> {
  const job = frame.job;
  const id = step.model.id;
  const started = performance.now();
  const base = frame.baseEnv();
  let scope = stepScope(frame, base);
  let name = step.model.id;
  const record = (
    outcome: Conclusion,
    conclusion: Conclusion,
    outputs: Record<string, string>,
    log: string[],
    annotations: StageOutcome['annotations'],
  ) => {
    frame.steps[id] = { outputs, outcome, conclusion };
    if (conclusion === 'failure') frame.markFailed();
    frame.record({
      id,
      name,
      outcome,
      conclusion,
      outputs,
      log: log.join('\n'),
      annotations,
      stage: 'main',
      ms: performance.now() - started,
    });
  };
  try {
    name = stepName(step, scope);
    const cond = 'if' in step.model && step.model.if ? step.model.if.expression : 'success()';
    if (!evaluateCondition(cond, scope)) {
      job.write(`##[step] ${name} (skipped)`);
      record('skipped', 'skipped', {}, [], []);
      return;
    }
  } catch (e) {
    job.write(`##[error]${(e as Error).message}`);
    record('failure', 'failure', {}, [(e as Error).message], [{ level: 'error', message: (e as Error).message, properties: {} }]);
    return;
  }
  job.write(`##[step] ${name}`);
  let continueOnError = false;
  let outcome: StageOutcome;
  try {
    const env = { ...base, ...evaluateMapping('env' in step.model ? step.model.env : undefined, scope) };
    scope = stepScope(frame, env);
    const coe = step.model['continue-on-error'];
    continueOnError = typeof coe === 'boolean' ? coe : coe ? isTruthy(evaluateToken(coe, scope)) : false;
    const t = evaluateToken(field(step.raw, 'timeout-minutes'), scope);
    const timeoutMs = t === undefined || t === null || t === '' ? undefined : Number(t) * 60_000;
    if ('run' in step.model) {
      const script = evaluateString(step.model.run, scope);
      const shell = field(step.raw, 'shell')
        ? evaluateString(field(step.raw, 'shell'), scope)
        : frame.depth === 0
          ? job.defaults.shell
          : undefined;
      const wd = field(step.raw, 'working-directory')
        ? evaluateString(field(step.raw, 'working-directory'), scope)
        : frame.depth === 0
          ? job.defaults.workingDirectory
          : undefined;
      outcome = await runScript(frame, {
        script,
        shell,
        workingDirectory: wd,
        env,
        timeoutMs,
        github: scope.contexts.github as Record<string, unknown>,
      });
    } else if ('uses' in step.model) {
      const p = prepared ?? (await prepareAction(frame, step.model.uses.value));
      outcome = await runAction(frame, p, step, env, scope, timeoutMs, name);
    } else {
      throw new StepFailure(`step ${id}: only run: and uses: steps are supported`);
    }
  } catch (e) {
    const message = e instanceof ExpressionFailure || e instanceof StepFailure || e instanceof Error ? e.message : String(e);
    job.write(`##[error]${message}`);
    outcome = { outcome: 'failure', outputs: {}, log: [`##[error]${message}`], annotations: [{ level: 'error', message, properties: {} }] };
  }
  const conclusion = outcome.outcome === 'failure' && continueOnError ? 'success' : outcome.outcome;
  record(outcome.outcome, conclusion, outcome.outputs, outcome.log, outcome.annotations);
}

async function runAction(
  frame: Frame,
  p: Prepared,
  step: PlannedStep,
  env: Record<string, string>,
  scope: Scope,
  timeoutMs: number | undefined,
  name: string,
): Promise<StageOutcome> {
  const job = frame.job;
  if (p.kind === 'docker') throw new StepFailure(`${p.uses}: container actions are not supported by the workflow runner`);
  if (p.emulated) {
    const inputs = actionInputs(p, step, scope, job);
    const lines: string[] = [];
    const log = (l: string) => {
      const m = job.run.masker.mask(l);
      lines.push(m);
      job.write(m);
    };
    try {
      const outputs = await p.emulated.run({ inputs, job, frame, log });
      return { outcome: 'success', outputs, log: lines, annotations: [] };
    } catch (e) {
      log(`##[error]${(e as Error).message}`);
      return {
        outcome: 'failure',
        outputs: {},
        log: lines,
        annotations: [{ level: 'error', message: (e as Error).message, properties: {} }],
      };
    }
  }
  if (!p.action) p.action = loadAction(p.dir!, p.uses);
  const runs = p.action.template.runs;
  const inputs = actionInputs(p, step, scope, job);
  if (runs.using === 'composite') return runComposite(frame, p, step, inputs, env);
  if (runs.using === 'docker') throw new StepFailure(`${p.uses}: container actions are not supported by the workflow runner`);
  const outcome = await runNodeStage(frame, p, runs.main, inputs, env, timeoutMs, name);
  if (runs.post) {
    const postIf = condition(runs.postIf, 'always()');
    const snapshotEnv = env;
    job.posts.push({
      name: `Post ${name}`,
      condition: postIf,
      run: async () => {
        job.write(`##[step] Post ${name}`);
        const started = performance.now();
        const o = await runNodeStage(frame, p, runs.post!, inputs, { ...snapshotEnv, ...job.runtimeEnv }, undefined, `Post ${name}`);
        if (o.outcome === 'failure') job.status = job.status === 'success' ? 'failure' : job.status;
        return {
          id: frame.owner ?? step.model.id,
          name: `Post ${name}`,
          outcome: o.outcome,
          conclusion: o.outcome,
          outputs: {},
          log: o.log.join('\n'),
          annotations: o.annotations,
          stage: 'post',
          ms: performance.now() - started,
        };
      },
    });
  }
  return outcome;
}
