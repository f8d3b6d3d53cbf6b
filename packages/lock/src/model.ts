import { canonicalJson, type Digest, isSha256Hex, KarooError, sha256Of } from '@karoo/common';
import { normalizeName } from './names.js';
import { normalizeInstant } from './time.js';
import { compareVersionStrings, normalizeVersion } from './version.js';

/** One artifact of a locked package: a wheel, an sdist, or another archive. */
export interface LockedFile {
  /** File name, e.g. `numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl`. */
  readonly name: string;
  /** Where the file was found; never holds credentials. Absent in hash-only locks. */
  readonly url?: string | undefined;
  /** Lowercase hex sha256 of the file's bytes. */
  readonly sha256: string;
  /** Size in bytes; needed to compute a candidate digest from the lock alone. */
  readonly size?: number | undefined;
  /**
   * When the index received the file (PEP 700 / PEP 751 `upload-time`), RFC 3339 in UTC at
   * millisecond precision; absent when the index does not say (PEP 503 HTML). Not part of the
   * lock digest: it describes the index's copy, not the bytes.
   */
  readonly uploadTime?: string | undefined;
}

export interface LockedPackage {
  /** PEP 503 normalised name. */
  readonly name: string;
  /** PEP 440 normalised version. */
  readonly version: string;
  /** PEP 508 environment marker, whitespace-collapsed; absent when the package applies everywhere. */
  readonly marker?: string | undefined;
  /** The index the files come from (credentials stripped), when known. */
  readonly index?: string | undefined;
  /** Files sorted by sha256; empty for a pin without hashes. */
  readonly files: readonly LockedFile[];
}

/** The platform a lock is resolved for, not the machine that ran the resolver. */
export interface Target {
  /** `3.11` */
  readonly python: string;
  /** Platform tags in order of preference, e.g. `manylinux_2_28_x86_64`. */
  readonly platforms: readonly string[];
  /** `cp` (CPython) unless stated. */
  readonly implementation?: string | undefined;
}

/** Information that travels with a lock but is not part of its digest. */
export interface LockMeta {
  readonly target?: Target | undefined;
  /** Leaf name → version this lock was resolved from. */
  readonly leaves?: Readonly<Record<string, string>> | undefined;
  /** Digest of the resolution inputs and the index pages they depended on (for the no-op check). */
  readonly inputsDigest?: string | undefined;
  readonly requiresPython?: string | undefined;
  /** The upload-time cutoff the lock was resolved under, when there was one. */
  readonly asOf?: ResolutionCutoff | undefined;
}

/**
 * An upload-time cutoff: only files the index received at or before `time` were visible to the
 * resolution. `policy` says where the time came from: given (`--as-of TIME`, `as-of: TIME`) or
 * `leaves` (the newest upload time among the chosen leaf builds).
 */
export interface ResolutionCutoff {
  readonly policy: 'time' | 'leaves';
  /** RFC 3339 UTC with every fraction digit of the instant (formatInstantExact); absent when the `leaves` policy found no upload time to take it from. */
  readonly time?: string | undefined;
  /** Locked projects whose index gives no upload times: the cutoff could not apply to them. Sorted. */
  readonly notApplied: readonly string[];
}

export const LOCK_DIGEST_SCHEMA = 'karoo.lock/v1';

/**
 * A complete, pinned package set. Packages are sorted and the digest is computed once, at
 * construction; nothing downstream re-sorts or re-hashes.
 */
export class Lock {
  readonly packages: readonly LockedPackage[];
  readonly meta: LockMeta;
  readonly digest: Digest;

  private constructor(packages: LockedPackage[], meta: LockMeta) {
    this.packages = packages;
    // A lock for a target X.Y requires Python ==X.Y.* unless it says otherwise: making that
    // explicit here means a lock written and read back has the very same meta.
    const derived = meta.target && /^[0-9]+\.[0-9]+$/.test(meta.target.python) ? `==${meta.target.python}.*` : undefined;
    this.meta = meta.requiresPython === undefined && derived !== undefined ? { ...meta, requiresPython: derived } : meta;
    this.digest = sha256Of(canonicalLockJson(packages));
  }

