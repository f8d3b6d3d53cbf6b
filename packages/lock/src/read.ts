import { readFileSync } from 'node:fs';
import { basename as pathBasename, extname } from 'node:path';
import { FileError } from '@karoo/common';
import { decodeText } from './files.js';
import type { Lock } from './model.js';
import { parsePylock } from './pylock.js';
import { parseRequirements, type ParseRequirementsOptions } from './requirements.js';
import { requirementsToLock, type UnpinnedRequirement } from './requirements-lock.js';
import { parsePoetryLock, parseUvLock } from './tool-locks.js';

export type LockFormat = 'pylock' | 'requirements' | 'uv-lock' | 'poetry-lock';

export interface ReadLockResult {
  readonly lock: Lock;
  readonly format: LockFormat;
  /** Things worth telling the user that do not stop reading (e.g. unpinned entries), each `FILE:LINE: text`. */
  readonly warnings: readonly string[];
  /** Entries the lock could not hold: unpinned requirements, VCS or path sources, files without sha256. */
  readonly unpinned: readonly UnpinnedRequirement[];
  /**
   * True when every entry of the file is in the lock with at least one sha256 and every file
   * has a size: the lock alone says which bytes to install.
   */
  readonly complete: boolean;
}

const NOT_LOCKS = new Set(['.cfg', '.yml', '.yaml', '.json', '.md', '.py', '.lock.json', '.ini']);

/** Which reader a file needs, from its name and, for other `.toml` names, its content. */
export function detectLockFormat(path: string, text: string): LockFormat {
  const name = pathBasename(path).toLowerCase();
  if (/^pylock\.([^.]+\.)?toml$/.test(name)) return 'pylock';
  if (name === 'uv.lock') return 'uv-lock';
  if (name === 'poetry.lock') return 'poetry-lock';
  const ext = extname(name);
  if (ext === '.toml' || ext === '.lock') {
    if (/^\s*lock-version\s*=/m.test(text) && /^\s*created-by\s*=|^\s*\[\[packages\]\]/m.test(text)) return 'pylock';
    if (/^\s*version\s*=\s*1\s*$/m.test(text) && /^\s*\[\[package\]\]/m.test(text)) return 'uv-lock';
    if (/^\s*\[metadata\]/m.test(text) && /^\s*content-hash\s*=/m.test(text)) return 'poetry-lock';
    if (name === 'pyproject.toml') {
      throw new FileError(
        path,
        undefined,
        'pyproject.toml declares dependencies but pins nothing; give karoo a lock (pylock.toml, requirements.txt, uv.lock, poetry.lock)',
      );
    }
    throw new FileError(path, undefined, 'not a lock file karoo knows (pylock.toml, uv.lock, poetry.lock or a requirements file)');
  }
  if (NOT_LOCKS.has(ext)) {
    throw new FileError(
      path,
      undefined,
      `a ${ext} file is not a lock or requirements file; give karoo a pylock.toml, requirements.txt, uv.lock or poetry.lock`,
    );
  }
  return 'requirements';
}

/** Reads any supported lock or requirements file. Malformed input throws a FileError (`FILE:LINE: reason`). */
export async function readLockFile(path: string, options: ParseRequirementsOptions = {}): Promise<ReadLockResult> {
  let bytes: Buffer;
  try {
    // Lock files are small: one synchronous read beats a thread-pool round trip per file.
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileError(
      path,
      undefined,
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, not a lock file'
          : `cannot read (${code ?? (e as Error).message})`,
    );
  }
  const decoded = decodeText(bytes);
  return readLockText(decoded.text, path, options, decoded.warning ? [`${path}: ${decoded.warning}`] : []);
}

/** Like readLockFile, for text already in memory (`path` names it and anchors `-r` includes). */
export function readLockText(
  text: string,
  path: string,
  options: ParseRequirementsOptions = {},
  extraWarnings: string[] = [],
): ReadLockResult {
  const format = detectLockFormat(path, text);
  let r: { lock: Lock; unpinned: readonly UnpinnedRequirement[]; warnings: readonly string[] };
  switch (format) {
    case 'pylock':
      r = parsePylock(text, path);
      break;
    case 'uv-lock':
      r = parseUvLock(text, path);
      break;
    case 'poetry-lock':
      r = parsePoetryLock(text, path);
      break;
    default:
      r = requirementsToLock(parseRequirements(text, path, options));
  }
  const complete = r.unpinned.length === 0 && r.lock.incompleteEntries().length === 0;
  return { lock: r.lock, format, warnings: [...extraWarnings, ...r.warnings], unpinned: r.unpinned, complete };
}
