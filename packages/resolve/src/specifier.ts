import { compareVersions, parseVersion, type Version } from '@karoo/lock';

/**
 * PEP 440 specifier sets, enough for `Requires-Python` (`>=3.8`, `!=3.0.*`, `~=3.10`, `<4`).
 * Returns undefined when the set cannot be read, so callers can fall back to "allowed".
 */
export function satisfies(version: string, specifierSet: string): boolean | undefined {
  const v = parseVersion(version);
  if (!v) return undefined;
  for (const raw of specifierSet.split(',')) {
    const spec = raw.trim();
    if (spec === '') continue;
    const m = /^(~=|===|==|!=|<=|>=|<|>)\s*(.+)$/.exec(spec);
    if (!m) return undefined;
    const ok = check(v, m[1]!, m[2]!.trim());
    if (ok === undefined) return undefined;
    if (!ok) return false;
  }
  return true;
}

function check(v: Version, op: string, target: string): boolean | undefined {
  if (op === '===') return v.text === target;
  if ((op === '==' || op === '!=') && target.endsWith('.*')) {
    const prefix = parseVersion(target.slice(0, -2));
    if (!prefix) return undefined;
    const match = prefix.release.every((n, i) => (v.release[i] ?? 0) === n) && v.epoch === prefix.epoch;
    return op === '==' ? match : !match;
  }
  const t = parseVersion(target);
  if (!t) return undefined;
  const c = compareVersions(v, t);
  switch (op) {
    case '==':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<=':
      return c <= 0;
    case '>=':
      return c >= 0;
    case '<':
      return c < 0;
    case '>':
      return c > 0;
    case '~=': {
      if (t.release.length < 2) return undefined;
      const prefix = t.release.slice(0, -1);
      return c >= 0 && prefix.every((n, i) => (v.release[i] ?? 0) === n);
    }
    default:
      return undefined;
  }
}
