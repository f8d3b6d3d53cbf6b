import { resolve as resolvePath } from 'node:path';
import { loadConfig } from '@karoo/config';
import { readLockFile } from '@karoo/lock';
import { actionProgress, applyIndexCredentials, booleanInput, core, input, optionalInput, runAction, setOutputs } from '@karoo/kit';
import { restoreCached, saveCached } from '@karoo/kit/cache';
import { pipCacheKeys, pipHttpCacheDirs, readExistingLock, resolveLock, writeLockFiles } from '@karoo/resolve';
import { codeCell, resolveSummary, table } from '@karoo/summary';

const INPUT = { config: 'config', out: 'out', previous: 'previous', force: 'force', asOf: 'as-of', cache: 'cache', indexUsername: 'index-username', indexPassword: 'index-password' } as const;

runAction(async () => {
  const started = performance.now();
  const config = await loadConfig(input(INPUT.config, { default: 'karoo.yml' }));
  const out = resolvePath(optionalInput(INPUT.out) ?? config.lockDir);
  const previousPath = optionalInput(INPUT.previous);
  const previous = previousPath ? (await readLockFile(previousPath)).lock : await readExistingLock(out);
  applyIndexCredentials(config.indexes);
  // pip's HTTP cache (index pages, wheels read for metadata) between runs: an accelerator only.
  const cache = booleanInput(INPUT.cache, false);
  const pipDirs = pipHttpCacheDirs();
  const restored = cache ? await restoreCached("pip's HTTP cache", pipDirs, pipCacheKeys(config.system, previous?.digest).key, pipCacheKeys(config.system, undefined).restoreKeys) : undefined;
  const result = await resolveLock({ config, previous, force: booleanInput(INPUT.force, false), progress: actionProgress, asOf: optionalInput(INPUT.asOf) });
  if (cache && result.resolved) await saveCached("pip's HTTP cache", pipDirs, pipCacheKeys(config.system, result.lock.digest).key!, restored);
  const written = await writeLockFiles(out, result.lock);

  setOutputs({
    'lock-digest': result.lock.digest,
    'lock-path': written.pylockPath,
    'requirements-path': written.requirementsPath,
    changed: result.diff.changed,
    resolved: result.resolved,
    diff: JSON.stringify({ changes: result.diff.changes, counts: result.diff.counts, leavesMoved: result.diff.leavesMoved }),
    'as-of': result.asOf ? JSON.stringify(result.asOf) : '',
  });

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
});
