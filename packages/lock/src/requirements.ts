/**
 * pip requirements files, as pip-compile and `uv pip compile` write them and as people write
 * them by hand: continuations, comments, `-r`/`-c` includes, index options, per-requirement
 * hashes, markers, extras, direct references, editables, `${ENV}` variables.
 * Follows pip's own reading rules (req_file.py); malformed input throws FileError(file, line, reason).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileError, isFileError } from '@karoo/common';
import { basename, decodeText, isArchiveName, isWheelName, parseWheelName } from './files.js';
import { isValidName } from './names.js';
import { normalizeInstant } from './time.js';
import { parsePep508, RequirementSyntaxError, type SpecifierClause, validateMarker } from './pep508.js';

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

export interface RequirementHash {
  readonly algorithm: HashAlgorithm;
  /** Lowercase hex. */
  readonly digest: string;
}

/**
 * `named`: `name[extras] specifier`; `url`: an archive URL (bare or `name @ url`);
 * `vcs`: a `git+`/`hg+`/`svn+`/`bzr+` URL; `path`: a local directory or archive.
 */
export type RequirementKind = 'named' | 'url' | 'vcs' | 'path';

/** One requirement line (after joining continuations). */
export interface RequirementEntry {
  /** The file this line is in, as reached from the top file (relative paths stay relative). */
  readonly file: string;
  /** First physical line of the logical line, 1-based. */
  readonly line: number;
  /** The requirement as written, without options and comments. */
  readonly text: string;
  readonly kind: RequirementKind;
  /** Project name as written (not normalised); absent for a bare URL or path without `#egg=`. */
  readonly name?: string | undefined;
  readonly extras: readonly string[];
  readonly specifier: readonly SpecifierClause[];
  readonly marker?: string | undefined;
  readonly url?: string | undefined;
  readonly path?: string | undefined;
  readonly editable: boolean;
  /** Reached through `-c`: limits versions, does not ask for the package. */
  readonly constraint: boolean;
  readonly hashes: readonly RequirementHash[];
  readonly configSettings: Readonly<Record<string, string>>;
}

/** File-level options, accumulated over the file and its includes as pip does. */
export interface RequirementsOptions {
  indexUrl?: string | undefined;
  extraIndexUrls: string[];
  noIndex: boolean;
  findLinks: string[];
  trustedHosts: string[];
  pre: boolean;
  noBinary: string[];
  onlyBinary: string[];
  preferBinary: boolean;
  requireHashes: boolean;
  allReleases: string[];
  onlyFinal: string[];
  useFeatures: string[];
}

export interface RequirementsInclude {
  /** `-r`, `-c`, or SARAO's non-pip `-d` (default versions for install_pinned.py). */
  readonly kind: 'requirement' | 'constraint' | 'defaults';
  readonly target: string;
  readonly file: string;
  readonly line: number;
  /** A URL: recorded, never fetched (reading a lock does no network I/O). */
  readonly remote: boolean;
}

/** `# karoo-file: NAME==VERSION FILENAME sha256=HEX size=N url=URL`: what pip syntax cannot say. */
export interface KarooFileComment {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly version: string;
  readonly filename?: string | undefined;
  readonly sha256: string;
  readonly size?: number | undefined;
  readonly url?: string | undefined;
  /** `upload-time=`: RFC 3339 UTC, as the Lock records it. */
  readonly uploadTime?: string | undefined;
}

export interface KarooIndexComment {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly version: string;
  readonly url: string;
}

export interface RequirementsFile {
  /** The top file, as given. */
  readonly file: string;
  /** Every local file read, in reading order. */
  readonly files: readonly string[];
  readonly entries: readonly RequirementEntry[];
  readonly options: RequirementsOptions;
  readonly includes: readonly RequirementsInclude[];
  readonly karooFiles: readonly KarooFileComment[];
  readonly karooIndexes: readonly KarooIndexComment[];
  /** `# karoo-meta: {json}` and `# lock digest: sha256:...` header lines, when karoo wrote the file. */
  readonly karooMeta?: { readonly file: string; readonly line: number; readonly json: string } | undefined;
  readonly recordedDigest?: string | undefined;
  readonly warnings: readonly string[];
}

