export {
  type AttestationInfo,
  type CandidateInfo,
  type EvidenceInfo,
  type EnvironmentInfo,
  type ReportInput,
  type Report,
  type ReportChange,
  type ReportDiff,
  CHANGE_ORDER,
  buildReport,
  reportMarker,
  checkReportKey,
} from './model.js';
export { type RenderOptions, type Rendered, COMMENT_LIMIT, SUMMARY_LIMIT, renderMarkdown, renderJson, signatureFacts } from './render.js';
export {
  type GitHubClient,
  type ClientOptions,
  type IssueTarget,
  type StickyResult,
  type PublishResult,
  createGitHubClient,
  rateLimitWait,
  explainGitHubError,
  GitHubAccessError,
  isGitHubAccessError,
  findMarkedComments,
  upsertStickyComment,
  publishReport,
  pullRequestFromEvent,
  type EventPullRequest,
} from './github.js';
export { type ReportFiles, loadLock, loadLockAtRef, parseEvidence, loadEvidence, loadEnvironments, reportFromFiles } from './inputs.js';
export { parseReport } from './parse.js';
export {
  type WorkflowRunFacts,
  type RunPullRequest,
  type WorkflowRunCommentOptions,
  type WorkflowRunCommentResult,
  workflowRunFromEvent,
  pullRequestOfRun,
  trustedRunUrl,
  commentFromWorkflowRun,
} from './workflow-run.js';
export {
  type BisectMove,
  type BisectReportInput,
  type BisectIssueResult,
  BISECT_MARKER,
  BISECT_ISSUE_LABEL,
  bisectHeadline,
  publishBisectIssue,
  renderBisectMarkdown,
} from './bisect.js';
