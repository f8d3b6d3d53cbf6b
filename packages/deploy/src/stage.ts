import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { blobFileName, type Digest, hexOf, isKarooError, KarooError, parseDigest, sha256Of } from '@karoo/common';
import {
  ANNOTATIONS,
  type CandidateConfig,
  type Descriptor,
  type ImageManifest,
  isCandidateManifest,
  KAROO,
  parseManifest,
} from '@karoo/candidate';
import { type Lock, normalizeName, parsePylock } from '@karoo/lock';
import { Hasher, type Store } from '@karoo/oci';

/** One locked wheel of a candidate, staged on the runner and checked against its digest. */
export interface StagedWheel {
  readonly hex: string;
  readonly filename: string;
  readonly size: number;
  readonly path: string;
}

/** A candidate read from its store into a local directory, every blob checked. */
export interface StagedCandidate {
  readonly digest: Digest;
  readonly short: string;
  readonly descriptor: Descriptor;
  readonly manifest: ImageManifest;
  readonly config: CandidateConfig;
  readonly lock: Lock;
  readonly wheels: readonly StagedWheel[];
  readonly requirements: StagedWheel;
  readonly pylock: StagedWheel;
  /** What the nodes must hold after installing: every locked package (normalised name, version, marker). */
  readonly expected: ReadonlyArray<{ name: string; version: string; marker?: string | undefined }>;
  readonly bytes: number;
}

/**
 * Reads a candidate from a store into `dir` and checks everything before any node is touched:
 * the manifest against the candidate digest, every blob against its digest and size, and the
 * layers against the lock they carry (every locked file is a layer, with the same sha256).
 * Any difference throws an integrity error naming the blob.
 */
export async function stageCandidate(store: Store, candidate: Digest | string, dir: string): Promise<StagedCandidate> {
  const digest = parseDigest(candidate, 'candidate');
  let stored;
  try {
    stored = await store.getManifest(digest);
  } catch (e) {
    if (isKarooError(e))
      throw new KarooError(
        e.kind === 'integrity' ? 'input' : e.kind,
        `candidate ${digest} is not in ${store.ref}: ${e.message}; build it first (karoo build) or pass the store that holds it`,
      );
    throw e;
  }
  if (sha256Of(stored.bytes) !== digest) {
    throw new KarooError(
      'integrity',
      `candidate ${digest}: the manifest in ${store.ref} does not match its digest; refusing to deploy (no node was touched)`,
    );
  }
  const manifest = parseManifest(stored.bytes, `candidate ${digest}`);
  if (!isCandidateManifest(manifest)) {
    throw new KarooError(
      'input',
      `${digest} in ${store.ref} is not a karoo candidate (artifactType ${manifest.artifactType ?? 'none'}); pass the digest karoo build printed`,
    );
  }
  const blobsDir = join(dir, 'blobs');
  await mkdir(blobsDir, { recursive: true });
  let bytes = stored.bytes.length;
  const fetch = async (d: Descriptor, what: string): Promise<string> => {
    const path = join(blobsDir, blobFileName(d.digest)); // refuses anything but sha256:<64 hex>
    const tmp = `${path}.part`;
    const hasher = new Hasher(d.size);
    try {
      await pipeline(await store.getBlob(d.digest), hasher, createWriteStream(tmp));
    } catch (e) {
      await rm(tmp, { force: true });
      if ((e as Error).name === 'SizeExceededError') {
        throw new KarooError(
          'integrity',
          `candidate ${digest}: ${what} is damaged in ${store.ref} (more than ${d.size} bytes); refusing to deploy (no node was touched)`,
        );
      }
      throw e;
    }
    const actual = hasher.digest();
    if (actual !== d.digest || hasher.bytes !== d.size) {
      await rm(tmp, { force: true });
      throw new KarooError(
        'integrity',
        `candidate ${digest}: ${what} is damaged in ${store.ref}: it holds ${actual} (${hasher.bytes} bytes), expected ${d.digest} (${d.size} bytes); refusing to deploy (no node was touched)`,
        { detail: { candidate: digest, blob: d.digest } },
      );
    }
    await rename(tmp, path);
    bytes += d.size;
    return path;
  };

  const configPath = await fetch(manifest.config, 'config');
  const config = JSON.parse(await readFile(configPath, 'utf8')) as CandidateConfig;
  const files: StagedWheel[] = [];
  let requirements: StagedWheel | undefined;
  let pylock: StagedWheel | undefined;
  for (const l of manifest.layers) {
    const title = l.annotations?.[ANNOTATIONS.title] ?? '';
    const path = await fetch(l, `layer "${title || l.digest}"`);
    const staged = { hex: hexOf(l.digest), filename: title, size: l.size, path };
    if (l.mediaType === KAROO.requirements) requirements = staged;
    else if (l.mediaType === KAROO.pylock) pylock = staged;
    else if (l.mediaType === KAROO.wheel) {
      if (!/^[A-Za-z0-9_.+!-]+\.whl$/.test(title))
        throw new KarooError(
          'integrity',
          `candidate ${digest}: wheel layer ${l.digest} has no usable file name (${JSON.stringify(title)})`,
        );
      files.push(staged);
    } else {
      throw new KarooError(
        'input',
        `candidate ${digest}: layer "${title}" (${l.mediaType}) is not a wheel; deploy installs wheels only (offline, --only-binary)`,
      );
    }
  }
  if (!requirements || !pylock)
    throw new KarooError('integrity', `candidate ${digest} has no ${requirements ? 'pylock.toml' : 'requirements.txt'} layer`);
  const lock = parsePylock(await readFile(pylock.path, 'utf8'), `pylock.toml of ${digest}`).lock;
  const byHex = new Map(files.map((f) => [f.hex, f]));
  for (const { pkg, file } of lock.files()) {
    if (!byHex.has(file.sha256)) {
      throw new KarooError(
        'integrity',
        `candidate ${digest}: the lock pins ${pkg.name} ${pkg.version} (${file.name}, sha256:${file.sha256}) but no layer holds it`,
      );
    }
  }
  return {
    digest,
    short: hexOf(digest).slice(0, 12),
    descriptor: stored.descriptor,
    manifest,
    config,
    lock,
    wheels: files,
    requirements,
    pylock,
    expected: lock.packages.map((p) => ({ name: normalizeName(p.name), version: p.version, marker: p.marker })),
    bytes,
  };
}
