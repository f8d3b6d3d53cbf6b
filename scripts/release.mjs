#!/usr/bin/env node
// karoo's own release: build dist/, run the checks, tag vX.Y.Z and move the major tag (v1), so
// that OWNER/karoo@v1, OWNER/karoo/actions/<step>@v1 and
// OWNER/karoo/.github/workflows/candidate.yml@v1 all name one commit, whose dist/ is the build
// of its own sources. Run by .github/workflows/release-karoo.yml; works on any clone.
//
//   node scripts/release.mjs VERSION [--check-only | --tag-only] [--push] [--remote NAME]
//                            [--repo DIR] [--build-command CMD] [--check-command CMD]
//
// VERSION is X.Y.Z (a leading v is accepted). A pre-release (X.Y.Z-rc.1) is tagged but never
// moves the major tag. Refused, with nothing tagged: a dirty work tree, an existing tag, a
// version not above the newest release of its major, a dist/ that the build changes (stale),
// failing checks, an action whose bundle is not in the tagged commit.
// Exit codes as karoo's: 2 input, 5 conflict, 6 refused.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';

class ReleaseError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const INPUT = 2;
const CONFLICT = 5;
const REFUSED = 6;

/** `X.Y.Z` or `X.Y.Z-pre` (semver 2.0, no build metadata), with an optional leading `v`. */
export function parseVersion(text) {
  const m =
    /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/.exec(
      text ?? '',
    );
  if (!m)
    throw new ReleaseError(INPUT, `version "${text ?? ''}" is not X.Y.Z (semantic versioning, e.g. 1.4.0); give the version to release`);
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    pre: m[4],
    tag: `v${m[1]}.${m[2]}.${m[3]}${m[4] ? `-${m[4]}` : ''}`,
    majorTag: `v${m[1]}`,
  };
}

function compare(a, b) {
  return (
    a.major - b.major ||
    a.minor - b.minor ||
    a.patch - b.patch ||
    (a.pre === b.pre ? 0 : a.pre === undefined ? 1 : b.pre === undefined ? -1 : a.pre < b.pre ? -1 : 1)
  );
}

