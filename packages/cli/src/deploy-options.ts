import { type GithubRun, runContextFromEnv } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import type { Store } from '@karoo/oci';
import { openCliStore, storeRef } from './candidate-options.js';

/** Options shared by deploy, accept and up. */
export interface SystemCliOptions {
  config: string;
  environment?: string;
  store?: string;
  candidate?: string;
  inventory?: string;
  json?: boolean;
  quiet?: boolean;
}

export async function loadSystem(opts: SystemCliOptions): Promise<{ config: KarooConfig; store: Store; candidate: string }> {
  const { loadConfig } = await import('@karoo/config');
  const { KarooError } = await import('@karoo/common');
  const config = await loadConfig(opts.config);
  if (!opts.candidate) throw new KarooError('input', 'no candidate; pass --candidate sha256:… (the digest karoo build printed)');
  const store = await openCliStore(storeRef({ store: opts.store }, config));
  return { config, store, candidate: opts.candidate };
}

/** The GitHub Actions run, when there is one: recorded in evidence (the run context of @karoo/common). */
export function runFromEnv(env: NodeJS.ProcessEnv = process.env): GithubRun | undefined {
  return runContextFromEnv(env).run;
}

/**
 * After printing a result that says it failed (with --json, the result is the one JSON document
 * on stdout): one line on stderr and the exit code of the error's kind.
 */
export async function exitWith(failure: { kind: string; message: string } | undefined): Promise<void> {
  if (!failure) return;
  const { EXIT_CODES } = await import('@karoo/common');
  process.stderr.write(`karoo: error: ${failure.message}\n`);
  process.exitCode = EXIT_CODES[failure.kind as keyof typeof EXIT_CODES] ?? 1;
}
