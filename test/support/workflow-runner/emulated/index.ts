/**
 * Third-party actions the runner emulates instead of running their code: matched by
 * owner/name (any ref or SHA, as workflows pin them), each in one module that says what it
 * models and what it leaves out.
 */
import type { JobRun } from '../job.js';
import type { Frame } from '../steps/step.js';
import { checkout } from './checkout.js';
import { downloadArtifact } from './download-artifact.js';
import { setupNode } from './setup-node.js';
import { uploadArtifact } from './upload-artifact.js';

export interface EmulatedContext {
  /** `with:` values, then the defaults below (as strings). */
  readonly inputs: Record<string, string>;
  readonly job: JobRun;
  readonly frame: Frame;
  readonly log: (line: string) => void;
}

export interface EmulatedAction {
  readonly repository: string;
  /** Declared inputs and their defaults (undefined: no default). */
  readonly inputs: Record<string, string | undefined>;
  /** Returns the step's outputs; throws to fail the step. */
  run(ctx: EmulatedContext): Promise<Record<string, string>>;
}

const ALL: readonly EmulatedAction[] = [checkout, uploadArtifact, downloadArtifact, setupNode];

export function emulatedAction(repository: string): EmulatedAction | undefined {
  return ALL.find((a) => a.repository === repository.toLowerCase());
}

/** The owner/name pairs the runner emulates. */
export const EMULATED = ALL.map((a) => a.repository);
