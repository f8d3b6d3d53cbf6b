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
export {
  type CheckedCandidate,
  type IssueResult,
  type RebuildCheck,
  type RunningCandidate,
  REBUILD_ISSUE_LABEL,
  REBUILD_ISSUE_MARKER,
  publishRebuildIssue,
  rebuildCheck,
  renderCheckMarkdown,
} from './check.js';
