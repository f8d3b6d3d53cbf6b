import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFilesAtomic } from '@karoo/common';
import { type Lock, readLockFile, writePylock, writeRequirements } from '@karoo/lock';

export const PYLOCK = 'pylock.toml';
export const REQUIREMENTS = 'requirements.txt';

export interface WrittenLock {
  readonly pylockPath: string;
  readonly requirementsPath: string;
  /** False when both files already held exactly these bytes. */
  readonly written: boolean;
}

/**
 * Writes DIR/pylock.toml and DIR/requirements.txt together: both or neither, never a
 * half-written file, and untouched when their bytes would not change.
 */
export async function writeLockFiles(dir: string, lock: Lock): Promise<WrittenLock> {
  const pylockPath = join(dir, PYLOCK);
  const requirementsPath = join(dir, REQUIREMENTS);
  const files = [
    { path: pylockPath, data: writePylock(lock) },
    { path: requirementsPath, data: writeRequirements(lock) },
  ];
  const same = await Promise.all(files.map(async (f) => (await readFile(f.path, 'utf8').catch(() => undefined)) === f.data));
  if (same.every(Boolean)) return { pylockPath, requirementsPath, written: false };
  await writeFilesAtomic(files);
  return { pylockPath, requirementsPath, written: true };
}

/** Reads the lock in DIR (pylock.toml) if there is one. */
export async function readExistingLock(dir: string): Promise<Lock | undefined> {
  const path = join(dir, PYLOCK);
  try {
    await readFile(path);
  } catch {
    return undefined;
  }
  return (await readLockFile(path)).lock;
}
