/**
 * Composite actions: their steps run in a frame of their own, with the `inputs` context of the
 * action, their own `steps` context, no `secrets`, `$/` resolved in the action's repository,
 * and success()/failure() answering for the action's own status (the runner's action_status).
 * Outputs are the action's `outputs.<id>.value`, evaluated after its steps.
 */
import { evaluateString } from '../expressions.js';
import type { StepContextEntry } from '../job.js';
import type { PlannedStep } from '../plan.js';
import type { Conclusion } from '../types.js';
import { runStep, stepScope, type Frame, type Prepared, type StageOutcome } from './step.js';

const MAX_DEPTH = 9;

export async function runComposite(
  parent: Frame,
  p: Prepared,
  step: PlannedStep,
  inputs: Record<string, string>,
  stepEnv: Record<string, string>,
): Promise<StageOutcome> {
  const job = parent.job;
  if (parent.depth >= MAX_DEPTH) throw new Error(`Composite action depth exceeded max depth ${MAX_DEPTH}`);
  const action = p.action!;
  const start = { ...job.runtimeEnv };
  let status: 'success' | 'failure' = 'success';
  const steps: Record<string, StepContextEntry> = {};
  const before = job.log.length;
  const frame: Frame = {
    job,
    steps,
    inputs,
    // GITHUB_ENV written inside the action applies to its later steps (and to the job).
    baseEnv: () => ({
      ...stepEnv,
      ...Object.fromEntries(Object.entries(job.runtimeEnv).filter(([k, v]) => start[k] !== v)),
      GITHUB_ACTION_PATH: p.dir!,
    }),
    status: () => (job.status === 'cancelled' ? 'cancelled' : status),
    statusFunctions: {
      success: () => status === 'success' && job.status !== 'cancelled',
      failure: () => status === 'failure',
      cancelled: () => job.status === 'cancelled',
    },
    markFailed: () => {
      status = 'failure';
    },
    // The runner: `$/` in a composite action is the action's repository at its commit; for a
    // local (./) action, the workflow's.
    self: p.kind === 'local' ? parent.self : { repository: p.repository!, sha: p.sha! },
    secrets: false,
    depth: parent.depth + 1,
    record: () => undefined,
    action: { path: p.dir!, repository: p.repository ?? '', ref: p.ref ?? '' },
    owner: parent.owner ?? step.model.id,
  };
  for (const s of action.steps) await runStep(frame, s, undefined);
  const outputs: Record<string, string> = {};
  const scope = stepScope(frame, frame.baseEnv());
  for (const o of action.template.outputs ?? []) outputs[o.id] = o.value ? evaluateString(o.value, scope) : '';
  const outcome: Conclusion = job.status === 'cancelled' && status === 'success' ? 'cancelled' : status;
  return { outcome, outputs, log: job.log.slice(before), annotations: [] };
}
