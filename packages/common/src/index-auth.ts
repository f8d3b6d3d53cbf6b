import { KarooError } from './errors.js';
import { pullRequestHead } from './run-context.js';

/** What karoo.yml says about an index's credentials: the environment variables that hold them. */
export interface IndexAuthConfig {
  readonly name: string;
  readonly url: string;
  readonly usernameEnv?: string | undefined;
  readonly passwordEnv?: string | undefined;
}

export interface IndexCredentials {
  readonly username: string;
  readonly password: string;
}

/** True for hosts that never leave the machine: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The one decision whether an index's credentials go with a request to `url`: only when the
 * index names credentials (set in `env`) and `url` has the index's own origin (scheme, host,
 * port), as pip does. Files an index page links on another host get none. Over plain HTTP
 * credentials go only to loopback; anything else throws KarooError('input') naming the index.
 * Pure: no I/O, the environment is passed in.
 */
export function credentialsFor(url: string | URL, index: IndexAuthConfig, env: NodeJS.ProcessEnv): IndexCredentials | undefined {
  const username = index.usernameEnv ? env[index.usernameEnv] : undefined;
  const password = index.passwordEnv ? env[index.passwordEnv] : undefined;
  if (username === undefined && password === undefined) return undefined;
  let target: URL;
  let base: URL;
  try {
    target = typeof url === 'string' ? new URL(url) : url;
    base = new URL(index.url);
  } catch {
    return undefined;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return undefined;
  if (target.origin !== base.origin) return undefined;
  if (target.protocol === 'http:' && !isLoopbackHost(target.hostname)) {
    throw new KarooError(
      'input',
      `index "${index.name}" at ${base.origin} would get its credentials (${[index.usernameEnv, index.passwordEnv].filter(Boolean).join(', ')}) over plain HTTP; use an https:// URL for it in karoo.yml (plain http carries credentials only to 127.0.0.1 or localhost)`,
    );
  }
  return { username: username ?? '', password: password ?? '' };
}

/**
 * The index whose credentials go with a request to `url`, among several: the indexes with the
 * URL's origin (see credentialsFor), preferring the one whose path is the longest prefix of the URL's.
 */
export function credentialsForAny(
  url: string | URL,
  indexes: readonly IndexAuthConfig[],
  env: NodeJS.ProcessEnv,
): { index: IndexAuthConfig; credentials: IndexCredentials } | undefined {
  let target: URL;
  try {
    target = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return undefined;
  }
  const withCredentials = new Map<IndexAuthConfig, IndexCredentials>();
  for (const index of indexes) {
    const credentials = credentialsFor(target, index, env);
    if (credentials) withCredentials.set(index, credentials);
  }
  const index = indexForUrl(target, [...withCredentials.keys()]);
  return index && { index, credentials: withCredentials.get(index)! };
}

/** The index of karoo.yml a URL belongs to: same origin, the longest path that holds the URL's. */
export function indexForUrl<T extends IndexAuthConfig>(url: string | URL, indexes: readonly T[]): T | undefined {
  let target: URL;
  try {
    target = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return undefined;
  }
  let best: { index: T; prefix: number } | undefined;
  for (const index of indexes) {
    let base: URL;
    try {
      base = new URL(index.url);
    } catch {
      continue;
    }
    if (base.origin !== target.origin) continue;
    const prefix = target.pathname.startsWith(base.pathname) ? base.pathname.length : 0;
    if (!best || prefix > best.prefix) best = { index, prefix };
  }
  return best?.index;
}

/**
 * What to say when an index refused a request (HTTP 401 or 403), from what karoo.yml names for
 * its login and what this process's environment holds: no login named, a login named but empty
 * here (in a pull request's run, most likely a fork's: GitHub gives those no secrets), or a login
 * the index refused. Names variables, never their values.
 */
export function refusedAccessMessage(index: IndexAuthConfig, what: string, status: number, env: NodeJS.ProcessEnv): string {
  const head = `index "${index.name}" refused access to ${what} (HTTP ${status})`;
  const named = [index.usernameEnv, index.passwordEnv].filter((v): v is string => Boolean(v));
  if (named.length === 0)
    return `${head}: it needs a login; name the environment variables that hold it with username-env and password-env for this index in karoo.yml`;
  const empty = named.filter((v) => !env[v]);
  if (empty.length > 0) {
    const which = `${empty.join(' and ')} ${empty.length === 1 ? 'is' : 'are'} empty here`;
    const set = `set ${empty.length === 1 ? 'it' : 'them'} to the index's login (in a workflow: from secrets, passed to karoo's steps)`;
    if (!(env.GITHUB_EVENT_NAME ?? '').startsWith('pull_request')) return `${head}: ${which}; ${set}`;
    // GitHub gives a run started by Dependabot only the Dependabot secrets, a fork's none.
    if (env.GITHUB_ACTOR === 'dependabot[bot]')
      return `${head}: ${which}. A run started by Dependabot gets only the repository's Dependabot secrets: add the index's login there too (Settings → Secrets and variables → Dependabot), under the names of its Actions secrets`;
    const pr = pullRequestHead(env);
    if (pr?.repository && env.GITHUB_REPOSITORY && pr.repository.toLowerCase() === env.GITHUB_REPOSITORY.toLowerCase())
      return `${head}: ${which}. This pull request's branch is in the repository itself, so its run has the repository's secrets: check that they are set and reach karoo's steps (one by one: secrets: inherit passes nothing to a workflow of another organization)`;
    return `${head}: ${which}. GitHub gives the run of a pull request from a fork no secrets, so a fork's candidate cannot be resolved against this index; push the branch to the repository itself, or set the secrets if this is not a fork`;
  }
  return status === 403
    ? `${head}: the login in ${named.join('/')} may not read it; check that account's access to the index`
    : `${head}: it did not accept the login in ${named.join('/')}; check those credentials`;
}

/** `Basic …` for an Authorization header. */
export function basicAuthHeader(c: IndexCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** `url` with the credentials as its user info, for a child process (pip) that reads them from the URL. */
export function urlWithUserinfo(url: string, c: IndexCredentials): string {
  const u = new URL(url);
  u.username = encodeURIComponent(c.username);
  u.password = encodeURIComponent(c.password);
  return u.href;
}
