/**
 * PEP 751 `pylock.toml`: a validating reader (into a Lock) and karoo's deterministic writer.
 * https://packaging.python.org/en/latest/specifications/pylock-toml/
 */
import { FileError, KarooError } from '@karoo/common';
import { basename, distNameVersion, hasUserinfo, isWheelName, parseSdistName, stripUserinfo } from './files.js';
import { Lock, type LockedFile, type LockedPackage, type Target } from './model.js';
import { isValidName, normalizeName } from './names.js';
import { parseSpecifiers, RequirementSyntaxError, validateMarker } from './pep508.js';
import { metaFromJson, type UnpinnedRequirement } from './requirements-lock.js';
import { headerLines, isTable, lineOfKeyValue, parseToml, type TomlTable, tomlKey, tomlString } from './toml.js';
import { isValidVersion, normalizeVersion } from './version.js';

export interface PylockResult {
  readonly lock: Lock;
  /** Packages a karoo lock cannot hold: VCS checkouts, directories, files without sha256. */
  readonly unpinned: readonly UnpinnedRequirement[];
  readonly warnings: readonly string[];
  readonly createdBy: string;
}

const TOP_KEYS = new Set([
  'lock-version',
  'environments',
  'requires-python',
  'extras',
  'dependency-groups',
  'default-groups',
  'created-by',
  'packages',
  'tool',
]);
const PACKAGE_KEYS = new Set([
  'name',
  'version',
  'marker',
  'requires-python',
  'dependencies',
  'vcs',
  'directory',
  'archive',
  'index',
  'sdist',
  'wheels',
  'attestation-identities',
  'tool',
]);

/** Reads and validates a pylock.toml. Structural errors throw FileError(file, line, reason). */
export function parsePylock(text: string, file: string): PylockResult {
  const doc = parseToml(text, file);
  const warnings: string[] = [];
  const unpinned: UnpinnedRequirement[] = [];
  const top = (reason: string, key?: string): never => {
    throw new FileError(file, key ? (topLine(text, key) ?? 1) : 1, reason);
  };

  const lv = doc['lock-version'];
  if (lv === undefined) top('missing required key "lock-version" (PEP 751); this is not a valid pylock.toml');
  if (typeof lv !== 'string' || !/^[0-9]+\.[0-9]+$/.test(lv))
    top(`lock-version must be a string like "1.0", not ${JSON.stringify(lv)}`, 'lock-version');
  const [major, minor] = (lv as string).split('.').map(Number) as [number, number];
  if (major !== 1) top(`lock-version "${lv}" is not supported; karoo reads pylock.toml version 1.x`, 'lock-version');
  if (minor > 0) warnings.push(`${file}: lock-version "${lv}" is newer than 1.0; reading it as 1.0`);
  const createdBy = doc['created-by'];
  if (createdBy === undefined) top('missing required key "created-by" (PEP 751)');
  if (typeof createdBy !== 'string') top('created-by must be a string', 'created-by');
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) warnings.push(`${file}: unknown top-level key "${k}" ignored`);

  const envs = doc.environments;
  if (envs !== undefined) {
    if (!Array.isArray(envs) || !envs.every((e) => typeof e === 'string'))
      top('environments must be an array of marker strings', 'environments');
    for (const m of envs as string[]) markerOrFail(m, (r) => top(r, 'environments'));
  }
  const rp = doc['requires-python'];
  if (rp !== undefined) {
    if (typeof rp !== 'string') top('requires-python must be a string', 'requires-python');
    specOrFail(rp as string, (r) => top(r, 'requires-python'));
  }
  for (const k of ['extras', 'dependency-groups', 'default-groups']) {
    const v = doc[k];
    if (v !== undefined && (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))) top(`${k} must be an array of strings`, k);
  }
  if (doc.tool !== undefined && !isTable(doc.tool)) top('tool must be a table', 'tool');

  const packages = doc.packages;
  if (packages === undefined) top('missing required key "packages" (PEP 751)');
  if (!Array.isArray(packages)) top('packages must be an array of tables', 'packages');
  const headers = headerLines(text, 'packages');
  const locked: LockedPackage[] = [];
  let searchFrom = 1;
  (packages as unknown[]).forEach((raw, i) => {
    let line: number | undefined = headers.length === (packages as unknown[]).length ? headers[i] : undefined;
    if (line === undefined && isTable(raw) && typeof raw.name === 'string') {
      line = lineOfKeyValue(text, 'name', raw.name, searchFrom);
      if (line !== undefined) searchFrom = line + 1;
    }
    const fail = (reason: string): never => {
      throw new FileError(
        file,
        line ?? 1,
        `packages[${i}]${isTable(raw) && typeof raw.name === 'string' ? ` (${raw.name})` : ''}: ${reason}`,
      );
    };
    if (!isTable(raw)) fail('must be a table');
    const p = readPackage(raw as TomlTable, fail, (w) => warnings.push(`${file}:${line ?? 1}: ${w}`));
    if ('unlockable' in p) unpinned.push({ file, line: line ?? 1, name: p.name, text: p.name, reason: p.unlockable });
    else locked.push(p.pkg);
  });

  const meta = readToolKaroo(doc, file, text);
  let lock: Lock;
  try {
    lock = Lock.create(locked, { ...meta.meta, ...(typeof rp === 'string' ? { requiresPython: rp } : {}) });
  } catch (e) {
    throw new FileError(file, undefined, (e as Error).message);
  }
  if (meta.recordedDigest && meta.recordedDigest !== lock.digest) {
    warnings.push(
      `${file}: [tool.karoo] lock-digest ${meta.recordedDigest} does not match its packages (${lock.digest}); the file was changed after karoo wrote it`,
    );
  }
  for (const u of unpinned) warnings.push(`${u.file}:${u.line}: ${u.name}: ${u.reason}`);
  return { lock, unpinned, warnings, createdBy: createdBy as string };
}

