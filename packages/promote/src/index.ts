export {
  PROMOTION,
  ENVIRONMENT_ANNOTATION,
  type GateCheck,
  type PromotionRecord,
  type RunInfo,
  type StoredRecord,
  environmentTags,
  environmentsInTags,
  readRecord,
  sequenceTags,
} from './records.js';
export {
  type EnvironmentStatus,
  type Fork,
  type HistoryReport,
  currentRecord,
  describeFork,
  environmentStatus,
  history,
  readHistory,
} from './history.js';
export {
  type AttestedResults,
  type EvidenceRunRef,
  type EvidenceTrust,
  type ThisRunEvidence,
  type GateEvidence,
  type GatePolicy,
  type GateResult,
  type RunVerifier,
  evaluateGate,
  formatDuration,
  gatePolicy,
  refusalMessage,
  timeIn,
  trustEvidence,
} from './gate.js';
export { type GitHubRunVerifierOptions, evidenceRunVerifierFromEnv, githubRunVerifier } from './evidence-runs.js';
export { type LockOptions } from './lock.js';
export {
  type DeploymentHandle,
  type DeploymentRequest,
  type DeploymentState,
  type DeploymentTracker,
  type GitHubDeploymentsOptions,
  type SequenceClaim,
  type SequenceOutcome,
  githubDeployments,
} from './github.js';
export {
  type CandidateEvidence,
  type DeployHandover,
  type DeployRequest,
  type EvidenceLister,
  type PromoteOptions,
  type PromoteResult,
  candidateEvidence,
  promote,
  verifyCandidate,
} from './promote.js';
export { type PromotionContext, runFromEnv } from './run.js';
export { deployHandover, systemIdFromConfig } from './seams.js';
