/** Readers for other tools' lock files: uv's `uv.lock` and Poetry's `poetry.lock` (both TOML). */
import { FileError } from '@karoo/common';
import { basename, stripUserinfo } from './files.js';
import { Lock, type LockedFile, type LockedPackage } from './model.js';
import { isValidName } from './names.js';
import type { UnpinnedRequirement } from './requirements-lock.js';
import { headerLines, isTable, parseToml, type TomlTable } from './toml.js';
import { isValidVersion } from './version.js';

export interface ToolLockResult {
  readonly lock: Lock;
  readonly unpinned: readonly UnpinnedRequirement[];
  readonly warnings: readonly string[];
}

function sha256Of(hash: unknown, fail: (r: string) => never, where: string): string | undefined {
  if (hash === undefined) return undefined;
  if (typeof hash !== 'string') fail(`${where}: hash must be a string "sha256:HEX"`);
  const m = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(hash as string);
  if (!m) fail(`${where}: hash "${hash}" is not ALGORITHM:HEX`);
  if (m![1] !== 'sha256') return undefined;
  if (m![2]!.length !== 64) fail(`${where}: sha256 "${m![2]}" is not 64 hex digits`);
  return m![2]!.toLowerCase();
}

function finish(
  file: string,
  packages: LockedPackage[],
  unpinned: UnpinnedRequirement[],
  warnings: string[],
  requiresPython?: string,
): ToolLockResult {
  let lock: Lock;
  try {
    lock = Lock.create(packages, requiresPython ? { requiresPython } : {});
  } catch (e) {
    throw new FileError(file, undefined, (e as Error).message);
  }
  for (const u of unpinned) warnings.push(`${u.file}:${u.line}: ${u.name}: ${u.reason}`);
  return { lock, unpinned, warnings };
}

/** uv.lock (version 1): registry packages become locked packages; editable/virtual/git/path sources are reported. */
export function parseUvLock(text: string, file: string): ToolLockResult {
  const doc = parseToml(text, file);
  const warnings: string[] = [];
  const unpinned: UnpinnedRequirement[] = [];
  if (doc.version !== 1)
    throw new FileError(file, 1, `uv.lock version ${JSON.stringify(doc.version)} is not supported; karoo reads version = 1`);
  const pkgs = doc.package ?? [];
  if (!Array.isArray(pkgs)) throw new FileError(file, 1, '[[package]] must be an array of tables');
  const lines = headerLines(text, 'package');
  const count = new Map<string, number>();
  for (const p of pkgs) if (isTable(p) && typeof p.name === 'string') count.set(p.name, (count.get(p.name) ?? 0) + 1);
  const out: LockedPackage[] = [];
  pkgs.forEach((raw: unknown, i: number) => {
    const line = lines[i] ?? 1;
    const fail = (r: string): never => {
      throw new FileError(file, line, r);
    };
    if (!isTable(raw)) fail('[[package]] must be a table');
    const p = raw as TomlTable;
    if (typeof p.name !== 'string' || !isValidName(p.name)) fail(`package name ${JSON.stringify(p.name)} is not a valid project name`);
    const name = p.name as string;
    if (p.version !== undefined && (typeof p.version !== 'string' || !isValidVersion(p.version)))
      fail(`${name}: version ${JSON.stringify(p.version)} is not a PEP 440 version`);
    const source = p.source;
    if (!isTable(source)) fail(`${name}: source must be a table`);
    const src = source as TomlTable;
    const kind = Object.keys(src)[0];
    if (kind !== 'registry' && kind !== 'url') {
      unpinned.push({ file, line, name, text: name, reason: `${kind} source (${String(src[kind!])}); a karoo lock pins released files` });
      return;
    }
    if (typeof p.version !== 'string') {
      unpinned.push({ file, line, name, text: name, reason: 'no version' });
      return;
    }
    const files: LockedFile[] = [];
    const take = (f: unknown, where: string) => {
      if (!isTable(f) || (typeof f.url !== 'string' && typeof f.path !== 'string' && typeof f.filename !== 'string'))
        fail(`${name}: ${where} needs a url`);
      const t = f as TomlTable;
      const sha = sha256Of(t.hash, fail, `${name} ${where}`);
      if (!sha) return;
      if (t.size !== undefined && (typeof t.size !== 'number' || !Number.isInteger(t.size)))
        fail(`${name}: ${where}.size must be a whole number`);
      const loc = (t.url ?? t.path ?? t.filename) as string;
      files.push({
        name: typeof t.filename === 'string' ? t.filename : basename(loc),
        sha256: sha,
        ...(typeof t.url === 'string' ? { url: stripUserinfo(t.url) } : {}),
        ...(typeof t.size === 'number' ? { size: t.size } : {}),
      });
    };
    if (p.sdist !== undefined) take(p.sdist, 'sdist');
    if (p.wheels !== undefined) {
      if (!Array.isArray(p.wheels)) fail(`${name}: wheels must be an array`);
      (p.wheels as unknown[]).forEach((w, j) => take(w, `wheels[${j}]`));
    }
    if (kind === 'url' && files.length === 0 && typeof src.url === 'string') {
      const sha = sha256Of(isTable(p.sdist) ? p.sdist.hash : undefined, fail, `${name} source`);
      if (sha) files.push({ name: basename(src.url), sha256: sha, url: stripUserinfo(src.url) });
    }
    if (files.length === 0) {
      unpinned.push({ file, line, name, text: `${name}==${p.version}`, reason: 'no file with a sha256 hash' });
      return;
    }
    // Forked resolutions list the same name once per version, each under its resolution markers.
    let marker: string | undefined;
    const rm = p['resolution-markers'];
    if ((count.get(name) ?? 0) > 1 && Array.isArray(rm) && rm.length > 0 && rm.every((m) => typeof m === 'string')) {
      marker = rm.length === 1 ? (rm[0] as string) : (rm as string[]).map((m) => `(${m})`).join(' or ');
    }
    out.push({
      name,
      version: p.version as string,
      marker,
      index: kind === 'registry' ? stripUserinfo(String(src.registry)) : undefined,
      files,
    });
  });
  return finish(file, out, unpinned, warnings, typeof doc['requires-python'] === 'string' ? doc['requires-python'] : undefined);
}

