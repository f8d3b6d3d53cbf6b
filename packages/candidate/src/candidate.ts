import { canonicalJson, checkAnnotations, checkDescriptor, type Digest, KarooError, malformedManifest, sha256Of } from '@karoo/common';
import { Lock, type LockedFile, type LockedPackage, normalizeName, type Target, writePylock, writeRequirements } from '@karoo/lock';
import { ANNOTATIONS, fileMediaType, KAROO } from './media-types.js';
import { type Descriptor, type ImageManifest, type InlineBlob, OCI } from './oci-types.js';

/** Schema name inside the config blob; bump it (and every digest moves) only on purpose. */
export const CANDIDATE_CONFIG_SCHEMA = 'karoo.candidate.config/v1';

/**
 * Turns a Lock into the text of its lock files. The candidate embeds them as layers, so
 * they must be a pure function of the Lock: no times, hosts or users.
 */
export interface LockRenderers {
  pylock(lock: Lock): string;
  requirements(lock: Lock): string;
}

/**
 * The lock files a candidate embeds: @karoo/lock's writers, applied to the lock without what
 * records where and when it was resolved rather than what was locked: the inputs digest (an
 * unrelated upload to the index must not make a new candidate of the same files), the
 * upload times and the upload-time cutoff, and the index and file URLs (the wheels are the candidate's own layers, so its pylock.toml names
 * them by path; the same files from a mirror, or a file:// index in another clone, give the
 * same candidate).
 */
export const defaultLockRenderers: LockRenderers = {
  pylock: (lock) => writePylock(forCandidate(lock)),
  requirements: (lock) => writeRequirements(forCandidate(lock)),
};

function forCandidate(lock: Lock): Lock {
  // Upload times and the cutoff describe the index's copies and how they were chosen, like the
  // URLs: the same files mirrored into another index (other upload times, or none) give the same candidate.
  const { inputsDigest: _, asOf: _asOf, ...meta } = lock.meta;
  const packages = lock.packages.map((p) => ({
    ...p,
    index: undefined,
    files: p.files.map((f) => ({ ...f, url: undefined, uploadTime: undefined })),
  }));
  return Lock.create(packages, meta);
}

export interface CandidateInput {
  /** The system's name (karoo.yml `system`). */
  readonly system: string;
  /** Used only when the lock carries no target of its own. */
  readonly target?: Target | undefined;
  /** Leaf names, used only when the lock does not list its leaves. Versions always come from the lock. */
  readonly leaves?: readonly string[] | undefined;
}

/** The config blob's content. */
export interface CandidateConfig {
  readonly schema: typeof CANDIDATE_CONFIG_SCHEMA;
  readonly system: string;
  readonly target?: { python: string; platforms: string[]; implementation?: string | undefined } | undefined;
  readonly leaves: ReadonlyArray<{ name: string; version: string }>;
  readonly lockDigest: Digest;
  readonly packages: number;
}

/** A locked file as a layer: what build downloads and pushes. */
export interface CandidateFile {
  readonly descriptor: Descriptor;
  readonly pkg: LockedPackage;
  readonly file: LockedFile;
}

export interface Candidate {
  /** The candidate digest: sha256 of the manifest bytes. */
  readonly digest: Digest;
  /** Descriptor of the manifest (as a registry or an index.json lists it). */
  readonly descriptor: Descriptor;
  readonly manifest: ImageManifest;
  /** Canonical JSON bytes of the manifest: the exact bytes stored. */
  readonly manifestBytes: Uint8Array;
  readonly config: CandidateConfig;
  /** Blobs computed here: the config and the lock files. */
  readonly inline: readonly InlineBlob[];
  /** Layers that are locked files, in manifest order. */
  readonly files: readonly CandidateFile[];
  /** Sum of the sizes of the manifest and every blob it references. */
  readonly totalSize: number;
}

const SYSTEM_RE = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/**
 * Computes the candidate of a lock: an OCI image manifest whose layers are the locked files
 * (digest = the lock's sha256, size = the lock's size) and the lock files, plus a config blob.
 * Pure: nothing is downloaded, so "was this built already?" is one lookup of the digest.
 *
 * Throws KarooError('input') when the lock cannot give a digest (entries without hashes or sizes).
 */
