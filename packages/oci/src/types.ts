import type { Readable } from 'node:stream';
import { type Descriptor, type Digest, OCI_ANNOTATIONS, OCI_MEDIA_TYPES } from '@karoo/common';

export type { Descriptor } from '@karoo/common';

/** The OCI media types (@karoo/common's, one definition) and Docker's that registries still serve. */
export const MEDIA_TYPES = {
  ...OCI_MEDIA_TYPES,
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** Every manifest media type karoo asks a registry for (the `Accept` header of manifest requests). */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.imageManifest,
  MEDIA_TYPES.imageIndex,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
].join(', ');

export const REF_NAME_ANNOTATION = OCI_ANNOTATIONS.refName;

export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, exclusive. */
  readonly end: number;
}

/** Where a blob's bytes come from. `open` is called again for every retry. */
export interface BlobSource {
  open(range?: ByteRange): Readable;
  /** A local file holding exactly these bytes, when there is one. */
  readonly path?: string | undefined;
  /** True when the bytes at `path` were already checked against the digest (lets a layout store link them). */
  readonly verified?: boolean | undefined;
}

export interface PutBlobResult {
  /** Bytes added to the store (0 when the blob was mounted). */
  readonly bytes: number;
  readonly how: 'uploaded' | 'chunked' | 'linked' | 'copied' | 'mounted';
}

export interface StoredManifest {
  readonly descriptor: Descriptor;
  readonly bytes: Buffer;
}

/**
 * A candidate store: content-addressed blobs and manifests, tags, and referrers. Two
 * implementations: an OCI registry (distribution API) and an OCI image layout directory.
 * Every write checks digest and size before anything becomes visible.
 */
export interface Store {
  readonly kind: 'registry' | 'oci-layout';
  /** The store reference as the user wrote it (`oci-layout:PATH` or `REGISTRY/REPOSITORY`). */
  readonly ref: string;
  /** A reference to one manifest by digest: `REGISTRY/REPOSITORY@sha256:…` or `oci-layout:PATH@sha256:…`. */
  refFor(digest: Digest): string;

  hasBlob(digest: Digest): Promise<boolean>;
  /** Stores a blob, checking its digest and size; a mismatch stores nothing and throws an integrity error. */
  putBlob(blob: { digest: Digest; size: number }, source: BlobSource): Promise<PutBlobResult>;
  /** The blob's raw bytes; the caller checks them. Missing blobs throw an integrity error. */
  getBlob(digest: Digest, range?: ByteRange): Promise<Readable>;
  /** Makes a blob of another repository of the same registry available here without uploading it. */
  mountBlob(blob: { digest: Digest; size: number }, fromRepository: string): Promise<boolean>;

  /** Descriptor of a manifest by digest or tag, or undefined when absent. */
  hasManifest(reference: string): Promise<Descriptor | undefined>;
  /** A manifest's bytes; asked by digest, they are checked against it (callers need not re-hash). */
  getManifest(reference: string): Promise<StoredManifest>;
  /**
   * Stores a manifest (its blobs must be there already) under its digest, and under `tag` if given.
   * A manifest with `subject` is also made findable through referrers().
   */
  putManifest(bytes: Uint8Array, mediaType: string, options?: { tag?: string | undefined }): Promise<Descriptor>;
  listTags(): Promise<string[]>;
  /** Manifests whose `subject` is the given digest (optionally of one artifactType), sorted by digest. */
  referrers(subject: Digest, artifactType?: string): Promise<Descriptor[]>;
}

/** The fields of a manifest or index that stores look at. */
export interface ManifestInfo {
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config?: Descriptor;
  readonly layers?: Descriptor[];
  readonly manifests?: Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Record<string, string>;
}
