import { resolve as resolvePath } from 'node:path';
import { loadConfig } from '@karoo/config';
import { readLockFile } from '@karoo/lock';
import { actionProgress, core, type IndexCredentials, setIndexCredentials } from '@karoo/kit';
import { restoreCached, saveCached } from '@karoo/kit/cache';
import { pipCacheKeys, pipHttpCacheDirs, readExistingLock, resolveLock, writeLockFiles } from '@karoo/resolve';
import { codeCell, resolveSummary, table } from '@karoo/summary';

/** The resolve step's inputs (action.yml's, typed). */
export interface ResolveInputs {
  readonly config: string;
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

/** Resolves the lock, writes its files and the job summary. */
export async function runResolve(i: ResolveInputs): Promise<ResolveOutputs> {
  const started = performance.now();
  const config = await loadConfig(i.config);
  const out = resolvePath(i.out ?? config.lockDir);
  const previous = i.previous ? (await readLockFile(i.previous)).lock : await readExistingLock(out);
  setIndexCredentials(config.indexes, i.index);
  // pip's HTTP cache (index pages, wheels read for metadata) between runs: an accelerator only.
  const pipDirs = pipHttpCacheDirs();
  const restored = i.cache ? await restoreCached("pip's HTTP cache", pipDirs, pipCacheKeys(config.system, previous?.digest).key, pipCacheKeys(config.system, undefined).restoreKeys) : undefined;
  const result = await resolveLock({ config, previous, force: i.force, progress: actionProgress, asOf: i.asOf });
  if (i.cache && result.resolved) await saveCached("pip's HTTP cache", pipDirs, pipCacheKeys(config.system, result.lock.digest).key!, restored);
  const written = await writeLockFiles(out, result.lock);

  const previousLeaves = previous?.meta.leaves ?? {};
  let md = resolveSummary({
    lockDigest: result.lock.digest,
    packages: result.lock.packages.length,
    leaves: result.leaves.map((l) => ({ name: l.name, version: l.version, old: previous ? previousLeaves[l.name] : undefined })),
    target: config.target,
    reused: !result.resolved,
    lockPath: written.pylockPath,
    durationMs: Math.round(performance.now() - started),
    changes: previous ? result.diff.counts : undefined,
  });
  if (previous && result.diff.changes.length > 0) {
    md += `\n**Changed packages**\n\n${table(
      ['Package', 'Change', 'From', 'To'],
      result.diff.changes.map((c) => [codeCell(c.name), c.change, c.old ? codeCell(c.old) : '', c.new ? codeCell(c.new) : '']),
    )}\n`;
  }
  if (result.asOf) {
    md += `\n**Upload-time cutoff** (${result.asOf.policy}): ${result.asOf.time ? `files uploaded at or before ${codeCell(result.asOf.time)}` : 'the leaf builds carry no upload times, so none applied'}`;
    md += result.asOf.notApplied.length > 0 ? `; not applied to ${result.asOf.notApplied.map(codeCell).join(', ')} (their index gives no upload times)\n` : '\n';
  }
  await core.summary.addRaw(md).write();

  return {
    lockDigest: result.lock.digest,
    lockPath: written.pylockPath,
    requirementsPath: written.requirementsPath,
    changed: result.diff.changed,
    resolved: result.resolved,
    diff: JSON.stringify({ changes: result.diff.changes, counts: result.diff.counts, leavesMoved: result.diff.leavesMoved }),
    asOf: result.asOf ? JSON.stringify(result.asOf) : '',
  };
}
