import * as core from '@actions/core';
import { errorMessage, isKarooError, type Progress } from '@karoo/common';

/**
 * Runs an action's main function and fails in one place: anything thrown (non-Error values
 * and unhandled rejections too) becomes one `core.setFailed` line and a non-zero exit.
 */
export function runAction(main: () => Promise<void>): void {
  const fail = (e: unknown) => {
    core.setFailed(errorMessage(e));
    if (!isKarooError(e) && e instanceof Error && e.stack) core.debug(e.stack);
    process.exitCode = 1;
  };
  process.on('unhandledRejection', fail);
  main().catch(fail);
}

/** Progress reported through the runner's log. */
export const actionProgress: Progress = { info: (m) => core.info(m), warn: (m) => core.warning(m) };

/** A required or optional string input; empty means absent. */
export function input(name: string, options: { required?: boolean; default?: string } = {}): string {
  const v = core.getInput(name, { required: options.required ?? false, trimWhitespace: true });
  return v === '' ? (options.default ?? '') : v;
}

export function optionalInput(name: string): string | undefined {
  const v = core.getInput(name, { trimWhitespace: true });
  return v === '' ? undefined : v;
}

export function booleanInput(name: string, fallback: boolean): boolean {
  if (core.getInput(name) === '') return fallback;
  return core.getBooleanInput(name);
}

/** A choice input, checked against the allowed values with an error that names both. */
export function choiceInput<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const v = core.getInput(name, { trimWhitespace: true });
  if (v === '') return fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new Error(`input "${name}" is "${v}"; allowed values: ${allowed.join(', ')}`);
  }
  return v as T;
}

export function setOutputs(outputs: Record<string, string | number | boolean>): void {
  for (const [k, v] of Object.entries(outputs)) core.setOutput(k, typeof v === 'string' ? v : String(v));
}

export { core };
