// The candidate workflow rerun for a consumer (issue 10, Performance): through the workflow
// runner, for the consumer repository of test/support/consumer.ts (system `tern`, private index
// with a login, registry with credentials, karoo at v1, the starter workflows), a pull request's
// whole candidate workflow when its candidate and passing evidence already exist, against the
// full first run of the same pull request (resolve, build, acceptance on two fresh nspawn
// machines, report). Targets: the rerun ≤ 0.1× the first run, and ≤ 5 s of karoo's own work.
//
// Per step: karoo's steps (its actions: candidate (resolve, build, the evidence look-up and, with evidence, the report), provision, deploy, accept,
// report, with their post steps) are karoo's own work; the workflow's `run:` steps and the
// emulated third-party actions (checkout, upload/download-artifact) are the workflow's; what
// remains of the wall time (parsing and planning, a job's directories and token, exporting
// actions, processes between steps) is the runner's own overhead — the jobs run one after
// another (build → accept → report), so wall = Σ steps + overhead. CPU time is reported too (the
// steps' processes, and this process: runner, stand-ins), as the shared 2-core machine's load
// stretches wall times. The first run's CPU leaves out the machines' own processes.
//
// Needs what test/e2e/consumer.test.ts needs: root, systemd-nspawn, karoo's machine image,
// docker-registry, and `npx tsc -b && node scripts/bundle.mjs`.
// Usage: node bench/consumer-rerun.mjs [--runs N] [--committed] [--baseline COMMIT]
//   N reruns (default 3; the median is reported); --committed: karoo as committed at HEAD
//   (dist/ included) instead of the work tree's workflows, actions and bundles; --baseline: also
//   N reruns through candidate.yml as it was at COMMIT (same actions and bundles), each right
//   after one of the others, so that the machine's load weighs on both alike.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { loadavg } from 'node:os';

const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const runs = arg('--runs', 3);
const committed = process.argv.includes('--committed');
const baseline = process.argv.includes('--baseline') ? process.argv[process.argv.indexOf('--baseline') + 1] : undefined;
register(new URL('../test/support/workflow-runner/cli-hooks.mjs', import.meta.url));
const { REPO, startConsumer, starterWorkflows, template, why } = await import('../test/support/consumer.ts');
const BASELINE_WORKFLOW = '.github/workflows/karoo-candidate-baseline.yml';

/** The step ids of karoo's own actions in candidate.yml. */
const KAROO_STEPS = new Set(['candidate', 'resolve', 'build', 'evidence', 'provision', 'deploy', 'accept', 'report']);

function breakdown(r, wall) {
  const rows = [];
  let karoo = 0;
  let workflow = 0;
  for (const j of Object.values(r.jobs)) {
    for (const s of j.steps) {
      if (s.outcome === 'skipped') continue;
      const own = KAROO_STEPS.has(s.id);
      if (own) karoo += s.ms;
      else workflow += s.ms;
      rows.push({ job: j.key, step: s.name, ms: s.ms, own });
    }
  }
  return { wall, karoo, workflow, runner: wall - karoo - workflow, rows };
}

