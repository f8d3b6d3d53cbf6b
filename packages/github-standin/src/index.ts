export { GitHubDescription, loadGitHubDescription, strictSchema, type Operation, type Parameter, type RouteMatch } from './description.js';
export {
  GitHubStandin,
  startGitHubStandin,
  faults,
  READ_ONLY,
  WRITE_ALL,
  COMMENT_BODY_LIMIT,
  type Fault,
  type Permissions,
  type Scope,
  type TokenGrant,
  type RecordedRequest,
  type StandinOptions,
  type PullRequestSeed,
  type WorkflowRunSeed,
} from './server.js';
