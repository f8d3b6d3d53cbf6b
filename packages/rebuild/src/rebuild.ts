import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, downloadLockedFile, indexAuthHeaders } from '@karoo/build';
import {
  ANNOTATIONS,
  type CandidateConfig,
  type Descriptor,
  type ImageManifest,
  candidateFor,
  isCandidateManifest,
  KAROO,
  parseManifest,
} from '@karoo/candidate';
import {
  type Digest,
  type ErrorKind,
  errorMessage,
  isKarooError,
  KarooError,
  type Progress,
  parseDigest,
  silentProgress,
} from '@karoo/common';
import type { IndexConfig } from '@karoo/config';
import { type Lock, type LockedFile, type LockedPackage, readLockText } from '@karoo/lock';
import { LayoutStore, readVerifiedBlob, type Store } from '@karoo/oci';
import { IndexClient, type IndexFile, stripCredentials } from '@karoo/resolve';
import pLimit from 'p-limit';

/**
 * What became of one locked file since the candidate was built:
 * `same` (the same bytes, downloadable), `changed` (other bytes or another size under the same
 * name: replaced), `missing` (deleted: 404/410, or no index lists it), `unavailable` (the
 * server could not be reached; nothing is known).
 */
export type RebuildFileStatus = 'same' | 'changed' | 'missing' | 'unavailable';

export interface RebuildFile {
  readonly name: string;
  readonly package: string;
  readonly version: string;
  readonly expected: { readonly sha256: string; readonly size: number | undefined };
  readonly status: RebuildFileStatus;
  /** Where it was downloaded from (no credentials), when there was a URL. */
  readonly url?: string | undefined;
  /** The index whose project page lists the file, when one does. */
  readonly index?: string | undefined;
  /** True when that page marks it yanked (PEP 691 `yanked`, PEP 592 `data-yanked`); undefined when no page lists it. */
  readonly yanked?: boolean | undefined;
  /** What the index serves now, when it differs from the lock. */
  readonly actual?:
    { readonly sha256?: string | undefined; readonly size?: number | undefined; readonly text?: string | undefined } | undefined;
  /** One line: what changed, for a file that is not simply the same. */
  readonly reason?: string | undefined;
}

export interface RebuildResult {
  readonly candidate: Digest;
  readonly store: string;
  /** True when every file was downloaded with the locked bytes and the scratch build gave the candidate's digest. */
  readonly rebuildable: boolean;
  /** The digest built in the scratch store (only when every file came back with the locked bytes). */
  readonly rebuilt?: Digest | undefined;
  /** Where the files were looked for. */
  readonly source: 'mirror' | 'lock' | 'indexes';
  readonly files: readonly RebuildFile[];
  readonly counts: {
    readonly same: number;
    readonly changed: number;
    readonly missing: number;
    readonly unavailable: number;
    readonly yanked: number;
  };
  /** One line per problem, each naming its file (or blob). Empty when rebuildable and nothing is yanked. */
  readonly problems: readonly string[];
  /**
   * The error kind that decides the exit code, undefined when all is well: `integrity` (bytes or
   * size changed, or the rebuild gave another digest), `unavailable` (a file is deleted or
   * unreachable), `conflict` (every file is the same, but the index yanked one).
   */
  readonly kind?: ErrorKind | undefined;
}

export interface RebuildOptions {
  /** The store that holds the candidate. */
  readonly store: Store;
  readonly candidate: Digest | string;
  /** The candidate as readStoredCandidate read it from `store`, when the caller already has it (not read again). */
  readonly stored?: StoredCandidate | undefined;
  /**
   * The indexes to find files on by name (karoo.yml `indexes`), asked in order after the lock's
   * own index of a package. Also the credentials by origin for every download.
   */
  readonly indexes?: readonly IndexConfig[] | undefined;
  /** Another PEP 503/691 index: every file is looked up there by file name, and downloaded from there only. */
  readonly mirror?: IndexConfig | undefined;
  /**
   * The lock the candidate was built from, with its file URLs (the candidate's own lock names
   * no URLs): files are downloaded from these URLs. Must have the candidate's lock digest.
   */
  readonly lock?: Lock | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Parallel page lookups and downloads. Default 8. */
  readonly concurrency?: number | undefined;
  readonly progress?: Progress | undefined;
  /** Scratch space (default: the system temp directory); everything made there is removed. */
  readonly tmpDir?: string | undefined;
}

/** The candidate's own lock and what it was built with, read back from a store (every blob re-hashed). */
export interface StoredCandidate {
  readonly digest: Digest;
  readonly manifest: ImageManifest;
  readonly config: CandidateConfig;
  readonly lock: Lock;
}

