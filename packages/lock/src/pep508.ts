/**
 * PEP 508 dependency specifiers, PEP 440 version specifiers and environment markers: enough
 * of the grammar to accept what pip accepts and to reject malformed lines with a reason.
 */
import { parseVersion } from './version.js';

/** A syntax error inside one requirement; the caller adds the file and line. */
export class RequirementSyntaxError extends Error {
  override name = 'RequirementSyntaxError';
}

export type SpecifierOperator = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';

export interface SpecifierClause {
  readonly operator: SpecifierOperator;
  readonly version: string;
}

export interface Pep508Requirement {
  readonly name: string;
  readonly extras: readonly string[];
  readonly specifier: readonly SpecifierClause[];
  /** Direct reference (`name @ url`). */
  readonly url?: string | undefined;
  readonly marker?: string | undefined;
}

const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
const OPERATORS: readonly SpecifierOperator[] = ['===', '~=', '==', '!=', '<=', '>=', '<', '>'];

/** Parses `name[extras] (specifier | @ url) ; marker`. Throws RequirementSyntaxError with a reason. */
export function parsePep508(input: string): Pep508Requirement {
  const text = input.trim();
  if (text === '') throw new RequirementSyntaxError('empty requirement');
  const m = NAME_RE.exec(text);
  if (!m) {
    throw new RequirementSyntaxError(`invalid requirement '${text}': expected a package name at the start`);
  }
  const name = m[0];
  let pos = name.length;
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  skip();
  let extras: string[] = [];
  if (text[pos] === '[') {
    const close = text.indexOf(']', pos);
    if (close < 0) throw new RequirementSyntaxError(`invalid requirement '${text}': unclosed '[' in extras`);
    extras = parseExtras(text.slice(pos + 1, close), text);
    pos = close + 1;
    skip();
  }
  let url: string | undefined;
  let specifier: SpecifierClause[] = [];
  let markerText: string | undefined;
  if (text[pos] === '@') {
    pos++;
    skip();
    // A URL ends at whitespace; a marker must be separated from it by whitespace.
    const rest = text.slice(pos);
    const sep = /\s+;\s*/.exec(rest);
    url = sep ? rest.slice(0, sep.index) : rest.trimEnd();
    if (url === '') throw new RequirementSyntaxError(`invalid requirement '${text}': '@' must be followed by a URL`);
    if (/\s/.test(url)) {
      throw new RequirementSyntaxError(`invalid requirement '${text}': a URL cannot contain whitespace; separate a marker with ' ; '`);
    }
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url)) {
      throw new RequirementSyntaxError(`invalid requirement '${text}': '${url}' after '@' is not a URL`);
    }
    if (sep) markerText = rest.slice(sep.index + sep[0].length);
  } else {
    const semi = text.indexOf(';', pos);
    const specText = (semi < 0 ? text.slice(pos) : text.slice(pos, semi)).trim();
    if (semi >= 0) markerText = text.slice(semi + 1);
    specifier = parseSpecifierText(specText, text, name);
  }
  let marker: string | undefined;
  if (markerText !== undefined) {
    marker = markerText.trim();
    if (marker === '') throw new RequirementSyntaxError(`invalid requirement '${text}': empty marker after ';'`);
    validateMarker(marker, text);
  }
  return { name, extras, specifier, url, marker };
}

function parseExtras(inner: string, whole: string): string[] {
  const parts = inner.split(',').map((s) => s.trim());
  if (parts.length === 1 && parts[0] === '') return [];
  for (const p of parts) {
    if (!NAME_RE.test(p) || NAME_RE.exec(p)![0] !== p) {
      throw new RequirementSyntaxError(`invalid requirement '${whole}': '${p}' is not a valid extra name`);
    }
  }
  return parts;
}

function parseSpecifierText(spec: string, whole: string, name: string): SpecifierClause[] {
  let s = spec;
  if (s === '') return [];
  if (s.startsWith('(')) {
    if (!s.endsWith(')')) throw new RequirementSyntaxError(`invalid requirement '${whole}': unclosed '(' in the version specifier`);
    s = s.slice(1, -1).trim();
  }
  if (/^=[^=]/.test(s)) {
    throw new RequirementSyntaxError(`invalid requirement '${whole}': '=' is not a valid operator; did you mean '=='?`);
  }
  if (!/^[<>=!~]/.test(s)) {
    throw new RequirementSyntaxError(
      `invalid requirement '${whole}': expected a version specifier, ';' or the end after '${name}', found '${s.split(/\s+/)[0]}' (one requirement per line)`,
    );
  }
  return parseSpecifiers(s, whole);
}

/** Parses `>=1.0, <2` (comma-separated clauses). */
export function parseSpecifiers(text: string, whole = text): SpecifierClause[] {
  const out: SpecifierClause[] = [];
  for (const raw of text.split(',')) {
    const clause = raw.trim();
    const op = OPERATORS.find((o) => clause.startsWith(o));
    if (!op)
      throw new RequirementSyntaxError(
        `invalid requirement '${whole}': '${clause}' does not start with a version operator (==, >=, ~=, ...)`,
      );
    const version = clause.slice(op.length).trim();
    if (version === '') throw new RequirementSyntaxError(`invalid requirement '${whole}': operator '${op}' has no version`);
    if (/\s/.test(version))
      throw new RequirementSyntaxError(`invalid requirement '${whole}': '${clause}' has whitespace inside the version`);
    if (op !== '===') checkVersion(op, version, whole);
    out.push({ operator: op, version });
  }
  return out;
}

