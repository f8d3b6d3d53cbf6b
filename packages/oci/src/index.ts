export {
  type BlobSource,
  type ByteRange,
  type Descriptor,
  type ManifestInfo,
  type PutBlobResult,
  type Store,
  type StoredManifest,
  MANIFEST_ACCEPT,
  MEDIA_TYPES,
  REF_NAME_ANNOTATION,
} from './types.js';
export {
  bufferSource,
  fileSource,
  readAll,
  Hasher,
  blobsOf,
  manifestMediaType,
  parseManifestInfo,
  parseReferrersList,
  referrersTag,
} from './util.js';
export { type Credentials, parseChallenge } from './auth.js';
export { LayoutStore } from './layout.js';
export { RegistryStore, type RegistryStoreOptions, type RetryPolicy } from './registry.js';
export { type OpenStoreOptions, type StoreRef, openStore, parseStoreRef, registryCredentialsFromEnv } from './ref.js';
export { type VerifyResult, verifyManifest, verifyBlob, describeBlob, readVerifiedBlob } from './verify.js';
export { type CopyOptions, type CopyResult, copyArtifact, lazySource } from './copy.js';
export { type ExportResult, type ImportLimits, type ImportResult, DEFAULT_IMPORT_LIMITS, exportTar, importTar } from './tar.js';
