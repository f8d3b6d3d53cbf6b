/**
 * Plays another process building karoo's machine image, for tests of the image's Actions cache:
 * holds the image's build lock in a runner's cache directory; when the step under test says it
 * waits for that build, puts a copy of an image already on this machine in place and lets go.
 * Nothing is built (Debian's mirror is never reached).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageId, procRef } from '@karoo/machines';

export interface HeldImageBuild {
  /** Give it every line the step logs: the image is delivered at the step's "waiting" line. */
  readonly onLog: (line: string) => void;
  /** Whether the step waited and got the image. */
  readonly delivered: () => boolean;
  /** Lets go of the lock (when the step never waited). */
  readonly release: () => void;
}

/** Holds the build lock of the current image recipe in `cacheDir`; `imageSource`: the directory of an image built here. */
export async function holdImageBuild(cacheDir: string, imageSource: string): Promise<HeldImageBuild> {
  mkdirSync(join(cacheDir, 'images'), { recursive: true });
  const lock = join(cacheDir, 'images', `${imageId()}.lock`);
  writeFileSync(lock, JSON.stringify(await procRef(process.pid)));
  let delivered = false;
  return {
    onLog: (line) => {
      if (delivered || !line.includes('another process is building the image; waiting for it')) return;
      delivered = true;
      execFileSync('cp', ['-a', imageSource, join(cacheDir, 'images', imageId())]);
      rmSync(lock);
    },
    delivered: () => delivered,
    release: () => rmSync(lock, { force: true }),
  };
}
