/**
 * PEP 440 versions: parsing, normalisation and ordering, as pip (packaging) orders them.
 * Hand-written because the maintained JavaScript implementation needs Node 22.
 */

const PATTERN = new RegExp(
  '^\\s*v?' +
    '(?:(?<epoch>[0-9]+)!)?' +
    '(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?' +
    '(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?' +
    '(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?' +
    '\\s*$',
  'i',
);

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
  const m = PATTERN.exec(input);
  if (!m?.groups) return undefined;
  const g = m.groups;
  const num = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  const epoch = num(g.epoch);
  const release = g.release!.split('.').map(Number);
  let pre: Version['pre'];
  if (g.pre_l) {
    const l = g.pre_l.toLowerCase();
    const label = l === 'alpha' || l === 'a' ? 'a' : l === 'beta' || l === 'b' ? 'b' : 'rc';
    pre = [label, num(g.pre_n)];
  }
  const post = g.post ? num(g.post_n1 ?? g.post_n2) : undefined;
  const dev = g.dev ? num(g.dev_n) : undefined;
  const local = g.local
    ? g.local
        .toLowerCase()
        .split(/[-_.]/)
        .map((p) => (/^[0-9]+$/.test(p) ? Number(p) : p))
    : undefined;
  let text = '';
  if (epoch) text += `${epoch}!`;
  text += release.join('.');
  if (pre) text += `${pre[0]}${pre[1]}`;
  if (post !== undefined) text += `.post${post}`;
  if (dev !== undefined) text += `.dev${dev}`;
  if (local) text += `+${local.join('.')}`;
  return { epoch, release, pre, post, dev, local, text };
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

const PRE_RANK = { a: 0, b: 1, rc: 2 } as const;

/** Negative, zero or positive as a orders before, equal to or after b (PEP 440 ordering). */
export function compareVersions(a: Version, b: Version): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  const ra = trimZeros(a.release);
  const rb = trimZeros(b.release);
  for (let i = 0; i < Math.max(ra.length, rb.length); i++) {
    const d = (ra[i] ?? 0) - (rb[i] ?? 0);
    if (d !== 0) return d;
  }
  // Phase key: dev-only release (X.devN) < pre < final; post sorts after; dev sorts before its base.
  const d = cmpTuple(phase(a), phase(b));
  if (d !== 0) return d;
  return compareLocal(a.local, b.local);
}

function trimZeros(r: readonly number[]): number[] {
  const out = [...r];
  while (out.length > 1 && out[out.length - 1] === 0) out.pop();
  return out;
}

// Mirrors packaging's _cmpkey: (pre, post, dev) with sentinel infinities.
function phase(v: Version): number[] {
  const NEG = -Infinity;
  const POS = Infinity;
  let pre: number[];
  if (v.pre === undefined && v.post === undefined && v.dev !== undefined) pre = [NEG];
  else if (v.pre === undefined) pre = [POS];
  else pre = [PRE_RANK[v.pre[0]], v.pre[1]];
  const post = v.post === undefined ? [NEG] : [v.post];
  const dev = v.dev === undefined ? [POS] : [v.dev];
  return [...pad(pre), ...post, ...dev];
}

function pad(x: number[]): number[] {
  return x.length === 1 ? [x[0]!, 0] : x;
}

function cmpTuple(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

function compareLocal(a: Version['local'], b: Version['local']): number {
  if (!a && !b) return 0;
  if (!a) return -1;
  if (!b) return 1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x - y;
    } else if (typeof x === 'number') return 1; // numeric segments sort after alphanumeric
    else if (typeof y === 'number') return -1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
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