export interface ParseRequirementsOptions {
  /** Variables for `${NAME}` expansion (default: process.env). Unset or empty variables stay literal, as in pip. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads an included file; default: the file system, decoded as pip decodes. */
  readonly readText?: (path: string) => string;
}

// ---------------------------------------------------------------------------------------

type OptionName =
  | '--index-url'
  | '--extra-index-url'
  | '--no-index'
  | '--constraint'
  | '--requirement'
  | '--editable'
  | '--find-links'
  | '--no-binary'
  | '--only-binary'
  | '--prefer-binary'
  | '--require-hashes'
  | '--no-require-hashes'
  | '--pre'
  | '--all-releases'
  | '--only-final'
  | '--trusted-host'
  | '--use-feature'
  | '--hash'
  | '--config-settings'
  | '--defaults';

interface OptionSpec {
  readonly takesValue: boolean;
  readonly perRequirement?: boolean;
}

const OPTIONS: Record<OptionName, OptionSpec> = {
  '--index-url': { takesValue: true },
  '--extra-index-url': { takesValue: true },
  '--no-index': { takesValue: false },
  '--constraint': { takesValue: true },
  '--requirement': { takesValue: true },
  '--editable': { takesValue: true },
  '--find-links': { takesValue: true },
  '--no-binary': { takesValue: true },
  '--only-binary': { takesValue: true },
  '--prefer-binary': { takesValue: false },
  '--require-hashes': { takesValue: false },
  '--no-require-hashes': { takesValue: false },
  '--pre': { takesValue: false },
  '--all-releases': { takesValue: true },
  '--only-final': { takesValue: true },
  '--trusted-host': { takesValue: true },
  '--use-feature': { takesValue: true },
  '--hash': { takesValue: true, perRequirement: true },
  '--config-settings': { takesValue: true, perRequirement: true },
  '--defaults': { takesValue: true },
};

const SHORT: Record<string, OptionName> = {
  '-i': '--index-url',
  '-c': '--constraint',
  '-r': '--requirement',
  '-e': '--editable',
  '-f': '--find-links',
  // Not pip: SARAO's install_pinned.py reads `-d URL` as a file of default versions.
  '-d': '--defaults',
};

/** Options pip once accepted in requirement files and now rejects, with what to do instead. */
const REMOVED: Record<string, string> = {
  '--install-option': 'pip no longer accepts --install-option; use --config-settings',
  '--global-option': 'pip no longer accepts --global-option; use --config-settings',
  '--build-option': 'pip does not accept --build-option in a requirements file; use --config-settings',
};

const USE_FEATURES = new Set(['fast-deps', 'truststore', 'no-binary-enable-wheel-cache', 'inprocess-build-deps']);
const HASH_LENGTHS: Record<HashAlgorithm, number> = { sha256: 64, sha384: 96, sha512: 128 };
const VCS_RE = /^(git|hg|svn|bzr)\+/i;
const URL_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const COMMENT_RE = /(^|\s+)#.*$/;
const ENV_RE = /\$\{([A-Z0-9_]+)\}/g;
const NAMED_URL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(\[[^\]]*\])?\s*@/;

function emptyOptions(): RequirementsOptions {
  return {
    extraIndexUrls: [],
    noIndex: false,
    findLinks: [],
    trustedHosts: [],
    pre: false,
    noBinary: [],
    onlyBinary: [],
    preferBinary: false,
    requireHashes: false,
    allReleases: [],
    onlyFinal: [],
    useFeatures: [],
  };
}

function defaultReadText(path: string): string {
  return decodeText(readFileSync(path)).text;
}

