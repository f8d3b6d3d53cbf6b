import { KarooError, type Progress } from '@karoo/common';
import type { Credentials } from './auth.js';
import { isLoopbackRegistry } from './http.js';
import { LayoutStore } from './layout.js';
import { RegistryStore, type RetryPolicy } from './registry.js';
import type { Store } from './types.js';

export type StoreRef = { kind: 'oci-layout'; path: string } | { kind: 'registry'; registry: string; repository: string };

const REPO_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPO_RE = new RegExp(`^${REPO_COMPONENT}(?:/${REPO_COMPONENT})*$`);
const HOST_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

/**
 * Parses a store reference: `oci-layout:PATH` (a directory) or `REGISTRY/REPOSITORY`
 * (e.g. `ghcr.io/owner/system`, `127.0.0.1:5000/acme/cam`).
 */
export function parseStoreRef(ref: string): StoreRef {
  const usage = 'use oci-layout:PATH or REGISTRY/REPOSITORY (e.g. ghcr.io/owner/system or 127.0.0.1:5000/acme/cam)';
  if (ref.startsWith('oci-layout:')) {
    const path = ref.slice('oci-layout:'.length);
    if (path === '') throw new KarooError('input', `store "${ref}" has no path; ${usage}`);
    return { kind: 'oci-layout', path };
  }
  const slash = ref.indexOf('/');
  const host = slash < 0 ? '' : ref.slice(0, slash);
  const repository = slash < 0 ? '' : ref.slice(slash + 1);
  if (/^[a-z]+:\/\//.test(ref)) throw new KarooError('input', `store "${ref}" must not carry a URL scheme; ${usage}`);
  if (!host || !(host.includes('.') || host.includes(':') || host === 'localhost') || !HOST_RE.test(host)) {
    throw new KarooError('input', `store "${ref}" does not start with a registry host; ${usage}`);
  }
  if (!REPO_RE.test(repository)) {
    throw new KarooError(
      'input',
      `store "${ref}": repository "${repository}" is not a valid OCI repository name (lowercase letters, digits, separators . _ - /; no tag or digest); ${usage}`,
    );
  }
  return { kind: 'registry', registry: host, repository };
}

export interface OpenStoreOptions {
  /** Registry credentials; default: from the environment (see registryCredentialsFromEnv). */
  readonly credentials?: Credentials | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  readonly progress?: Progress | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
  readonly chunkThreshold?: number | undefined;
  readonly chunkSize?: number | undefined;
}

/**
 * Registry credentials from the environment: KAROO_REGISTRY_USERNAME + KAROO_REGISTRY_PASSWORD,
 * else GITHUB_TOKEN (user GITHUB_ACTOR) for ghcr.io.
 */
export function registryCredentialsFromEnv(registry: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  if (env.KAROO_REGISTRY_PASSWORD) return { username: env.KAROO_REGISTRY_USERNAME || 'karoo', password: env.KAROO_REGISTRY_PASSWORD };
  if (registry === 'ghcr.io' && env.GITHUB_TOKEN) return { username: env.GITHUB_ACTOR || 'x-access-token', password: env.GITHUB_TOKEN };
  return undefined;
}

/** Opens the store a reference names. Plain HTTP is used only for loopback registries. */
export function openStore(ref: string, options: OpenStoreOptions = {}): Store {
  const r = parseStoreRef(ref);
  if (r.kind === 'oci-layout') return new LayoutStore(r.path);
  return new RegistryStore({
    registry: r.registry,
    repository: r.repository,
    scheme: isLoopbackRegistry(r.registry) ? 'http' : 'https',
    credentials: options.credentials ?? registryCredentialsFromEnv(r.registry, options.env),
    progress: options.progress,
    retry: options.retry,
    chunkThreshold: options.chunkThreshold,
    chunkSize: options.chunkSize,
  });
}
