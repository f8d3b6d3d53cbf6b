import { homedir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { type KarooConfig, loadConfig } from '@karoo/config';
import { diffLocks, readLockFile } from '@karoo/lock';
import { actionProgress, core, type IndexCredentials, setIndexCredentials } from '@karoo/kit';
import { restoreCached, saveCached } from '@karoo/kit/cache';
import { lastLockKeys, pipCacheKeys, pipHttpCacheDirs, readExistingLock, resolveLock, writeLockFiles } from '@karoo/resolve';
import { codeCell, resolveSummary, table } from '@karoo/summary';

/** The resolve step's inputs (action.yml's, typed). */
export interface ResolveInputs {
  readonly config: string;
  /** The configuration already read from `config` (the candidate step reads it once for all its steps). */
  readonly loaded?: KarooConfig | undefined;
  /** Directory of the lock files; default, the configuration's lock directory. */
  readonly out?: string | undefined;
  /** A previous pylock.toml; default, the one in `out`. */
  readonly previous?: string | undefined;
  readonly force: boolean;
  readonly asOf?: string | undefined;
  /** pip's HTTP cache in the Actions cache. */
  readonly cache: boolean;
  readonly index: IndexCredentials;
}

export interface ResolveOutputs {
  readonly lockDigest: string;
  readonly lockPath: string;
  readonly requirementsPath: string;
  readonly changed: boolean;
  readonly resolved: boolean;
  /** The diff as JSON: changes, counts, leavesMoved. */
  readonly diff: string;
  /** The upload-time cutoff as JSON, empty when none. */
  readonly asOf: string;
}

/**
 * Where the lock of the last resolution that ran pip is kept for the Actions cache (under HOME,
 * so the entry restores on any runner; see cachePath): a workflow whose checkout has no lock
 * (the lock directory is not committed) gets it back as the previous lock on its next run.
 */
export function lastLockDir(system: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HOME || homedir(), '.cache', 'karoo', 'last-lock', system);
}

/** Resolves the lock, writes its files and the job summary. */
export async function runResolve(i: ResolveInputs): Promise<ResolveOutputs> {
  const started = performance.now();
  const config = i.loaded ?? (await loadConfig(i.config));
  const out = resolvePath(i.out ?? config.lockDir);
  const previous = i.previous ? (await readLockFile(i.previous)).lock : await readExistingLock(out);
  setIndexCredentials(config.indexes, i.index);
  // The last lock pip produced and pip's HTTP cache (index pages, wheels read for metadata),
  // between runs: accelerators only, two entries. Without a lock in the checkout, the last lock is
  // restored and offered to resolve as the previous lock: it is reused only when resolve's own
  // no-op check passes (the same leaves, and the same inputs digest over the configuration and
  // the index pages of every locked package, computed now), exactly as a lock left in `out` would
  // be; pip does not run, and its HTTP cache, much the larger entry, is not restored at all. It
  // is restored only when pip is about to run. The Actions cache restores only entries of this
  // ref or the default branch.
  const lastLock = lastLockDir(config.system);
  // Looked for only when the checkout has no lock: by the system, the newest first.
  const restoredLock =
    i.cache && !previous
      ? await restoreCached('the last lock', [lastLock], undefined, lastLockKeys(config.system, undefined).restoreKeys)
      : undefined;
  const offered = previous ?? (restoredLock ? await readExistingLock(lastLock).catch(() => undefined) : undefined);
  const pipDirs = pipHttpCacheDirs();
  const pipKeys = pipCacheKeys(config.system, offered?.digest);
  let restoredPip: string | undefined;
  const result = await resolveLock({
    config,
    previous: offered,
    force: i.force,
    progress: actionProgress,
    asOf: i.asOf,
    beforeResolver: i.cache
      ? async () => {
          restoredPip = await restoreCached("pip's HTTP cache", pipDirs, pipKeys.key, pipKeys.restoreKeys);
        }
      : undefined,
  });
  if (i.cache && result.resolved) {
    await writeLockFiles(lastLock, result.lock);
    await saveCached('the last lock', [lastLock], lastLockKeys(config.system, result.lock.digest).key!, restoredLock);
    await saveCached("pip's HTTP cache", pipDirs, pipCacheKeys(config.system, result.lock.digest).key!, restoredPip);
  }
  const written = await writeLockFiles(out, result.lock);
  // The diff and `changed` stay against the lock of the checkout (or --previous), as before.
  const diff = offered === previous ? result.diff : diffLocks(previous, result.lock);

  const previousLeaves = previous?.meta.leaves ?? {};
  let md = resolveSummary({
    lockDigest: result.lock.digest,
    packages: result.lock.packages.length,
    leaves: result.leaves.map((l) => ({ name: l.name, version: l.version, old: previous ? previousLeaves[l.name] : undefined })),
    target: config.target,
    reused: !result.resolved,
    lockPath: written.pylockPath,
    durationMs: Math.round(performance.now() - started),
    changes: previous ? diff.counts : undefined,
  });
  if (previous && diff.changes.length > 0) {
    md += `\n**Changed packages**\n\n${table(
      ['Package', 'Change', 'From', 'To'],
      diff.changes.map((c) => [codeCell(c.name), c.change, c.old ? codeCell(c.old) : '', c.new ? codeCell(c.new) : '']),
    )}\n`;
  }
  if (result.asOf) {
    md += `\n**Upload-time cutoff** (${result.asOf.policy}): ${result.asOf.time ? `files uploaded at or before ${codeCell(result.asOf.time)}` : 'the leaf builds carry no upload times, so none applied'}`;
    md +=
      result.asOf.notApplied.length > 0
        ? `; not applied to ${result.asOf.notApplied.map(codeCell).join(', ')} (their index gives no upload times)\n`
        : '\n';
  }
  await core.summary.addRaw(md).write();

  return {
    lockDigest: result.lock.digest,
    lockPath: written.pylockPath,
    requirementsPath: written.requirementsPath,
    changed: diff.changed,
    resolved: result.resolved,
    diff: JSON.stringify({ changes: diff.changes, counts: diff.counts, leavesMoved: diff.leavesMoved }),
    asOf: result.asOf ? JSON.stringify(result.asOf) : '',
  };
}