function topLine(text: string, key: string): number | undefined {
  const lines = text.split('\n');
  const re = new RegExp(`^\\s*["']?${key}["']?\\s*=|^\\s*\\[\\s*${key}\\s*\\]`);
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i]!)) return i + 1;
  return undefined;
}

function markerOrFail(m: string, fail: (r: string) => never): void {
  try {
    validateMarker(m);
  } catch (e) {
    if (e instanceof RequirementSyntaxError) fail(e.message);
    throw e;
  }
}

function specOrFail(s: string, fail: (r: string) => never): void {
  try {
    parseSpecifiers(s);
  } catch (e) {
    if (e instanceof RequirementSyntaxError) fail(`"${s}" is not a version specifier: ${e.message}`);
    throw e;
  }
}

type ReadPackage = { pkg: LockedPackage } | { name: string; unlockable: string };

function readPackage(t: TomlTable, fail: (r: string) => never, warn: (w: string) => void): ReadPackage {
  const name = t.name;
  if (name === undefined) fail('missing required key "name"');
  if (typeof name !== 'string' || !isValidName(name)) fail(`name ${JSON.stringify(name)} is not a valid project name`);
  const n = name as string;
  for (const k of Object.keys(t)) if (!PACKAGE_KEYS.has(k)) warn(`${n}: unknown key "${k}" ignored`);
  const version = t.version;
  if (version !== undefined && (typeof version !== 'string' || !isValidVersion(version)))
    fail(`version ${JSON.stringify(version)} is not a PEP 440 version`);
  const marker = t.marker;
  if (marker !== undefined) {
    if (typeof marker !== 'string') fail('marker must be a string');
    markerOrFail(marker as string, fail);
  }
  if (t['requires-python'] !== undefined) {
    if (typeof t['requires-python'] !== 'string') fail('requires-python must be a string');
    specOrFail(t['requires-python'] as string, fail);
  }
  if (t.dependencies !== undefined && (!Array.isArray(t.dependencies) || !t.dependencies.every(isTable)))
    fail('dependencies must be an array of tables');
  if (t.index !== undefined && typeof t.index !== 'string') fail('index must be a string');
  if (t['attestation-identities'] !== undefined) {
    const a = t['attestation-identities'];
    if (!Array.isArray(a) || !a.every((x) => isTable(x) && typeof x.kind === 'string'))
      fail('attestation-identities must be an array of tables, each with a "kind"');
  }
  if (t.tool !== undefined && !isTable(t.tool)) fail('tool must be a table');

  const sources = ['vcs', 'directory', 'archive'].filter((k) => t[k] !== undefined);
  const hasDists = t.sdist !== undefined || t.wheels !== undefined;
  if (sources.length > 1 || (sources.length === 1 && hasDists)) {
    fail(
      `${[...sources, ...(t.sdist !== undefined ? ['sdist'] : []), ...(t.wheels !== undefined ? ['wheels'] : [])].join(' and ')} are mutually exclusive`,
    );
  }
  if (sources.length === 0 && !hasDists) fail('has none of vcs, directory, archive, sdist or wheels: nothing says what to install');

  if (t.vcs !== undefined) {
    const v = t.vcs;
    if (!isTable(v)) fail('vcs must be a table');
    const vt = v as TomlTable;
    if (typeof vt.type !== 'string') fail('vcs.type is required (e.g. "git")');
    if (typeof vt.url !== 'string' && typeof vt.path !== 'string') fail('vcs needs a url or a path');
    if (typeof vt['commit-id'] !== 'string') fail('vcs.commit-id is required');
    return {
      name: n,
      unlockable: `VCS checkout (${vt.type} ${stripUserinfo(String(vt.url ?? vt.path))} @ ${vt['commit-id']}); a karoo lock pins released files`,
    };
  }
  if (t.directory !== undefined) {
    const d = t.directory;
    if (!isTable(d) || typeof (d as TomlTable).path !== 'string') fail('directory.path is required');
    if ((d as TomlTable).editable !== undefined && typeof (d as TomlTable).editable !== 'boolean')
      fail('directory.editable must be true or false');
    return { name: n, unlockable: `local directory ${(d as TomlTable).path}; a karoo lock pins released files` };
  }

  const files: LockedFile[] = [];
  const versions = new Set<string>();
  let noSha = false;
  const readFile = (raw: unknown, where: string, kind: 'wheel' | 'sdist' | 'archive'): void => {
    if (!isTable(raw)) fail(`${where} must be a table`);
    const f = raw as TomlTable;
    const url = f.url;
    const path = f.path;
    if (url === undefined && path === undefined) fail(`${where} needs a url or a path`);
    if (url !== undefined && typeof url !== 'string') fail(`${where}.url must be a string`);
    if (path !== undefined && typeof path !== 'string') fail(`${where}.path must be a string`);
    if (f.name !== undefined && typeof f.name !== 'string') fail(`${where}.name must be a string`);
    if (f.size !== undefined && (typeof f.size !== 'number' || !Number.isInteger(f.size) || f.size < 0))
      fail(`${where}.size must be a whole number of bytes`);
    const ut = f['upload-time'];
    if (ut !== undefined && (!(ut instanceof Date) || Number.isNaN(ut.getTime()))) fail(`${where}.upload-time must be a TOML datetime`);
    if (f.subdirectory !== undefined && typeof f.subdirectory !== 'string') fail(`${where}.subdirectory must be a string`);
    const hashes = f.hashes;
    if (hashes === undefined) fail(`${where}.hashes is required`);
    if (!isTable(hashes) || Object.keys(hashes as TomlTable).length === 0)
      fail(`${where}.hashes must be a table of algorithm = "hex digest" with at least one entry`);
    for (const [alg, hex] of Object.entries(hashes as TomlTable)) {
      if (typeof hex !== 'string' || !/^[0-9a-fA-F]+$/.test(hex)) fail(`${where}.hashes.${alg} must be a hex digest string`);
    }
    const sha = (hashes as TomlTable).sha256;
    if (sha !== undefined && !/^[0-9a-fA-F]{64}$/.test(sha as string)) fail(`${where}.hashes.sha256 "${sha}" is not 64 hex digits`);
    const fname = (f.name as string | undefined) ?? basename((url ?? path) as string);
    if (fname === '') fail(`${where} has no file name and none can be taken from its url or path`);
    if (kind === 'wheel' && !isWheelName(fname)) fail(`${where} "${fname}" is not a wheel file name`);
    const nv = kind === 'sdist' ? parseSdistName(fname) : distNameVersion(fname);
    if (nv) {
      if (normalizeName(nv.name) !== normalizeName(n)) fail(`${where} "${fname}" is a file of "${nv.name}", not of "${n}"`);
      versions.add(normalizeVersion(nv.version));
    } else if (kind === 'wheel') fail(`${where} "${fname}" is not a valid wheel file name`);
    if (typeof url === 'string' && hasUserinfo(url)) warn(`${n}: ${where}.url carries credentials; they were dropped`);
    if (sha === undefined) {
      noSha = true;
      return;
    }
    files.push({
      name: fname,
      sha256: (sha as string).toLowerCase(),
      ...(typeof url === 'string' ? { url: stripUserinfo(url) } : {}),
      ...(f.size !== undefined ? { size: f.size as number } : {}),
      ...(ut instanceof Date ? { uploadTime: ut.toISOString() } : {}),
    });
  };
  if (t.archive !== undefined) readFile(t.archive, 'archive', 'archive');
  if (t.sdist !== undefined) readFile(t.sdist, 'sdist', 'sdist');
  if (t.wheels !== undefined) {
    if (!Array.isArray(t.wheels) || t.wheels.length === 0) fail('wheels must be a non-empty array of tables');
    (t.wheels as unknown[]).forEach((w, j) => readFile(w, `wheels[${j}]`, 'wheel'));
  }
  let v = version as string | undefined;
  if (v !== undefined) {
    for (const fv of versions) if (fv !== normalizeVersion(v)) fail(`a file is version ${fv} but the package says version ${v}`);
  } else {
    if (versions.size > 1) fail(`no version given and its files disagree (${[...versions].join(', ')})`);
    v = [...versions][0];
    if (v === undefined) return { name: n, unlockable: 'no version, and none can be taken from its file names' };
  }
  if (noSha) return { name: n, unlockable: 'a file has no sha256 hash; a karoo lock records sha256' };
  const index = typeof t.index === 'string' ? stripUserinfo(t.index) : undefined;
  return { pkg: { name: n, version: v, marker: marker as string | undefined, index, files } };
}

