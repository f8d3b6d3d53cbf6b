/**
 * Requirements files as locks: reading a parsed file into a Lock, and writing a Lock as a
 * requirements.txt that plain `pip install --require-hashes -r` consumes and that karoo reads
 * back into the very same Lock (URLs and sizes ride along in `# karoo-file:` comments).
 */
import { canonicalJson, FileError, KarooError } from '@karoo/common';
import { basename, hasUserinfo, isArchiveName, distNameVersion, stripUserinfo } from './files.js';
import { Lock, type LockedFile, type LockedPackage, type LockMeta, normalizeMarker, type ResolutionCutoff, type Target } from './model.js';
import { normalizeInstantExact } from './time.js';
import { normalizeName } from './names.js';
import { formatSpecifier, pinnedVersion } from './pep508.js';
import type { RequirementEntry, RequirementsFile } from './requirements.js';
import { normalizeVersion } from './version.js';

/** A requirement that a lock cannot hold as it is: no exact pin, or no file to pin. */
export interface UnpinnedRequirement {
  readonly file: string;
  readonly line: number;
  readonly name?: string | undefined;
  readonly text: string;
  readonly reason: string;
}

export interface RequirementsLock {
  readonly lock: Lock;
  /** Requirements that are not exact pins (a requirements.in, a VCS reference, a local path). */
  readonly unpinned: readonly UnpinnedRequirement[];
  readonly warnings: readonly string[];
}

/**
 * The Lock a requirements file pins: every `name==version` (or `===`) requirement becomes a
 * package whose files are its sha256 hashes (with names, URLs and sizes from `# karoo-file:`
 * comments when karoo wrote the file). Constraints (`-c`) pin nothing by themselves.
 * Unpinned requirements are returned, not thrown: a requirements.in is valid input, just not a lock.
 * Contradictory pins throw FileError at the second one.
 */
export function requirementsToLock(parsed: RequirementsFile): RequirementsLock {
  const warnings = [...parsed.warnings];
  const unpinned: UnpinnedRequirement[] = [];
  const packages = new Map<string, { pkg: MutablePackage; entry: RequirementEntry }>();
  const pinnedNames = new Set<string>();
  const pending: RequirementEntry[] = [];

  for (const e of parsed.entries) {
    if (e.constraint) continue;
    const pin = pinnedVersion(e.specifier);
    const sha = e.hashes.filter((h) => h.algorithm === 'sha256').map((h) => h.digest);
    if (e.hashes.length > 0 && sha.length === 0) {
      warnings.push(`${e.file}:${e.line}: ${e.name ?? e.text} has only ${e.hashes[0]!.algorithm} hashes; a karoo lock records sha256`);
    }
    let pkg: MutablePackage | undefined;
    if (e.kind === 'named' && pin) {
      pkg = { name: e.name!, version: pin.version, marker: e.marker, files: sha.map((sha256) => ({ name: '', sha256 })) };
    } else if (e.kind === 'url' && e.url && isArchiveName(basename(e.url)) && sha.length > 0) {
      const nv = distNameVersion(basename(e.url));
      const name = e.name ?? nv?.name;
      if (name && nv && normalizeName(nv.name) === normalizeName(name)) {
        const url = stripUserinfo(e.url.split('#')[0]!);
        pkg = { name, version: nv.version, marker: e.marker, files: sha.map((sha256) => ({ name: basename(url), url, sha256 })) };
      }
    }
    if (!pkg) {
      pending.push(e);
      continue;
    }
    const key = `${normalizeName(pkg.name)};${normalizeMarker(pkg.marker) ?? ''}`;
    pinnedNames.add(normalizeName(pkg.name));
    const prev = packages.get(key);
    if (prev) {
      if (normalizeVersion(prev.pkg.version) !== normalizeVersion(pkg.version)) {
        throw new FileError(
          e.file,
          e.line,
          `"${pkg.name}" is pinned to ${pkg.version} here and to ${prev.pkg.version} at ${prev.entry.file}:${prev.entry.line}; a lock holds one version per package and marker`,
        );
      }
      const have = new Set(prev.pkg.files.map((f) => f.sha256));
      for (const f of pkg.files) if (!have.has(f.sha256)) prev.pkg.files.push(f);
      continue;
    }
    packages.set(key, { pkg, entry: e });
  }

  for (const e of pending) {
    if (e.name && pinnedNames.has(normalizeName(e.name)) && e.kind === 'named') continue;
    unpinned.push({ file: e.file, line: e.line, name: e.name, text: e.text, reason: unpinnedReason(e) });
  }
  for (const inc of parsed.includes) {
    if (inc.remote && inc.kind === 'requirement') {
      unpinned.push({ file: inc.file, line: inc.line, text: `-r ${inc.target}`, reason: 'requirements included from a URL were not read' });
    }
  }

  attachKarooFiles(parsed, packages);
  const meta = readMeta(parsed);
  let lock: Lock;
  try {
    lock = Lock.create(
      [...packages.values()].map(({ pkg }) => pkg),
      meta,
    );
  } catch (e) {
    throw new FileError(parsed.file, undefined, (e as Error).message);
  }
  if (parsed.recordedDigest && parsed.recordedDigest !== lock.digest) {
    warnings.push(
      `${parsed.file}: the recorded lock digest ${parsed.recordedDigest} does not match its requirements (${lock.digest}); the file was changed after karoo wrote it`,
    );
  }
  for (const u of unpinned) warnings.push(`${u.file}:${u.line}: ${u.name ?? u.text}: ${u.reason}`);
  return { lock, unpinned, warnings };
}

