/**
 * A workflow runner for tests: executes real GitHub workflow files the way GitHub's runner
 * does, built on GitHub's own parser (@actions/workflow-parser) and expression evaluator
 * (@actions/expressions). See README.md for what it models and what it leaves out.
 *
 *   const result = await runWorkflow({ repo: dir, repository: 'acme/app', workflow: '.github/workflows/ci.yml',
 *     event: 'pull_request', payload: events.pullRequest({ repository: 'acme/app', number: 1, headSha }),
 *     secrets, vars, repos: { 'OWNER/karoo': karooDir }, github: standin });
 */
export { WorkflowRunner, runWorkflow, type RunnerOptions } from './runner.js';
export { events, repoInfo } from './events.js';
export { CacheService, type CacheEntry } from './cache-service.js';
export { WorkflowError } from './plan.js';
export { EMULATED } from './emulated/index.js';
export { createRepo, type FixtureRepo } from './fixture-repo.js';
export type { Conclusion, EnvironmentSettings, JobResult, RunOptions, RunResult, StepResult, TokenPermissions } from './types.js';
export type { Annotation } from './log.js';