/** Reads a candidate's manifest, config and embedded pylock.toml (or requirements.txt) from a store. */
export async function readStoredCandidate(store: Store, candidate: Digest | string): Promise<StoredCandidate> {
  const digest = parseDigest(candidate, 'candidate');
  const m = await store.getManifest(digest);
  const manifest = parseManifest(m.bytes, `candidate ${digest}`);
  if (!isCandidateManifest(manifest)) {
    throw new KarooError(
      'input',
      `${digest} in ${store.ref} is not a karoo candidate (artifactType ${manifest.artifactType ?? 'none'}); pass a candidate digest (karoo status, karoo build)`,
    );
  }
  const configBytes = await readVerifiedBlob(store, manifest.config, `config of ${digest}`, CANDIDATE_META_MAX);
  let config: CandidateConfig;
  try {
    config = JSON.parse(configBytes.toString('utf8')) as CandidateConfig;
  } catch {
    throw new KarooError('integrity', `config of ${digest} in ${store.ref} is not JSON`);
  }
  const layer =
    manifest.layers.find((l) => l.mediaType === KAROO.pylock) ?? manifest.layers.find((l) => l.mediaType === KAROO.requirements);
  if (!layer)
    throw new KarooError(
      'integrity',
      `candidate ${digest} in ${store.ref} embeds no lock (neither a pylock.toml nor a requirements.txt layer)`,
    );
  const name = layer.mediaType === KAROO.pylock ? 'pylock.toml' : 'requirements.txt';
  const text = (await readVerifiedBlob(store, layer, `${name} of ${digest}`, CANDIDATE_META_MAX)).toString('utf8');
  // The reader chooses the format by file name; the digest goes into errors below.
  const { lock } = readLockText(text, name);
  if (lock.digest !== config.lockDigest) {
    throw new KarooError(
      'integrity',
      `the ${name} embedded in ${digest} has lock digest ${lock.digest}, but its config names ${config.lockDigest}; the candidate is damaged or crafted`,
    );
  }
  return { digest, manifest, config, lock };
}

/** A candidate's config and lock layer are small: a descriptor claiming more is refused unread. */
const CANDIDATE_META_MAX = 16 << 20;

/**
 * Rebuilds a stored candidate from its own lock against the world as it is now: every locked
 * file is looked up again (on `mirror`, or the lock's own index and the configured indexes, by
 * file name), downloaded again (from the given lock's URL, else from the index's link), checked
 * against the locked sha256 and size, and, when every file came back the same, the candidate
 * is built from them into a scratch OCI layout (removed afterwards) and its digest compared.
 * Never throws for what changed: the result names every file that did; throws only when the
 * candidate cannot be read or there is nowhere to look for its files.
 */