interface MutablePackage {
  name: string;
  version: string;
  marker?: string | undefined;
  index?: string | undefined;
  files: Array<{ name: string; sha256: string; url?: string | undefined; size?: number | undefined; uploadTime?: string | undefined }>;
}

function unpinnedReason(e: RequirementEntry): string {
  const spec = formatSpecifier(e.specifier);
  if (e.editable) return `editable ${e.kind === 'vcs' ? 'VCS checkout' : 'path'}; a lock pins released files, not source trees`;
  switch (e.kind) {
    case 'vcs':
      return `VCS reference ${e.url}; a lock needs name==version with --hash`;
    case 'path':
      return `local path ${e.path}; a lock needs name==version with --hash`;
    case 'url':
      return `direct URL ${e.url} without a sha256 --hash${e.name ? '' : ' or a recognisable file name'}`;
    default:
      return spec === '' ? 'not pinned (no version specifier)' : `not pinned (${spec}); a lock needs ==VERSION`;
  }
}

function attachKarooFiles(parsed: RequirementsFile, packages: Map<string, { pkg: MutablePackage; entry: RequirementEntry }>): void {
  const byNameVersion = new Map<string, MutablePackage[]>();
  for (const { pkg } of packages.values()) {
    const k = `${normalizeName(pkg.name)}==${normalizeVersion(pkg.version)}`;
    byNameVersion.set(k, [...(byNameVersion.get(k) ?? []), pkg]);
  }
  for (const c of parsed.karooFiles) {
    const pkgs = byNameVersion.get(`${normalizeName(c.name)}==${normalizeVersion(c.version)}`);
    if (!pkgs)
      throw new FileError(c.file, c.line, `karoo-file comment names ${c.name}==${c.version}, which no requirement in the file pins`);
    const file = pkgs.flatMap((p) => p.files).find((f) => f.sha256 === c.sha256);
    if (!file)
      throw new FileError(c.file, c.line, `karoo-file comment gives sha256 ${c.sha256}, which is not a --hash of ${c.name}==${c.version}`);
    if (c.url !== undefined && hasUserinfo(c.url)) {
      throw new FileError(c.file, c.line, `karoo-file URL carries credentials; lock files never hold them (remove "user:password@")`);
    }
    if (c.filename !== undefined) file.name = c.filename;
    if (c.url !== undefined) file.url = c.url;
    if (c.size !== undefined) file.size = c.size;
    if (c.uploadTime !== undefined) file.uploadTime = c.uploadTime;
  }
  for (const c of parsed.karooIndexes) {
    const pkgs = byNameVersion.get(`${normalizeName(c.name)}==${normalizeVersion(c.version)}`);
    if (!pkgs)
      throw new FileError(c.file, c.line, `karoo-index comment names ${c.name}==${c.version}, which no requirement in the file pins`);
    for (const p of pkgs) p.index = stripUserinfo(c.url);
  }
}

