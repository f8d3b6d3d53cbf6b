import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { canonicalJson, KarooError, sha256Of, silentProgress, type Progress } from '@karoo/common';
import type { IndexConfig, KarooConfig, LeafConfig } from '@karoo/config';
import {
  compareVersions,
  diffLocks,
  formatInstantExact,
  isPrerelease,
  Lock,
  type LockDiff,
  type LockedPackage,
  parseInstant,
  parseVersion,
  type ResolutionCutoff,
  satisfies,
  type Target,
  type Version,
} from '@karoo/lock';
import { drain, header, transport } from '@karoo/transport';
import type { ResolvedDistribution, ResolverBackend } from './backend.js';
import { parseDistFilename, wheelFitsTarget } from './filenames.js';
import { authorizationFor, IndexClient, type IndexFile, type ProjectPage } from './index-client.js';
import { mergedFiles, serveMergedIndex, visibleAt } from './merged-index.js';

export interface ResolveOptions {
  readonly config: KarooConfig;
  /** The lock this resolution replaces: the diff is taken against it, and it is reused when nothing changed. */
  readonly previous?: Lock | undefined;
  /** Resolve even when the previous lock is still current. */
  readonly force?: boolean;
  readonly backend?: ResolverBackend;
  readonly client?: IndexClient;
  readonly progress?: Progress;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Upload-time cutoff, overriding karoo.yml `as-of`: an RFC 3339 date-time (only files the
   * indexes received at or before it are visible), `leaves` (the newest upload time among the
   * chosen leaf builds), or `none`.
   */
  readonly asOf?: string | undefined;
  /** Called once the previous lock is found not current, before the resolver runs (never on the no-op path). */
  readonly beforeResolver?: (() => Promise<void>) | undefined;
}

export interface LeafChoice {
  readonly name: string;
  readonly version: string;
  readonly extras: readonly string[];
  /** Why this version: `pinned` in karoo.yml, or `newest` allowed build. */
  readonly reason: 'pinned' | 'newest';
  readonly index: string;
}

