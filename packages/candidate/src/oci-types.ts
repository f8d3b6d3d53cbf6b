import type { Digest } from '@karoo/common';

/** OCI media types of the documents a candidate is made of. */
export const OCI = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

/** An OCI content descriptor (image-spec descriptor.md). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly artifactType?: string | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

/** An OCI image manifest (image-spec manifest.md), the shape karoo writes. */
export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType: typeof OCI.imageManifest;
  readonly artifactType?: string | undefined;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

/** A blob whose bytes are computed, not downloaded (config, lock files, provenance). */
export interface InlineBlob {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
}
