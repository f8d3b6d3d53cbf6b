/**
 * A repository that adopts karoo (issue 10 §2), for the workflow runner: a separate git
 * repository for a system that is not the CAM example — its own karoo.yml (system `tern`, two
 * leaves, two nspawn nodes), a private index on 127.0.0.1 that requires basic auth, a registry
 * with htpasswd credentials, no `actions/` directory — and karoo reached as `karoo-dev/karoo@v1`,
 * tagged by scripts/release.mjs in a clone of this repository (see releaseKaroo). Shared by the
 * consumer end-to-end test, the README's snippets test and bench/consumer-rerun.mjs; free of
 * jest so that a bench loads it through the runner's module hooks.
 *
 * Needs docker-registry (scripts/ensure-deps.sh) and `npx tsc -b && node scripts/bundle.mjs`;
 * runs that reach acceptance need root, systemd-nspawn and karoo's machine image.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWheel, serveIndex, wheelFile, writeIndex, type IndexProjectInput, type IndexServer } from '@karoo/example';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { ROOT } from './cli.js';
import { startRegistry, type RunningRegistry } from './registry.js';
import { createRepo, events, WorkflowRunner, type FixtureRepo, type RunResult } from './workflow-runner/index.js';

/** karoo's owner as the consumer's workflows name it: the README tells users to replace OWNER. */
export const OWNER = 'karoo-dev';
export const REPO = 'acme/tern';
export const INDEX_USER = 'tern-ci';
/** The owner's name, as registry accounts often are: kept in a variable, it hides nothing (see VARS). */
export const REGISTRY_USER = 'acme';
/** Canaries: the index password and the registry password. Neither may appear anywhere a user can read. */
export const CANARY = 'canary-index-5b8e0c7d1f2a9346';
export const REGISTRY_CANARY = 'canary-registry-c41d9e8a07b2f563';
export const CANDIDATE_WORKFLOW = '.github/workflows/karoo-candidate.yml';

/** The secrets the consumer's repository has, under the names the README tells users to set. */
export const SECRETS = {
  INDEX_PASSWORD: CANARY,
  REGISTRY_PASSWORD: REGISTRY_CANARY,
} as const;

/**
 * Its repository variables: the user names, as the README tells users to keep them. The registry
 * user is the owner's name: as a secret, GitHub would mask it inside every output that names the
 * repository or the store, and drop those outputs (candidate-ref, comment-url).
 */
export const VARS = {
  INDEX_USERNAME: INDEX_USER,
  REGISTRY_USERNAME: REGISTRY_USER,
} as const;

const ACCEPT_PY = `import json, os, sys
inv = json.load(open(os.environ["KAROO_INVENTORY"]))
names = sorted(n["name"] for n in inv["nodes"])
values = json.load(open(os.environ["KAROO_VALUES"])) if os.environ.get("KAROO_VALUES") else {}
ok = names == ["hub-1", "probe-1"] and values.get("mode") != "broken"
os.makedirs("reports", exist_ok=True)
case = '<testcase classname="tern" name="two nodes"/>' if ok else '<testcase classname="tern" name="two nodes"><failure message="unexpected">%s %s</failure></testcase>' % (names, values.get("mode"))
open("reports/junit.xml", "w").write('<testsuite name="tern" tests="1" failures="%d">%s</testsuite>' % (0 if ok else 1, case))
sys.exit(0 if ok else 1)
`;

/**
 * A starter workflow of workflows-templates/ copied by hand, exactly as the README tells users:
 * OWNER replaced, and `$default-branch` (which GitHub fills in only under Actions → New
 * workflow) replaced with the default branch. Left in, no push would start the workflow: the
 * runner, as GitHub, matches `on.push.branches` against the pushed branch.
 */
export const template = (name: string): string =>
  readFileSync(join(ROOT, 'workflows-templates', name), 'utf8')
    .replaceAll('OWNER', OWNER)
    .replaceAll('$default-branch', 'main');