export interface ResolveResult {
  readonly lock: Lock;
  readonly diff: LockDiff;
  readonly leaves: readonly LeafChoice[];
  /** False when the previous lock was still current and no resolver ran. */
  readonly resolved: boolean;
  /** The upload-time cutoff the lock was resolved under (also in `lock.meta.asOf`). */
  readonly asOf?: ResolutionCutoff | undefined;
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * Resolve: pick the newest allowed build of every leaf from the private index, let the
 * backend resolve the full closure for the target, and turn its answer into a Lock with
 * URL, sha256 and size for every file. A name the private index has is never accepted
 * from another index.
 */
export async function resolveLock(options: ResolveOptions): Promise<ResolveResult> {
  const { config, previous } = options;
  const progress = options.progress ?? silentProgress;
  const env = options.env ?? process.env;
  const client = options.client ?? new IndexClient(env);
  const backendName = options.backend?.name ?? 'pip';
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - t);
    t = now;
  };

  const privateIndexes = config.indexes.filter((ix) => ix.private);
  const policy = cutoffPolicy(options.asOf ?? config.asOf);
  const given = policy?.policy === 'time' ? policy.ns : undefined;
  // Asked at once; when several leaves fail, the error is the first leaf's in karoo.yml order, not whichever page came back first.
  const settled = await Promise.allSettled(config.leaves.map((leaf) => chooseLeaf(client, privateIndexes, leaf, config.target, given)));
  const chosen = settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  const leaves = chosen.map((c) => c.choice);
  // `leaves`: the cutoff is the newest upload among the chosen builds, so the same builds give the same cutoff.
  const asOfNs = policy?.policy === 'leaves' ? newestUpload(chosen.flatMap((c) => c.files)) : given;
  if (policy?.policy === 'leaves' && asOfNs === undefined) {
    progress.warn(
      `as-of leaves: the private index gives no upload times for the chosen leaf builds (${leaves.map((l) => `${l.name} ${l.version}`).join(', ')}); resolving without a cutoff`,
    );
  }
  lap('leaves');

  const constraintDigests = await Promise.all(
    config.constraints.map(async (c) => {
      try {
        return sha256Of(await readFile(c));
      } catch {
        throw new KarooError('input', `constraints file ${c} cannot be read; fix the constraints list in ${config.path}`);
      }
    }),
  );
  const inputs = {
    resolver: backendName,
    target: config.target,
    leaves: leaves.map((l) => ({ name: l.name, version: l.version, extras: l.extras })),
    indexes: config.indexes.map((ix) => ({ url: ix.url, private: ix.private })),
    constraints: constraintDigests,
    // The cutoff decides what the resolver may see: a different cutoff is a different resolution.
    asOf: policy ? { policy: policy.policy, time: asOfNs === undefined ? null : asOfNs.toString() } : null,
  };

  if (previous && !options.force && sameLeaves(previous, leaves)) {
    const digest = await inputsDigest(
      client,
      config.indexes,
      previous.packages.map((p) => p.name),
      inputs,
      asOfNs,
    );
    lap('check');
    if (digest === previous.meta.inputsDigest) {
      progress.info(`lock ${previous.digest} is current: leaves and index pages unchanged, nothing to resolve`);
      return { lock: previous, diff: diffLocks(previous, previous), leaves, resolved: false, timings, asOf: previous.meta.asOf };
    }
  }

  // Only when there is resolving to do, which keeps the no-op path fast: the caller's preparation
  // (the resolve action restores pip's HTTP cache), and pip's backend module.
  await options.beforeResolver?.();
  const backend = options.backend ?? new (await import('./pip.js')).PipBackend();
  const workDir = await mkdtemp(join(tmpdir(), 'karoo-resolve-'));
  const merged = await serveMergedIndex(client, config.indexes, env, { asOf: asOfNs });
  let dists: ResolvedDistribution[] = [];
  let failure: unknown;
  try {
    dists = await backend.resolve(
      {
        requirements: leaves.map((l) => ({ name: l.name, extras: l.extras, version: l.version })),
        constraints: config.constraints,
        // One private-first view of every index: the resolver cannot take a private name from elsewhere.
        indexes: [{ name: 'karoo-merged', url: merged.url, private: true }],
        target: config.target,
        workDir,
        env,
      },
      progress,
    );
  } catch (e) {
    failure = e;
  }
  try {
    // An index that failed behind the merged view is the real cause of whatever the resolver said.
    await merged.close();
  } catch (e) {
    failure = e;
  }
  await rm(workDir, { recursive: true, force: true });
  if (failure !== undefined) throw failure;
  lap('resolver');

  const limit = pLimit(16);
  const packages = await Promise.all(dists.map((d) => limit(() => lockEntry(client, config.indexes, d, env))));
  const names = packages.map((p) => p.name);
  const digest = await inputsDigest(client, config.indexes, names, inputs, asOfNs);
  let asOf: ResolutionCutoff | undefined;
  if (policy) {
    const notApplied = asOfNs === undefined ? [...names].sort() : await untimedProjects(client, config.indexes, names);
    asOf = { policy: policy.policy, ...(asOfNs !== undefined ? { time: formatInstantExact(asOfNs) } : {}), notApplied };
    if (asOfNs !== undefined && notApplied.length > 0) {
      progress.warn(
        `the upload-time cutoff ${formatInstantExact(asOfNs)} could not apply to ${notApplied.join(', ')}: their index gives no upload times (PEP 503 HTML); any of their files was visible`,
      );
    }
  }
  const lock = Lock.create(packages, {
    target: config.target,
    leaves: Object.fromEntries(leaves.map((l) => [l.name, l.version])),
    inputsDigest: digest,
    ...(asOf ? { asOf } : {}),
  });
  lap('lock');
  progress.info(
    `resolved ${lock.packages.length} packages, lock ${lock.digest}${asOf?.time ? ` (files uploaded at or before ${asOf.time})` : ''}`,
  );
  return { lock, diff: diffLocks(previous, lock), leaves, resolved: true, timings, asOf };
}

type CutoffPolicy = { policy: 'time'; ns: bigint } | { policy: 'leaves' };

/** `leaves`, `none`/undefined, or an RFC 3339 date-time; anything else is an input error. */
function cutoffPolicy(value: string | undefined): CutoffPolicy | undefined {
  if (value === undefined || value === 'none') return undefined;
  if (value === 'leaves') return { policy: 'leaves' };
  const ns = parseInstant(value);
  if (ns === undefined) {
    throw new KarooError(
      'input',
      `as-of "${value}" is not an RFC 3339 date-time with an offset (e.g. 2026-01-31T12:00:00Z), "leaves" or "none"`,
    );
  }
  return { policy: 'time', ns };
}

