export { type Descriptor, type ImageManifest, type InlineBlob, OCI } from './oci-types.js';
export { KAROO, ANNOTATIONS, fileMediaType } from './media-types.js';
export {
  type Candidate,
  type CandidateConfig,
  type CandidateFile,
  type CandidateInput,
  type LockRenderers,
  CANDIDATE_CONFIG_SCHEMA,
  assertComplete,
  candidateDigest,
  candidateFor,
  defaultLockRenderers,
  inlineBlob,
  isCandidateManifest,
  parseManifest,
} from './candidate.js';
export { type Provenance, type Referrer, type ReferrerInput, EMPTY_CONFIG, provenanceFor, referrerFor } from './referrer.js';