/** Reads a requirements file and everything it includes with `-r`/`-c` (local files only). */
export function parseRequirementsFile(path: string, options: ParseRequirementsOptions = {}): RequirementsFile {
  const readText = options.readText ?? defaultReadText;
  let text: string;
  try {
    text = readText(path);
  } catch (e) {
    throw new FileError(path, undefined, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseRequirements(text, path, options);
}

/** Parses requirements `text` as if read from `file` (includes resolve relative to it). */
export function parseRequirements(text: string, file: string, options: ParseRequirementsOptions = {}): RequirementsFile {
  const p = new Parser(options);
  p.parseFile(text, file, file, false, []);
  return {
    file,
    files: p.files,
    entries: p.entries,
    options: p.opts,
    includes: p.includes,
    karooFiles: p.karooFiles,
    karooIndexes: p.karooIndexes,
    karooMeta: p.karooMeta,
    recordedDigest: p.recordedDigest,
    warnings: p.warnings,
  };
}

class Parser {
  readonly files: string[] = [];
  readonly entries: RequirementEntry[] = [];
  readonly opts = emptyOptions();
  readonly includes: RequirementsInclude[] = [];
  readonly karooFiles: KarooFileComment[] = [];
  readonly karooIndexes: KarooIndexComment[] = [];
  karooMeta: RequirementsFile['karooMeta'];
  recordedDigest: string | undefined;
  readonly warnings: string[] = [];
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly readText: (path: string) => string;

  constructor(o: ParseRequirementsOptions) {
    this.env = o.env ?? process.env;
    this.readText = o.readText ?? defaultReadText;
  }

  /** `stack` holds the absolute paths of the files that include this one (cycle detection). */
  parseFile(text: string, file: string, abs: string, constraint: boolean, stack: Array<{ abs: string; file: string; line: number }>): void {
    this.files.push(file);
    const physical = text.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
    this.scanKarooComments(physical, file);
    for (const [line, raw] of joinLines(physical)) {
      const stripped = raw.replace(COMMENT_RE, '').trim();
      if (stripped === '') continue;
      const expanded = stripped.replace(ENV_RE, (all, name: string) => {
        const v = this.env[name];
        return v ? v : all;
      });
      this.parseLine(expanded, file, abs, line, constraint, stack);
    }
  }

  private scanKarooComments(lines: string[], file: string): void {
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (!l.includes('karoo-') && !l.includes('lock digest')) continue;
      const line = i + 1;
      let m = /^\s*#\s*karoo-file:\s*(.*?)\s*$/.exec(l);
      if (m) {
        this.karooFiles.push(parseKarooFile(m[1]!, file, line));
        continue;
      }
      m = /^\s*#\s*karoo-index:\s*(\S+)==(\S+)\s+(\S+)\s*$/.exec(l);
      if (m) {
        this.karooIndexes.push({ file, line, name: m[1]!, version: m[2]!, url: m[3]! });
        continue;
      }
      if (/^\s*#\s*karoo-index:/.test(l))
        throw new FileError(file, line, 'malformed karoo-index comment; expected "# karoo-index: NAME==VERSION URL"');
      m = /^#\s*karoo-meta:\s*(\{.*\})\s*$/.exec(l);
      if (m && !this.karooMeta) {
        this.karooMeta = { file, line, json: m[1]! };
        continue;
      }
      m = /^#\s*lock digest:\s*(sha256:[0-9a-f]{64})\s*$/.exec(l);
      if (m && this.recordedDigest === undefined) this.recordedDigest = m[1]!;
    }
  }

  private parseLine(
    text: string,
    file: string,
    abs: string,
    line: number,
    constraint: boolean,
    stack: Array<{ abs: string; file: string; line: number }>,
  ): void {
    const fail = (reason: string): never => {
      throw new FileError(file, line, reason);
    };
    let args: string;
    let optText: string;
    let editable: string | undefined;
    const first = text.split(/\s/, 1)[0]!;
    const firstOpt = first.startsWith('-') ? resolveOptionToken(first, fail) : undefined;
    if (firstOpt?.name === '--editable') {
      // The editable target runs to the first option; markers after it are kept (as uv does).
      const rest = `${firstOpt.inlineValue ?? ''}${text.slice(first.length)}`.trim();
      if (rest === '') fail('option -e/--editable requires a path or VCS URL');
      [editable, optText] = breakArgsOptions(rest);
      args = '';
    } else {
      [args, optText] = breakArgsOptions(text);
    }
    const parsed = parseOptionTokens(shlexSplit(optText, fail), fail);
    const isRequirement = args !== '' || editable !== undefined;
    if (isRequirement) {
      for (const [name] of parsed) {
        if (!OPTIONS[name].perRequirement) {
          fail(`option ${name} cannot follow a requirement on the same line; put it on a line of its own`);
        }
        if (editable !== undefined && name === '--hash') fail('an editable requirement (-e) cannot carry --hash');
      }
      const hashes: RequirementHash[] = [];
      const configSettings: Record<string, string> = {};
      for (const [name, value] of parsed) {
        if (name === '--hash') hashes.push(parseHash(value!, fail));
        else {
          const eq = value!.indexOf('=');
          if (eq <= 0) fail(`--config-settings "${value}" is not KEY=VALUE`);
          configSettings[value!.slice(0, eq)] = value!.slice(eq + 1);
        }
      }
      if (editable !== undefined && constraint) fail('editable requirements are not allowed as constraints');
      const req = parseRequirementArgs(editable ?? args, editable !== undefined, fail);
      this.entries.push({ file, line, ...req, editable: editable !== undefined, constraint, hashes, configSettings });
      return;
    }
    for (const [name, value] of parsed) this.applyGlobal(name, value, file, abs, line, constraint, stack, fail);
  }

  private applyGlobal(
    name: OptionName,
    value: string | undefined,
    file: string,
    abs: string,
    line: number,
    constraint: boolean,
    stack: Array<{ abs: string; file: string; line: number }>,
    fail: (r: string) => never,
  ): void {
    const o = this.opts;
    const v = value!;
    switch (name) {
      case '--hash':
      case '--config-settings':
        fail(`option ${name} must follow a requirement on the same line`);
        break;
      case '--index-url':
        o.indexUrl = v;
        break;
      case '--extra-index-url':
        o.extraIndexUrls.push(v);
        break;
      case '--no-index':
        o.noIndex = true;
        break;
      case '--find-links':
        o.findLinks.push(URL_RE.test(v) || isAbsolute(v) ? v : join(dirname(file), v));
        break;
      case '--trusted-host':
        o.trustedHosts.push(v);
        break;
      case '--pre':
        o.pre = true;
        break;
      case '--no-binary':
        o.noBinary.push(...splitList(v));
        break;
      case '--only-binary':
        o.onlyBinary.push(...splitList(v));
        break;
      case '--prefer-binary':
        o.preferBinary = true;
        break;
      case '--require-hashes':
        o.requireHashes = true;
        break;
      case '--no-require-hashes':
        o.requireHashes = false;
        break;
      case '--all-releases':
        o.allReleases.push(...splitList(v));
        break;
      case '--only-final':
        o.onlyFinal.push(...splitList(v));
        break;
      case '--use-feature':
        if (!USE_FEATURES.has(v)) fail(`--use-feature=${v} is not a feature pip accepts (${[...USE_FEATURES].join(', ')})`);
        o.useFeatures.push(v);
        break;
      case '--editable':
        fail('-e/--editable must start its line');
        break;
      case '--defaults':
        this.includes.push({ kind: 'defaults', target: v, file, line, remote: URL_RE.test(v) });
        this.warnings.push(
          `${file}:${line}: "-d ${v}" is not a pip option (SARAO install_pinned.py default versions); recorded, not followed, and plain pip rejects this file`,
        );
        break;
      case '--requirement':
      case '--constraint':
        this.include(name === '--constraint' ? 'constraint' : 'requirement', v, file, abs, line, constraint, stack);
        break;
    }
  }

  private include(
    kind: 'requirement' | 'constraint',
    target: string,
    file: string,
    abs: string,
    line: number,
    constraint: boolean,
    stack: Array<{ abs: string; file: string; line: number }>,
  ): void {
    const remote = URL_RE.test(target) && !target.startsWith('file:');
    this.includes.push({ kind, target, file, line, remote });
    if (remote) {
      this.warnings.push(
        `${file}:${line}: ${kind === 'constraint' ? '-c' : '-r'} ${target} is a URL; karoo does not fetch includes, so it was not read`,
      );
      return;
    }
    const local = target.startsWith('file:') ? fileURLToPath(target) : target;
    const childFile = isAbsolute(local) ? local : join(dirname(file), local);
    const childAbs = isAbsolute(local) ? local : resolve(dirname(abs), local);
    const chain = [...stack, { abs, file, line }];
    const loop = chain.findIndex((s) => s.abs === childAbs);
    if (loop >= 0) {
      const path = chain
        .slice(loop)
        .map((s) => `${s.file}:${s.line}`)
        .join(' -> ');
      throw new IncludeCycleError(file, line, `"${target}" includes itself recursively (${path} -> ${childFile})`);
    }
    let text: string;
    try {
      text = this.readText(childAbs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new FileError(
        file,
        line,
        `cannot open ${kind === 'constraint' ? 'constraint' : 'requirement'} file "${target}" (${childFile}): ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`,
      );
    }
    try {
      this.parseFile(text, childFile, childAbs, constraint || kind === 'constraint', chain);
    } catch (e) {
      // A cycle already names the whole chain of includes; other errors get the including line.
      if (isFileError(e) && !isIncludeCycle(e)) {
        throw new FileError(e.file, e.line, `${e.reason} (included by ${kind === 'constraint' ? '-c' : '-r'} at ${file}:${line})`);
      }
      throw e;
    }
  }
}

/**
 * A `-r`/`-c` chain that comes back to a file it started from. A FileError (its name too, so
 * isFileError guards hold), told apart by `includeCycle`, never by its message.
 */
export class IncludeCycleError extends FileError {
  readonly includeCycle = true;
}

function isIncludeCycle(e: FileError): boolean {
  return (e as Partial<IncludeCycleError>).includeCycle === true;
}

/** pip's join_lines: `\` continues a line, a comment line ends a continuation. Yields [firstLine, text]. */
function* joinLines(lines: string[]): Generator<[number, string]> {
  let acc: string[] = [];
  let first = 0;
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i]!;
    const isComment = /^\s*#/.test(l);
    if (!l.endsWith('\\') || isComment) {
      if (isComment) l = ` ${l}`;
      if (acc.length) {
        acc.push(l);
        yield [first, acc.join('')];
        acc = [];
      } else yield [i + 1, l];
    } else {
      if (!acc.length) first = i + 1;
      acc.push(l.replace(/^\\+|\\+$/g, ''));
    }
  }
  if (acc.length) yield [first, acc.join('')];
}

/** pip's break_args_options: the requirement runs to the first space-separated token starting with '-'. */
function breakArgsOptions(line: string): [string, string] {
  const tokens = line.split(' ');
  const i = tokens.findIndex((t) => t.startsWith('-'));
  if (i < 0) return [line.trim(), ''];
  return [tokens.slice(0, i).join(' ').trim(), tokens.slice(i).join(' ')];
}

/** POSIX shell word splitting (Python's shlex.split). */
export function shlexSplit(s: string, fail: (r: string) => never): string[] {
  if (!/['"\\]/.test(s)) return s.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) fail(`unbalanced quote in "${s.trim()}"`);
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && j + 1 < s.length && '"\\$`\n'.includes(s[j + 1]!)) j++;
        cur += s[j]!;
      }
      if (j >= s.length) fail(`unbalanced quote in "${s.trim()}"`);
      i = j;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < s.length) cur += s[++i]!;
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

function resolveOptionToken(tok: string, fail: (r: string) => never): { name: OptionName; inlineValue?: string | undefined } {
  if (tok.startsWith('--')) {
    const eq = tok.indexOf('=');
    const key = eq < 0 ? tok : tok.slice(0, eq);
    const inlineValue = eq < 0 ? undefined : tok.slice(eq + 1);
    if (REMOVED[key]) fail(REMOVED[key]!);
    if (key in OPTIONS && key !== '--defaults') return { name: key as OptionName, inlineValue };
    // optparse accepts any unambiguous prefix of a long option.
    const matches = (Object.keys(OPTIONS) as OptionName[]).filter((o) => o !== '--defaults' && o.startsWith(key) && key.length > 2);
    if (matches.length === 1) return { name: matches[0]!, inlineValue };
    if (matches.length > 1) fail(`option ${key} is ambiguous (${matches.join(', ')})`);
    fail(`unknown option ${key}`);
  }
  const key = tok.slice(0, 2);
  const name = SHORT[key];
  if (!name) fail(tok === '-' ? "invalid requirement '-'" : `unknown option ${key}`);
  return { name: name!, inlineValue: tok.length > 2 ? tok.slice(2).replace(/^=/, '') : undefined };
}

function parseOptionTokens(tokens: string[], fail: (r: string) => never): Array<[OptionName, string | undefined]> {
  const out: Array<[OptionName, string | undefined]> = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (!tok.startsWith('-') || tok === '-') fail(`unexpected argument "${tok}" among options`);
    const { name, inlineValue } = resolveOptionToken(tok, fail);
    const spec = OPTIONS[name];
    if (!spec.takesValue) {
      if (inlineValue !== undefined) fail(`option ${name} takes no value`);
      out.push([name, undefined]);
      continue;
    }
    let value = inlineValue;
    if (value === undefined) {
      value = tokens[++i];
      if (value === undefined) fail(`option ${tok} requires a value`);
    }
    out.push([name, value]);
  }
  return out;
}

