import { normalizeName, normalizeVersion, type Target } from '@karoo/lock';

export interface DistFile {
  readonly kind: 'wheel' | 'sdist';
  readonly name: string;
  readonly version: string;
  /** Wheel tags: every (python, abi, platform) combination the file declares. */
  readonly tags: ReadonlyArray<readonly [string, string, string]>;
}

/** Parses `{dist}-{version}(-{build})?-{python}-{abi}-{platform}.whl` or `{name}-{version}.tar.gz|.zip`. */
export function parseDistFilename(filename: string): DistFile | undefined {
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-');
    if (parts.length !== 5 && parts.length !== 6) return undefined;
    const [dist, version] = parts as [string, string];
    const [py, abi, plat] = parts.slice(-3) as [string, string, string];
    const tags: Array<[string, string, string]> = [];
    for (const p of py.split('.')) for (const a of abi.split('.')) for (const pl of plat.split('.')) tags.push([p, a, pl]);
    return { kind: 'wheel', name: normalizeName(dist), version: normalizeVersion(version), tags };
  }
  const m = /^(.+)-([^-]+)\.(tar\.gz|zip|tar\.bz2)$/.exec(filename);
  if (!m) return undefined;
  return { kind: 'sdist', name: normalizeName(m[1]!), version: normalizeVersion(m[2]!), tags: [] };
}

/**
 * Whether a wheel can be installed on the target. Deliberately a subset of packaging.tags:
 * enough to choose a leaf's newest *usable* build; pip makes the final call for the closure.
 */
export function wheelFitsTarget(file: DistFile, target: Target): boolean {
  if (file.kind !== 'wheel') return false;
  const [major, minor] = target.python.split('.');
  const impl = target.implementation ?? 'cp';
  const nodot = `${major}${minor}`;
  const pythons = new Set([`py${major}`, `py${nodot}`, `${impl}${major}`, `${impl}${nodot}`]);
  for (let m = 0; m <= Number(minor); m++) pythons.add(`${impl}${major}${m}`);
  const platforms = new Set(['any', ...target.platforms, ...expandManylinux(target.platforms)]);
  return file.tags.some(([py, abi, plat]) => {
    if (!pythons.has(py)) return false;
    if (abi !== 'none' && abi !== 'abi3' && abi !== `${impl}${nodot}`) return false;
    return platforms.has(plat);
  });
}

// manylinux_2_28_x86_64 accepts any manylinux_2_Y_x86_64 with Y ≤ 28, and the legacy aliases.
function expandManylinux(platforms: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of platforms) {
    const m = /^manylinux_2_([0-9]+)_(.+)$/.exec(p);
    if (!m) continue;
    const glibc = Number(m[1]);
    const arch = m[2]!;
    for (let y = 5; y <= glibc; y++) out.push(`manylinux_2_${y}_${arch}`);
    if (glibc >= 17) out.push(`manylinux2014_${arch}`);
    if (glibc >= 12) out.push(`manylinux2010_${arch}`);
    if (glibc >= 5) out.push(`manylinux1_${arch}`);
    out.push(`linux_${arch}`);
  }
  return out;
}
