export { cell, code, codeCell, link, table, details, duration, bytes, shortDigest, count, result, type Align } from './markdown.js';
export {
  renderStepSummary,
  resolveSummary,
  buildSummary,
  deploySummary,
  acceptSummary,
  promoteSummary,
  changeCounts,
  testCounts,
  type Fact,
  type SummaryTable,
  type StepSummary,
  type ResolveSummaryInput,
  type BuildSummaryInput,
  type DeploySummaryInput,
  type AcceptSummaryInput,
  type PromoteSummaryInput,
} from './steps.js';