function parseHash(value: string, fail: (r: string) => never): RequirementHash {
  const m = /^([A-Za-z0-9]+):(.*)$/.exec(value);
  if (!m) fail(`--hash=${value} is not ALGORITHM:HEXDIGEST (e.g. sha256:...)`);
  const algorithm = m![1]!.toLowerCase();
  if (!(algorithm in HASH_LENGTHS)) fail(`--hash=${value} uses algorithm "${algorithm}"; pip accepts sha256, sha384 and sha512`);
  const digest = m![2]!.toLowerCase();
  const len = HASH_LENGTHS[algorithm as HashAlgorithm];
  if (!new RegExp(`^[0-9a-f]{${len}}$`).test(digest)) fail(`--hash=${value} is not a ${algorithm} digest (${len} hex digits)`);
  return { algorithm: algorithm as HashAlgorithm, digest };
}

function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

type ParsedArgs = Pick<RequirementEntry, 'text' | 'kind' | 'name' | 'extras' | 'specifier' | 'marker' | 'url' | 'path'>;

/** Splits `target ; marker` for a URL or path: the ';' must have whitespace on at least one side. */
function splitUrlMarker(s: string): [string, string | undefined] {
  const m = /(\s+;\s*|;\s+)/.exec(s);
  if (!m) return [s.trim(), undefined];
  return [s.slice(0, m.index).trim(), s.slice(m.index + m[0].length).trim()];
}

