import type { Lock } from './model.js';
import { compareVersionStrings } from './version.js';

export type ChangeKind = 'added' | 'removed' | 'upgraded' | 'downgraded' | 'rehashed';

export interface PackageChange {
  readonly name: string;
  readonly change: ChangeKind;
  readonly old?: string | undefined;
  readonly new?: string | undefined;
  readonly leaf: boolean;
}

export interface LeafMove {
  readonly name: string;
  readonly old?: string | undefined;
  readonly new?: string | undefined;
}

export interface LockDiff {
  readonly changed: boolean;
  readonly changes: readonly PackageChange[];
  readonly counts: Readonly<Record<ChangeKind | 'unchanged', number>>;
  readonly leavesMoved: readonly LeafMove[];
  readonly oldDigest?: string | undefined;
  readonly newDigest: string;
}

/**
 * What changed from `before` to `after`, one entry per package name. A package whose version
 * is the same but whose files differ is `rehashed`: the index served different bytes under
 * the same version, which reviewers must see.
 */
export function diffLocks(before: Lock | undefined, after: Lock): LockDiff {
  const leaves = new Set(Object.keys(after.meta.leaves ?? {}));
  for (const l of Object.keys(before?.meta.leaves ?? {})) leaves.add(l);
  const old = group(before);
  const cur = group(after);
  const names = [...new Set([...old.keys(), ...cur.keys()])].sort();
  const changes: PackageChange[] = [];
  let unchanged = 0;
  for (const name of names) {
    const o = old.get(name);
    const n = cur.get(name);
    const leaf = leaves.has(name);
    if (!o) changes.push({ name, change: 'added', new: n!.version, leaf });
    else if (!n) changes.push({ name, change: 'removed', old: o.version, leaf });
    else {
      const c = compareVersionStrings(o.version, n.version);
      if (c < 0) changes.push({ name, change: 'upgraded', old: o.version, new: n.version, leaf });
      else if (c > 0) changes.push({ name, change: 'downgraded', old: o.version, new: n.version, leaf });
      else if (o.hashes !== n.hashes && o.hashes !== '' && n.hashes !== '') {
        changes.push({ name, change: 'rehashed', old: o.version, new: n.version, leaf });
      } else unchanged++;
    }
  }
  const counts = { added: 0, removed: 0, upgraded: 0, downgraded: 0, rehashed: 0, unchanged };
  for (const c of changes) counts[c.change]++;
  const leavesMoved: LeafMove[] = [];
  const bl = before?.meta.leaves ?? {};
  const al = after.meta.leaves ?? {};
  for (const name of [...leaves].sort()) {
    if (bl[name] !== al[name]) leavesMoved.push({ name, old: bl[name], new: al[name] });
  }
  return {
    changed: before === undefined || before.digest !== after.digest,
    changes,
    counts,
    leavesMoved,
    oldDigest: before?.digest,
    newDigest: after.digest,
  };
}

function group(lock: Lock | undefined): Map<string, { version: string; hashes: string }> {
  const m = new Map<string, { version: string; hashes: string }>();
  for (const p of lock?.packages ?? []) {
    // Several marker-specific entries of one name: report the highest version.
    const prev = m.get(p.name);
    const hashes = p.files.map((f) => f.sha256).join(',');
    if (!prev || compareVersionStrings(prev.version, p.version) < 0) m.set(p.name, { version: p.version, hashes });
  }
  return m;
}
