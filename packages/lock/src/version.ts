import { compare, explain, satisfies as pep440Satisfies, validRange } from '@renovatebot/pep440';

/**
 * PEP 440 versions: parsing, normalisation, ordering and specifier sets, as pip (packaging)
 * does them, through @renovatebot/pep440 (a port of packaging). Its `clean()` is not used: it
 * joins local segments with "," (`1.0+ubuntu,1`); the normalised text is its `public` spelling
 * plus the local segments joined with ".", as packaging's `str(Version)` is.
 */

export interface Version {
  readonly epoch: number;
  readonly release: readonly number[];
  readonly pre: readonly ['a' | 'b' | 'rc', number] | undefined;
  readonly post: number | undefined;
  readonly dev: number | undefined;
  readonly local: readonly (string | number)[] | undefined;
  /** The normalised string form (PEP 440 "canonical" spelling). */
  readonly text: string;
}

export function parseVersion(input: string): Version | undefined {
  const v = explain(input.trim());
  if (!v) return undefined;
  const num = (x: unknown) => (typeof x === 'number' ? x : x === null || x === undefined ? undefined : Number(x));
  const pre = Array.isArray(v.pre) && v.pre.length === 2 ? ([v.pre[0] as 'a' | 'b' | 'rc', Number(v.pre[1])] as const) : undefined;
  const post = num(v.post);
  const dev = num(v.dev);
  const local = v.local ? v.local.split('.').map((p) => (/^[0-9]+$/.test(p) ? Number(p) : p)) : undefined;
  // `public` is the library's normalised spelling without the local segment, which it joins wrongly.
  const text = v.local ? `${v.public}+${v.local}` : v.public;
  return { epoch: v.epoch, release: v.release, pre, post, dev, local, text };
}

export function isValidVersion(input: string): boolean {
  return parseVersion(input) !== undefined;
}

/** Normalised spelling of a version; returns the input unchanged if it is not PEP 440. */
export function normalizeVersion(input: string): string {
  return parseVersion(input)?.text ?? input.trim();
}

/** True for pre-releases and development releases (what pip's `--pre` governs). */
export function isPrerelease(v: Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

/** Negative, zero or positive as a orders before, equal to or after b (PEP 440 ordering). */
export function compareVersions(a: Version, b: Version): number {
  return compare(a.text, b.text);
}

/** Compares two version strings; invalid versions sort before valid ones, then by text. */
export function compareVersionStrings(a: string, b: string): number {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (va && vb) return compareVersions(va, vb);
  if (va) return 1;
  if (vb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether `version` is in a PEP 440 specifier set (`>=3.8`, `!=3.0.*`, `~=3.10`, `<4`; a
 * `Requires-Python`), pre-releases included as pip does for the Python version. Undefined when
 * the version or the set cannot be read, so callers can choose what that means.
 */
export function satisfies(version: string, specifierSet: string): boolean | undefined {
  const v = version.trim();
  if (!explain(v) || !validRange(specifierSet)) return undefined;
  return pep440Satisfies(v, specifierSet, { prereleases: true });
}
