export { normalizeName, isValidName } from './names.js';
export {
  type Version,
  parseVersion,
  isValidVersion,
  normalizeVersion,
  isPrerelease,
  compareVersions,
  compareVersionStrings,
  satisfies,
} from './version.js';
export {
  type LockedFile,
  type LockedPackage,
  type Target,
  type LockMeta,
  type ResolutionCutoff,
  Lock,
  LOCK_DIGEST_SCHEMA,
  canonicalLockJson,
  normalizeMarker,
} from './model.js';
export { type ChangeKind, type PackageChange, type LeafMove, type LockDiff, diffLocks } from './diff.js';
export { type LockFormat, type ReadLockResult, readLockFile, readLockText, detectLockFormat } from './read.js';
export {
  type RequirementsFile,
  type RequirementEntry,
  type RequirementKind,
  type RequirementHash,
  type HashAlgorithm,
  type RequirementsOptions,
  type RequirementsInclude,
  type KarooFileComment,
  type KarooIndexComment,
  type ParseRequirementsOptions,
  parseRequirements,
  parseRequirementsFile,
} from './requirements.js';
export { type RequirementsLock, type UnpinnedRequirement, requirementsToLock, writeRequirements } from './requirements-lock.js';
export { type PylockResult, parsePylock, writePylock, targetEnvironment } from './pylock.js';
export { type ToolLockResult, parseUvLock, parsePoetryLock } from './tool-locks.js';
export {
  type Pep508Requirement,
  type SpecifierClause,
  type SpecifierOperator,
  parsePep508,
  parseSpecifiers,
  validateMarker,
  RequirementSyntaxError,
} from './pep508.js';
export { stripUserinfo, hasUserinfo, parseWheelName, parseSdistName } from './files.js';
export { parseInstant, formatInstant, formatInstantExact, normalizeInstant } from './time.js';
