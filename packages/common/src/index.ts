export * from './errors.js';
export * from './digest.js';
export { canonicalJson } from './canonical-json.js';
export { writeFileAtomic, writeFilesAtomic, sha256File } from './fs.js';
export { type Progress, silentProgress, stderrProgress } from './progress.js';
export {
  type IndexAuthConfig,
  type IndexCredentials,
  isLoopbackHost,
  credentialsFor,
  credentialsForAny,
  basicAuthHeader,
  indexForUrl,
  refusedAccessMessage,
  urlWithUserinfo,
} from './index-auth.js';
export {
  type Descriptor,
  OCI_ANNOTATIONS,
  OCI_MEDIA_TYPES,
  blobFileName,
  checkAnnotations,
  checkDescriptor,
  malformedManifest,
} from './descriptor.js';
export { configText, controlCharacterIn, quoteValue, sshConfigValue } from './config-text.js';
export { KAROO_VERSION } from './version.js';
export {
  type GithubRun,
  isDefaultBranchPush,
  type PullRequestHead,
  pullRequestHead,
  type RunContext,
  runContextFromEnv,
} from './run-context.js';
