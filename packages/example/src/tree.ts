import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { KarooError } from '@karoo/common';
import { compareVersionStrings, normalizeName, normalizeVersion, parseInstant } from '@karoo/lock';
import { readWheelMetadata, type BuiltWheel } from './wheel.js';

/** One distribution file of a project in an index tree. */
export interface IndexFileInput {
  readonly filename: string;
  readonly data: Uint8Array;
  /** Core metadata served as PEP 658 `<file>.metadata`. Read from the wheel when omitted. */
  readonly metadata?: Uint8Array | string;
  /** Default: `Requires-Python` of the metadata. */
  readonly requiresPython?: string;
  /** `true`, or the reason, to mark the file yanked (PEP 592). */
  readonly yanked?: boolean | string;
  /** PEP 700 `upload-time` for the JSON page (RFC 3339, e.g. `2026-01-02T03:04:05.000000Z`); HTML pages have none. */
  readonly uploadTime?: string;
}

export interface IndexProjectInput {
  /** Any spelling; the index uses the PEP 503 normalised form. */
  readonly name: string;
  readonly files: readonly IndexFileInput[];
}

export interface IndexFileEntry {
  readonly filename: string;
  readonly version: string;
  /** Path relative to the tree root, e.g. `files/cam_core-1.0.0-py3-none-any.whl`. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly requiresPython: string | undefined;
  readonly yanked: string | false;
  readonly metadataSha256: string;
  readonly uploadTime?: string | undefined;
}

export interface IndexProjectEntry {
  readonly name: string;
  readonly files: readonly IndexFileEntry[];
}

export interface IndexTree {
  readonly dir: string;
  readonly projects: readonly IndexProjectEntry[];
}

/** PEP 691 media type of the JSON simple API, version 1. */
export const SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';
export const SIMPLE_HTML = 'application/vnd.pypi.simple.v1+html';
const API_VERSION = '1.1';

/** A wheel built with buildWheel as an index file. */
export function wheelFile(w: BuiltWheel, options: { yanked?: boolean | string } = {}): IndexFileInput {
  return { filename: w.filename, data: w.data, metadata: w.metadata, requiresPython: w.requiresPython, yanked: options.yanked };
}

const sha256Hex = (d: Uint8Array | string) => createHash('sha256').update(d).digest('hex');

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function fileVersion(filename: string): string {
  const m = /^[^-]+-([^-]+)-/.exec(filename);
  if (!m) throw new KarooError('input', `"${filename}" is not a wheel file name (name-version-tags.whl)`);
  return normalizeVersion(m[1]!);
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

function projectHtml(name: string, files: readonly IndexFileEntry[]): string {
  const links = files.map((f) => {
    const attrs = [`href="${escapeHtml(`../../${f.path.split('/').map(encodeURIComponent).join('/')}#sha256=${f.sha256}`)}"`];
    if (f.requiresPython !== undefined) attrs.push(`data-requires-python="${escapeHtml(f.requiresPython)}"`);
    if (f.yanked !== false) attrs.push(`data-yanked="${escapeHtml(f.yanked)}"`);
    attrs.push(`data-dist-info-metadata="sha256=${f.metadataSha256}"`, `data-core-metadata="sha256=${f.metadataSha256}"`);
    return `    <a ${attrs.join(' ')}>${escapeHtml(f.filename)}</a><br>\n`;
  });
  return (
    `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="${API_VERSION}">\n` +
    `    <title>Links for ${escapeHtml(name)}</title>\n  </head>\n  <body>\n    <h1>Links for ${escapeHtml(name)}</h1>\n` +
    links.join('') +
    '  </body>\n</html>\n'
  );
}

function rootHtml(names: readonly string[]): string {
  return (
    `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="${API_VERSION}">\n` +
    '    <title>Simple index</title>\n  </head>\n  <body>\n' +
    names.map((n) => `    <a href="${escapeHtml(encodeURIComponent(n))}/">${escapeHtml(n)}</a><br>\n`).join('') +
    '  </body>\n</html>\n'
  );
}

function projectJson(name: string, files: readonly IndexFileEntry[]): string {
  const versions = [...new Set(files.map((f) => f.version))].sort(compareVersionStrings);
  return json({
    meta: { 'api-version': API_VERSION },
    name,
    versions,
    files: files.map((f) => ({
      filename: f.filename,
      url: `../../${f.path.split('/').map(encodeURIComponent).join('/')}`,
      hashes: { sha256: f.sha256 },
      ...(f.requiresPython === undefined ? {} : { 'requires-python': f.requiresPython }),
      size: f.size,
      yanked: f.yanked,
      // PEP 714: only `core-metadata` in JSON. pip 22.3-23.0 (Debian bookworm ships 23.0.1) crash on the
      // older `dist-info-metadata` key in its dict form; in HTML both attributes are plain strings and safe.
      'core-metadata': { sha256: f.metadataSha256 },
      ...(f.uploadTime === undefined ? {} : { 'upload-time': f.uploadTime }),
    })),
  });
}

/**
 * Lays out a static index tree in `dir`:
 * `simple/index.html|json`, `simple/<normalised>/index.html|json` (PEP 503 HTML and PEP 691
 * JSON, api-version 1.1), and `files/<file>` with its PEP 658 `files/<file>.metadata`.
 * Links are relative (`../../files/<file>#sha256=…`), so the tree works from any URL or as a
 * `file://` index. No time is written but the upload times the files are given (JSON pages
 * only, PEP 700): the same projects give the same bytes.
 * The tree is built beside `dir` and swapped in, so a reader never sees half of one; whatever
 * was in `dir` before is replaced.
 */
export async function writeIndex(dir: string, projects: readonly IndexProjectInput[]): Promise<IndexTree> {
  const root = resolve(dir);
  const out: Array<{ path: string; data: string | Uint8Array }> = [];
  const byName = new Map<string, IndexProjectInput[]>();
  for (const p of projects) {
    const key = normalizeName(p.name);
    byName.set(key, [...(byName.get(key) ?? []), p]);
  }
  const names = [...byName.keys()].sort();
  const entries: IndexProjectEntry[] = [];
  const seenFiles = new Set<string>();
  for (const name of names) {
    const files: IndexFileEntry[] = [];
    for (const f of byName.get(name)!.flatMap((p) => p.files)) {
      if (f.filename.includes('/') || f.filename.startsWith('.'))
        throw new KarooError('input', `index file name "${f.filename}" must be a plain file name`);
      if (seenFiles.has(f.filename)) throw new KarooError('input', `index file "${f.filename}" is given twice`);
      seenFiles.add(f.filename);
      let metadata = f.metadata;
      let requiresPython = f.requiresPython;
      if (metadata === undefined) {
        const info = readWheelMetadata(f.data, f.filename);
        if (normalizeName(info.name) !== name)
          throw new KarooError('input', `wheel ${f.filename} is named "${info.name}" in its METADATA, not "${name}"`);
        metadata = info.metadata;
        requiresPython ??= info.requiresPython;
      }
      if (f.uploadTime !== undefined && parseInstant(f.uploadTime) === undefined) {
        throw new KarooError('input', `upload time "${f.uploadTime}" of ${f.filename} is not an RFC 3339 date-time`);
      }
      const path = `files/${f.filename}`;
      out.push({ path, data: f.data }, { path: `${path}.metadata`, data: metadata });
      files.push({
        filename: f.filename,
        version: fileVersion(f.filename),
        path,
        sha256: sha256Hex(f.data),
        size: f.data.byteLength,
        requiresPython,
        yanked: f.yanked === undefined || f.yanked === false ? false : f.yanked === true ? '' : f.yanked,
        metadataSha256: sha256Hex(metadata),
        ...(f.uploadTime === undefined ? {} : { uploadTime: f.uploadTime }),
      });
    }
    files.sort((a, b) => compareVersionStrings(a.version, b.version) || (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
    out.push(
      { path: `simple/${name}/index.html`, data: projectHtml(name, files) },
      { path: `simple/${name}/index.json`, data: projectJson(name, files) },
    );
    entries.push({ name, files });
  }
  out.push(
    { path: 'simple/index.html', data: rootHtml(names) },
    { path: 'simple/index.json', data: json({ meta: { 'api-version': API_VERSION }, projects: names.map((n) => ({ name: n })) }) },
  );

  const parent = dirname(root);
  await mkdir(parent, { recursive: true });
  const tag = randomBytes(6).toString('hex');
  const tmp = join(parent, `.${basename(root)}.${tag}.tmp`);
  const old = join(parent, `.${basename(root)}.${tag}.old`);
  try {
    for (const f of out) {
      await mkdir(dirname(join(tmp, f.path)), { recursive: true });
      await writeFile(join(tmp, f.path), f.data);
    }
    const existed = await stat(root).then(
      () => true,
      () => false,
    );
    if (existed) await rename(root, old);
    await rename(tmp, root);
    if (existed) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return { dir: root, projects: entries };
}