/** The three starter workflows, at the paths a user copies them to. */
export function starterWorkflows(): Record<string, string> {
  return Object.fromEntries(
    ['karoo-candidate.yml', 'karoo-release.yml', 'karoo-report-comment.yml'].map((f) => [`.github/workflows/${f}`, template(f)]),
  );
}

const wheel = (name: string, version: string, requires: string[] = []) =>
  wheelFile(
    buildWheel({
      name,
      version,
      requires,
      requiresPython: '>=3.8',
      files: { [`${name.replace(/-/g, '_')}/__init__.py`]: `VERSION = "${version}"\n` },
    }),
  );

/**
 * karoo at v1 the way its release process makes it: a clone of this repository's HEAD, with the
 * files a consumer runs (workflows, action.yml files, dist/) as they are in the work tree — the
 * suite tests the code it just built, and other work may not be committed yet — committed, then
 * tagged by scripts/release.mjs. `--tag-only`: the release's build and full checks are this
 * suite itself, far too long to run inside one of its tests. `from: 'committed'` releases HEAD
 * as it is committed (a bench measuring the released code while the work tree is being edited).
 */
export function releaseKaroo(work: string, from: 'worktree' | 'committed' = 'worktree'): string {
  const dir = join(work, 'karoo');
  execFileSync('git', ['clone', '-q', '--shared', ROOT, dir]);
  for (const t of execFileSync('git', ['tag', '--list', 'v*'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean))
    execFileSync('git', ['tag', '-d', t], { cwd: dir });
  for (const p of from === 'worktree' ? ['dist', 'actions', '.github/workflows', 'action.yml'] : []) {
    cpSync(join(ROOT, p), join(dir, p), {
      recursive: true,
      filter: (s) => !s.includes('node_modules') && !/\/actions\/[^/]+\/(lib|src)(\/|$)/.test(s),
    });
  }
  const git = (...a: string[]) =>
    execFileSync('git', ['-c', 'user.name=release', '-c', 'user.email=release@example.invalid', '-c', 'commit.gpgsign=false', ...a], {
      cwd: dir,
      encoding: 'utf8',
    });
  git('add', '-A', '--', 'dist', 'actions', '.github/workflows', 'action.yml');
  if (from === 'worktree') git('commit', '-q', '--allow-empty', '-m', 'release candidate: the work tree’s workflows, actions and bundles');
  // Untracked files the copy left (ignored paths stay ignored): the release refuses a dirty tree.
  const out = execFileSync(process.execPath, [join(ROOT, 'scripts/release.mjs'), '1.0.0', '--tag-only', '--repo', dir], {
    encoding: 'utf8',
  });
  if (!out.includes('released v1.0.0')) throw new Error(`scripts/release.mjs did not release v1.0.0:\n${out}`);
  if (git('rev-parse', 'v1^{commit}').trim() !== git('rev-parse', 'HEAD').trim())
    throw new Error('scripts/release.mjs did not move v1 to the released commit');
  return dir;
}

export interface Consumer {
  /** Scratch directory of everything below (removed by close). */
  readonly work: string;
  /** karoo's repository, tagged v1.0.0 and v1. */
  readonly karooDir: string;
  readonly index: IndexServer;
  readonly registry: RunningRegistry;
  /** `HOST:PORT/acme/tern`: karoo.yml's store. */
  readonly storeRef: string;
  readonly standin: GitHubStandin;
  readonly runner: WorkflowRunner;
  readonly app: FixtureRepo;
  /** The default branch's commit the consumer started with. */
  readonly mainSha: string;
  /** Every run made through candidateRun/run, for the canary checks. */
  readonly results: RunResult[];
  /** The consumer's karoo.yml; `values` and `provision` vary it per branch. */
  karooYml(extra?: { values?: string; provision?: string }): string;
  /** Uploads a new version to the private index. */
  publish(name: string, version: string, requires?: string[]): Promise<void>;
  /** A branch of the consumer off main with `files` changed, as a pull request's head; returns its commit. */
  branch(name: string, files: Record<string, string>): string;
  /**
   * A run of the consumer's `workflow` for `event`, with the repository's secrets (none for a
   * fork, as GitHub does) and karoo at v1, recorded with the stand-in as GitHub records runs.
   */
  candidateRun(
    event: 'pull_request' | 'push' | 'merge_group',
    payload: Record<string, unknown>,
    headSha: string,
    options?: { fork?: boolean; workflow?: string; secrets?: Record<string, string>; vars?: Record<string, string>; follow?: boolean },
  ): Promise<RunResult>;
  /** A pull request's run of `workflow` (default the candidate starter); a `headRepo` makes it a fork's. */
  pullRequest(
    number: number,
    headSha: string,
    options?: {
      headRef?: string;
      headRepo?: string;
      /** The consumer's repository is itself a fork of another (the payload's `repo.fork`). */
      repositoryIsFork?: boolean;
      workflow?: string;
      secrets?: Record<string, string>;
      vars?: Record<string, string>;
      /** false: do not start the workflow_run workflows its completion starts on GitHub (RunResult.triggered). */
      follow?: boolean;
    },
  ): Promise<RunResult>;
  /**
   * GitHub's "Re-run all jobs" (or, with `failedOnly`, "Re-run failed jobs") for a run made by
   * candidateRun or pullRequest: its next attempt (WorkflowRunner.rerun), recorded with the
   * stand-in under the same run id.
   */
  rerun(previous: RunResult, options?: { failedOnly?: boolean }): Promise<RunResult>;
  /** A merge commit of `head` onto `base` at `ref`, as GitHub makes one for a pull request (refs/pull/N/merge) or a merge queue; nothing is checked out. */
  mergeCommit(base: string, head: string, ref: string, message: string): string;
  close(): Promise<void>;
}

/**
 * Starts the consumer: karoo released at v1, the private index (tern-core → tern-util,
 * tern-probe), the registry, the GitHub stand-in with the repository, a workflow runner, and the
 * consumer's repository with karoo.yml, its acceptance test and `workflows` (path → content;
 * default: the three starter workflows) on main. `karoo`: see releaseKaroo.
 */
export async function startConsumer(
  options: { workflows?: Record<string, string>; karoo?: 'worktree' | 'committed' } = {},
): Promise<Consumer> {
  for (const step of ['candidate', 'resolve', 'build', 'promote', 'provision', 'deploy', 'accept', 'report']) {
    if (!existsSync(join(ROOT, 'dist', step, 'index.js')))
      throw new Error(`dist/${step} is missing: run npx tsc -b && node scripts/bundle.mjs`);
  }
  const work = await mkdtemp(join(tmpdir(), 'karoo-consumer-'));
  const published: IndexProjectInput[] = [
    { name: 'tern-core', files: [wheel('tern-core', '1.0.0', ['tern-util>=2'])] },
    { name: 'tern-util', files: [wheel('tern-util', '2.1.0')] },
    { name: 'tern-probe', files: [wheel('tern-probe', '0.3.0')] },
  ];
  const opened: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const f of opened.reverse()) await f();
    await rm(work, { recursive: true, force: true });
  };
  try {
    const karooDir = releaseKaroo(work, options.karoo);
    await writeIndex(join(work, 'index'), published);
    const index = await serveIndex(join(work, 'index'), { auth: { username: INDEX_USER, password: CANARY } });
    opened.push(() => index.close());
    const registry = await startRegistry({ basicAuth: { username: REGISTRY_USER, password: REGISTRY_CANARY } });
    opened.push(() => registry.stop());
    const storeRef = `${registry.host}/acme/tern`;
    const karooYml = (extra: { values?: string; provision?: string } = {}) => `system: tern
leaves: [tern-core, tern-probe]
indexes:
  - name: private
    url: ${index.urlFor('simple/')}
    username-env: TERN_INDEX_USER
    password-env: TERN_INDEX_TOKEN
store: ${storeRef}
target:
  python: "3.11"
  implementation: cp
  platforms: [manylinux_2_28_x86_64]
nodes:
  - { name: hub-1, role: hub, cpus: 1, memory: 256 }
  - { name: probe-1, role: probe, cpus: 1, memory: 256 }
roles:
  hub: { leaves: [tern-core] }
  probe: { leaves: [tern-probe] }
values: { mode: ${extra.values ?? 'normal'} }
environments:
  - name: integration
  - name: qualification
    requires: [integration]
  - name: production
    requires: [integration]
    soak: 24h
acceptance:
  command: [python3, tests/accept.py]
  junit: reports/junit.xml
  timeout: 2m
provision:
${extra.provision ?? '  provider: nspawn\n  ttl: 30m'}
`;
    const app = createRepo({
      parent: work,
      files: {
        'karoo.yml': karooYml(),
        'tests/accept.py': ACCEPT_PY,
        '.gitignore': 'reports/\n.karoo/\n',
        ...(options.workflows ?? starterWorkflows()),
      },
    });
    if (existsSync(join(app.dir, 'actions'))) throw new Error('the consumer must have no actions/ directory');
    const mainSha = app.head();
    const standin = await startGitHubStandin();
    opened.push(() => standin.close());
    // The contents API answers from the consumer's own repository (the report reads the base lock there).
    standin.addRepo(REPO, { branches: { main: mainSha }, git: app.dir });
    const runner = new WorkflowRunner({ github: standin });
    opened.push(() => runner.close());
    const results: RunResult[] = [];
    /** What each run of the candidate workflow is recorded with at the stand-in, by run id (a re-run records the same). */
    const recorded = new Map<number, { path: string; headSha: string; event: string; name: string; headRepo?: string }>();
    const dump = (r: RunResult, name: string) => {
      if (process.env.KAROO_CONSUMER_DUMP) writeFileSync(join(process.env.KAROO_CONSUMER_DUMP, `${name}.json`), JSON.stringify(r, null, 1));
    };
    /** Keeps a run (and what it triggered) and records it with the stand-in, as GitHub records every run (attempt): promote asks whether evidence came from a successful run of the candidate workflow. */
    const keep = (r: RunResult): RunResult => {
      results.push(r, ...(r.triggered ?? []));
      dump(r, `run-${results.length}`);
      const conclusion = r.conclusion === 'success' ? 'success' : 'failure';
      standin.addWorkflowRun(REPO, { id: r.runId, conclusion, runAttempt: r.attempt, ...recorded.get(r.runId)! });
      return r;
    };
    const mergeCommit = (base: string, head: string, ref: string, message: string): string => {
      const git = (...a: string[]) =>
        execFileSync('git', ['-c', 'user.name=GitHub', '-c', 'user.email=noreply@github.com', ...a], {
          cwd: app.dir,
          encoding: 'utf8',
        }).trim();
      const tree = git('merge-tree', '--write-tree', base, head).split('\n')[0]!;
      const sha = git('commit-tree', tree, '-p', base, '-p', head, '-m', message);
      git('update-ref', ref, sha);
      return sha;
    };
    const consumer: Consumer = {
      work,
      karooDir,
      index,
      registry,
      storeRef,
      standin,
      runner,
      app,
      mainSha,
      results,
      karooYml,
      async publish(name, version, requires = []) {
        published.push({ name, files: [wheel(name, version, requires)] });
        await writeIndex(join(work, 'index'), published);
      },
      branch(name, files) {
        execFileSync('git', ['checkout', '-q', '-b', name, mainSha], { cwd: app.dir });
        app.write(files);
        const sha = app.commit(`${name}: change`);
        execFileSync('git', ['checkout', '-q', 'main'], { cwd: app.dir });
        return sha;
      },
      async candidateRun(event, payload, headSha, { fork = false, workflow = CANDIDATE_WORKFLOW, ...given } = {}) {
        const secrets = { ...(given.secrets ?? SECRETS) };
        const vars = { ...(given.vars ?? VARS) };
        const r = await runner.run({
          repo: app.dir,
          repository: REPO,
          workflow,
          event,
          payload,
          // A fork's run gets no secrets (the runner drops them too, as GitHub does).
          secrets: fork ? {} : secrets,
          vars: fork ? {} : vars,
          repos: { [`${OWNER}/karoo`]: karooDir },
          // What its completion starts on GitHub (karoo-report-comment.yml), with the repository's secrets.
          ...(given.follow === false ? {} : { followWorkflowRun: { secrets, vars } }),
        });
        recorded.set(r.runId, { path: workflow, headSha, event, name: 'candidate', ...(fork ? { headRepo: 'outsider/tern' } : {}) });
        return keep(r);
      },
      async rerun(previous, o = {}) {
        if (!recorded.has(previous.runId)) throw new Error(`run ${previous.runId} is not a run of this consumer`);
        return keep(await runner.rerun(previous, o));
      },
      mergeCommit,
      pullRequest(number, headSha, o = {}) {
        // As GitHub does: the run is on refs/pull/N/merge, a merge commit of the head into the
        // base (github.sha, what checkout checks out), not on the head commit the run reports.
        const mergeSha = mergeCommit(mainSha, headSha, `refs/pull/${number}/merge`, `Merge ${headSha} into ${mainSha}`);
        const payload = events.pullRequest({
          repository: REPO,
          number,
          headSha,
          mergeSha,
          baseSha: mainSha,
          headRef: o.headRef ?? 'topic',
          ...(o.headRepo ? { headRepo: o.headRepo } : {}),
          ...(o.repositoryIsFork ? { repositoryIsFork: true } : {}),
        });
        return consumer.candidateRun('pull_request', payload, headSha, {
          fork: !!o.headRepo,
          ...(o.workflow ? { workflow: o.workflow } : {}),
          ...(o.secrets ? { secrets: o.secrets } : {}),
          ...(o.vars ? { vars: o.vars } : {}),
          ...(o.follow === false ? { follow: false } : {}),
        });
      },
      close,
    };
    return consumer;
  } catch (e) {
    await close();
    throw e;
  }
}

