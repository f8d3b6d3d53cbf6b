import type { Command } from 'commander';
import { EXIT_CODES, KarooError, parseDigest, stderrProgress } from '@karoo/common';
import type { IndexConfig, KarooConfig } from '@karoo/config';
import type { ChallengeResult, RebuildResult, StoredCandidate } from '@karoo/rebuild';
import { type CandidateCliOptions, maybeConfig, openCliStore, storeRef } from '../candidate-options.js';
import { emit, table } from '../output.js';
import { wholeNumber } from '../option-parsers.js';

interface RebuildCliOptions extends CandidateCliOptions {
  mirror?: string;
  concurrency: number;
  quiet?: boolean;
}

/**
 * `karoo rebuild CANDIDATE`: can this candidate still be rebuilt from its own lock? Exit 0 when
 * the rebuild gives the same digest; otherwise the result names every file that changed and the
 * exit code says the worst: 3 (bytes or size changed), 4 (deleted or unreachable), 5 (yanked only).
 */
export function registerRebuild(program: Command): void {
  program
    .command('rebuild')
    .description(
      "Download every file of a stored candidate's own lock again, build it into a scratch store and compare digests; name every file deleted, replaced or yanked since",
    )
    .argument('<candidate>', 'candidate digest (sha256:…)')
    .option(
      '--store <ref>',
      'where the candidate is: oci-layout:PATH or REGISTRY/REPOSITORY (default: karoo.yml store:, else oci-layout:.karoo/store)',
    )
    .option('--config <file>', 'karoo.yml: its indexes are where files are looked up by name (default: ./karoo.yml when present)')
    .option(
      '--lock <file>',
      "the lock the candidate was built from: download from its URLs (default: karoo.yml's lock when it is that lock)",
    )
    .option('--mirror <index-url>', 'look every file up by name on this PEP 503/691 index instead, and download from there')
    .option('--concurrency <n>', 'parallel lookups and downloads', wholeNumber('transfers', 1, 64), 8)
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print one JSON object')
    .action(async (candidate: string, opts: RebuildCliOptions) => {
      const digest = parseDigest(candidate, 'candidate');
      const config = await maybeConfig(opts);
      const progress = opts.quiet ? undefined : stderrProgress();
      const store = await openCliStore(storeRef(opts, config), progress);
      const { rebuild, readStoredCandidate } = await import('@karoo/rebuild');
      // The candidate is read once: for the lock check here, and by rebuild.
      let stored: StoredCandidate | undefined;
      const lock = await originalLock(opts, config, async () => (stored = await readStoredCandidate(store, digest)).lock.digest);
      const r = await rebuild({
        store,
        candidate: digest,
        stored,
        indexes: config?.indexes,
        mirror: opts.mirror ? mirrorIndex(opts.mirror, config) : undefined,
        lock,
        concurrency: opts.concurrency,
        progress,
      });
      emit(r, opts, renderRebuild);
      if (r.kind) process.exitCode = EXIT_CODES[r.kind];
    });

  program
    .command('challenge')
    .description(
      'Compare the copies of a candidate in two stores blob by blob (manifest, config, every layer: present? the same bytes, re-hashed?)',
    )
    .argument('<candidate>', 'candidate digest (sha256:…)')
    .requiredOption('--store <ref...>', 'a store holding a copy (give it twice: e.g. the origin and the air-gapped site)')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print one JSON object')
    .action(async (candidate: string, opts: { store: string[]; quiet?: boolean; json?: boolean }) => {
      const digest = parseDigest(candidate, 'candidate');
      if (opts.store.length < 2)
        throw new KarooError('input', `challenge compares two stores; pass --store twice (got ${opts.store.length})`);
      const progress = opts.quiet ? undefined : stderrProgress();
      const stores = await Promise.all(opts.store.map((s) => openCliStore(s, progress)));
      const { challenge } = await import('@karoo/rebuild');
      const r = await challenge(digest, stores, { progress });
      emit(r, opts, renderChallenge);
      if (!r.identical) process.exitCode = EXIT_CODES.integrity;
    });
}

/** --lock, else karoo.yml's own lock when it is the one the candidate was built from (a lock that moved on is not used). */
async function originalLock(opts: RebuildCliOptions, config: KarooConfig | undefined, candidateLockDigest: () => Promise<string>) {
  if (opts.mirror) return undefined;
  const { readLockFile } = await import('@karoo/lock');
  if (opts.lock) return (await readLockFile(opts.lock)).lock;
  if (!config) return undefined;
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const path = join(config.lockDir, 'pylock.toml');
  if (!existsSync(path)) return undefined;
  const lock = (await readLockFile(path)).lock;
  return lock.digest === (await candidateLockDigest()) ? lock : undefined;
}

/** The mirror as an index; it borrows the credential variables of a karoo.yml index on the same origin. */
function mirrorIndex(url: string, config: KarooConfig | undefined): IndexConfig {
  let u: URL;
  try {
    u = new URL(url.endsWith('/') ? url : `${url}/`);
  } catch {
    throw new KarooError('input', `--mirror "${url}" is not a URL; pass the simple index URL, e.g. https://mirror.example/simple/`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'file:')
    throw new KarooError('input', `--mirror "${url}" must be an http(s):// or file:// URL`);
  if (u.username || u.password)
    throw new KarooError(
      'input',
      '--mirror must not carry credentials; set them as username-env/password-env of a karoo.yml index on the same origin',
    );
  const same = config?.indexes.find((i) => new URL(i.url).origin === u.origin);
  return { name: 'mirror', url: u.href, private: false, usernameEnv: same?.usernameEnv, passwordEnv: same?.passwordEnv };
}

export function renderRebuild(r: RebuildResult): string {
  const head = r.rebuildable
    ? `rebuildable: ${r.candidate} (the rebuild gives the same digest; ${r.files.length} files downloaded again)`
    : `not rebuildable: ${r.candidate}${r.rebuilt ? ` (the rebuild gives ${r.rebuilt})` : ''}`;
  const bad = r.files.filter((f) => f.status !== 'same' || f.yanked);
  const rows = bad.map((f) => [f.name, f.status + (f.yanked ? ', yanked' : ''), f.reason ?? (f.yanked ? `yanked on ${f.index}` : '')]);
  const extra = r.problems.filter((p) => !r.files.some((f) => p.startsWith(`${f.name}: `)));
  return [head, ...(rows.length ? [table(rows, ['FILE', 'STATUS', 'WHAT CHANGED'])] : []), ...extra].join('\n');
}

export function renderChallenge(r: ChallengeResult): string {
  const head = r.identical
    ? `identical: every blob of ${r.candidate} is the same in ${r.stores.join(' and ')}`
    : `${r.differences} of ${r.blobs.length} blobs of ${r.candidate} differ between ${r.stores.join(' and ')}`;
  const rows = r.blobs.map((b) => [b.role, b.title ?? '', b.digest, ...b.copies.map((c) => c.status)]);
  return [head, table(rows, ['BLOB', 'TITLE', 'DIGEST', ...r.stores]), ...r.problems].join('\n');
}