function git(repo, args, options = {}) {
  const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8', ...options });
  if (r.error) throw new ReleaseError(INPUT, `cannot run git in ${repo} (${r.error.message}); give the repository with --repo`);
  if (r.status !== 0 && !options.allowFailure)
    throw new ReleaseError(REFUSED, `git ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

function sh(repo, what, command) {
  process.stderr.write(`release: ${what}: ${command}\n`);
  const r = spawnSync('sh', ['-c', command], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new ReleaseError(REFUSED, `${what} failed (${command} exited ${r.status ?? r.signal}); nothing was tagged`);
}

function dirty(repo, paths = []) {
  return git(repo, ['status', '--porcelain', '--untracked-files=all', '--', ...paths]).stdout.trim();
}

/** Every action.yml of the commit and the file its `runs.main` names: all must be in the commit itself. */
export function checkActionsAt(repo, commit) {
  const files = git(repo, ['ls-tree', '-r', '--name-only', commit]).stdout.split('\n');
  const actions = files.filter((f) => f === 'action.yml' || /^actions\/[^/]+\/action\.yml$/.test(f));
  if (actions.length === 0) throw new ReleaseError(REFUSED, `${commit} has no action.yml`);
  const missing = [];
  for (const a of actions) {
    const doc = parseYaml(git(repo, ['show', `${commit}:${a}`]).stdout) ?? {};
    const dir = a.includes('/') ? a.slice(0, a.lastIndexOf('/')) : '.';
    for (const key of ['main', 'post', 'pre']) {
      const entry = doc.runs?.[key];
      if (typeof entry !== 'string') continue;
      const path = resolve('/', dir, entry).slice(1);
      if (!files.includes(path)) missing.push(`${a} runs.${key} ${entry} (${path})`);
    }
  }
  if (missing.length)
    throw new ReleaseError(
      REFUSED,
      `the commit to tag lacks the bundles its actions run: ${missing.join(', ')}; build and commit dist/ first`,
    );
  return actions;
}

export function release(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        remote: { type: 'string', default: 'origin' },
        'build-command': { type: 'string', default: 'npm run build' },
        'check-command': { type: 'string', default: 'npm test' },
        'check-only': { type: 'boolean', default: false },
        'tag-only': { type: 'boolean', default: false },
        push: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new ReleaseError(INPUT, `${e.message}; see the usage at the top of scripts/release.mjs`);
  }
  const { values: o, positionals: args } = parsed;
  const repo = resolve(o.repo ?? process.cwd());
  const { remote, 'build-command': buildCommand, 'check-command': checkCommand, 'check-only': checkOnly, 'tag-only': tagOnly, push } = o;
  if (checkOnly && tagOnly) throw new ReleaseError(INPUT, '--check-only and --tag-only exclude each other; give at most one');
  if (args.length !== 1) throw new ReleaseError(INPUT, 'give exactly one version, e.g. node scripts/release.mjs 1.4.0');
  const v = parseVersion(args[0]);

  if (dirty(repo))
    throw new ReleaseError(REFUSED, `the work tree of ${repo} has changes; release only a committed tree (git status shows them)`);
  const head = git(repo, ['rev-parse', 'HEAD^{commit}']).stdout.trim();
  const tags = git(repo, ['tag', '--list', 'v*']).stdout.split('\n').filter(Boolean);
  if (tags.includes(v.tag))
    throw new ReleaseError(
      CONFLICT,
      `tag ${v.tag} exists already (at ${git(repo, ['rev-parse', `${v.tag}^{commit}`]).stdout.trim()}); a release is never re-tagged, release the next version`,
    );
  const sameMajor = tags.flatMap((t) => {
    try {
      const p = parseVersion(t);
      return p.major === v.major && t === p.tag ? [p] : [];
    } catch {
      return [];
    }
  });
  const newest = sameMajor.sort(compare).at(-1);
  if (newest && compare(v, newest) <= 0)
    throw new ReleaseError(CONFLICT, `${v.tag} is not above ${newest.tag}, the newest release of ${v.majorTag}; release a higher version`);

  if (!tagOnly) {
    sh(repo, 'build', buildCommand);
    const stale = dirty(repo);
    if (stale)
      throw new ReleaseError(
        REFUSED,
        `the build changed the tree, so the committed dist/ is not the build of these sources (stale):\n${stale}\nrebuild, commit dist/ and release that commit`,
      );
    sh(repo, 'checks', checkCommand);
    if (dirty(repo)) throw new ReleaseError(REFUSED, `the checks changed the work tree:\n${dirty(repo)}\nnothing was tagged`);
  }
  if (checkOnly) {
    process.stdout.write(`${head} is ready to be released as ${v.tag}\n`);
    return { head, tag: v.tag };
  }
  const actions = checkActionsAt(repo, head);

  git(repo, ['tag', '-a', v.tag, '-m', `karoo ${v.tag}`, head]);
  const moved = !v.pre;
  if (moved) git(repo, ['tag', '-f', '-a', v.majorTag, '-m', `karoo ${v.majorTag}: ${v.tag}`, head]);
  for (const t of [v.tag, ...(moved ? [v.majorTag] : [])]) {
    const at = git(repo, ['rev-parse', `${t}^{commit}`]).stdout.trim();
    if (at !== head) throw new ReleaseError(REFUSED, `${t} names ${at}, not ${head}`);
  }
  if (push) {
    // One atomic push: the version tag and the moved major tag land together or not at all.
    git(repo, ['push', '--atomic', remote, `refs/tags/${v.tag}`, ...(moved ? [`+refs/tags/${v.majorTag}:refs/tags/${v.majorTag}`] : [])]);
  }
  process.stdout.write(
    `released ${v.tag} at ${head}${moved ? `; ${v.majorTag} moved there` : ` (a pre-release: ${v.majorTag} not moved)`}${push ? `; pushed to ${remote}` : ''}\n` +
      `  ${actions.length} actions, each with its bundle in the commit; OWNER/karoo@${moved ? v.majorTag : v.tag}, OWNER/karoo/actions/<step>@…, OWNER/karoo/.github/workflows/candidate.yml@… all name ${head}\n`,
  );
  return { head, tag: v.tag, major: moved ? v.majorTag : undefined };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  try {
    release(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`release: ${e.message}\n`);
    process.exitCode = e instanceof ReleaseError ? e.code : 1;
  }
}
