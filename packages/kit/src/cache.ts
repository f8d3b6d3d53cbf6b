import { existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import * as core from '@actions/core';

/**
 * A path as @actions/cache should be given it. The library versions an entry by the path strings
 * it is given, so an absolute path ties the entry to one job's directories: a runner whose HOME
 * or temporary directory is elsewhere (another self-hosted runner, a runner with a directory per
 * job) never restores it. Under HOME it is `~/…` (actions/cache's own convention; the library
 * expands `~`); other paths stay as they are (the library refuses `..` in a path, so a path under
 * RUNNER_TEMP cannot be made portable: keep cached directories under HOME).
 */
export function cachePath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const p = resolve(path);
  const home = env.HOME ? resolve(env.HOME) : undefined;
  if (home && home !== sep && (p === home || p.startsWith(home + sep))) return `~${p.slice(home.length)}`;
  return path;
}

/**
 * The Actions cache as an accelerator only: a missing cache service, a miss or a failure is a
 * line in the log, never a failed step. Loaded on demand so actions that do not cache do not
 * carry @actions/cache.
 */
export async function restoreCached(
  what: string,
  paths: string[],
  key: string | undefined,
  restoreKeys: string[],
): Promise<string | undefined> {
  try {
    const cache = await import('@actions/cache');
    if (!cache.isFeatureAvailable()) {
      core.info(`${what}: the Actions cache service is not available here; nothing restored`);
      return undefined;
    }
    const hit = await cache.restoreCache(
      paths.map((p) => cachePath(p)),
      key ?? restoreKeys[0]!,
      restoreKeys,
    );
    core.info(hit ? `${what}: restored from the Actions cache (${hit})` : `${what}: nothing in the Actions cache yet`);
    return hit;
  } catch (e) {
    core.warning(`${what}: cache restore failed (${(e as Error).message}); going on without it`);
    return undefined;
  }
}

/**
 * Saves `paths` under `key` when at least one of them exists; does nothing when `key` was the
 * one restored. All of `paths` are given to the library, as to restoreCached: it versions an
 * entry by the path list, so an entry saved with only the paths present would never be found by
 * a restore that names them all (the tar simply holds what exists).
 */
export async function saveCached(what: string, paths: string[], key: string, restored: string | undefined): Promise<void> {
  if (restored === key) return;
  if (!paths.some((p) => existsSync(p))) return;
  try {
    const cache = await import('@actions/cache');
    if (!cache.isFeatureAvailable()) return;
    await cache.saveCache(
      paths.map((p) => cachePath(p)),
      key,
    );
    core.info(`${what}: saved in the Actions cache as ${key}`);
  } catch (e) {
    core.warning(`${what}: cache save failed (${(e as Error).message}); the next run starts without it`);
  }
}

/**
 * Whether the Actions cache holds `key` in this run's scope, asked without downloading it
 * (`lookupOnly`): the key, undefined when it is missing, or `unavailable` when the runner has no
 * cache service. A failed look-up throws: the caller says what going on without it means.
 */
export async function lookupCached(paths: string[], key: string): Promise<string | undefined | 'unavailable'> {
  const cache = await import('@actions/cache');
  if (!cache.isFeatureAvailable()) return 'unavailable';
  return cache.restoreCache(
    paths.map((p) => cachePath(p)),
    key,
    [],
    { lookupOnly: true },
  );
}
