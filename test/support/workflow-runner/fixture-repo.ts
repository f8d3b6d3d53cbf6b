/** Git repositories for tests: a directory's files committed, tags and branches made. */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { git } from './repos.js';

export interface FixtureRepo {
  readonly dir: string;
  /** Commits everything in the working tree; returns the commit. */
  commit(message: string): string;
  /** Writes files (path → content) into the working tree. */
  write(files: Record<string, string>): void;
  tag(name: string, sha?: string): void;
  head(): string;
}

/** A new git repository with `files` (path → content) and/or a copy of `from`, committed on `main`. */
export function createRepo(options: { files?: Record<string, string>; from?: string; parent?: string } = {}): FixtureRepo {
  const dir = mkdtempSync(join(options.parent ?? tmpdir(), 'karoo-repo-'));
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'user.name', 'test']);
  git(dir, ['config', 'user.email', 'test@example.invalid']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
  const repo: FixtureRepo = {
    dir,
    write(files) {
      for (const [p, c] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, p)), { recursive: true });
        writeFileSync(join(dir, p), c);
      }
    },
    commit(message) {
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '--allow-empty', '-m', message]);
      return repo.head();
    },
    tag(name, sha) {
      git(dir, ['tag', '-f', name, sha ?? 'HEAD']);
    },
    head() {
      return git(dir, ['rev-parse', 'HEAD']);
    },
  };
  if (options.from) cpSync(options.from, dir, { recursive: true });
  if (options.files) repo.write(options.files);
  repo.commit('initial');
  return repo;
}
