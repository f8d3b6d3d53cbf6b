/**
 * actions/checkout, emulated. Models: `repository` (default: the run's), `ref` (default: the
 * run's github.sha for its own repository, else the repository's default branch), `path`
 * (under the workspace), `clean`, `fetch-depth`; a real git clone from the repos map with
 * `origin` set to the repository's URL, HEAD detached at the commit; outputs `ref` and
 * `commit`. `fetch-depth` as the action has it: 1 (the default) or N fetches only that commit
 * and N - 1 ancestors (a shallow clone: no other commits, branches or tags, so a step that
 * needs the base commit must fetch it or read it from the API, as on GitHub); 0 fetches every
 * branch and tag with their whole history.
 * Leaves out: fetching from a server, `fetch-tags`, `token` and `persist-credentials` (no
 * credentials are written), `ssh-*`, sparse checkout, submodules, LFS.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { git } from '../repos.js';
import type { EmulatedAction } from './index.js';

export const checkout: EmulatedAction = {
  repository: 'actions/checkout',
  inputs: {
    repository: undefined,
    ref: undefined,
    token: undefined,
    'ssh-key': undefined,
    'persist-credentials': 'true',
    path: '',
    clean: 'true',
    filter: undefined,
    'sparse-checkout': undefined,
    'sparse-checkout-cone-mode': 'true',
    'fetch-depth': '1',
    'fetch-tags': 'false',
    'show-progress': 'true',
    lfs: 'false',
    submodules: 'false',
    'set-safe-directory': 'true',
    'github-server-url': undefined,
  },
  async run({ inputs, job, log }): Promise<Record<string, string>> {
    const run = job.run;
    const repository = inputs.repository || run.repository;
    const own = repository.toLowerCase() === run.repository.toLowerCase();
    const repos = run.services.repos;
    const dest = inputs.path ? join(job.workspace, inputs.path) : job.workspace;
    const rel = relative(job.workspace, dest);
    if (isAbsolute(inputs.path ?? '') || rel.startsWith('..')) throw new Error(`Repository path '${dest}' is not under '${job.workspace}'`);
    const ref = inputs.ref || (own ? String(run.github.sha) : run.defaultBranch);
    const sha = /^[0-9a-f]{40}$/.test(ref) ? ref : repos.resolve(repository, ref.replace(/^refs\/(heads|tags)\//, ''));
    log(`Syncing repository: ${repository}`);
    if (existsSync(dest) && inputs.clean !== 'false')
      for (const f of readdirSync(dest)) rmSync(join(dest, f), { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    const depth = Number(inputs['fetch-depth'] ?? '1');
    if (!Number.isInteger(depth) || depth < 0) throw new Error(`fetch-depth '${inputs['fetch-depth']}' is not a whole number`);
    if (depth > 0) {
      // One commit (and depth - 1 ancestors), by its sha, as the action fetches it.
      if (readdirSync(dest).length === 0) git(dest, ['init', '-q']);
      git(dest, ['fetch', '-q', '--no-tags', `--depth=${depth}`, `file://${repos.dir(repository)}`, sha]);
      git(dest, ['config', 'remote.origin.url', `${run.services.serverUrl}/${repository}`]);
    } else if (readdirSync(dest).length === 0) {
      // --shared borrows the source's objects (instant even for a large repository).
      git(dest, ['clone', '-q', '--shared', '--no-checkout', repos.dir(repository), '.']);
      git(dest, ['remote', 'set-url', 'origin', `${run.services.serverUrl}/${repository}`]);
    } else {
      git(dest, ['init', '-q']);
      git(dest, ['fetch', '-q', repos.dir(repository), '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*']);
      git(dest, ['remote', 'add', 'origin', `${run.services.serverUrl}/${repository}`]);
    }
    git(dest, ['checkout', '-q', '--detach', sha]);
    log(`HEAD is now at ${sha.slice(0, 7)}`);
    return { ref: /^[0-9a-f]{40}$/.test(ref) ? '' : ref, commit: sha };
  },
};
