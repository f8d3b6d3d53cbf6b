// The workflow runner's own overhead (issue 10 §1), measured without karoo's work in it:
//  1. a workflow of one job with N trivial `run:` steps, through the runner, against the same N
//     scripts run directly with `bash -e` (the per-step overhead of the runner);
//  2. a job with one Node 24 JavaScript action step (`uses:` of another repository at a tag),
//     against `node main.js` run directly;
//  3. the fixed cost of a run (parse, plan, a job's directories and token) with a one-step job.
// Wall-clock medians of --runs runs (default 5), CPU seconds of this process alongside.
// Usage: node bench/workflow-runner.mjs [--runs N] [--steps N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const runs = arg('--runs', 5);
const nSteps = arg('--steps', 10);
register(new URL('../test/support/workflow-runner/cli-hooks.mjs', import.meta.url));
const { WorkflowRunner, createRepo, events } = await import('../test/support/workflow-runner/index.ts');
const { nodeFor } = await import('../test/support/workflow-runner/process.ts');

const steps = Array.from({ length: nSteps }, (_, i) => `      - run: echo "n=${i}" >> "$GITHUB_OUTPUT"`).join('\n');
const app = createRepo({
  files: {
    '.github/workflows/steps.yml': `on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n${steps}\n`,
    '.github/workflows/one.yml': `on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: "true"\n`,
    '.github/workflows/action.yml': `on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: acme/tools/act@v1\n`,
  },
});
const tools = createRepo({
  files: {
    'act/action.yml': 'name: act\ndescription: d\nruns:\n  using: node24\n  main: main.js\n',
    'act/main.js': "require('fs').appendFileSync(process.env.GITHUB_OUTPUT, 'x=1\\n');\n",
  },
});
tools.tag('v1');
const runner = new WorkflowRunner();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (f) => {
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await f();
    t.push(performance.now() - s);
  }
  return median(t);
};
const run = (workflow) => async () => {
  const r = await runner.run({
    repo: app.dir,
    repository: 'acme/app',
    repos: { 'acme/tools': tools.dir },
    workflow,
    event: 'push',
    payload: events.push({ repository: 'acme/app', after: app.head() }),
  });
  if (r.conclusion !== 'success') throw new Error(`${workflow}: ${r.log}`);
};
const scratch = mkdtempSync(join(tmpdir(), 'karoo-bench-wr-'));
const direct = async () => {
  for (let i = 0; i < nSteps; i++) {
    writeFileSync(join(scratch, 's.sh'), `echo "n=${i}" >> "${join(scratch, 'out')}"\n`);
    execFileSync('bash', ['-e', join(scratch, 's.sh')]);
  }
};
writeFileSync(join(scratch, 'main.cjs'), "require('fs').appendFileSync(process.env.GITHUB_OUTPUT, 'x=1\\n');\n");
const node24 = nodeFor('node24');
const directNode = async () => {
  execFileSync(node24, [join(scratch, 'main.cjs')], { env: { ...process.env, GITHUB_OUTPUT: join(scratch, 'out') } });
};

await run('.github/workflows/action.yml')(); // warm: exports the action, finds Node 24
const cpu0 = process.cpuUsage();
const tSteps = await time(run('.github/workflows/steps.yml'));
const tDirect = await time(direct);
const tAction = await time(run('.github/workflows/action.yml'));
const tNode = await time(directNode);
const tOne = await time(run('.github/workflows/one.yml'));
const cpu = process.cpuUsage(cpu0);
await runner.close();
rmSync(scratch, { recursive: true, force: true });
rmSync(app.dir, { recursive: true, force: true });
rmSync(tools.dir, { recursive: true, force: true });
const ms = (x) => `${x.toFixed(0)} ms`;
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}, ${runs} runs, medians`,
);
console.log(
  `${nSteps} run: steps: runner ${ms(tSteps)}, bash directly ${ms(tDirect)}, overhead per step ${ms((tSteps - tOne - (tDirect * (nSteps - 1)) / nSteps) / (nSteps - 1))}`,
);
console.log(`one node24 action: runner ${ms(tAction)}, node directly ${ms(tNode)}`);
console.log(`a run of one trivial step: ${ms(tOne)}`);
console.log(`CPU of this process: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
