import { isAbsolute } from 'node:path';
import { controlCharacterIn, quoteValue } from '@karoo/common';

/**
 * Checks on every string of a karoo.yml that the schema's per-field patterns do not make:
 * values are data, never shell text or paths outside their directory.
 *
 * - Names, paths, URLs and every other single value must be one line of printable text
 *   (no control characters, at most 4096 characters): they end up in file names, command-line
 *   options and configuration files, where a newline starts a new directive.
 * - Command arguments and service environment values may hold any text but NUL (no argument
 *   vector or environment can carry it); they are passed as data, never to a shell.
 * - `values` and file contents may hold anything: they are data for templates and files.
 * - Role names are plain names, like node and service names.
 * - Paths karoo writes or deletes (`lock`, `acceptance.junit`) stay inside their directory.
 */
export function checkConfigStrings(raw: Record<string, unknown>, fail: (keyPath: Array<string | number>, reason: string) => never): void {
  walk(raw, [], fail);
  for (const role of Object.keys((raw.roles as Record<string, unknown> | undefined) ?? {})) {
    if (!ROLE_NAME.test(role))
      fail(['roles', role], `role name ${quoteValue(role)} is not a plain name (letters, digits, _ . -, at most 63)`);
  }
  ((raw.nodes as Array<{ role?: unknown }> | undefined) ?? []).forEach((n, i) => {
    if (typeof n.role === 'string' && !ROLE_NAME.test(n.role))
      fail(['nodes', i, 'role'], `role name ${quoteValue(n.role)} is not a plain name (letters, digits, _ . -, at most 63)`);
  });
  const inside = (keyPath: Array<string | number>, p: unknown, base: string) => {
    if (typeof p !== 'string') return;
    if (isAbsolute(p) || p.split(/[\\/]/).includes('..'))
      fail(keyPath, `${quoteValue(p)} must be a relative path inside ${base}, without ..`);
  };
  inside(['lock'], raw.lock, 'the directory of this file');
  inside(
    ['acceptance', 'junit'],
    (raw.acceptance as Record<string, unknown> | undefined)?.junit,
    'the acceptance working directory (karoo deletes it before each run)',
  );
}

export const ROLE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;
const MAX_LINE = 4096;

type Rule = 'line' | 'argv' | 'data';

function ruleOf(p: ReadonlyArray<string | number>): Rule {
  const [a, b, c, , e] = p;
  if (a === 'values') return 'data';
  if (a === 'environments' && c === 'values') return 'data';
  if (a === 'roles' && c === 'files' && e === 'content' && p.length === 5) return 'data';
  if (a === 'roles' && c === 'services' && e === 'command' && p.length === 6) return 'argv';
  if (a === 'roles' && c === 'services' && e === 'environment' && p.length === 6) return 'argv';
  if (a === 'acceptance' && b === 'command' && p.length === 3) return 'argv';
  if (a === 'acceptance' && b === 'env' && p.length === 3) return 'argv';
  return 'line';
}

function walk(v: unknown, p: Array<string | number>, fail: (keyPath: Array<string | number>, reason: string) => never): void {
  if (typeof v === 'string') return checkString(v, p, ruleOf(p), fail);
  if (Array.isArray(v)) return v.forEach((x, i) => walk(x, [...p, i], fail));
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      // A key is a name wherever its value is not free data (the keys of `values` are data).
      if (ruleOf(p) !== 'data') checkString(k, [...p, k], 'line', fail);
      walk(x, [...p, k], fail);
    }
  }
}

function checkString(
  s: string,
  p: Array<string | number>,
  rule: Rule,
  fail: (keyPath: Array<string | number>, reason: string) => never,
): void {
  if (rule === 'data') return;
  if (rule === 'argv') {
    if (s.includes('\u0000')) fail(p, `${quoteValue(s)} contains a NUL character, which no command line or environment can carry`);
    return;
  }
  const c = controlCharacterIn(s);
  if (c !== undefined)
    fail(p, `${quoteValue(s)} contains a control character (${c}); names, paths and URLs must be one line of printable text`);
  if (s.length > MAX_LINE) fail(p, `is ${s.length} characters long; at most ${MAX_LINE}`);
}
