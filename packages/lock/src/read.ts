import { KarooError } from '@karoo/common';
import type { Lock } from './model.js';

export type LockFormat = 'pylock' | 'requirements' | 'uv-lock' | 'poetry-lock';

export interface ReadLockResult {
  readonly lock: Lock;
  readonly format: LockFormat;
  /** Things worth telling the user that do not stop reading (e.g. unpinned entries). */
  readonly warnings: readonly string[];
}

/** Reads any supported lock or requirements file. Malformed input throws a FileError (`FILE:LINE: reason`). */
export async function readLockFile(path: string): Promise<ReadLockResult> {
  throw new KarooError('internal', `reading ${path}: not implemented yet`);
}
