import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * pip's own cache directory as the resolver's pip computes it: `--isolated` ignores
 * PIP_CACHE_DIR and pip.conf, so it is XDG's user cache (`$XDG_CACHE_HOME/pip`, else
 * `~/.cache/pip`). Its HTTP cache (`http-v2`; `http` before pip 23.3) holds index pages and the
 * wheels pip fetched for metadata: keeping it between runs is only an accelerator, never a
 * source of truth (every file in a lock is pinned by sha256).
 */
export function pipCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'pip');
}

/** The HTTP cache directories inside pip's cache. */
export function pipHttpCacheDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = pipCacheDir(env);
  return [join(dir, 'http-v2'), join(dir, 'http')];
}

/** Keys `karoo-<kind>-<platform>-<system>-<lock hex>`: saved under a lock's digest, restored by it, else by the newest of the system. */
function lockKeys(
  kind: string,
  system: string,
  lockDigest: string | undefined,
  platform: string,
): { key: string | undefined; restoreKeys: string[] } {
  const prefix = `karoo-${kind}-${platform}-${system}-`;
  return { key: lockDigest ? `${prefix}${lockDigest.replace(/^sha256:/, '')}` : undefined, restoreKeys: [prefix] };
}

/**
 * Actions cache keys for pip's HTTP cache: saved under the digest of the lock the resolution
 * produced, restored by the previous lock's digest, else the newest of the same system.
 */
export function pipCacheKeys(system: string, lockDigest: string | undefined, platform = `${process.platform}-${process.arch}`) {
  return lockKeys('pip', system, lockDigest, platform);
}

/**
 * Actions cache keys for the last lock pip produced (a workflow whose checkout has no lock offers
 * it to resolve's no-op check), an entry of its own: a no-op resolution, most runs, restores this
 * small file and never pip's HTTP cache, which only a resolution that runs pip restores.
 */
export function lastLockKeys(system: string, lockDigest: string | undefined, platform = `${process.platform}-${process.arch}`) {
  return lockKeys('lastlock', system, lockDigest, platform);
}
