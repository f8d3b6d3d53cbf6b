export { normalizeName, isValidName } from './names.js';
export {
  type Version,
  parseVersion,
  isValidVersion,
  normalizeVersion,
  isPrerelease,
  compareVersions,
  compareVersionStrings,
} from './version.js';
export {
  type LockedFile,
  type LockedPackage,
  type Target,
  type LockMeta,
  Lock,
  LOCK_DIGEST_SCHEMA,
  canonicalLockJson,
  normalizeMarker,
} from './model.js';
export { type ChangeKind, type PackageChange, type LeafMove, type LockDiff, diffLocks } from './diff.js';
export { type LockFormat, type ReadLockResult, readLockFile } from './read.js';