export async function rebuild(options: RebuildOptions): Promise<RebuildResult> {
  const progress = options.progress ?? silentProgress;
  const env = options.env ?? process.env;
  const wanted = parseDigest(options.candidate, 'candidate');
  const stored = options.stored?.digest === wanted ? options.stored : await readStoredCandidate(options.store, wanted);
  const { digest, config } = stored;
  if (options.lock && options.lock.digest !== stored.lock.digest) {
    throw new KarooError(
      'input',
      `the lock given has digest ${options.lock.digest}, but candidate ${digest} was built from ${stored.lock.digest}; pass the lock it was built from (or none)`,
    );
  }
  const lockUrls = new Map<string, { url?: string | undefined; index?: string | undefined }>();
  if (options.lock && !options.mirror) {
    for (const { pkg, file } of options.lock.files()) lockUrls.set(file.sha256, { url: file.url, index: pkg.index });
  }
  const indexes = options.indexes ?? [];
  if (!options.mirror && indexes.length === 0 && ![...lockUrls.values()].some((u) => u.url)) {
    throw new KarooError(
      'input',
      `candidate ${digest} names no file URLs (a candidate's own lock never does); pass --mirror INDEX_URL, --config karoo.yml (its indexes), or --lock with the lock it was built from`,
    );
  }
  const source = options.mirror ? 'mirror' : lockUrls.size > 0 ? 'lock' : 'indexes';
  // Downloads carry credentials by origin: the configured indexes' and the mirror's, each only to its own origin.
  const headersFor = indexAuthHeaders([...indexes, ...(options.mirror ? [options.mirror] : [])], env);
  const client = new IndexClient(env);
  const limit = pLimit(options.concurrency ?? 8);
  const scratch = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'karoo-rebuild-'));
  try {
    const downloads = join(scratch, 'files');
    await mkdir(downloads);
    const entries = uniqueFiles(stored.lock);
    const checked = new Map<string, string>();
    progress.info(
      `rebuild ${digest}: ${entries.length} files, looked up ${options.mirror ? `on ${stripCredentials(options.mirror.url)}` : source === 'lock' ? "at the lock's URLs" : `on ${indexes.map((i) => i.name).join(', ')}`}`,
    );
    const files = await Promise.all(
      entries.map(({ pkg, file }) =>
        limit(() =>
          checkFile(pkg, file, {
            mirror: options.mirror,
            indexes,
            lockUrl: lockUrls.get(file.sha256),
            client,
            headersFor,
            dir: downloads,
            checked,
          }),
        ),
      ),
    );
    const problems: string[] = [];
    for (const f of files) {
      if (f.status !== 'same') problems.push(`${f.name}: ${f.reason}`);
      if (f.yanked) problems.push(`${f.name}: yanked on ${f.index}${f.status === 'same' ? ' (still downloadable, same bytes)' : ''}`);
    }
    const count = (s: RebuildFileStatus) => files.filter((f) => f.status === s).length;
    const counts = {
      same: count('same'),
      changed: count('changed'),
      missing: count('missing'),
      unavailable: count('unavailable'),
      yanked: files.filter((f) => f.yanked).length,
    };

    let rebuilt: Digest | undefined;
    let digestDiffers = false;
    if (counts.same === files.length) {
      const scratchStore = new LayoutStore(join(scratch, 'store'));
      const input = { system: config.system, target: config.target, leaves: config.leaves.map((l) => l.name) };
      // Every file was just downloaded and checked: the build uses them as they are (no third hash).
      const r = await build({
        lock: stored.lock,
        store: scratchStore,
        ...input,
        verifiedFiles: checked,
        headersFor,
        concurrency: options.concurrency,
        progress,
      });
      rebuilt = r.candidate;
      if (rebuilt !== digest) {
        digestDiffers = true;
        problems.push(...manifestDifferences(stored.manifest, candidateFor(stored.lock, input).manifest, digest, rebuilt));
      }
    }
    const kind: ErrorKind | undefined =
      counts.changed > 0 || digestDiffers
        ? 'integrity'
        : counts.missing + counts.unavailable > 0
          ? 'unavailable'
          : counts.yanked > 0
            ? 'conflict'
            : undefined;
    const rebuildable = rebuilt === digest;
    progress.info(
      rebuildable
        ? `rebuilt ${digest}: the same digest${counts.yanked ? ` (but ${counts.yanked} file${counts.yanked === 1 ? ' is' : 's are'} yanked)` : ''}`
        : `${digest} cannot be rebuilt: ${counts.changed} changed, ${counts.missing} missing, ${counts.unavailable} unavailable, ${counts.yanked} yanked`,
    );
    return { candidate: digest, store: options.store.ref, rebuildable, rebuilt, source, files, counts, problems, kind };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function uniqueFiles(lock: Lock): Array<{ pkg: LockedPackage; file: LockedFile }> {
  const seen = new Set<string>();
  return lock
    .files()
    .filter(({ file }) => (seen.has(file.sha256) ? false : (seen.add(file.sha256), true)))
    .sort((a, b) => (a.file.name < b.file.name ? -1 : a.file.name > b.file.name ? 1 : 0));
}

interface CheckContext {
  readonly mirror: IndexConfig | undefined;
  readonly indexes: readonly IndexConfig[];
  readonly lockUrl: { url?: string | undefined; index?: string | undefined } | undefined;
  readonly client: IndexClient;
  readonly headersFor: ReturnType<typeof indexAuthHeaders>;
  readonly dir: string;
  /** Files downloaded with the locked bytes (sha256 hex → path), for the scratch build. */
  readonly checked: Map<string, string>;
}

async function checkFile(pkg: LockedPackage, file: LockedFile, ctx: CheckContext): Promise<RebuildFile> {
  const base = { name: file.name, package: pkg.name, version: pkg.version, expected: { sha256: file.sha256, size: file.size } };
  // Which index lists the file now: the mirror alone, else the lock's own index of the package first.
  const candidates: IndexConfig[] = ctx.mirror ? [ctx.mirror] : [...ctx.indexes];
  const lockIndex = ctx.lockUrl?.index;
  if (!ctx.mirror && lockIndex && !candidates.some((i) => sameIndex(i.url, lockIndex))) {
    const known = ctx.indexes.find((i) => new URL(i.url).origin === safeOrigin(lockIndex));
    candidates.unshift({
      name: stripCredentials(lockIndex),
      url: lockIndex,
      private: false,
      usernameEnv: known?.usernameEnv,
      passwordEnv: known?.passwordEnv,
    });
  }
  let listed: { index: IndexConfig; entry: IndexFile } | undefined;
  const pageErrors: string[] = [];
  for (const ix of candidates) {
    try {
      const page = await ctx.client.page(ix, pkg.name);
      const entry = page?.files.find((f) => f.filename === file.name);
      if (entry) {
        listed = { index: ix, entry };
        break;
      }
    } catch (e) {
      pageErrors.push(`index "${ix.name}": ${errorMessage(e)}`);
    }
  }
  const index = listed ? listed.index.name : undefined;
  const yanked = listed ? listed.entry.yanked : undefined;
  const url = (ctx.mirror ? undefined : ctx.lockUrl?.url) ?? listed?.entry.url;
  const where = candidates.map((i) => `"${i.name}"`).join(', ');
  if (!url) {
    if (pageErrors.length > 0) return { ...base, status: 'unavailable', yanked, reason: `could not look it up: ${pageErrors.join('; ')}` };
    return { ...base, status: 'missing', yanked, reason: `deleted: no index lists it any more (asked ${where || 'none'})` };
  }
  const shown = stripCredentials(url);
  const common = { ...base, url: shown, index, yanked };
  let path: string;
  try {
    ({ path } = await downloadLockedFile(pkg, { ...file, url }, ctx.dir, { headersFor: ctx.headersFor }));
  } catch (e) {
    if (isKarooError(e) && e.kind === 'integrity') {
      const got = String(e.detail?.actual ?? '');
      const m = /^(sha256:[0-9a-f]{64}) \((\d+) bytes\)$/.exec(got);
      // A file that grew stops the download at the locked size: then the index page says what it is now.
      const fromPage =
        !m && listed?.entry.sha256 && listed.entry.sha256 !== file.sha256
          ? { sha256: listed.entry.sha256, size: listed.entry.size, text: `${got}; index "${index}" lists sha256:${listed.entry.sha256}` }
          : undefined;
      const actual = m ? { sha256: m[1]!.slice('sha256:'.length), size: Number(m[2]) } : (fromPage ?? { text: got });
      const sizeChanged = file.size !== undefined && (actual.size !== undefined ? actual.size !== file.size : got.startsWith('more than'));
      return {
        ...common,
        status: 'changed',
        actual,
        reason: `replaced: ${shown} serves ${fromPage?.text ?? (got || 'other bytes')}, the lock has sha256:${file.sha256}${file.size !== undefined ? ` (${file.size} bytes)` : ''}${sizeChanged ? '; its size changed too' : ''}`,
      };
    }
    const status = isKarooError(e) ? (e.detail?.status as number | undefined) : undefined;
    const code = ((e as { cause?: { code?: unknown } }).cause?.code ?? (e as { code?: unknown }).code) as string | undefined;
    if (code === 'ENOENT') return { ...common, status: 'missing', reason: `deleted: ${shown} does not exist` };
    if (status === 404 || status === 410) {
      return {
        ...common,
        status: 'missing',
        reason: `deleted: ${shown} answered ${status}${listed ? ` (still listed on "${index}")` : ''}`,
      };
    }
    return { ...common, status: 'unavailable', reason: `could not download: ${errorMessage(e)}` };
  }
  // The bytes match the lock; an index that declares another hash for the name would be a second story.
  if (listed?.entry.sha256 && listed.entry.sha256 !== file.sha256) {
    return {
      ...common,
      status: 'changed',
      actual: { sha256: listed.entry.sha256, size: listed.entry.size },
      reason: `index "${index}" lists it with sha256:${listed.entry.sha256}, the lock has sha256:${file.sha256}`,
    };
  }
  ctx.checked.set(file.sha256, path);
  return { ...common, status: 'same' };
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function sameIndex(a: string, b: string): boolean {
  const norm = (u: string) => stripCredentials(u).replace(/\/+$/, '');
  return norm(a) === norm(b);
}

/** Which blobs of the rebuilt manifest differ from the stored one (when the files are the same but the digest is not). */
function manifestDifferences(stored: ImageManifest, rebuilt: ImageManifest, digest: Digest, rebuiltDigest: Digest): string[] {
  const out = [`the rebuild gives ${rebuiltDigest}, not ${digest}, from the same files`];
  if (stored.config.digest !== rebuilt.config.digest) out.push(`config: stored ${stored.config.digest}, rebuilt ${rebuilt.config.digest}`);
  const title = (d: Descriptor) => d.annotations?.[ANNOTATIONS.title] ?? d.digest;
  const have = new Set(rebuilt.layers.map((l) => l.digest));
  for (const l of stored.layers) if (!have.has(l.digest)) out.push(`layer ${title(l)}: stored ${l.digest} has no equal in the rebuild`);
  return out;
}