function readToolKaroo(doc: TomlTable, file: string, text: string): { meta: ReturnType<typeof metaFromJson>; recordedDigest?: string } {
  const tool = doc.tool;
  if (!isTable(tool) || tool.karoo === undefined) return { meta: {} };
  const k = tool.karoo;
  const line = topLine(text, 'tool\\.karoo') ?? 1;
  if (!isTable(k)) throw new FileError(file, line, '[tool.karoo] must be a table');
  try {
    const meta = metaFromJson({
      target: k.target,
      leaves: k.leaves,
      inputsDigest: k['inputs-digest'],
      asOf: asOfFromToml(k['as-of']),
    });
    const d = k['lock-digest'];
    if (d !== undefined && typeof d !== 'string') throw new Error('lock-digest must be a string');
    return { meta, ...(typeof d === 'string' ? { recordedDigest: d } : {}) };
  } catch (e) {
    throw new FileError(file, line, `[tool.karoo]: ${(e as Error).message}`);
  }
}

/** `[tool.karoo.as-of]` (kebab-case keys) into the JSON form metaFromJson reads. */
function asOfFromToml(v: unknown): unknown {
  if (!isTable(v)) return v;
  return { policy: v.policy, time: v.time, notApplied: v['not-applied'] };
}

// ---------------------------------------------------------------------------------------
// Writer

