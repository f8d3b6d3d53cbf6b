export { type LeafMove, type Verdict, type Judge, type SearchResult, searchCulprits } from './search.js';
export {
  type AcceptanceOutcome,
  type AcceptFn,
  type BisectOptions,
  type BisectResult,
  type BisectStep,
  type Endpoint,
  bisect,
  endpointFrom,
  formatMove,
} from './bisect.js';