export function candidateFor(lock: Lock, input: CandidateInput, renderers: LockRenderers = defaultLockRenderers): Candidate {
  if (!SYSTEM_RE.test(input.system)) {
    throw new KarooError(
      'input',
      `system name "${input.system}" is not valid; use 1-40 lowercase letters, digits and dashes (karoo.yml "system" or --system)`,
    );
  }
  assertComplete(lock);

  const files: CandidateFile[] = [];
  const seen = new Set<string>();
  const entries = lock
    .files()
    .slice()
    .sort((a, b) => cmp(a.file.name, b.file.name) || cmp(a.file.sha256, b.file.sha256));
  for (const { pkg, file } of entries) {
    if (seen.has(file.sha256)) continue; // one file locked under two markers is one layer
    seen.add(file.sha256);
    if (file.name === '' || /[/\\]/.test(file.name) || file.name === '.' || file.name === '..') {
      throw new KarooError('input', `lock entry "${pkg.name} ${pkg.version}" has a file name "${file.name}" that is not a plain file name`);
    }
    files.push({
      pkg,
      file,
      descriptor: {
        mediaType: fileMediaType(file.name),
        digest: `sha256:${file.sha256}` as Digest,
        size: file.size!,
        annotations: { [ANNOTATIONS.title]: file.name, [ANNOTATIONS.package]: `${pkg.name}==${pkg.version}` },
      },
    });
  }

  const config = candidateConfig(lock, input);
  const inline: InlineBlob[] = [
    inlineBlob(KAROO.candidateConfig, canonicalJson(config)),
    inlineBlob(KAROO.pylock, renderers.pylock(lock), 'pylock.toml'),
    inlineBlob(KAROO.requirements, renderers.requirements(lock), 'requirements.txt'),
  ];
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI.imageManifest,
    artifactType: KAROO.candidate,
    config: inline[0]!.descriptor,
    layers: [...files.map((f) => f.descriptor), inline[1]!.descriptor, inline[2]!.descriptor],
  };
  const manifestBytes = new TextEncoder().encode(canonicalJson(manifest));
  const digest = sha256Of(manifestBytes);
  const totalSize = manifestBytes.length + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
  return {
    digest,
    descriptor: { mediaType: OCI.imageManifest, digest, size: manifestBytes.length, artifactType: KAROO.candidate },
    manifest,
    manifestBytes,
    config,
    inline,
    files,
    totalSize,
  };
}

/** The candidate digest of a lock, computed without any download. */
export function candidateDigest(lock: Lock, input: CandidateInput, renderers: LockRenderers = defaultLockRenderers): Digest {
  return candidateFor(lock, input, renderers).digest;
}

/** Throws one error naming every entry that lacks a hash or a size, and how to get a complete lock. */
export function assertComplete(lock: Lock): void {
  if (lock.packages.length === 0) {
    throw new KarooError('input', 'the lock pins no packages; a candidate needs at least one locked file');
  }
  const bad = lock.incompleteEntries();
  if (bad.length === 0) return;
  const shown = bad.slice(0, 5).map((b) => `${b.pkg.name} ${b.pkg.version} (${b.reason})`);
  const more = bad.length > shown.length ? ` and ${bad.length - shown.length} more` : '';
  throw new KarooError(
    'input',
    `the lock cannot give a candidate digest: ${bad.length} ${bad.length === 1 ? 'entry lacks' : 'entries lack'} a hash or size: ${shown.join(', ')}${more}; ` +
      'run `karoo resolve` to write a complete pylock.toml (with sha256 and size for every file) and build from that',
    { detail: { incomplete: bad.map((b) => ({ name: b.pkg.name, version: b.pkg.version, reason: b.reason })) } },
  );
}

function candidateConfig(lock: Lock, input: CandidateInput): CandidateConfig {
  const target = lock.meta.target ?? input.target;
  const leafNames = lock.meta.leaves ? Object.keys(lock.meta.leaves) : (input.leaves ?? []);
  const leaves = [...new Set(leafNames.map((n) => normalizeName(n)))].sort(cmp).map((name) => {
    const pkg = lock.get(name);
    if (!pkg) throw new KarooError('input', `leaf "${name}" is not in the lock; re-run \`karoo resolve\` so the lock includes every leaf`);
    return { name, version: pkg.version };
  });
  return {
    schema: CANDIDATE_CONFIG_SCHEMA,
    system: input.system,
    target: target ? { python: target.python, platforms: [...target.platforms], implementation: target.implementation } : undefined,
    leaves,
    lockDigest: lock.digest,
    packages: lock.packages.length,
  };
}

/** A blob made of the given bytes (UTF-8 for strings), with an optional title annotation. */
export function inlineBlob(mediaType: string, content: string | Uint8Array, title?: string): InlineBlob {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  return {
    bytes,
    descriptor: {
      mediaType,
      digest: sha256Of(bytes),
      size: bytes.length,
      annotations: title === undefined ? undefined : { [ANNOTATIONS.title]: title },
    },
  };
}

/** Reads a stored manifest back and says whether it is a karoo candidate. */
export function parseManifest(bytes: Uint8Array, what = 'manifest'): ImageManifest {
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new KarooError('integrity', `${what} is not JSON`);
  }
  const o = m as Partial<ImageManifest>;
  if (!o || typeof o !== 'object' || o.schemaVersion !== 2 || !o.config || !Array.isArray(o.layers)) {
    throw new KarooError('input', `${what} is not an OCI image manifest (schemaVersion 2 with config and layers)`);
  }
  // Every descriptor is checked here (digest, size, media type): nothing downstream builds a
  // path or a URL from a digest that was not.
  const malformed = malformedManifest(what);
  if (o.mediaType !== undefined && typeof o.mediaType !== 'string') malformed('mediaType is not a string');
  if (o.artifactType !== undefined && typeof o.artifactType !== 'string') malformed('artifactType is not a string');
  const annotations = checkAnnotations(o.annotations, malformed);
  return {
    schemaVersion: 2,
    mediaType: (o.mediaType ?? OCI.imageManifest) as typeof OCI.imageManifest,
    ...(o.artifactType !== undefined ? { artifactType: o.artifactType } : {}),
    config: checkDescriptor(o.config, `${what}: config`),
    layers: o.layers.map((l, i) => checkDescriptor(l, `${what}: layers[${i}]`)),
    ...(o.subject !== undefined ? { subject: checkDescriptor(o.subject, `${what}: subject`) } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  };
}

export function isCandidateManifest(m: ImageManifest): boolean {
  return m.artifactType === KAROO.candidate;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