/** `python_version == "3.11" and sys_platform == "linux" and platform_machine == "x86_64"` for a target, when its tags agree. */
export function targetEnvironment(t: Target): string | undefined {
  const parts: string[] = [];
  if (/^[0-9]+\.[0-9]+$/.test(t.python)) parts.push(`python_version == "${t.python}"`);
  else if (/^[0-9]+\.[0-9]+\.[0-9]+$/.test(t.python)) parts.push(`python_full_version == "${t.python}"`);
  const systems = new Set<string>();
  const machines = new Set<string>();
  for (const tag of t.platforms) {
    const p = platformOf(tag);
    if (!p) return parts.length ? parts.join(' and ') : undefined;
    systems.add(p.sys);
    if (p.machine) machines.add(p.machine);
    else machines.add('*');
  }
  if (systems.size === 1) parts.push(`sys_platform == "${[...systems][0]}"`);
  if (machines.size === 1 && !machines.has('*')) parts.push(`platform_machine == "${[...machines][0]}"`);
  return parts.length ? parts.join(' and ') : undefined;
}

function platformOf(tag: string): { sys: string; machine?: string } | undefined {
  let m = /^(?:manylinux_[0-9]+_[0-9]+|manylinux1|manylinux2010|manylinux2014|musllinux_[0-9]+_[0-9]+|linux)_(.+)$/.exec(tag);
  if (m) return { sys: 'linux', machine: m[1]! };
  m = /^macosx_[0-9]+_[0-9]+_(.+)$/.exec(tag);
  if (m) return { sys: 'darwin', ...(['x86_64', 'arm64'].includes(m[1]!) ? { machine: m[1]! } : {}) };
  if (tag === 'win_amd64') return { sys: 'win32', machine: 'AMD64' };
  if (tag === 'win_arm64') return { sys: 'win32', machine: 'ARM64' };
  if (tag === 'win32') return { sys: 'win32', machine: 'x86' };
  return undefined;
}

