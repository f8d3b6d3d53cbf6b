import { existsSync } from 'node:fs';
import * as core from '@actions/core';

/**
 * The Actions cache as an accelerator only: a missing cache service, a miss or a failure is a
 * line in the log, never a failed step. Loaded on demand so actions that do not cache do not
 * carry @actions/cache.
 */
export async function restoreCached(what: string, paths: string[], key: string | undefined, restoreKeys: string[]): Promise<string | undefined> {
  try {
    const cache = await import('@actions/cache');
    if (!cache.isFeatureAvailable()) {
      core.info(`${what}: the Actions cache service is not available here; nothing restored`);
      return undefined;
    }
    const hit = await cache.restoreCache(paths, key ?? restoreKeys[0]!, restoreKeys);
    core.info(hit ? `${what}: restored from the Actions cache (${hit})` : `${what}: nothing in the Actions cache yet`);
    return hit;
  } catch (e) {
    core.warning(`${what}: cache restore failed (${(e as Error).message}); going on without it`);
    return undefined;
  }
}

/** Saves the paths that exist under `key`; does nothing when `key` was the one restored. */
export async function saveCached(what: string, paths: string[], key: string, restored: string | undefined): Promise<void> {
  if (restored === key) return;
  const present = paths.filter((p) => existsSync(p));
  if (present.length === 0) return;
  try {
    const cache = await import('@actions/cache');
    if (!cache.isFeatureAvailable()) return;
    await cache.saveCache(present, key);
    core.info(`${what}: saved in the Actions cache as ${key}`);
  } catch (e) {
    core.warning(`${what}: cache save failed (${(e as Error).message}); the next run starts without it`);
  }
}
