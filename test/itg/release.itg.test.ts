/**
 * karoo's own release (scripts/release.mjs, run by .github/workflows/release-karoo.yml) against
 * a local git repository shaped like karoo: the root action, an action under actions/, a
 * reusable workflow, sources and the dist/ their build writes, and a bare "GitHub" remote.
 * Tags are created, the major tag moves, and every refusal leaves no tag behind.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/cli.js';

// Each case runs git, node and the release script as processes on a shared 2-core machine.
jest.setTimeout(120_000);

const SCRIPT = join(ROOT, 'scripts/release.mjs');
let dir: string;
let repo: string;
let remote: string;

function git(args: string[], cwd = repo): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function write(path: string, text: string): void {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
}

/** The release script as the workflow runs it; the build and the checks are the test repository's own. */
function release(...args: string[]): { code: number; out: string } {
  const r = spawnSync(
    process.execPath,
    [SCRIPT, ...args, '--repo', repo, '--build-command', 'node build.mjs', '--check-command', 'node check.mjs'],
    {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function commit(message: string): string {
  git(['add', '-A']);
  git(['commit', '-q', '-m', message]);
  return git(['rev-parse', 'HEAD']);
}

/** A change to the sources with its dist/ rebuilt, as a release-ready commit. */
function change(version: string): string {
  write('src/main.js', `console.log('step ${version}');\n`);
  spawnSync(process.execPath, ['build.mjs'], { cwd: repo });
  return commit(`step ${version}`);
}

const tagsAt = (ref: string, cwd = repo) => git(['rev-parse', `${ref}^{commit}`], cwd);
const tags = (cwd = repo) => git(['tag', '--list'], cwd).split('\n').filter(Boolean).sort();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'karoo-release-'));
  repo = join(dir, 'karoo');
  remote = join(dir, 'remote.git');
  mkdirSync(repo);
  git(['init', '-q', '--bare', remote], dir);
  git(['init', '-q', '-b', 'main']);
  git(['config', 'user.email', 'release@karoo.test']);
  git(['config', 'user.name', 'karoo release test']);
  git(['remote', 'add', 'origin', remote]);
  write(
    'build.mjs',
    `import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';\nmkdirSync('dist/step', { recursive: true });\nwriteFileSync('dist/step/index.js', '// built\\n' + readFileSync('src/main.js', 'utf8'));\n`,
  );
  write(
    'check.mjs',
    `import { existsSync } from 'node:fs';\nif (existsSync('FAIL')) { console.error('check failed'); process.exit(1); }\n`,
  );
  write('action.yml', 'name: karoo\nruns:\n  using: node24\n  main: dist/step/index.js\n');
  write('actions/step/action.yml', 'name: karoo step\nruns:\n  using: node24\n  main: ../../dist/step/index.js\n');
  write('.github/workflows/candidate.yml', 'name: karoo candidate\non:\n  workflow_call:\njobs: {}\n');
  change('1.0.0');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('releasing karoo', () => {
  it('tags vX.Y.Z and moves v1 on every release of major 1, so the action, the step and the workflow at v1 are one commit', () => {
    const first = tagsAt('HEAD');
    const r1 = release('1.0.0', '--push');
    expect(r1).toMatchObject({ code: 0 });
    expect(tags()).toEqual(['v1', 'v1.0.0']);
    expect(tagsAt('v1')).toBe(first);
    expect(tagsAt('v1.0.0')).toBe(first);

    const second = change('1.1.0');
    expect(release('v1.1.0', '--push').code).toBe(0);
    expect(tagsAt('v1')).toBe(second);
    expect(tagsAt('v1.0.0')).toBe(first);
    // What OWNER/karoo@v1, OWNER/karoo/actions/step@v1 and …/candidate.yml@v1 read: one commit, with its bundle.
    for (const path of ['action.yml', 'actions/step/action.yml', '.github/workflows/candidate.yml']) git(['cat-file', '-e', `v1:${path}`]);
    expect(git(['show', 'v1:dist/step/index.js'])).toContain('step 1.1.0');

    // The remote got both, the major tag moved there too.
    expect(tags(remote)).toEqual(['v1', 'v1.0.0', 'v1.1.0']);
    expect(tagsAt('v1', remote)).toBe(second);

    // A new major gets its own tag; v1 stays where it was.
    const third = change('2.0.0');
    expect(release('2.0.0').code).toBe(0);
    expect(tagsAt('v2')).toBe(third);
    expect(tagsAt('v1')).toBe(second);
  });

  it('a pre-release is tagged but does not move the major tag', () => {
    expect(release('1.0.0').code).toBe(0);
    const before = tagsAt('v1');
    change('1.1.0-rc.1');
    const r = release('1.1.0-rc.1');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/a pre-release: v1 not moved/);
    expect(tagsAt('v1')).toBe(before);
    expect(tags()).toContain('v1.1.0-rc.1');
  });

  it('refuses a dirty work tree', () => {
    write('src/main.js', 'console.log("uncommitted");\n');
    const r = release('1.0.0');
    expect(r.code).toBe(6);
    expect(r.out).toMatch(/the work tree of .* has changes/);
    expect(tags()).toEqual([]);
  });

  it('refuses an existing tag, and a version not above the newest of its major', () => {
    expect(release('1.2.0').code).toBe(0);
    change('again');
    const again = release('1.2.0');
    expect(again.code).toBe(5);
    expect(again.out).toMatch(/tag v1\.2\.0 exists already .*a release is never re-tagged/);
    const back = release('1.1.9');
    expect(back.code).toBe(5);
    expect(back.out).toMatch(/v1\.1\.9 is not above v1\.2\.0/);
    expect(tags()).toEqual(['v1', 'v1.2.0']);
  });

  it.each(['1.0', 'v1', '1.0.0.0', '01.0.0', 'latest', ''])('refuses the version "%s"', (version) => {
    const r = release(version);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/is not X\.Y\.Z|give exactly one version/);
    expect(tags()).toEqual([]);
  });

  it('refuses a stale dist/: sources committed without their build', () => {
    write('src/main.js', "console.log('changed, not rebuilt');\n");
    commit('source only');
    const r = release('1.0.1');
    expect(r.code).toBe(6);
    expect(r.out).toMatch(/the build changed the tree, so the committed dist\/ is not the build of these sources \(stale\)/);
    expect(r.out).toMatch(/dist\/step\/index\.js/);
    expect(tags()).toEqual([]);
  });

  it('refuses when the checks fail', () => {
    write('FAIL', '');
    commit('a failing check');
    const r = release('1.0.0');
    expect(r.code).toBe(6);
    expect(r.out).toMatch(/checks failed \(node check\.mjs exited 1\); nothing was tagged/);
    expect(tags()).toEqual([]);
  });

  it('refuses a commit whose action runs a bundle that is not in it', () => {
    write('actions/other/action.yml', 'name: other\nruns:\n  using: node24\n  main: ../../dist/other/index.js\n');
    commit('an action without its bundle');
    const r = release('1.0.0', '--tag-only');
    expect(r.code).toBe(6);
    expect(r.out).toMatch(
      /lacks the bundles its actions run: actions\/other\/action\.yml runs\.main \.\.\/\.\.\/dist\/other\/index\.js \(dist\/other\/index\.js\)/,
    );
    expect(tags()).toEqual([]);
  });
});
