/**
 * Parse and plan: workflow files and action.yml files through GitHub's own parser
 * (@actions/workflow-parser): schema, expressions, and reusable-workflow calls checked against
 * the called files. The converted model gives jobs, needs, conditions and step ids; the raw token
 * tree gives what the model leaves out (`with:`, `shell:`, `working-directory`, `permissions`,
 * `defaults`, `timeout-minutes`, workflow_call outputs).
 */
import { NoOperationTraceWriter, convertWorkflowTemplate, isMapping, isString, parseWorkflow } from '@actions/workflow-parser';
import { convertActionTemplate, parseAction, type ActionTemplate } from '@actions/workflow-parser/actions/index';
import type { Step, WorkflowJob, WorkflowTemplate } from '@actions/workflow-parser/model/workflow-template';
import { ensureStatusFunction } from '@actions/workflow-parser/model/converter/if-condition';
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRemoteRef, type Repos } from './repos.js';

export class WorkflowError extends Error {
  override name = 'WorkflowError';
}

/** A workflow file at one commit of one repository. */
export interface Workflow {
  readonly repository: string;
  readonly sha: string;
  readonly path: string;
  /** `owner/name/path@ref` as github.workflow_ref and job.workflow_ref show it. */
  readonly ref: string;
  readonly name: string;
  readonly template: WorkflowTemplate;
  readonly root: MappingToken;
  readonly jobs: readonly PlannedJob[];
}

export interface PlannedJob {
  readonly id: string;
  readonly model: WorkflowJob;
  readonly raw: MappingToken;
}

/** A step of a job or of a composite action: the parser's model plus its raw mapping. */
export interface PlannedStep {
  readonly model: Step;
  readonly raw: MappingToken;
}

/** Looks up a key of a mapping token. */
export function field(mapping: TemplateToken | undefined, key: string): TemplateToken | undefined {
  if (!mapping || !isMapping(mapping)) return undefined;
  for (const pair of mapping) if (isString(pair.key) && pair.key.value === key) return pair.value;
  return undefined;
}

/** Reads a workflow file from a repository at a commit, and parses and converts it with GitHub's parser. */
export async function loadWorkflow(repos: Repos, repository: string, sha: string, path: string, refName: string): Promise<Workflow> {
  const content = repos.read(repository, sha, path);
  const parsed = parseWorkflow({ name: path, content }, new NoOperationTraceWriter());
  const errors = () => parsed.context.errors.getErrors().map((e) => e.message);
  if (!parsed.value || errors().length)
    throw new WorkflowError(`${repository}/${path}@${refName}: ${errors().join('; ') || 'empty workflow'}`);
  const template = await convertWorkflowTemplate(
    parsed.context,
    parsed.value,
    {
      getFileContent: async (ref) => {
        if ('repository' in ref) {
          const r = `${ref.owner}/${ref.repository}`;
          const s = repos.resolve(r, ref.version);
          return { name: ref.path, content: repos.read(r, s, ref.path) };
        }
        return { name: ref.path, content: repos.read(repository, sha, ref.path) };
      },
    },
    { fetchReusableWorkflowDepth: 1 },
  );
  if (errors().length) throw new WorkflowError(`${repository}/${path}@${refName}: ${errors().join('; ')}`);
  const root = parsed.value.assertMapping('workflow root');
  const rawJobs = field(root, 'jobs');
  const jobs = template.jobs.map((model) => {
    const raw = field(rawJobs, model.id.value);
    if (!raw || !isMapping(raw)) throw new WorkflowError(`${path}: job ${model.id.value} not found`);
    return { id: model.id.value, model, raw };
  });
  const nameToken = field(root, 'name');
  return {
    repository,
    sha,
    path,
    ref: `${repository}/${path}@${refName}`,
    name: nameToken && isString(nameToken) ? nameToken.value : path,
    template,
    root,
    jobs,
  };
}

/**
 * The `on:` of a workflow file as GitHub's parser reads it (no reusable workflow fetched), for
 * deciding what a file is triggered by; undefined for a file the parser refuses (GitHub would
 * not start it either).
 */
export async function workflowEvents(path: string, content: string): Promise<WorkflowTemplate['events'] | undefined> {
  const parsed = parseWorkflow({ name: path, content }, new NoOperationTraceWriter());
  if (!parsed.value || parsed.context.errors.getErrors().length) return undefined;
  const template = await convertWorkflowTemplate(parsed.context, parsed.value, undefined, { fetchReusableWorkflowDepth: 0 });
  return parsed.context.errors.getErrors().length ? undefined : template.events;
}

/** Pairs a list of converted steps with the raw step mappings they came from. */
export function planSteps(model: readonly Step[], rawSteps: TemplateToken | undefined): PlannedStep[] {
  const raws: MappingToken[] = [];
  if (rawSteps && 'count' in rawSteps) for (const s of rawSteps as unknown as Iterable<TemplateToken>) if (isMapping(s)) raws.push(s);
  if (raws.length !== model.length) throw new WorkflowError(`steps: the parser kept ${model.length} of ${raws.length} steps`);
  return model.map((m, i) => ({ model: m, raw: raws[i]! }));
}

