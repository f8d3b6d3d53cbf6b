import { type Digest, isDigest } from './digest.js';
import { KarooError } from './errors.js';

/** The OCI media types of manifests and indexes (image-spec), shared by @karoo/oci and @karoo/candidate. */
export const OCI_MEDIA_TYPES = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

/** The standard annotation keys karoo reads and writes (image-spec annotations.md). */
export const OCI_ANNOTATIONS = {
  title: 'org.opencontainers.image.title',
  created: 'org.opencontainers.image.created',
  refName: 'org.opencontainers.image.ref.name',
} as const;

/** An OCI content descriptor (image-spec descriptor.md): the one shape @karoo/oci and @karoo/candidate share. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly artifactType?: string | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly urls?: readonly string[] | undefined;
}

/** The thrower of a malformed stored manifest: an integrity error naming `what` and the reason. */
export function malformedManifest(what: string): (reason: string) => never {
  return (reason) => {
    throw new KarooError('integrity', `${what}: ${reason}; the manifest is malformed or crafted`, { detail: { malformed: true } });
  };
}

/**
 * Checks the `annotations` of a descriptor, manifest or index: absent, or an object of strings.
 * Returns a fresh copy holding only those; anything else goes to `bad`.
 */
export function checkAnnotations(value: unknown, bad: (reason: string) => never): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!value || typeof value !== 'object' || Array.isArray(value)) bad('annotations is not an object');
  const annotations: Record<string, string> = {};
  for (const [k, a] of Object.entries(value as Record<string, unknown>)) {
    if (typeof a !== 'string') bad(`annotation ${JSON.stringify(k)} is not a string`);
    annotations[k] = a as string;
  }
  return annotations;
}

/**
 * Checks one OCI descriptor read from stored JSON (a manifest's config, layers and subject, an
 * index's manifests, a referrers list): `digest` exactly `sha256:` + 64 lowercase hex, `size` a
 * safe non-negative integer, `mediaType` a string, `artifactType` and annotation values strings.
 * Returns a fresh object holding only those fields, so nothing unchecked travels on. Anything
 * else throws an integrity error naming `what` and the field: a digest that is not one must
 * never become part of a file path or a URL.
 */
export function checkDescriptor(value: unknown, what: string): Descriptor {
  const bad = malformedManifest(what);
  if (!value || typeof value !== 'object' || Array.isArray(value)) bad('the descriptor is not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.mediaType !== 'string') bad('mediaType is not a string');
  if (!isDigest(v.digest)) bad(`digest ${JSON.stringify(v.digest)?.slice(0, 100)} is not sha256:<64 lowercase hex>`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0)
    bad(`size ${JSON.stringify(v.size)?.slice(0, 40)} is not a non-negative integer`);
  if (v.artifactType !== undefined && typeof v.artifactType !== 'string') bad('artifactType is not a string');
  const annotations = checkAnnotations(v.annotations, bad);
  let urls: string[] | undefined;
  if (v.urls !== undefined) {
    if (!Array.isArray(v.urls) || !v.urls.every((u) => typeof u === 'string')) bad('urls is not a list of strings');
    urls = [...(v.urls as string[])];
  }
  return {
    mediaType: v.mediaType as string,
    digest: v.digest as Digest,
    size: v.size as number,
    ...(v.artifactType !== undefined ? { artifactType: v.artifactType as string } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
    ...(urls !== undefined ? { urls } : {}),
  };
}

/**
 * The file name of a blob in a content-addressed directory (`blobs/sha256/<hex>`): the hex of
 * a digest that is checked here again, whatever its type says, so that no path is ever built
 * from a string that was cast to Digest without validation.
 */
export function blobFileName(digest: Digest): string {
  if (!isDigest(digest)) {
    throw new KarooError(
      'integrity',
      `${JSON.stringify(String(digest)).slice(0, 100)} is not a sha256 digest; refusing to build a file path from it`,
    );
  }
  return digest.slice('sha256:'.length);
}