/** Every failed step's log tail, per job: the message of a run that should have succeeded. */
export const why = (r: RunResult): string =>
  Object.values(r.jobs)
    .map(
      (j) =>
        `${j.key}: ${j.result}\n${j.steps
          .filter((s) => s.outcome === 'failure')
          .map((s) => `  ${s.name}: ${s.log.slice(-3000)}`)
          .join('\n')}`,
    )
    .join('\n');

/** A run's conclusion, and why when it failed: `expect(outcome(r)).toEqual({ conclusion: 'success', why: '' })`. */
export const outcome = (r: RunResult): { conclusion: string; why: string } => ({
  conclusion: r.conclusion,
  why: r.conclusion === 'success' ? '' : why(r),
});

/** Files of a directory, recursively. */
function walk(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/**
 * Where a run let one of the canary secrets through: its log, a job's outputs, summary or log, a
 * step's outputs or log, an artifact — or the masker had to hide it (the masked log alone would
 * pass with a leak). Empty when the secrets stayed where they belong.
 */
export function canaryLeaks(r: RunResult): string[] {
  const found: string[] = [];
  const canaries = [CANARY, REGISTRY_CANARY];
  for (const s of r.masked) if (canaries.includes(s)) found.push(`run ${r.runId}: the masker had to hide a canary`);
  if (canaries.some((k) => r.log.includes(k))) found.push(`run ${r.runId}: log`);
  for (const j of Object.values(r.jobs)) {
    const text = JSON.stringify([j.outputs, j.summary, j.log, j.steps.map((s) => [s.outputs, s.log])]);
    if (canaries.some((k) => text.includes(k))) found.push(`run ${r.runId} job ${j.key}: outputs, summary or log`);
  }
  if (existsSync(r.artifactsDir)) {
    for (const f of walk(r.artifactsDir)) {
      const body = readFileSync(f);
      if (canaries.some((k) => body.includes(k))) found.push(`run ${r.runId}: artifact ${f}`);
    }
  }
  return found;
}