function checkMarker(marker: string | undefined, whole: string, fail: (r: string) => never): string | undefined {
  if (marker === undefined) return undefined;
  if (marker === '') fail(`invalid requirement '${whole}': empty marker after ';'`);
  try {
    validateMarker(marker, whole);
  } catch (e) {
    fail((e as Error).message);
  }
  return marker;
}

/** Name and extras from a URL fragment `#egg=name[extras]&subdirectory=...`. */
function eggOf(url: string, fail: (r: string) => never): { name?: string; extras: string[] } {
  const frag = url.split('#')[1];
  if (!frag) return { extras: [] };
  const egg = /(?:^|&)egg=([^&]*)/.exec(frag)?.[1];
  if (egg === undefined) return { extras: [] };
  const m = /^([^[]+)(?:\[([^\]]*)\])?$/.exec(decodeURIComponent(egg));
  if (!m || !isValidName(m[1]!)) fail(`"#egg=${egg}" in ${url} is not a valid project name`);
  return { name: m![1]!, extras: m![2] ? m![2].split(',').map((s) => s.trim()) : [] };
}

function parseRequirementArgs(args: string, editable: boolean, fail: (r: string) => never): ParsedArgs {
  const text = args.trim();
  if (URL_RE.test(text) || /^file:/i.test(text)) {
    const [url, marker] = splitUrlMarker(text);
    if (/\s/.test(url)) fail(`invalid requirement '${text}': one requirement per line (a URL cannot contain whitespace)`);
    const egg = eggOf(url, fail);
    const kind = VCS_RE.test(url) ? 'vcs' : /^file:/i.test(url) && !isArchiveName(basename(url)) ? 'path' : 'url';
    let name = egg.name;
    let specifier: SpecifierClause[] = [];
    const file = basename(url);
    if (!name && kind === 'url' && isWheelName(file)) {
      const w = parseWheelName(file);
      if (!w) fail(`"${file}" is not a valid wheel file name`);
      name = w!.name;
      specifier = [{ operator: '==', version: w!.version }];
    }
    return { text, kind, name, extras: egg.extras, specifier, marker: checkMarker(marker, text, fail), url };
  }
  if (NAMED_URL_RE.test(text)) return named(text, fail);
  const head = text.split(';')[0]!.trim();
  const firstWord = head.split(/\s/)[0]!;
  const looksLikePath = editable || /^[.~/\\]/.test(head) || /[\\/]/.test(firstWord) || isArchiveName(firstWord.replace(/\[.*$/, ''));
  if (!looksLikePath) return named(text, fail);
  const [target, marker] = splitUrlMarker(text);
  if (target.includes(';')) fail(`invalid requirement '${text}': a marker after a path needs whitespace before ';' (" ; ")`);
  if (target.includes('#')) fail(`invalid requirement '${text}': '#' right after a path is not a comment; put whitespace before '#'`);
  let path = target;
  let extras: string[] = [];
  const ex = /^(.*?)\s*\[([^\]]*)\]$/.exec(target);
  if (ex) {
    path = ex[1]!;
    extras = ex[2]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  let name: string | undefined;
  let specifier: SpecifierClause[] = [];
  const file = basename(path);
  if (isWheelName(file)) {
    const w = parseWheelName(file);
    if (!w) fail(`"${file}" is not a valid wheel file name`);
    name = w!.name;
    specifier = [{ operator: '==', version: w!.version }];
  }
  return { text, kind: 'path', name, extras, specifier, marker: checkMarker(marker, text, fail), path };
}

function named(text: string, fail: (r: string) => never): ParsedArgs {
  try {
    const r = parsePep508(text);
    const kind = r.url === undefined ? 'named' : VCS_RE.test(r.url) ? 'vcs' : 'url';
    return { text, kind, name: r.name, extras: r.extras, specifier: r.specifier, marker: r.marker, url: r.url };
  } catch (e) {
    if (e instanceof RequirementSyntaxError) fail(e.message);
    throw e;
  }
}

function parseKarooFile(rest: string, file: string, line: number): KarooFileComment {
  const fail = (why: string): never => {
    throw new FileError(
      file,
      line,
      `malformed karoo-file comment (${why}); expected "# karoo-file: NAME==VERSION FILENAME sha256=HEX size=N url=URL"`,
    );
  };
  const m = /^(\S+)==(\S+)\s+(\S+)((?:\s+\S+=\S*)*)$/.exec(rest);
  if (!m) return fail('cannot split it into fields');
  const fields: Record<string, string> = {};
  for (const kv of m[4]!.trim().split(/\s+/).filter(Boolean)) {
    const eq = kv.indexOf('=');
    const k = kv.slice(0, eq);
    if (k in fields) fail(`"${k}" given twice`);
    fields[k] = kv.slice(eq + 1);
  }
  for (const k of Object.keys(fields)) if (!['sha256', 'size', 'url', 'upload-time'].includes(k)) fail(`unknown field "${k}"`);
  const sha256 = fields.sha256;
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) fail('sha256 must be 64 lowercase hex digits');
  let size: number | undefined;
  if (fields.size !== undefined) {
    if (!/^[0-9]+$/.test(fields.size)) fail(`size "${fields.size}" is not a whole number of bytes`);
    size = Number(fields.size);
  }
  const uploadTime = fields['upload-time'] === undefined ? undefined : normalizeInstant(fields['upload-time']);
  if (fields['upload-time'] !== undefined && uploadTime === undefined)
    fail(`upload-time "${fields['upload-time']}" is not an RFC 3339 date-time`);
  return {
    file,
    line,
    name: m[1]!,
    version: m[2]!,
    filename: m[3] === '-' ? undefined : m[3],
    sha256: sha256!,
    size,
    url: fields.url,
    ...(uploadTime !== undefined ? { uploadTime } : {}),
  };
}
