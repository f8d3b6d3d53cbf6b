import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { Digest } from './digest.js';

/**
 * Writes files so that a reader never sees a half-written one: every file goes to a temp
 * file beside its target first, and only when all of them are written are they renamed.
 * On any failure the temps are removed and the targets are left as they were.
 */
export async function writeFilesAtomic(files: ReadonlyArray<{ path: string; data: string | Uint8Array }>): Promise<void> {
  const temps: Array<{ tmp: string; path: string }> = [];
  try {
    for (const f of files) {
      await mkdir(dirname(f.path), { recursive: true });
      const tmp = join(dirname(f.path), `.${basename(f.path)}.${randomBytes(6).toString('hex')}.tmp`);
      temps.push({ tmp, path: f.path });
      await writeFile(tmp, f.data);
    }
    for (const t of temps) await rename(t.tmp, t.path);
  } catch (e) {
    await Promise.all(temps.map((t) => rm(t.tmp, { force: true })));
    throw e;
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFilesAtomic([{ path, data }]);
}

/** Streams a file through sha256: memory stays flat whatever the size. */
export async function sha256File(path: string): Promise<{ digest: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}` as Digest, size };
}
