import { type Descriptor, OCI_MEDIA_TYPES } from '@karoo/common';

export type { Descriptor } from '@karoo/common';

/** OCI media types of the documents a candidate is made of (@karoo/common's, one definition). */
export const OCI = OCI_MEDIA_TYPES;

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
