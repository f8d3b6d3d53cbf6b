/**
 * The root action (`uses: OWNER/karoo@v1`): resolve → build → report in one step with the
 * defaults of karoo.yml, run from its bundle as the runner runs it, on a copy of the example.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { runBundle } from '../support/bundle.js';
import { karoo, ROOT } from '../support/cli.js';

let BUNDLE: string;
let work: string;
let repo: string;
let standin: GitHubStandin;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/candidate/index.js')))
    throw new Error('dist/candidate is missing: run npx tsc -b && node scripts/bundle.mjs candidate');
  work = await mkdtemp(join(tmpdir(), 'karoo-root-action-'));
  // The bundle alone, with no sibling step bundles beside it: the steps run inside it, in one process.
  await cp(join(ROOT, 'dist/candidate'), join(work, 'dist/candidate'), { recursive: true });
  BUNDLE = join(work, 'dist/candidate/index.js');
  repo = join(work, 'repo');
  await cp(join(ROOT, 'examples/cam'), repo, {
    recursive: true,
    filter: (src) => !src.includes('__pycache__') && !src.endsWith('.toml') && !src.endsWith('requirements.txt'),
  });
  const git = (...a: string[]) =>
    execFileSync('git', ['-c', 'user.email=ci@example.invalid', '-c', 'user.name=ci', '-c', 'init.defaultBranch=main', ...a], {
      cwd: repo,
    });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'example');
  standin = await startGitHubStandin({ tokens: { rw: {} } });
  standin.addRepo('acme/cam');
}, 60_000);
afterAll(async () => {
  await standin?.close();
  await rm(work, { recursive: true, force: true });
});

/** The root action's bundle as the runner runs it, with the token and config the tests share. */
const run = (inputs: Record<string, string>) =>
  runBundle(BUNDLE, {
    cwd: repo,
    under: work,
    inputs: { token: 'rw', config: 'karoo.yml', ...inputs },
    event: { name: 'push', payload: { ref: 'refs/heads/main' } },
    env: {
      GITHUB_REPOSITORY: 'acme/cam',
      GITHUB_SHA: 'd'.repeat(40),
      GITHUB_API_URL: standin.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '99',
    },
  });

describe('the root action', () => {
  it('declares the same inputs and outputs as actions/candidate, and runs its bundle', () => {
    const root = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Record<string, unknown>;
    const step = parseYaml(readFileSync(join(ROOT, 'actions/candidate/action.yml'), 'utf8')) as Record<string, unknown>;
    expect(root.inputs).toEqual(step.inputs);
    expect(root.outputs).toEqual(step.outputs);
    expect(root.runs).toEqual({ using: 'node24', main: 'dist/candidate/index.js' });
  });

  it('resolves, builds and reports the example with the defaults of karoo.yml; a second run reuses the candidate', async () => {
    const store = `oci-layout:${join(work, 'store')}`;
    const first = await run({ store });
    expect({ code: first.code, log: first.code === 0 ? '' : first.log }).toEqual({ code: 0, log: '' });
    expect(first.outputs.candidate).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.outputs).toMatchObject({
      existed: 'false',
      'lock-path': join(repo, 'pylock.toml'),
      'candidate-ref': `${store}@${first.outputs.candidate}`,
    });
    // The digest is the lock's: the CLI computes the same one from the lock the step wrote.
    const digest = await karoo(['digest', '--lock', join(repo, 'pylock.toml'), '--config', join(repo, 'karoo.yml')]);
    expect(digest.stdout.trim()).toBe(first.outputs.candidate);
    for (const heading of ['karoo resolve', 'karoo build', first.outputs.candidate!.slice(7, 19)]) expect(first.summary).toContain(heading);
    // One log group per step, in order (the steps' own groups may nest inside them).
    const groups = [...first.log.matchAll(/^::group::karoo (resolve|build|promote|report)$/gm)].map((m) => m[1]);
    expect(groups.filter((g) => g !== 'promote')).toEqual(['resolve', 'build', 'report']);
    // The report step itself ran: its heading, its reproduce section, and its markdown file.
    expect(first.summary).toContain(`### karoo: candidate \`${first.outputs.candidate!.slice(7, 19)}\``);
    expect(first.summary).toContain('#### Reproduce');
    expect(await readFile(first.outputs['markdown-path']!, 'utf8')).toContain(first.outputs.candidate!);

    const second = await run({ store });
    expect(second.code).toBe(0);
    expect(second.outputs).toMatchObject({ candidate: first.outputs.candidate, existed: 'true', changed: 'false' });

    // A step that fails stops the rest with its own error (not "step X exited 1"), and sets no outputs.
    const failed = await run({ store: 'not-a-store' });
    expect(failed.code).not.toBe(0);
    expect(failed.log).toContain('::error::store "not-a-store" does not start with a registry host');
    expect(failed.log).toContain('::group::karoo build');
    expect(failed.log).not.toContain('::group::karoo report');
    expect(failed.outputs).toEqual({});
  }, 180_000);
});