function checkVersion(op: SpecifierOperator, version: string, whole: string): void {
  if (version.endsWith('.*')) {
    if (op !== '==' && op !== '!=')
      throw new RequirementSyntaxError(`invalid requirement '${whole}': a '.*' suffix is only allowed with == and !=`);
    const base = version.slice(0, -2);
    if (!/^([0-9]+!)?[0-9]+(\.[0-9]+)*$/.test(base) && !parseVersion(base)) {
      throw new RequirementSyntaxError(`invalid requirement '${whole}': '${version}' is not a valid version prefix`);
    }
    return;
  }
  if (!parseVersion(version))
    throw new RequirementSyntaxError(`invalid requirement '${whole}': '${version}' is not a valid PEP 440 version`);
  if (op === '~=' && !/\./.test(version.split('+')[0]!)) {
    throw new RequirementSyntaxError(`invalid requirement '${whole}': '~=' needs a version with at least two components`);
  }
}

// ---------------------------------------------------------------------------------------
// Markers

const MARKER_VARS = new Set([
  'python_version',
  'python_full_version',
  'os_name',
  'sys_platform',
  'platform_release',
  'platform_system',
  'platform_version',
  'platform_machine',
  'platform_python_implementation',
  'implementation_name',
  'implementation_version',
  'extra',
  'extras',
  'dependency_groups',
  // Legacy spellings packaging still accepts.
  'os.name',
  'sys.platform',
  'platform.version',
  'platform.machine',
  'platform.python_implementation',
  'python_implementation',
]);

type Tok = { t: 'str' | 'var' | 'op' | 'and' | 'or' | '(' | ')'; v: string };

function tokenizeMarker(s: string, whole: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      toks.push({ t: c, v: c });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) throw new RequirementSyntaxError(`invalid marker in '${whole}': unterminated string`);
      toks.push({ t: 'str', v: s.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = /^(===|==|!=|<=|>=|~=|<|>)/.exec(s.slice(i));
    if (op) {
      toks.push({ t: 'op', v: op[0] });
      i += op[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(s.slice(i));
    if (word) {
      const w = word[0];
      i += w.length;
      if (w === 'and' || w === 'or') toks.push({ t: w, v: w });
      else if (w === 'in') toks.push({ t: 'op', v: 'in' });
      else if (w === 'not') {
        const next = /^\s+in\b/.exec(s.slice(i));
        if (!next) throw new RequirementSyntaxError(`invalid marker in '${whole}': 'not' must be followed by 'in'`);
        i += next[0].length;
        toks.push({ t: 'op', v: 'not in' });
      } else if (MARKER_VARS.has(w)) toks.push({ t: 'var', v: w });
      else throw new RequirementSyntaxError(`invalid marker in '${whole}': unknown marker variable '${w}'`);
      continue;
    }
    throw new RequirementSyntaxError(`invalid marker in '${whole}': unexpected '${s.slice(i).split(/\s/)[0]}'`);
  }
  return toks;
}

/** Throws RequirementSyntaxError when `marker` is not a PEP 508 environment marker. */
export function validateMarker(marker: string, whole = marker): void {
  const toks = tokenizeMarker(marker, whole);
  let i = 0;
  const fail = (what: string): never => {
    const at = toks[i];
    throw new RequirementSyntaxError(`invalid marker in '${whole}': ${what}${at ? `, found '${at.v}'` : ' at the end'}`);
  };
  const value = () => {
    const t = toks[i];
    if (!t || (t.t !== 'str' && t.t !== 'var')) fail('expected a marker variable or a quoted string');
    i++;
  };
  const expr = (): void => {
    if (toks[i]?.t === '(') {
      i++;
      or();
      if (toks[i]?.t !== ')') fail("expected ')'");
      i++;
      return;
    }
    value();
    if (toks[i]?.t !== 'op') fail('expected a comparison operator');
    i++;
    value();
  };
  const and = (): void => {
    expr();
    while (toks[i]?.t === 'and') {
      i++;
      expr();
    }
  };
  const or = (): void => {
    and();
    while (toks[i]?.t === 'or') {
      i++;
      and();
    }
  };
  or();
  if (i < toks.length) fail("expected 'and', 'or' or the end of the marker");
}

/** The single pinned version of `==X` / `===X` (not a `.*` wildcard), or undefined. */
export function pinnedVersion(specifier: readonly SpecifierClause[]): { version: string; arbitrary: boolean } | undefined {
  if (specifier.length !== 1) return undefined;
  const c = specifier[0]!;
  if (c.operator === '===') return { version: c.version, arbitrary: true };
  if (c.operator === '==' && !c.version.endsWith('.*')) return { version: c.version, arbitrary: false };
  return undefined;
}

export function formatSpecifier(specifier: readonly SpecifierClause[]): string {
  return specifier.map((c) => `${c.operator}${c.version}`).join(',');
}
