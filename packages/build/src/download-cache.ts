import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lock } from '@karoo/lock';

/**
 * Actions cache keys for the directory of downloaded wheels: saved under the lock's digest,
 * restored by the system's prefix (the newest download of an earlier lock shares most files).
 */
export function wheelCacheKeys(system: string, lockDigest: string): { key: string; restoreKeys: string[] } {
  const prefix = `karoo-wheels-${system}-`;
  return { key: `${prefix}${lockDigest.replace(/^sha256:/, '')}`, restoreKeys: [prefix] };
}

/**
 * Leaves in a download directory (files named by their sha256) only what the lock references,
 * so a cache saved from it does not grow with every lock. Returns the names removed. The files
 * kept are re-hashed when the build reuses them: the cache is never the store of record.
 */
export async function pruneDownloadDir(dir: string, lock: Lock): Promise<string[]> {
  const wanted = new Set(lock.packages.flatMap((p) => p.files.map((f) => f.sha256)));
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (wanted.has(name)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