/**
 * The Lock as PEP 751 pylock.toml. Deterministic: packages in the lock's canonical order,
 * wheels by file name, no credentials, no time but the index's upload times of the files (and
 * the cutoff they were resolved under); `[tool.karoo]` carries the target, leaves, inputs
 * digest and lock digest so that reading it back gives the same Lock.
 */
export function writePylock(lock: Lock): string {
  const out: string[] = [];
  const kv = (k: string, v: string | number) => out.push(`${k} = ${typeof v === 'number' ? String(v) : tomlString(v)}`);
  kv('lock-version', '1.0');
  const env = lock.meta.target ? targetEnvironment(lock.meta.target) : undefined;
  if (env) out.push(`environments = [${tomlString(env)}]`);
  const rp = lock.meta.requiresPython;
  if (rp) kv('requires-python', rp);
  kv('created-by', 'karoo');
  for (const p of lock.packages) {
    out.push('', '[[packages]]');
    kv('name', p.name);
    kv('version', p.version);
    if (p.marker) kv('marker', p.marker);
    if (p.index) kv('index', stripUserinfo(p.index));
    if (p.files.length === 0) {
      throw new KarooError(
        'input',
        `cannot write pylock.toml: ${p.name} ${p.version} has no files (no sha256 hash); a pylock.toml names the files to install, so resolve with hashes`,
      );
    }
    const wheels: LockedFile[] = [];
    const others: LockedFile[] = [];
    for (const f of p.files) {
      if (f.url === undefined && !f.name) {
        throw new KarooError(
          'input',
          `cannot write pylock.toml: ${p.name} ${p.version} file sha256:${f.sha256} has no URL and no file name; re-run resolve so that every file has a URL`,
        );
      }
      (isWheelName(f.name) ? wheels : others).push(f);
    }
    if (others.length > 1) {
      throw new KarooError(
        'input',
        `cannot write pylock.toml: ${p.name} ${p.version} has ${others.length} source distributions (${others.map((f) => f.name).join(', ')}); PEP 751 allows one`,
      );
    }
    if (others.length === 1) {
      out.push('', '[packages.sdist]');
      writeFile(others[0]!, out);
    }
    wheels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.sha256 < b.sha256 ? -1 : 1));
    for (const w of wheels) {
      out.push('', '[[packages.wheels]]');
      writeFile(w, out);
    }
  }
  out.push('', '[tool.karoo]');
  kv('lock-digest', lock.digest);
  if (lock.meta.inputsDigest !== undefined) kv('inputs-digest', lock.meta.inputsDigest);
  const leaves = lock.meta.leaves;
  if (leaves) {
    const keys = Object.keys(leaves).sort();
    out.push(`leaves = { ${keys.map((k) => `${tomlKey(k)} = ${tomlString(leaves[k]!)}`).join(', ')} }`.replace('{  }', '{}'));
  }
  const t = lock.meta.target;
  if (t) {
    out.push('', '[tool.karoo.target]');
    kv('python', t.python);
    if (t.implementation !== undefined) kv('implementation', t.implementation);
    out.push(`platforms = [${t.platforms.map(tomlString).join(', ')}]`);
  }
  const asOf = lock.meta.asOf;
  if (asOf) {
    out.push('', '[tool.karoo.as-of]');
    kv('policy', asOf.policy);
    if (asOf.time !== undefined) kv('time', asOf.time);
    out.push(`not-applied = [${asOf.notApplied.map(tomlString).join(', ')}]`);
  }
  return `${out.join('\n')}\n`;
}

function writeFile(f: LockedFile, out: string[]): void {
  if (f.name) out.push(`name = ${tomlString(f.name)}`);
  // A file without a URL sits beside the lock (as in a candidate, whose wheels are its layers).
  if (f.url === undefined) out.push(`path = ${tomlString(f.name)}`);
  else out.push(`url = ${tomlString(stripUserinfo(f.url))}`);
  if (f.size !== undefined) out.push(`size = ${f.size}`);
  // A TOML offset date-time, as PEP 751 has it; always UTC milliseconds (the Lock normalised it).
  if (f.uploadTime !== undefined) out.push(`upload-time = ${f.uploadTime}`);
  out.push(`hashes = { sha256 = ${tomlString(f.sha256)} }`);
}