  /** Normalises, sorts and checks packages: one entry per (name, marker); hashes are lowercase hex. */
  static create(packages: Iterable<LockedPackage>, meta: LockMeta = {}): Lock {
    const out: LockedPackage[] = [];
    const seen = new Map<string, LockedPackage>();
    for (const p of packages) {
      const name = normalizeName(p.name);
      const marker = normalizeMarker(p.marker);
      const key = `${name};${marker ?? ''}`;
      const files = [...p.files]
        .map((f) => {
          const sha256 = f.sha256.toLowerCase();
          if (!isSha256Hex(sha256)) {
            throw new KarooError('input', `lock entry "${name} ${p.version}" has a malformed sha256 "${f.sha256}" for ${f.name}`);
          }
          if (f.uploadTime === undefined) return { ...f, sha256 };
          const uploadTime = normalizeInstant(f.uploadTime);
          if (uploadTime === undefined) {
            throw new KarooError(
              'input',
              `lock entry "${name} ${p.version}" has an upload time "${f.uploadTime}" for ${f.name} that is not an RFC 3339 date-time`,
            );
          }
          return { ...f, sha256, uploadTime };
        })
        .sort((a, b) => cmp(a.sha256, b.sha256) || cmp(a.name, b.name));
      const pkg: LockedPackage = { name, version: normalizeVersion(p.version), marker, index: p.index, files: dedupeFiles(files) };
      const prev = seen.get(key);
      if (prev) {
        if (prev.version !== pkg.version) {
          throw new KarooError(
            'input',
            `lock pins "${name}" twice with different versions (${prev.version} and ${pkg.version}); a lock holds one version per package`,
          );
        }
        continue;
      }
      seen.set(key, pkg);
      out.push(pkg);
    }
    out.sort((a, b) => cmp(a.name, b.name) || cmp(a.marker ?? '', b.marker ?? '') || compareVersionStrings(a.version, b.version));
    return new Lock(out, meta);
  }

  get(name: string): LockedPackage | undefined {
    const n = normalizeName(name);
    return this.packages.find((p) => p.name === n);
  }

  /** Every file of the lock, in the lock's canonical order. */
  files(): Array<{ pkg: LockedPackage; file: LockedFile }> {
    return this.packages.flatMap((pkg) => pkg.files.map((file) => ({ pkg, file })));
  }

  /** Entries that cannot give a candidate digest: no hash, or a file without a size. */
  incompleteEntries(): Array<{ pkg: LockedPackage; reason: string }> {
    const out: Array<{ pkg: LockedPackage; reason: string }> = [];
    for (const pkg of this.packages) {
      if (pkg.files.length === 0) out.push({ pkg, reason: 'no sha256 hash' });
      else {
        const f = pkg.files.find((x) => x.size === undefined);
        if (f) out.push({ pkg, reason: `no size for ${f.name}` });
      }
    }
    return out;
  }

  withMeta(meta: LockMeta): Lock {
    return new Lock([...this.packages], meta);
  }
}

function dedupeFiles(files: LockedFile[]): LockedFile[] {
  const out: LockedFile[] = [];
  for (const f of files) {
    const last = out[out.length - 1];
    if (last && last.sha256 === f.sha256) continue;
    out.push(f);
  }
  return out;
}

export function normalizeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined) return undefined;
  const m = marker.trim().replace(/\s+/g, ' ').replace(/'/g, '"');
  return m === '' ? undefined : m;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The canonical form that the lock digest is taken over: names, versions, markers and the
 * set of file hashes. URLs, sizes, upload times, file order, comments and formatting are not part of it,
 * so a pylock.toml and a requirements.txt pinning the same files give the same digest.
 */
export function canonicalLockJson(packages: readonly LockedPackage[]): string {
  return canonicalJson({
    schema: LOCK_DIGEST_SCHEMA,
    packages: packages.map((p) => ({
      name: p.name,
      version: p.version,
      marker: p.marker,
      sha256: [...new Set(p.files.map((f) => f.sha256))].sort(),
    })),
  });
}
