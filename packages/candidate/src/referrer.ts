import { canonicalJson, type Digest, type GithubRun, KarooError, sha256Of } from '@karoo/common';
import { inlineBlob } from './candidate.js';
import { ANNOTATIONS, KAROO } from './media-types.js';
import { type Descriptor, type ImageManifest, type InlineBlob, OCI } from './oci-types.js';

/** The OCI empty config (`{}`), used by artifacts whose config says nothing. */
export const EMPTY_CONFIG: InlineBlob = {
  bytes: new TextEncoder().encode('{}'),
  descriptor: { mediaType: OCI.empty, digest: sha256Of('{}'), size: 2 },
};

/** A manifest that refers to another one through `subject` (provenance, evidence, promotions). */
export interface Referrer {
  readonly digest: Digest;
  readonly descriptor: Descriptor;
  readonly manifest: ImageManifest;
  readonly manifestBytes: Uint8Array;
  /** Every blob the manifest references (the empty config included). */
  readonly blobs: readonly InlineBlob[];
}

export interface ReferrerInput {
  readonly subject: Descriptor;
  readonly artifactType: string;
  /** One layer per payload. */
  readonly payloads: ReadonlyArray<{ mediaType: string; content: string | Uint8Array; title?: string }>;
  /** Manifest annotations; times are fine here: a referrer is not the candidate. */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

/** Builds an artifact manifest (image manifest, empty config) with `subject`. */
export function referrerFor(input: ReferrerInput): Referrer {
  const layers = input.payloads.map((p) => inlineBlob(p.mediaType, p.content, p.title));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI.imageManifest,
    artifactType: input.artifactType,
    config: EMPTY_CONFIG.descriptor,
    layers: layers.map((l) => l.descriptor),
    subject: { mediaType: input.subject.mediaType, digest: input.subject.digest, size: input.subject.size },
    annotations: input.annotations && Object.keys(input.annotations).length > 0 ? { ...input.annotations } : undefined,
  };
  const manifestBytes = new TextEncoder().encode(canonicalJson(manifest));
  const digest = sha256Of(manifestBytes);
  return {
    digest,
    manifest,
    manifestBytes,
    blobs: [EMPTY_CONFIG, ...layers],
    descriptor: {
      mediaType: OCI.imageManifest,
      digest,
      size: manifestBytes.length,
      artifactType: input.artifactType,
      annotations: manifest.annotations,
    },
  };
}

/**
 * Who built a candidate, from what and when, and the run it was built in (the run context of
 * @karoo/common, without the actor). Kept out of the candidate so the candidate stays deterministic.
 */
export interface Provenance extends Omit<GithubRun, 'actor'> {
  /** ISO 8601 UTC time of the build. */
  readonly builtAt: string;
  /** The tool and version that built it, e.g. `karoo 0.1.0` (KAROO_VERSION). */
  readonly builder: string;
  readonly lockDigest: Digest;
}

/** The provenance artifact of a candidate: one canonical JSON layer, `subject` = the candidate. */
export function provenanceFor(candidate: Descriptor, provenance: Provenance): Referrer {
  if (Number.isNaN(Date.parse(provenance.builtAt))) {
    throw new KarooError('input', `provenance time "${provenance.builtAt}" is not an ISO 8601 time`);
  }
  return referrerFor({
    subject: candidate,
    artifactType: KAROO.provenance,
    payloads: [
      { mediaType: KAROO.provenance, content: canonicalJson({ schema: 'karoo.provenance/v1', ...provenance }), title: 'provenance.json' },
    ],
    annotations: { [ANNOTATIONS.created]: provenance.builtAt },
  });
}