/** An action.yml (or action.yaml) in a directory, parsed and converted with GitHub's action parser. */
export interface LoadedAction {
  readonly dir: string;
  readonly template: ActionTemplate;
  readonly root: MappingToken;
  /** Composite steps with their raw mappings. */
  readonly steps: PlannedStep[];
}

export function loadAction(dir: string, display: string): LoadedAction {
  const file = ['action.yml', 'action.yaml'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!file) throw new WorkflowError(`Can't find 'action.yml', 'action.yaml' or 'Dockerfile' for action '${display}'.`);
  const parsed = parseAction({ name: file, content: readFileSync(file, 'utf8') }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (!parsed.value || errors.length) throw new WorkflowError(`${display}: action.yml: ${errors.join('; ') || 'empty'}`);
  const template = convertActionTemplate(parsed.context, parsed.value);
  const root = parsed.value.assertMapping('action root');
  let steps: PlannedStep[] = [];
  if (template.runs.using === 'composite') {
    steps = planSteps(template.runs.steps, field(field(root, 'runs'), 'steps'));
    steps.forEach((s, i) => {
      if (!s.model.id) (s.model as { id: string }).id = `__${i}`;
    });
  }
  return { dir, template, root, steps };
}

/** The runner's rule: a condition without a status function means `success() && (…)`. */
export function condition(expression: string | undefined, fallback: string): string {
  const c = expression?.trim();
  if (!c) return fallback;
  const allowedContext = [...CONTEXTS, 'always(0,0)', 'failure(0,0)', 'cancelled(0,0)', 'success(0,0)', 'hashFiles(1,255)'];
  return ensureStatusFunction(c.replace(/^\$\{\{([\s\S]*)\}\}$/, '$1').trim(), { allowedContext } as unknown as Parameters<
    typeof ensureStatusFunction
  >[1]);
}

const CONTEXTS = ['github', 'env', 'vars', 'inputs', 'needs', 'steps', 'job', 'runner', 'matrix', 'strategy'];

/** What a step's `uses:` names. */
export type UsesRef =
  | { kind: 'local'; path: string }
  | { kind: 'self'; path: string }
  | { kind: 'remote'; repository: string; path: string; ref: string }
  | { kind: 'docker'; image: string };

export function parseUses(uses: string): UsesRef {
  if (uses.startsWith('docker://')) return { kind: 'docker', image: uses.slice(9) };
  if (uses.startsWith('./')) return { kind: 'local', path: uses.slice(2).replace(/\/+$/, '') };
  if (uses.startsWith('$/')) return { kind: 'self', path: uses.slice(2).replace(/\/+$/, '') };
  const r = parseRemoteRef(uses);
  if (!r) throw new WorkflowError(`Expected format {org}/{repo}[/path]@ref. Actual '${uses}'`);
  return { kind: 'remote', ...r };
}

export interface InputDefinition {
  readonly type: string;
  readonly required: boolean;
  /** A literal, or (workflow_call) an expression token. */
  readonly default?: TemplateToken;
  readonly options?: string[];
}

/**
 * `on.<event>.inputs` (workflow_dispatch or workflow_call), read from the raw tokens: the
 * parser's model leaves out `type: number` and its defaults.
 */
export function inputDefinitions(workflow: Workflow, event: 'workflow_dispatch' | 'workflow_call'): Record<string, InputDefinition> {
  const inputs = field(field(field(workflow.root, 'on'), event), 'inputs');
  const out: Record<string, InputDefinition> = {};
  if (!inputs || !isMapping(inputs)) return out;
  for (const pair of inputs) {
    const name = (pair.key as unknown as { value: string }).value;
    const def = pair.value;
    const type = field(def, 'type');
    const required = field(def, 'required');
    const options = field(def, 'options');
    const opts: string[] = [];
    if (options && 'count' in options) for (const o of options as unknown as Iterable<{ value?: unknown }>) opts.push(String(o.value));
    out[name] = {
      type: type && isString(type) ? type.value : 'string',
      required: !!required && (required as { value?: unknown }).value === true,
      default: field(def, 'default'),
      options: options ? opts : undefined,
    };
  }
  return out;
}

/** `on.workflow_call.secrets`: name → required. */
export function secretDefinitions(workflow: Workflow): Record<string, boolean> {
  const secrets = field(field(field(workflow.root, 'on'), 'workflow_call'), 'secrets');
  const out: Record<string, boolean> = {};
  if (!secrets || !isMapping(secrets)) return out;
  for (const pair of secrets)
    out[(pair.key as unknown as { value: string }).value] =
      (field(pair.value, 'required') as { value?: unknown } | undefined)?.value === true;
  return out;
}
