/** What a runner session, one run and one job share while they execute (internal). */
import type { GitHubStandin } from '@karoo/github-standin';
import type { CacheService } from './cache-service.js';
import type { ConcurrencyGroups } from './concurrency.js';
import type { Masker } from './log.js';
import type { Cancellation } from './process.js';
import type { Repos } from './repos.js';
import type { EnvironmentSettings, JobResult, RunOptions, TokenPermissions } from './types.js';

export interface TokenInfo {
  readonly permissions: TokenPermissions;
  readonly runId: number;
  readonly repository: string;
  readonly job: string;
}

/** Shared by every run of one WorkflowRunner. */
export interface Services {
  readonly repos: Repos;
  readonly workdir: string;
  readonly artifactsRoot: string;
  readonly toolCache: string;
  readonly concurrency: ConcurrencyGroups;
  readonly tokens: Map<string, TokenInfo>;
  readonly standin: GitHubStandin | undefined;
  readonly apiUrl: string;
  readonly serverUrl: string;
  /** Starts the Actions cache stand-in (with Azurite) on first use. */
  cache(): Promise<CacheService>;
  nextId(): number;
}

/** One workflow run (a called workflow shares its caller's run). */
export interface RunState {
  readonly services: Services;
  readonly options: RunOptions;
  readonly runId: number;
  readonly repository: string;
  readonly defaultBranch: string;
  /** github context fields that are the same for every job of the run. */
  readonly github: Record<string, unknown>;
  readonly eventPath: string;
  readonly cancellation: Cancellation;
  /** Masks every secret of the run (and values added with ::add-mask::). */
  readonly masker: Masker;
  readonly tokens: string[];
  readonly results: JobResult[];
  readonly artifactsDir: string;
  readonly vars: Record<string, string>;
  readonly environments: Record<string, EnvironmentSettings>;
  /** A pull request from a fork: no secrets, read-only token. */
  readonly fork: boolean;
  readonly log: string[];
  /** A re-run of failed jobs: the attempt before, whose jobs that succeeded keep their results. */
  readonly kept?: { readonly attempt: number; readonly jobs: Readonly<Record<string, JobResult>> };
}
