/**
 * Repositories the runner reaches: a map `owner/name` → local git directory. A reference
 * `owner/name[/path]@ref` is resolved with git to a commit and that commit's tree is exported
 * once into a cache directory (what the runner does with the tarball it downloads).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export class RepoError extends Error {
  override name = 'RepoError';
}

export function git(dir: string, args: string[], input?: string): string {
  try {
    return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], env: gitEnv() }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new RepoError(`git ${args.join(' ')} in ${dir} failed: ${(err.stderr || err.message).trim()}`);
  }
}

function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C' };
  env.GIT_CONFIG_NOSYSTEM = '1';
  return env;
}

/** Parses `owner/name[/path]@ref`. */
export function parseRemoteRef(uses: string): { repository: string; path: string; ref: string } | undefined {
  const m = /^([^/@\s]+)\/([^/@\s]+)((?:\/[^@\s]*)?)@(\S+)$/.exec(uses);
  if (!m) return undefined;
  return { repository: `${m[1]}/${m[2]}`, path: m[3]!.replace(/^\/+|\/+$/g, ''), ref: m[4]! };
}

export class Repos {
  private readonly map = new Map<string, string>();

  constructor(
    repos: Record<string, string>,
    private readonly cacheDir: string,
  ) {
    for (const [name, dir] of Object.entries(repos)) this.map.set(name.toLowerCase(), dir);
  }

  add(repository: string, dir: string): void {
    if (!this.map.has(repository.toLowerCase())) this.map.set(repository.toLowerCase(), dir);
  }

  dir(repository: string): string {
    const d = this.map.get(repository.toLowerCase());
    if (!d)
      throw new RepoError(`repository ${repository} is not in the runner's repos map; pass repos: { '${repository}': '/path/to/git/dir' }`);
    return d;
  }

  has(repository: string): boolean {
    return this.map.has(repository.toLowerCase());
  }

  /** The commit a ref (tag, branch, SHA) names in a repository. */
  resolve(repository: string, ref: string): string {
    const dir = this.dir(repository);
    const candidates = /^[0-9a-f]{40}$/.test(ref) ? [ref] : [`refs/tags/${ref}`, `refs/heads/${ref}`, ref];
    for (const c of candidates) {
      try {
        return git(dir, ['rev-parse', '--verify', '--quiet', `${c}^{commit}`]);
      } catch {
        // next candidate
      }
    }
    throw new RepoError(`Unable to resolve action \`${repository}@${ref}\`, unable to find version \`${ref}\``);
  }

  /** A directory holding the repository's tree at a commit (exported once, then reused). */
  tree(repository: string, sha: string): string {
    const dest = join(this.cacheDir, repository.toLowerCase().replace('/', '+'), sha);
    if (existsSync(dest)) return dest;
    const tmp = `${dest}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    mkdirSync(tmp, { recursive: true });
    try {
      execFileSync('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', this.dir(repository), sha, tmp], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: gitEnv(),
      });
      if (!existsSync(dest)) renameSync(tmp, dest);
      else rmSync(tmp, { recursive: true, force: true });
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw new RepoError(`exporting ${repository}@${sha} failed: ${(e as Error).message}`);
    }
    return dest;
  }

  /** Reads one file of a repository at a commit. */
  read(repository: string, sha: string, path: string): string {
    try {
      return execFileSync('git', ['-C', this.dir(repository), 'show', `${sha}:${path}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: gitEnv(),
      });
    } catch {
      throw new RepoError(`${path} does not exist in ${repository} at ${sha.slice(0, 12)}`);
    }
  }
}
