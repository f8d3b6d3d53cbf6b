import { resolve as resolvePath } from 'node:path';
import { loadConfig } from '@karoo/config';
import { readLockFile } from '@karoo/lock';
import { actionProgress, booleanInput, core, input, optionalInput, runAction, setOutputs } from '@karoo/kit';
import { readExistingLock, resolveLock, writeLockFiles } from '@karoo/resolve';

const INPUT = { config: 'config', out: 'out', previous: 'previous', force: 'force' } as const;

runAction(async () => {
  const config = await loadConfig(input(INPUT.config, { default: 'karoo.yml' }));
  const out = resolvePath(optionalInput(INPUT.out) ?? config.lockDir);
  const previousPath = optionalInput(INPUT.previous);
  const previous = previousPath ? (await readLockFile(previousPath)).lock : await readExistingLock(out);
  const result = await resolveLock({ config, previous, force: booleanInput(INPUT.force, false), progress: actionProgress });
  const written = await writeLockFiles(out, result.lock);

  setOutputs({
    'lock-digest': result.lock.digest,
    'lock-path': written.pylockPath,
    'requirements-path': written.requirementsPath,
    changed: result.diff.changed,
    resolved: result.resolved,
    diff: JSON.stringify({ changes: result.diff.changes, counts: result.diff.counts, leavesMoved: result.diff.leavesMoved }),
  });

  const s = core.summary.addHeading(`karoo resolve: ${config.system}`, 2);
  s.addTable([
    [{ data: 'leaf', header: true }, { data: 'version', header: true }, { data: 'chosen because', header: true }],
    ...result.leaves.map((l) => [l.name, l.version, l.reason]),
  ]);
  if (result.diff.changes.length > 0) {
    s.addTable([
      [{ data: 'package', header: true }, { data: 'change', header: true }, { data: 'from', header: true }, { data: 'to', header: true }],
      ...result.diff.changes.map((c) => [c.name, c.change, c.old ?? '', c.new ?? '']),
    ]);
  }
  s.addRaw(
    `<p>${result.lock.packages.length} packages pinned${result.resolved ? '' : ' (previous lock still current: nothing resolved)'}; ${result.diff.counts.unchanged} unchanged.<br>lock digest <code>${result.lock.digest}</code></p>`,
  );
  await s.write();
});