/** The newest upload time among `files` (those of the chosen leaf versions); undefined when none has one. */
function newestUpload(files: readonly IndexFile[]): bigint | undefined {
  let newest: bigint | undefined;
  for (const f of files) {
    const t = f.uploadTime === undefined ? undefined : parseInstant(f.uploadTime);
    if (t !== undefined && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}

/** Locked projects whose private-first files include one without an upload time: the cutoff could not apply to them. */
async function untimedProjects(client: IndexClient, indexes: readonly IndexConfig[], names: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of [...new Set(names)].sort()) {
    const files = await mergedFiles(client, indexes, name);
    if (files.some(({ file }) => file.uploadTime === undefined)) out.push(name);
  }
  return out;
}

function sameLeaves(previous: Lock, leaves: readonly LeafChoice[]): boolean {
  const prev = previous.meta.leaves ?? {};
  return Object.keys(prev).length === leaves.length && leaves.every((l) => prev[l.name] === l.version);
}

/**
 * The digest of everything a resolution depends on: the inputs and the bytes of every index
 * page of every locked package on every index. Equal digests mean re-running the resolver
 * would see exactly what it saw before. Under an upload-time cutoff a page counts by the files
 * visible under it (what the merged index serves pip), so an upload after the cutoff leaves the
 * lock current: re-resolving an old commit tomorrow runs no resolver at all.
 */
async function inputsDigest(
  client: IndexClient,
  indexes: readonly IndexConfig[],
  names: readonly string[],
  inputs: unknown,
  asOf?: bigint,
): Promise<string> {
  const limit = pLimit(16);
  const pages = await Promise.all(
    [...new Set(names)].sort().flatMap((name) =>
      indexes.map((ix) =>
        limit(async () => {
          const page = await client.page(ix, name);
          const digest = page === undefined ? '-' : asOf === undefined ? page.pageDigest : visibleDigest(page, asOf);
          return `${ix.url} ${name} ${digest}`;
        }),
      ),
    ),
  );
  return sha256Of(canonicalJson({ inputs, pages }));
}

/** The digest of what a page lists under the cutoff: every field of every visible file the merged index serves from. */
function visibleDigest(page: ProjectPage, asOf: bigint): string {
  const files = page.files
    .filter((f) => visibleAt(f, asOf))
    .map((f) => ({
      filename: f.filename,
      url: f.url,
      sha256: f.sha256 ?? null,
      size: f.size ?? null,
      yanked: f.yanked,
      requiresPython: f.requiresPython ?? null,
      coreMetadata: f.coreMetadata ? (f.coreMetadata.sha256 ?? true) : null,
      uploadTime: f.uploadTime ?? null,
    }));
  return `visible:${sha256Of(canonicalJson({ format: page.format, files }))}`;
}

interface Candidate {
  version: Version;
  files: IndexFile[];
}

/** The leaf version to lock, with the files of that version (the `leaves` cutoff is taken from them). */
async function chooseLeaf(
  client: IndexClient,
  privateIndexes: readonly IndexConfig[],
  leaf: LeafConfig,
  target: Target,
  asOf?: bigint,
): Promise<{ choice: LeafChoice; files: readonly IndexFile[] }> {
  let page: ProjectPage | undefined;
  for (const ix of privateIndexes) {
    page = await client.page(ix, leaf.key);
    if (page) break;
  }
  const where = privateIndexes.map((ix) => `"${ix.name}" (${ix.url})`).join(', ');
  if (!page || page.files.length === 0) {
    throw new KarooError(
      'input',
      `unknown leaf "${leaf.name}": the private index ${where} has no such project; check the name in karoo.yml or publish it`,
    );
  }
  const byVersion = new Map<string, Candidate>();
  // Under a cutoff, a build uploaded later does not exist yet.
  const visible = page.files.filter((f) => visibleAt(f, asOf));
  if (visible.length === 0) {
    throw new KarooError(
      'input',
      `leaf "${leaf.name}" has no build uploaded at or before the cutoff ${formatInstantExact(asOf!)} in the private index ${where}; choose a later as-of`,
    );
  }
  for (const f of visible) {
    const parsed = parseDistFilename(f.filename);
    const v = parsed && parseVersion(parsed.version);
    if (!parsed || !v || parsed.name !== leaf.key) continue;
    const c = byVersion.get(v.text) ?? { version: v, files: [] };
    c.files.push(f);
    byVersion.set(v.text, c);
  }
  const all = [...byVersion.values()].sort((a, b) => compareVersions(b.version, a.version));
  const base = { name: leaf.key, extras: leaf.extras, index: page.index.name };

  if (leaf.pin !== undefined) {
    const pin = parseVersion(leaf.pin)!;
    const hit = all.find((c) => compareVersions(c.version, pin) === 0);
    const uploadedLater = (): boolean =>
      page.files.some((f) => {
        const v = parseVersion(parseDistFilename(f.filename)?.version ?? '');
        return v !== undefined && compareVersions(v, pin) === 0;
      });
    if (!hit && asOf !== undefined && uploadedLater()) {
      throw new KarooError(
        'input',
        `leaf "${leaf.name}" is pinned to ${leaf.pin}, which was uploaded after the cutoff ${formatInstantExact(asOf)}; choose a later as-of or another pin`,
      );
    }
    if (!hit) {
      throw new KarooError(
        'input',
        `leaf "${leaf.name}" is pinned to ${leaf.pin}, which the private index does not have (has: ${all
          .slice(0, 8)
          .map((c) => c.version.text)
          .join(', ')}); change the pin in karoo.yml`,
      );
    }
    return { choice: { ...base, version: hit.version.text, reason: 'pinned' }, files: hit.files };
  }

  const rejected = { yanked: 0, prerelease: 0, target: 0 };
  for (const c of all) {
    const live = c.files.filter((f) => !f.yanked);
    if (live.length === 0) {
      rejected.yanked++;
      continue;
    }
    if (isPrerelease(c.version) && !leaf.allowPrerelease) {
      rejected.prerelease++;
      continue;
    }
    const fits = live.some((f) => {
      const d = parseDistFilename(f.filename);
      return (
        d !== undefined &&
        wheelFitsTarget(d, target) &&
        (f.requiresPython === undefined || satisfies(target.python, f.requiresPython) !== false)
      );
    });
    if (!fits) {
      rejected.target++;
      continue;
    }
    return { choice: { ...base, version: c.version.text, reason: 'newest' }, files: c.files };
  }
  const why = [
    rejected.prerelease ? `${rejected.prerelease} pre-release/dev (set allow-prerelease: true to use them)` : '',
    rejected.yanked ? `${rejected.yanked} yanked` : '',
    rejected.target ? `${rejected.target} without a wheel for python ${target.python} on ${target.platforms.join('/')}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  throw new KarooError('input', `leaf "${leaf.name}" has no allowed build in the private index: ${why || 'no files'}`);
}

async function lockEntry(
  client: IndexClient,
  indexes: readonly IndexConfig[],
  d: ResolvedDistribution,
  env: NodeJS.ProcessEnv,
): Promise<LockedPackage> {
  const pages = await Promise.all(indexes.map(async (ix) => ({ ix, page: await client.page(ix, d.name) })));
  const source = pages.find((p) => p.page?.files.some((f) => f.url === d.url));
  const privateHolder = pages.find((p) => p.ix.private && p.page && p.page.files.length > 0);
  if (privateHolder && (!source || !source.ix.private)) {
    throw new KarooError(
      'integrity',
      `dependency confusion: "${d.name}" exists in the private index "${privateHolder.ix.name}" but the resolver chose ${d.url} from ${source ? `"${source.ix.name}"` : 'elsewhere'}; a private name is never taken from another index`,
    );
  }
  const listed = source?.page?.files.find((f) => f.url === d.url);
  const filename = decodeURIComponent(new URL(d.url).pathname.split('/').pop() ?? '');
  const sha256 = d.sha256 ?? listed?.sha256;
  if (!sha256) {
    throw new KarooError(
      'input',
      `${d.name} ${d.version}: the index gives no sha256 for ${filename}; karoo locks only hashed files — use an index that publishes hashes`,
    );
  }
  if (listed?.sha256 && listed.sha256 !== sha256) {
    throw new KarooError(
      'integrity',
      `${d.name} ${d.version}: the resolver saw sha256 ${sha256} but the index lists ${listed.sha256} for ${filename}`,
    );
  }
  const size = listed?.size ?? (await sizeOf(d.url, source?.ix, env));
  return {
    name: d.name,
    version: d.version,
    index: source?.ix.url,
    files: [{ name: filename, url: d.url, sha256, size, ...(listed?.uploadTime !== undefined ? { uploadTime: listed.uploadTime } : {}) }],
  };
}

/** Size of a file the index lists without one (PEP 503 HTML has no sizes): stat or HEAD. */
async function sizeOf(url: string, ix: IndexConfig | undefined, env: NodeJS.ProcessEnv): Promise<number | undefined> {
  if (url.startsWith('file:')) return (await stat(fileURLToPath(url))).size;
  // The index's credentials go only to its own origin: a page may link files on any host.
  // Asked for the URL first, so a refusal (credentials over plain HTTP) is not swallowed below.
  authorizationFor(url, ix, env);
  try {
    const res = await transport.request({
      method: 'HEAD',
      url,
      headersFor: (hop) => {
        const auth = authorizationFor(hop.href, ix, env);
        return auth ? { authorization: auth } : undefined;
      },
      idleTimeoutMs: 30_000,
    });
    await drain(res);
    const len = header(res, 'content-length');
    return res.status >= 200 && res.status < 300 && len !== undefined ? Number(len) : undefined;
  } catch {
    return undefined;
  }
}