function readMeta(parsed: RequirementsFile): LockMeta {
  const m = parsed.karooMeta;
  if (!m) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(m.json);
  } catch (e) {
    throw new FileError(m.file, m.line, `karoo-meta is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return metaFromJson(raw);
  } catch (e) {
    throw new FileError(m.file, m.line, `karoo-meta: ${(e as Error).message}`);
  }
}

/** LockMeta from its JSON form (`{target, leaves, inputsDigest, requiresPython}`); throws on a wrong shape. */
export function metaFromJson(raw: unknown): LockMeta {
  if (!isRecord(raw)) throw new Error('expected an object');
  const out: { -readonly [K in keyof LockMeta]: LockMeta[K] } = {};
  if (raw.target !== undefined) out.target = targetFromJson(raw.target);
  if (raw.leaves !== undefined) {
    if (!isRecord(raw.leaves) || !Object.values(raw.leaves).every((v) => typeof v === 'string'))
      throw new Error('leaves must map names to versions');
    out.leaves = raw.leaves as Record<string, string>;
  }
  if (raw.inputsDigest !== undefined) {
    if (typeof raw.inputsDigest !== 'string') throw new Error('inputsDigest must be a string');
    out.inputsDigest = raw.inputsDigest;
  }
  if (raw.requiresPython !== undefined) {
    if (typeof raw.requiresPython !== 'string') throw new Error('requiresPython must be a string');
    out.requiresPython = raw.requiresPython;
  }
  if (raw.asOf !== undefined) out.asOf = asOfFromJson(raw.asOf);
  return out;
}

function asOfFromJson(raw: unknown): ResolutionCutoff {
  if (!isRecord(raw) || (raw.policy !== 'time' && raw.policy !== 'leaves')) throw new Error('asOf needs a policy, "time" or "leaves"');
  let time: string | undefined;
  if (raw.time !== undefined) {
    time = typeof raw.time === 'string' ? normalizeInstantExact(raw.time) : undefined;
    if (time === undefined) throw new Error(`asOf.time ${JSON.stringify(raw.time)} is not an RFC 3339 date-time`);
  }
  const na = raw.notApplied ?? [];
  if (!Array.isArray(na) || !na.every((n) => typeof n === 'string')) throw new Error('asOf.notApplied must be a list of project names');
  return { policy: raw.policy, ...(time !== undefined ? { time } : {}), notApplied: [...(na as string[])].sort() };
}

export function targetFromJson(raw: unknown): Target {
  if (!isRecord(raw) || typeof raw.python !== 'string') throw new Error('target needs a "python" version string');
  if (!Array.isArray(raw.platforms) || !raw.platforms.every((p) => typeof p === 'string'))
    throw new Error('target.platforms must be a list of strings');
  if (raw.implementation !== undefined && typeof raw.implementation !== 'string') throw new Error('target.implementation must be a string');
  return {
    python: raw.python,
    platforms: raw.platforms as string[],
    ...(raw.implementation !== undefined ? { implementation: raw.implementation as string } : {}),
  };
}

/** The JSON form of LockMeta that both writers embed (canonical: sorted keys, no undefined). */
export function metaToJson(meta: LockMeta): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (meta.target) {
    out.target = {
      python: meta.target.python,
      platforms: [...meta.target.platforms],
      ...(meta.target.implementation !== undefined ? { implementation: meta.target.implementation } : {}),
    };
  }
  if (meta.leaves) out.leaves = { ...meta.leaves };
  if (meta.inputsDigest !== undefined) out.inputsDigest = meta.inputsDigest;
  if (meta.requiresPython !== undefined) out.requiresPython = meta.requiresPython;
  if (meta.asOf)
    out.asOf = {
      policy: meta.asOf.policy,
      ...(meta.asOf.time !== undefined ? { time: meta.asOf.time } : {}),
      notApplied: [...meta.asOf.notApplied],
    };
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describeTarget(t: Target): string {
  return `python ${t.python}${t.implementation ? ` (${t.implementation})` : ''}${t.platforms.length ? `, platforms ${t.platforms.join(' ')}` : ''}`;
}

/** A URL safe to write into a comment or lock: no credentials, no whitespace. */
function cleanUrl(url: string): string {
  return stripUserinfo(url).replace(/\s/g, (c) => encodeURIComponent(c));
}

/**
 * The Lock as a requirements.txt for `pip install --require-hashes -r`: one `name==version`
 * per package with a `--hash=sha256:` per file, then one `# karoo-file:` comment per file
 * (file name, size, URL) so that karoo reads back the complete lock. Deterministic bytes:
 * no time, host or tool version; the same Lock always gives the same text.
 */
export function writeRequirements(lock: Lock): string {
  const out: string[] = [];
  out.push('# This file was generated by karoo from a resolved lock. Do not edit it by hand.');
  out.push('# Install with: pip install --require-hashes --no-deps -r requirements.txt');
  out.push(`# lock digest: ${lock.digest}`);
  if (lock.meta.target) out.push(`# target: ${describeTarget(lock.meta.target)}`);
  const meta = metaToJson(lock.meta);
  if (Object.keys(meta).length) out.push(`# karoo-meta: ${canonicalJson(meta)}`);
  out.push('');
  const indexes = indexOptions(lock);
  if (indexes.length) out.push(...indexes, '');
  for (const p of lock.packages) {
    if (p.marker && /\s#/.test(p.marker)) {
      throw new KarooError(
        'input',
        `cannot write requirements.txt: the marker of ${p.name} ${p.version} contains " #", which pip reads as a comment`,
      );
    }
    const head = `${p.name}==${p.version}${p.marker ? ` ; ${p.marker}` : ''}`;
    if (p.files.length === 0) out.push(head);
    else {
      out.push(`${head} \\`);
      p.files.forEach((f, i) => out.push(`    --hash=sha256:${f.sha256}${i < p.files.length - 1 ? ' \\' : ''}`));
    }
    for (const f of p.files) out.push(...karooFileLine(p, f));
    if (p.index) out.push(`    # karoo-index: ${p.name}==${p.version} ${cleanUrl(p.index)}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * `--index-url`/`--extra-index-url` for the indexes the lock's packages come from, as
 * pip-compile writes them: without credentials (pip gets those its own way: ~/.netrc, keyring),
 * so `pip install --require-hashes -r requirements.txt` works on its own. The index of the
 * leaves (the private index) is `--index-url`, the others follow sorted; a function of the
 * Lock alone. With every file hashed, pip takes nothing whose bytes the lock does not name.
 */
function indexOptions(lock: Lock): string[] {
  const urls = [...new Set(lock.packages.flatMap((p) => (p.index ? [cleanUrl(p.index)] : [])))].sort();
  if (urls.length === 0) return [];
  const leaves = Object.keys(lock.meta.leaves ?? {})
    .map(normalizeName)
    .sort();
  const leafIndex = leaves.map((n) => lock.get(n)?.index).find((u): u is string => u !== undefined);
  const first = leafIndex !== undefined ? cleanUrl(leafIndex) : urls[0]!;
  return [`--index-url ${first}`, ...urls.filter((u) => u !== first).map((u) => `--extra-index-url ${u}`)];
}

function karooFileLine(p: LockedPackage, f: LockedFile): string[] {
  if (!f.name && f.url === undefined && f.size === undefined) return [];
  if (/\s/.test(f.name))
    throw new KarooError('input', `cannot write requirements.txt: file name "${f.name}" of ${p.name} contains whitespace`);
  let s = `    # karoo-file: ${p.name}==${p.version} ${f.name || '-'} sha256=${f.sha256}`;
  if (f.size !== undefined) s += ` size=${f.size}`;
  if (f.uploadTime !== undefined) s += ` upload-time=${f.uploadTime}`;
  if (f.url !== undefined) s += ` url=${cleanUrl(f.url)}`;
  return [s];
}
