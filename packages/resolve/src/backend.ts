import type { IndexConfig } from '@karoo/config';
import type { Progress } from '@karoo/common';
import type { Target } from '@karoo/lock';

export interface RootRequirement {
  readonly name: string;
  readonly extras: readonly string[];
  /** Exact version: leaves are always pinned before the resolver sees them. */
  readonly version: string;
}

export interface ResolveRequest {
  readonly requirements: readonly RootRequirement[];
  /** Absolute paths of pip-style constraint files. */
  readonly constraints: readonly string[];
  /** Private index first. */
  readonly indexes: readonly IndexConfig[];
  readonly target: Target;
  /** A scratch directory the backend may use; removed by the caller. */
  readonly workDir: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ResolvedDistribution {
  readonly name: string;
  readonly version: string;
  /** The file the resolver chose, credentials stripped. */
  readonly url: string;
  readonly sha256?: string | undefined;
  /** True for the root requirements. */
  readonly requested: boolean;
}

/** A resolver that turns pinned leaves into the full transitive closure for a target. */
export interface ResolverBackend {
  readonly name: string;
  resolve(request: ResolveRequest, progress: Progress): Promise<ResolvedDistribution[]>;
  /** The bare command line this backend runs, for benchmarks and error messages. */
  commandLine(request: ResolveRequest): Promise<{ command: string; args: string[]; env: Record<string, string> }>;
}