/** poetry.lock (lock-version 1.x and 2.x): files carry only names and hashes; the index comes from [package.source]. */
export function parsePoetryLock(text: string, file: string): ToolLockResult {
  const doc = parseToml(text, file);
  const warnings: string[] = [];
  const unpinned: UnpinnedRequirement[] = [];
  const metadata = doc.metadata;
  if (!isTable(metadata) || typeof metadata['lock-version'] !== 'string') {
    throw new FileError(file, 1, 'missing [metadata] lock-version; this is not a poetry.lock');
  }
  const lv = metadata['lock-version'] as string;
  if (!/^[12]\./.test(lv)) throw new FileError(file, 1, `poetry lock-version "${lv}" is not supported; karoo reads 1.x and 2.x`);
  const legacyFiles = isTable(metadata.files) ? (metadata.files as TomlTable) : undefined;
  const pkgs = doc.package ?? [];
  if (!Array.isArray(pkgs)) throw new FileError(file, 1, '[[package]] must be an array of tables');
  const lines = headerLines(text, 'package');
  const out: LockedPackage[] = [];
  pkgs.forEach((raw: unknown, i: number) => {
    const line = lines[i] ?? 1;
    const fail = (r: string): never => {
      throw new FileError(file, line, r);
    };
    if (!isTable(raw)) fail('[[package]] must be a table');
    const p = raw as TomlTable;
    if (typeof p.name !== 'string' || !isValidName(p.name)) fail(`package name ${JSON.stringify(p.name)} is not a valid project name`);
    const name = p.name as string;
    if (typeof p.version !== 'string' || !isValidVersion(p.version))
      fail(`${name}: version ${JSON.stringify(p.version)} is not a PEP 440 version`);
    const src = isTable(p.source) ? (p.source as TomlTable) : undefined;
    const type = typeof src?.type === 'string' ? src.type : undefined;
    if (type && type !== 'legacy' && type !== 'url' && type !== 'file') {
      unpinned.push({ file, line, name, text: name, reason: `${type} source (${String(src!.url)}); a karoo lock pins released files` });
      return;
    }
    const list = p.files ?? legacyFiles?.[name] ?? [];
    if (!Array.isArray(list)) fail(`${name}: files must be an array`);
    const files: LockedFile[] = [];
    (list as unknown[]).forEach((f, j) => {
      if (!isTable(f) || typeof f.file !== 'string') fail(`${name}: files[${j}] needs a "file" name`);
      const sha = sha256Of((f as TomlTable).hash, fail, `${name} files[${j}]`);
      if (sha)
        files.push({
          name: (f as TomlTable).file as string,
          sha256: sha,
          ...(type === 'url' && typeof src?.url === 'string' ? { url: stripUserinfo(src.url) } : {}),
        });
    });
    if (files.length === 0) {
      unpinned.push({ file, line, name, text: `${name}==${p.version}`, reason: 'no file with a sha256 hash' });
      return;
    }
    const marker = typeof p.markers === 'string' ? p.markers : undefined;
    const index = type === 'legacy' && typeof src?.url === 'string' ? stripUserinfo(src.url) : undefined;
    out.push({ name, version: p.version as string, marker, index, files });
  });
  return finish(file, out, unpinned, warnings, undefined);
}
