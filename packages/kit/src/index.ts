import * as core from '@actions/core';
import { errorMessage, exitCodeOf, isKarooError, KarooError, type Progress } from '@karoo/common';
import { parseDuration } from '@karoo/config';

/**
 * Runs an action's main function and fails in one place: anything thrown (non-Error values
 * and unhandled rejections too) becomes one `core.setFailed` line and a non-zero exit: 1, or
 * with `exitCodes` karoo's code of the error's kind (2 input, 3 integrity, …), as the CLI exits.
 */
export function runAction(main: () => Promise<void>, options: { exitCodes?: boolean } = {}): void {
  const fail = (e: unknown) => {
    core.setFailed(errorMessage(e));
    if (!isKarooError(e) && e instanceof Error && e.stack) core.debug(e.stack);
    process.exitCode = options.exitCodes ? exitCodeOf(e) : 1;
  };
  process.on('unhandledRejection', fail);
  main().catch(fail);
}

/** Progress reported through the runner's log. */
export const actionProgress: Progress = { info: (m) => core.info(m), warn: (m) => core.warning(m) };

/** A required or optional string input; empty means absent. */
export function input(name: string, options: { required?: boolean; default?: string } = {}): string {
  const v = core.getInput(name, { trimWhitespace: true });
  if (v === '' && options.required) throw new KarooError('input', `input "${name}" is required and was not given`);
  return v === '' ? (options.default ?? '') : v;
}

export function optionalInput(name: string): string | undefined {
  const v = core.getInput(name, { trimWhitespace: true });
  return v === '' ? undefined : v;
}

/** A boolean input (YAML 1.2 core schema: true/True/TRUE, false/False/FALSE); anything else is an input error naming it. */
export function booleanInput(name: string, fallback: boolean): boolean {
  const v = core.getInput(name, { trimWhitespace: true });
  if (v === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(v)) return true;
  if (['false', 'False', 'FALSE'].includes(v)) return false;
  throw new KarooError('input', `input "${name}" is "${v}"; expected true or false`);
}

/** A choice input, checked against the allowed values with an error that names both. */
export function choiceInput<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const v = core.getInput(name, { trimWhitespace: true });
  if (v === '') return fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new KarooError('input', `input "${name}" is "${v}"; allowed values: ${allowed.join(', ')}`);
  }
  return v as T;
}

/** A whole-number input within [min, max]; anything else (`abc`, `1.5`, `0` below min) is an input error naming it. */
export function integerInput(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const v = core.getInput(name, { trimWhitespace: true });
  if (v === '') return fallback;
  const n = /^-?[0-9]+$/.test(v) ? Number(v) : Number.NaN;
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const bounds = range.max === undefined ? `at least ${min}` : `from ${min} to ${max}`;
    throw new KarooError('input', `input "${name}" is "${v}"; expected a whole number ${bounds}`);
  }
  return n;
}

/** A duration input (`30s`, `10m`, `2h`, `1d`) in seconds; undefined when empty. */
export function durationInput(name: string): number | undefined {
  const v = optionalInput(name);
  if (v === undefined) return undefined;
  try {
    return parseDuration(v);
  } catch {
    throw new KarooError('input', `input "${name}" is "${v}"; expected a duration such as 30s, 10m, 2h or 1d`);
  }
}

/** A list input: one item per line (or per `separator`), blank items dropped. */
export function listInput(name: string, separator: RegExp = /\n/): string[] {
  return (optionalInput(name) ?? '')
    .split(separator)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function setOutputs(outputs: Record<string, string | number | boolean>): void {
  for (const [k, v] of Object.entries(outputs)) core.setOutput(k, typeof v === 'string' ? v : String(v));
}

/**
 * The GitHub token of an action: `github-token`, karoo's one name for it (as in
 * actions/github-script). The old name `token` is still read, with a deprecation warning; given
 * explicitly it wins, because `github-token` always carries its default (`github.token`).
 */
export function githubTokenInput(): string | undefined {
  const old = optionalInput('token');
  if (old !== undefined) {
    core.warning('input "token" is deprecated; pass the token as "github-token" instead (the old name will be removed in karoo v2)');
    core.setSecret(old);
    return old;
  }
  const token = optionalInput('github-token');
  if (token) core.setSecret(token);
  return token;
}

/** An index as karoo.yml declares it: where its credentials are read from. */
interface IndexCredentialNames {
  readonly private: boolean;
  readonly usernameEnv?: string | undefined;
  readonly passwordEnv?: string | undefined;
}

/** Private index credentials as an action's inputs give them (`index-username`, `index-password`). */
export interface IndexCredentials {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

/** The inputs `index-username` and `index-password`; the password is masked in the log. */
export function indexCredentialsInput(): IndexCredentials {
  const username = optionalInput('index-username');
  const password = optionalInput('index-password');
  if (password) core.setSecret(password);
  return { username, password };
}

/**
 * Private index credentials given as inputs (`index-username`, `index-password`, from the
 * workflow's secrets) are placed, in this process only, in the environment variables that the
 * first private index names in karoo.yml (`username-env`, `password-env`), where the resolver
 * and the build read them. A variable that is already set is left alone. Returns the names set.
 */
export function setIndexCredentials(
  indexes: readonly IndexCredentialNames[],
  credentials: IndexCredentials,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const { username, password } = credentials;
  if (username === undefined && password === undefined) return [];
  const ix = indexes.find((i) => i.private && (i.usernameEnv || i.passwordEnv));
  if (!ix) {
    throw new KarooError(
      'input',
      'inputs "index-username"/"index-password" are set, but no private index in the configuration names username-env or password-env; add them to the private index in karoo.yml',
    );
  }
  const set: string[] = [];
  if (username !== undefined && ix.usernameEnv && env[ix.usernameEnv] === undefined) {
    env[ix.usernameEnv] = username;
    set.push(ix.usernameEnv);
  }
  if (password !== undefined && ix.passwordEnv && env[ix.passwordEnv] === undefined) {
    env[ix.passwordEnv] = password;
    set.push(ix.passwordEnv);
  }
  return set;
}

export { core };
