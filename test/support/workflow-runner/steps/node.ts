/**
 * JavaScript actions: `pre`, `main` and `post` run with the Node of `runs.using`, INPUT_*
 * variables (action.yml defaults applied), STATE_* from GITHUB_STATE of earlier stages, and the
 * Actions runtime variables pointing at the cache stand-in (ACTIONS_RESULTS_URL,
 * ACTIONS_RUNTIME_TOKEN, ACTIONS_CACHE_SERVICE_V2), as the runner's NodeScriptActionHandler does.
 */
import { join } from 'node:path';
import { CommandProcessor } from '../log.js';
import { nodeFor, outcomeOf } from '../process.js';
import type { Frame, Prepared, StageOutcome } from './step.js';

/** `INPUT_` + the input name with spaces as underscores, upper-cased (the runner's rule). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export async function runNodeStage(
  frame: Frame,
  p: Prepared,
  entry: string,
  inputs: Record<string, string>,
  stepEnv: Record<string, string>,
  timeoutMs: number | undefined,
  name: string,
): Promise<StageOutcome> {
  const job = frame.job;
  const runs = p.action!.template.runs as { using: string };
  const files = job.fileCommands();
  const github = job.github({
    action: `__${(p.repository ?? 'self').replace(/[^A-Za-z0-9]+/g, '_')}`,
    action_path: p.dir,
    action_repository: p.repository ?? '',
    action_ref: p.ref ?? '',
  });
  const env = job.processEnv(stepEnv, files, github);
  for (const [k, v] of Object.entries(inputs)) env[inputVariable(k)] = v;
  for (const [k, v] of Object.entries(p.state)) env[`STATE_${k}`] = v;
  delete env.GITHUB_ACTION_PATH;
  const cache = await job.run.services.cache();
  cache.authorize(job.runtimeToken, {
    repository: job.run.repository,
    ref: String(job.run.github.ref),
    defaultRef: `refs/heads/${job.run.defaultBranch}`,
  });
  Object.assign(env, {
    ACTIONS_RUNTIME_TOKEN: job.runtimeToken,
    ACTIONS_RUNTIME_URL: cache.url,
    ACTIONS_RESULTS_URL: cache.url,
    ACTIONS_CACHE_URL: cache.url,
    ACTIONS_CACHE_SERVICE_V2: 'True',
  });
  // Node's on-disk compile cache (Node 22+): actions that load big libraries start faster on
  // the second run; it changes nothing they can see.
  env.NODE_COMPILE_CACHE = join(job.run.services.workdir, 'node-compile-cache');
  const commands = new CommandProcessor(job.run.masker, (l) => job.write(l));
  const node = nodeFor(runs.using);
  const r = await job.execStep(commands, { command: node, args: [join(p.dir!, entry)], cwd: job.workspace, env, timeoutMs });
  const { outputs, state } = job.applyFileCommands(files, commands);
  Object.assign(p.state, state);
  if (r.timedOut) commands.line(`::error::The action '${name}' has timed out after ${(timeoutMs ?? 0) / 60000} minutes.`);
  else if (r.cancelled) commands.line(`::error::The operation was canceled.`);
  else if (r.code !== 0) commands.line(`##[debug]Node Action run completed with exit code ${r.code}`);
  return { outcome: outcomeOf(r), outputs, log: commands.log(), annotations: commands.annotations };
}
