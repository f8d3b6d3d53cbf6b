#!/usr/bin/env node
// Runs a workflow file with karoo's workflow runner for tests (test/support/workflow-runner),
// against a GitHub API stand-in on 127.0.0.1, and prints what each job and step did.
//
//   node scripts/run-workflow.mjs --repo DIR --repository OWNER/NAME --workflow .github/workflows/x.yml \
//     --event push [--payload event.json] [--secret K=V]… [--var K=V]… [--input K=V]… \
//     [--repos OWNER/NAME=DIR]… [--sha SHA] [--ref REF] [--pull-request N] [--fork OWNER/NAME] [--json]
//
// Exit status: 0 when the run succeeded, 1 when it did not, 2 for bad arguments.
import { register } from 'node:module';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const HOOKS = new URL('../test/support/workflow-runner/cli-hooks.mjs', import.meta.url);

function fail(message) {
  process.stderr.write(`run-workflow: ${message}\n`);
  process.exit(2);
}

function pairs(list, what) {
  const out = {};
  for (const item of list ?? []) {
    const i = item.indexOf('=');
    if (i <= 0) fail(`--${what} wants KEY=VALUE, got "${item}"`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

let args;
try {
  args = parseArgs({
    options: {
      repo: { type: 'string' },
      repository: { type: 'string' },
      workflow: { type: 'string' },
      event: { type: 'string', default: 'push' },
      payload: { type: 'string' },
      secret: { type: 'string', multiple: true },
      var: { type: 'string', multiple: true },
      input: { type: 'string', multiple: true },
      repos: { type: 'string', multiple: true },
      sha: { type: 'string' },
      ref: { type: 'string' },
      'pull-request': { type: 'string' },
      fork: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values;
} catch (e) {
  fail(`${e.message}; see --help`);
}
if (args.help) {
  process.stdout.write(
    readFileSync(new URL(import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('//'))
      .map((l) => l.slice(3))
      .join('\n') + '\n',
  );
  process.exit(0);
}
for (const k of ['repo', 'repository', 'workflow']) if (!args[k]) fail(`--${k} is required; see --help`);

register(HOOKS);
const { WorkflowRunner, events } = await import('../test/support/workflow-runner/index.ts');
const { startGitHubStandin } = await import('@karoo/github-standin');
const { git } = await import('../test/support/workflow-runner/repos.ts');

const repo = resolve(args.repo);
const repository = args.repository;
const repos = Object.fromEntries(Object.entries(pairs(args.repos, 'repos')).map(([k, v]) => [k, resolve(v)]));
let payload;
if (args.payload) payload = JSON.parse(readFileSync(args.payload, 'utf8'));
else {
  const head = args.sha ?? git(repo, ['rev-parse', 'HEAD']);
  if (args.event === 'pull_request')
    payload = events.pullRequest({ repository, number: Number(args['pull-request'] ?? 1), headSha: head, headRepo: args.fork });
  else if (args.event === 'workflow_dispatch')
    payload = events.workflowDispatch({ repository, inputs: pairs(args.input, 'input'), ref: args.ref });
  else if (args.event === 'push') payload = events.push({ repository, after: head, ref: args.ref });
  else payload = { repository: { full_name: repository, default_branch: 'main' } };
}

const standin = await startGitHubStandin();
standin.addRepo(repository);
const pr = payload.pull_request;
if (pr)
  standin.addPullRequest(repository, { number: pr.number, headSha: pr.head.sha, headRef: pr.head.ref, headRepo: pr.head.repo?.full_name });
const runner = new WorkflowRunner({ github: standin });
let result;
try {
  result = await runner.run({
    repo,
    repository,
    workflow: args.workflow,
    event: args.event,
    payload,
    sha: args.sha,
    ref: args.ref,
    secrets: pairs(args.secret, 'secret'),
    vars: pairs(args.var, 'var'),
    repos,
    github: standin,
    onLog: args.json ? undefined : (job, line) => process.stderr.write(`[${job}] ${line}\n`),
  });
} catch (e) {
  await runner.close();
  await standin.close().catch(() => undefined);
  fail(e.message);
}
await runner.close();
const violations = standin.takeViolations();
await standin.close();
if (args.json) {
  process.stdout.write(
    JSON.stringify(
      {
        ...result,
        requests: result.requests.map(({ method, path, operationId, status }) => ({ method, path, operationId, status })),
        violations,
      },
      null,
      2,
    ) + '\n',
  );
} else {
  for (const job of Object.values(result.jobs)) {
    process.stdout.write(`${job.key}: ${job.result}\n`);
    for (const s of job.steps)
      process.stdout.write(
        `  ${s.stage === 'main' ? '' : `${s.stage} `}${s.name}: ${s.conclusion}${s.outcome !== s.conclusion ? ` (outcome ${s.outcome})` : ''}\n`,
      );
    if (Object.keys(job.outputs).length) process.stdout.write(`  outputs: ${JSON.stringify(job.outputs)}\n`);
  }
  for (const v of violations) process.stdout.write(`stand-in: ${v}\n`);
  process.stdout.write(`run ${result.runId}: ${result.conclusion}${result.reason ? ` (${result.reason})` : ''}\n`);
}
process.exit(result.conclusion === 'success' ? 0 : 1);
