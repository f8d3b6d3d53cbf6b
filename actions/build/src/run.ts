import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildResult, fillDownloadDir, pruneDownloadDir, wheelCacheKeys } from '@karoo/build';
import { candidateFor } from '@karoo/candidate';
import { signerFrom } from '@karoo/attest';
import { isDefaultBranchPush, KAROO_VERSION, KarooError, runContextFromEnv } from '@karoo/common';
import { type KarooConfig, loadConfig } from '@karoo/config';
import { type Lock, readLockFile } from '@karoo/lock';
import type { Store } from '@karoo/oci';
import { openActionStore, type StoreInputs } from '@karoo/kit/store';
import { actionProgress, core, type IndexCredentials, setIndexCredentials } from '@karoo/kit';
import { type AttestInputs, signingOptions } from '@karoo/kit/attest';
import { lookupCached, restoreCached, saveCached } from '@karoo/kit/cache';
import { type EvidenceFound, lookForEvidence } from '@karoo/kit/evidence';

/** The build step's inputs (action.yml's, typed). */
export interface BuildInputs {
  readonly config: string;
  /** The configuration already read from `config` (the candidate step reads it once for all its steps). */
  readonly loaded?: KarooConfig | undefined;
  /** The pylock.toml; default, the one in the configuration's lock directory. */
  readonly lock?: string | undefined;
  /** The system name; default, the configuration's. */
  readonly system?: string | undefined;
  readonly store: StoreInputs;
  readonly tag?: string | undefined;
  readonly githubToken?: string | undefined;
  /** Repositories of the same registry to mount blobs from. */
  readonly mountFrom: readonly string[];
  /** The downloaded files in the Actions cache. */
  readonly cache: boolean;
  readonly index: IndexCredentials;
  /** Attach a provenance record. */
  readonly provenance: boolean;
  /** How to sign the SLSA provenance (`attest`, `attest-key`, `attest-keyless`); absent: karoo.yml attestations.signing-key. */
  readonly attest?: AttestInputs | undefined;
  /** Look for the candidate's passing evidence from `environment` once it is in the store. */
  readonly lookForEvidence?: boolean | undefined;
  /** Default, the configuration's first environment. */
  readonly environment?: string | undefined;
}

export interface BuildOutputs {
  readonly candidate: string;
  readonly candidateRef: string;
  readonly existed: boolean;
  readonly pushedBytes: number;
  /** The signed SLSA provenance, when a new candidate was signed. */
  readonly attestation?: string | undefined;
  /** With lookForEvidence: what the look-up found. */
  readonly evidence?: EvidenceFound | undefined;
}

/** Builds the candidate of the lock into the store and writes the job summary. */
export async function runBuild(i: BuildInputs): Promise<BuildOutputs> {
  const config: KarooConfig | undefined = i.loaded ?? (existsSync(i.config) ? await loadConfig(i.config) : undefined);
  const lockPath = i.lock ?? (config ? join(config.lockDir, 'pylock.toml') : undefined);
  if (!lockPath) throw new KarooError('input', `input "lock" is empty and there is no ${i.config}; give the path of a pylock.toml`);
  const system = i.system ?? config?.system;
  if (!system) throw new KarooError('input', `input "system" is empty and there is no ${i.config}; give the system name`);
  if (i.lookForEvidence && !config)
    throw new KarooError(
      'input',
      `input "look-for-evidence" is true and there is no ${i.config}; evidence is looked for in its environments`,
    );
  const store = openActionStore(config, i.store, i.githubToken);
  if (config) setIndexCredentials(config.indexes, i.index);

  const read = await readLockFile(lockPath);
  for (const w of read.warnings) core.warning(w);
  const candidateInput = { system, target: config?.target, leaves: config?.leaves.map((l) => l.key) };
  const candidate = candidateFor(read.lock, candidateInput);
  core.info(`candidate ${candidate.digest} (${candidate.files.length} files, ${candidate.totalSize} bytes)`);

  const useCache = i.cache && !(await store.hasManifest(candidate.digest));
  // Under HOME, so the cache entry is versioned by a path every runner shares (`~/…`, see cachePath).
  const cacheDir = join(process.env.XDG_CACHE_HOME || join(process.env.HOME || homedir(), '.cache'), 'karoo', 'build-files');
  const downloadDir = useCache ? cacheDir : undefined;
  const cacheKeys = wheelCacheKeys(system, read.lock.digest);
  const restored =
    useCache && downloadDir ? await restoreCached('downloaded files', [downloadDir], cacheKeys.key, cacheKeys.restoreKeys) : undefined;

  const result = await build({
    lock: read.lock,
    store,
    ...candidateInput,
    tag: i.tag,
    mountFrom: [...i.mountFrom],
    downloadDir,
    provenance: i.provenance ? provenance() : undefined,
    attest: await signerFrom(signingOptions(i.attest, config?.attestations?.signingKey, i.githubToken)),
    // As the CLI does: a private index's credentials, from the variables karoo.yml names, for files on its own origin.
    indexes: config?.indexes,
    env: process.env,
    progress: actionProgress,
  });
  if (useCache && downloadDir && !result.existed) {
    // Only what this lock references, so the cache does not grow with every lock.
    await pruneDownloadDir(downloadDir, read.lock);
    await saveCached('downloaded files', [downloadDir], cacheKeys.key, restored);
  } else if (i.cache && result.existed && isDefaultBranchPush()) {
    await keepForPullRequests(store, read.lock, cacheDir, cacheKeys.key);
  }

  await summary(result, store.ref);
  const evidence =
    i.lookForEvidence && config
      ? await lookForEvidence({ store, config, candidate: result.candidate, environment: i.environment, githubToken: i.githubToken })
      : undefined;
  if (evidence?.hasEvidence) core.info(`${result.candidate} has passing evidence from ${evidence.environment} (${evidence.evidence})`);
  return {
    candidate: result.candidate,
    candidateRef: result.candidateRef,
    existed: result.existed,
    pushedBytes: result.pushedBytes,
    attestation: result.attestation,
    evidence,
  };
}

/**
 * On the default branch, a candidate its pull request built is found in the store and nothing is
 * downloaded, so nothing would reach the cache every pull request restores from (its own scope
 * and its base branch's). When that scope lacks this lock's files, they are copied from the store
 * (each checked against the lock) and saved; a look-up, and nothing more, when it has them. An
 * accelerator only: a failure is a warning.
 */
async function keepForPullRequests(store: Store, lock: Lock, dir: string, key: string): Promise<void> {
  try {
    const found = await lookupCached([dir], key);
    if (found === 'unavailable') return;
    if (found) {
      core.info(`downloaded files: the default branch's Actions cache holds this lock's files (${found}); nothing to save`);
      return;
    }
    const { files, bytes } = await fillDownloadDir(store, lock, dir);
    await pruneDownloadDir(dir, lock);
    core.info(`downloaded files: ${files} files (${bytes} bytes) copied from ${store.ref} for the pull requests' cache`);
    await saveCached('downloaded files', [dir], key, undefined);
  } catch (e) {
    core.warning(`downloaded files: not kept in the Actions cache (${(e as Error).message}); pull requests download what they need`);
  }
}

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
    ...(r.attestation ? [[{ data: 'signed provenance', header: true }, { data: `<code>${r.attestation}</code>` }]] : []),
  ]);
  await s.write();
}