/** CPU milliseconds of this process (the runner, the GitHub stand-in, the index, the cache service) and of its waited-for child processes (every step's process, and what they ran: pip, git). */
function cpu() {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const tick = 10; // USER_HZ 100 on Linux: fields are in 1/100 s
  const u = process.cpuUsage();
  return { own: (u.user + u.system) / 1000, children: (Number(f[13]) + Number(f[14])) * tick };
}

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const c = await startConsumer({
  karoo: committed ? 'committed' : 'worktree',
  ...(baseline
    ? {
        workflows: {
          ...starterWorkflows(),
          [BASELINE_WORKFLOW]: template('karoo-candidate.yml').replace('candidate.yml@v1', 'candidate.yml@baseline'),
        },
      }
    : {}),
});
try {
  if (baseline) {
    // karoo's repository gets a commit on top of v1 with the baseline's candidate.yml, tagged `baseline`.
    const yml = execFileSync('git', ['show', `${baseline}:.github/workflows/candidate.yml`], { encoding: 'utf8' });
    writeFileSync(`${c.karooDir}/.github/workflows/candidate.yml`, yml);
    const git = (...a) =>
      execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', ...a], {
        cwd: c.karooDir,
      });
    git('commit', '-q', '--allow-empty', '-am', `baseline: candidate.yml as at ${baseline}`);
    git('tag', 'baseline');
  }
  const sha = c.branch('topic', { 'README.md': '# tern\n' });
  c.standin.addPullRequest(REPO, { number: 7, headRef: 'topic', headSha: sha, baseRef: 'main', baseSha: c.mainSha });
  const timed = async (workflow) => {
    const t = performance.now();
    const c0 = cpu();
    // The candidate workflow alone: not the comment workflow its completion starts (skipped for a branch of the repository).
    const r = await c.pullRequest(7, sha, workflow ? { workflow, follow: false } : { follow: false });
    const wall = performance.now() - t;
    const c1 = cpu();
    if (r.conclusion !== 'success') throw new Error(`the candidate workflow failed:\n${why(r)}`);
    return { ...breakdown(r, wall), cpuOwn: c1.own - c0.own, cpuChildren: c1.children - c0.children };
  };
  const first = await timed();
  const reruns = [];
  const baseReruns = [];
  for (let i = 0; i < runs; i++) {
    for (const [list, workflow] of [[reruns], ...(baseline ? [[baseReruns, BASELINE_WORKFLOW]] : [])]) {
      const r = await timed(workflow);
      if (r.rows.some((x) => x.job.endsWith('/accept') && x.step.includes('actions/provision')))
        throw new Error('the rerun provisioned machines: passing evidence was not found');
      list.push(r);
    }
  }
  const med = (list) => list.find((r) => r.wall === median(list.map((x) => x.wall)));
  const rerun = med(reruns);
  const baseRerun = baseline ? med(baseReruns) : undefined;
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}; first run once, ${runs} reruns (median by wall time)`,
  );
  console.log('');
  console.log("| | wall | karoo's steps | workflow's other steps | runner overhead | CPU: steps' processes | CPU: runner process |");
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [label, b] of [
    ['first run', first],
    ['rerun (median)', rerun],
    ...(baseRerun ? [[`rerun through candidate.yml at ${baseline} (median)`, baseRerun]] : []),
  ])
    console.log(`| ${label} | ${s(b.wall)} | ${s(b.karoo)} | ${s(b.workflow)} | ${s(b.runner)} | ${s(b.cpuChildren)} | ${s(b.cpuOwn)} |`);
  console.log('');
  console.log(
    `rerun / first run: ${(rerun.wall / first.wall).toFixed(3)}× wall (target ≤ 0.1×), ${((rerun.wall - rerun.runner) / (first.wall - first.runner)).toFixed(3)}× without the runner's overhead`,
  );
  const steps = (r) => {
    const n = r.rows.filter((x) => x.own).length;
    return `${n} step${n === 1 ? '' : 's'}`;
  };
  console.log(
    `karoo's own work in the rerun: ${s(rerun.karoo)} in ${steps(rerun)} (target ≤ 5 s); reruns' wall: ${reruns.map((r) => s(r.wall)).join(', ')}`,
  );
  if (baseRerun) {
    console.log(
      `baseline (${baseline}): ${(baseRerun.wall / first.wall).toFixed(3)}× wall; karoo's own work ${s(baseRerun.karoo)} in ${steps(baseRerun)}; reruns' wall: ${baseReruns.map((r) => s(r.wall)).join(', ')}`,
    );
    console.log('');
    console.log(`baseline rerun, per step:`);
    for (const x of baseRerun.rows) console.log(`  ${x.own ? 'karoo   ' : 'workflow'} ${s(x.ms).padStart(8)}  ${x.job}: ${x.step}`);
  }
  console.log('');
  console.log('rerun, per step:');
  for (const x of rerun.rows) console.log(`  ${x.own ? 'karoo   ' : 'workflow'} ${s(x.ms).padStart(8)}  ${x.job}: ${x.step}`);
  console.log('first run, per step:');
  for (const x of first.rows) console.log(`  ${x.own ? 'karoo   ' : 'workflow'} ${s(x.ms).padStart(8)}  ${x.job}: ${x.step}`);
} finally {
  await c.close();
}
