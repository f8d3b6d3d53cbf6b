import { KarooError } from './errors.js';

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
  let best: { index: IndexAuthConfig; credentials: IndexCredentials; prefix: number } | undefined;
  for (const index of indexes) {
    const credentials = credentialsFor(target, index, env);
    if (!credentials) continue;
    const path = new URL(index.url).pathname;
    const prefix = target.pathname.startsWith(path) ? path.length : 0;
    if (!best || prefix > best.prefix) best = { index, credentials, prefix };
  }
  return best && { index: best.index, credentials: best.credentials };
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
