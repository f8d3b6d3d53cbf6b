/**
 * `permissions:` → the scopes of a job's GITHUB_TOKEN, GitHub's rules: a mapping names the
 * scopes granted (everything else is none, `metadata: read` always), `read-all`/`write-all`
 * grant every scope, no `permissions:` anywhere gives the repository's default (restricted:
 * `contents: read`, `packages: read`), a pull request from a fork gets at most read, and a
 * called workflow never gets more than its caller job.
 */
import type { TokenPermissions } from './types.js';

export const SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
] as const;

const LEVEL = { none: 0, read: 1, write: 2 } as const;

export class PermissionError extends Error {
  override name = 'PermissionError';
}

/** Parses an evaluated `permissions:` value; undefined when the key is absent. */
export function parsePermissions(value: unknown, where: string): TokenPermissions | undefined {
  if (value === undefined) return undefined;
  if (value === 'read-all' || value === 'write-all') {
    const level = value === 'read-all' ? 'read' : 'write';
    return Object.fromEntries(SCOPES.filter((s) => !(s === 'id-token' && level === 'read')).map((s) => [s, level]));
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new PermissionError(`${where}: permissions must be read-all, write-all or a mapping, got ${JSON.stringify(value)}`);
  const out: TokenPermissions = {};
  for (const [scope, level] of Object.entries(value as Record<string, unknown>)) {
    if (!(SCOPES as readonly string[]).includes(scope)) throw new PermissionError(`${where}: unknown permission scope "${scope}"`);
    if (level === 'none') continue;
    if (level !== 'read' && level !== 'write')
      throw new PermissionError(`${where}: permission ${scope} must be read, write or none, got ${JSON.stringify(level)}`);
    out[scope] = level;
  }
  return out;
}

export function defaultPermissions(kind: 'restricted' | 'permissive'): TokenPermissions {
  if (kind === 'permissive') return parsePermissions('write-all', 'default')!;
  return { contents: 'read', packages: 'read' };
}

/** The lower of two grants, scope by scope (a fork's cap, a caller's cap). */
export function cap(permissions: TokenPermissions, limit: TokenPermissions): TokenPermissions {
  const out: TokenPermissions = {};
  for (const [scope, level] of Object.entries(permissions)) {
    const max = limit[scope];
    if (!max) continue;
    out[scope] = LEVEL[level] <= LEVEL[max] ? level : max;
  }
  return out;
}

export const READ_ALL: TokenPermissions = parsePermissions('read-all', 'fork')!;

/** The stand-in's scope names for a token's permissions (`pull-requests` → `pull_requests`). */
export function standinScopes(permissions: TokenPermissions): Record<string, 'read' | 'write'> {
  return Object.fromEntries(Object.entries(permissions).map(([k, v]) => [k.replace(/-/g, '_'), v]));
}

/**
 * GitHub's check of a reusable workflow's jobs against the calling job's grant, made when the
 * caller's workflow is loaded (before any job runs, for skipped jobs too): a nested job that asks
 * for more than `granted` in any scope makes the whole caller invalid. Returns GitHub's message,
 * or undefined when the request fits.
 */
export function nestedPermissionError(jobId: string, asked: TokenPermissions, granted: TokenPermissions): string | undefined {
  const over = Object.entries(asked).filter(([scope, level]) => LEVEL[level] > LEVEL[granted[scope] ?? 'none']);
  if (over.length === 0) return undefined;
  const list = (f: (scope: string, level: string) => string) => over.map(([scope, level]) => f(scope, level)).join(', ');
  return `The nested job '${jobId}' is requesting '${list((s, l) => `${s}: ${l}`)}', but is only allowed '${list((s) => `${s}: ${granted[s] ?? 'none'}`)}'.`;
}
