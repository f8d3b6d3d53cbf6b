import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { KarooError, parseDigest } from '@karoo/common';
import type { Lock } from '@karoo/lock';
import { Hasher, type Store } from '@karoo/oci';

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

/**
 * Puts the lock's files into a download directory (files named by their sha256) from a store that
 * holds them, as the candidate's blobs: each streamed through sha256 into a temporary file,
 * checked against the lock's digest and size, then renamed into place; files already there are
 * left as they are. Four at a time. Returns how many files it fetched and their bytes.
 *
 * For the default branch: its builds find their candidate already in the store (the pull request
 * built it) and so download nothing, and the Actions cache that pull requests restore from (their
 * own, and their base branch's) would never hold the wheels of what was merged.
 */
export async function fillDownloadDir(store: Store, lock: Lock, dir: string): Promise<{ files: number; bytes: number }> {
  await mkdir(dir, { recursive: true });
  const present = new Set(await readdir(dir));
  const byHash = new Map<string, { sha256: string; size?: number | undefined; name: string }>();
  for (const p of lock.packages) for (const f of p.files) if (!present.has(f.sha256)) byHash.set(f.sha256, f);
  const queue = [...byHash.values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
  let files = 0;
  let bytes = 0;
  const one = async (f: { sha256: string; size?: number | undefined; name: string }) => {
    const digest = parseDigest(`sha256:${f.sha256}`, `${f.name}'s sha256`);
    const path = join(dir, f.sha256);
    const tmp = `${path}.part-${process.pid}`;
    const hasher = new Hasher(f.size);
    try {
      await pipeline(await store.getBlob(digest), hasher, createWriteStream(tmp));
      const actual = hasher.digest();
      if (actual !== digest || (f.size !== undefined && hasher.bytes !== f.size)) {
        throw new KarooError(
          'integrity',
          `${f.name} in ${store.ref} holds ${actual} (${hasher.bytes} bytes), not the lock's sha256:${f.sha256}`,
        );
      }
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
    files++;
    bytes += hasher.bytes;
  };
  // The first failure stops every worker at its next file; all are waited for before it is thrown.
  let failed: unknown;
  await Promise.all(
    Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let f = queue.shift(); f && failed === undefined; f = queue.shift()) await one(f).catch((e: unknown) => void (failed ??= e));
    }),
  );
  if (failed !== undefined) throw failed;
  return { files, bytes };
}
