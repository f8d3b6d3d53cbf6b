export {
  type SystemConfig,
  type CanonicalRole,
  type RenderedFile,
  CONFIG_SCHEMA,
  SYSTEM_SCHEMA,
  configDigest,
  environmentName,
  mergeValues,
  renderNodeFiles,
  systemConfig,
  systemIdOf,
} from './system.js';
export { renderTemplate, TemplateError } from './template.js';
export { type StagedCandidate, type StagedWheel, stageCandidate } from './stage.js';
export { type SshTarget, type SshResult, type PayloadFile, SshPool } from './ssh.js';
export {
  type DeployOptions,
  type DeployPlan,
  type DeployResult,
  type NodeDesiredState,
  type NodeOutcome,
  type NodePhases,
  type NodeResult,
  assertDeployed,
  deploy,
  matchInventory,
  planDeploy,
  startWaitSeconds,
  unitName,
} from './deploy.js';
export { type NodeStatus, type Receipt, type RollbackResult, type StatusResult, rollback, status } from './ops.js';
export { type AcceptOptions, type AcceptResult, type AcceptanceInventory, accept } from './accept.js';
export { type UpOptions, type UpResult, precheck, up } from './up.js';
export { AGENT_SHA256 } from './generated/agent.js';
