export {
  PROMOTION,
  ENVIRONMENT_ANNOTATION,
  type Claim,
  type GateCheck,
  type PromotionRecord,
  type RunInfo,
  type StoredRecord,
  environmentTags,
  environmentsInTags,
  readRecord,
} from './records.js';
export { type EnvironmentStatus, currentRecord, environmentStatus, history } from './history.js';
export { type GateEvidence, type GatePolicy, type GateResult, evaluateGate, formatDuration, gatePolicy, refusalMessage, timeIn } from './gate.js';
export { type ClaimOptions, type HeldClaim, acquireClaim } from './claim.js';
export {
  type DeploymentHandle,
  type DeploymentRequest,
  type DeploymentState,
  type DeploymentTracker,
  type GitHubDeploymentsOptions,
  githubDeployments,
} from './github.js';
export {
  type DeployHandover,
  type DeployRequest,
  type EvidenceLister,
  type PromoteOptions,
  type PromoteResult,
  promote,
  verifyCandidate,
} from './promote.js';
export { type RunContext, runFromEnv } from './run.js';
export { deployHandover, systemIdFromConfig } from './seams.js';
