export {
  type RebuildFile,
  type RebuildFileStatus,
  type RebuildOptions,
  type RebuildResult,
  type StoredCandidate,
  readStoredCandidate,
  rebuild,
} from './rebuild.js';
export { type ChallengeBlob, type ChallengeCopy, type ChallengeOptions, type ChallengeResult, challenge } from './challenge.js';
