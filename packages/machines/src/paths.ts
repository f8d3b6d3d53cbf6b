import { join } from 'node:path';

/** Where environments keep their state (overlays, keys, logs): KAROO_STATE_DIR or /var/lib/karoo. */
export function stateRoot(): string {
  return process.env.KAROO_STATE_DIR ?? '/var/lib/karoo';
}

export function envsRoot(): string {
  return join(stateRoot(), 'envs');
}

export function envDir(env: string): string {
  return join(envsRoot(), env);
}

/** Where images are cached, outside any clone: KAROO_CACHE_DIR or /var/cache/karoo. */
export function cacheRoot(): string {
  return process.env.KAROO_CACHE_DIR ?? '/var/cache/karoo';
}

export function imagesRoot(): string {
  return join(cacheRoot(), 'images');
}
