import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type BuildResult, pruneDownloadDir, wheelCacheKeys } from '@karoo/build';
import { candidateFor } from '@karoo/candidate';
import { KAROO_VERSION, KarooError, runContextFromEnv } from '@karoo/common';
import { type KarooConfig, loadConfig } from '@karoo/config';
import { readLockFile } from '@karoo/lock';
import { storeFromInputs } from '@karoo/kit/store';
import { actionProgress, applyIndexCredentials, booleanInput, core, input, optionalInput, runAction, setOutputs } from '@karoo/kit';
import { restoreCached, saveCached } from '@karoo/kit/cache';

const INPUT = {
  lock: 'lock',
  config: 'config',
  system: 'system',
  store: 'store',
  tag: 'tag',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  githubToken: 'github-token',
  mountFrom: 'mount-from',
  cache: 'cache',
  provenance: 'provenance',
} as const;

runAction(async () => {
  const configPath = input(INPUT.config, { default: 'karoo.yml' });
  const config: KarooConfig | undefined = existsSync(configPath) ? await loadConfig(configPath) : undefined;
  const lockPath = optionalInput(INPUT.lock) ?? (config ? join(config.lockDir, 'pylock.toml') : undefined);
  if (!lockPath) throw new KarooError('input', `input "lock" is empty and there is no ${configPath}; give the path of a pylock.toml`);
  const system = optionalInput(INPUT.system) ?? config?.system;
  if (!system) throw new KarooError('input', `input "system" is empty and there is no ${configPath}; give the system name`);
  const store = storeFromInputs(config, optionalInput(INPUT.githubToken));
  if (config) applyIndexCredentials(config.indexes);

  const read = await readLockFile(lockPath);
  for (const w of read.warnings) core.warning(w);
  const candidateInput = { system, target: config?.target, leaves: config?.leaves.map((l) => l.key) };
  const candidate = candidateFor(read.lock, candidateInput);
  core.info(`candidate ${candidate.digest} (${candidate.files.length} files, ${candidate.totalSize} bytes)`);

  const useCache = booleanInput(INPUT.cache, false) && !(await store.hasManifest(candidate.digest));
  // Under HOME, so the cache entry is versioned by a path every runner shares (`~/…`, see cachePath).
  const downloadDir = useCache ? join(process.env.XDG_CACHE_HOME || join(process.env.HOME || homedir(), '.cache'), 'karoo', 'build-files') : undefined;
  const cacheKeys = wheelCacheKeys(system, read.lock.digest);
  const restored = useCache && downloadDir ? await restoreCached('downloaded files', [downloadDir], cacheKeys.key, cacheKeys.restoreKeys) : undefined;

  const result = await build({
    lock: read.lock,
    store,
    ...candidateInput,
    tag: optionalInput(INPUT.tag),
    mountFrom: (optionalInput(INPUT.mountFrom) ?? '').split('\n').map((s) => s.trim()).filter(Boolean),
    downloadDir,
    provenance: booleanInput(INPUT.provenance, true) ? provenance() : undefined,
    // As the CLI does: a private index's credentials, from the variables karoo.yml names, for files on its own origin.
    indexes: config?.indexes,
    env: process.env,
    progress: actionProgress,
  });
  if (useCache && downloadDir && !result.existed) {
    // Only what this lock references, so the cache does not grow with every lock.
    await pruneDownloadDir(downloadDir, read.lock);
    await saveCached('downloaded files', [downloadDir], cacheKeys.key, restored);
  }

  setOutputs({ candidate: result.candidate, 'candidate-ref': result.candidateRef, existed: result.existed, 'pushed-bytes': result.pushedBytes });
  await summary(result, store.ref);
});

/** Who built it and from which run (the run context of @karoo/common; the actor is not part of provenance). */
function provenance() {
  const { actor: _actor, ...run } = runContextFromEnv().run ?? {};
  return { builtAt: new Date().toISOString(), builder: `karoo ${KAROO_VERSION} (actions/build)`, ...run };
}

async function summary(r: BuildResult, store: string): Promise<void> {
  const s = core.summary.addHeading(`karoo build: ${r.system}`, 2);
  s.addTable([
    [{ data: 'candidate', header: true }, { data: `<code>${r.candidate}</code>` }],
    [{ data: 'reference', header: true }, { data: `<code>${r.candidateRef}</code>` }],
    [{ data: 'store', header: true }, { data: `<code>${store}</code>` }],
    [{ data: 'existed', header: true }, { data: r.existed ? 'yes: nothing downloaded or uploaded' : 'no: built now' }],
    [{ data: 'size', header: true }, { data: `${r.size} bytes in ${r.layers} layers` }],
    [{ data: 'blobs uploaded', header: true }, { data: `${r.blobs.uploaded} (${r.pushedBytes} bytes)` }],
    [{ data: 'blobs reused', header: true }, { data: `${r.blobs.reused}${r.blobs.mounted ? ` (+${r.blobs.mounted} mounted)` : ''}` }],
    [{ data: 'lock digest', header: true }, { data: `<code>${r.lockDigest}</code>` }],
    ...(r.provenance ? [[{ data: 'provenance', header: true }, { data: `<code>${r.provenance}</code>` }]] : []),
  ]);
  await s.write();
}
