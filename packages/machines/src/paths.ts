import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownerRef } from './proc.js';

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

/** The file in a karoo temporary directory that names the process it belongs to. */
export const OWNER_FILE = '.karoo-owner.json';

/**
 * A temporary directory (`<tmp>/<prefix>XXXXXX`) that names its owner process inside it, so
 * `reap` removes it once that process is gone even if no environment recorded it yet.
 * `maxLength` keeps it short enough for unix sockets below it (falls back to /tmp).
 */
export async function ownedTempDir(prefix: string, maxLength = 40): Promise<string> {
  const base = join(tmpdir(), `${prefix}XXXXXX`).length <= maxLength ? tmpdir() : '/tmp';
  const dir = await mkdtemp(join(base, prefix));
  await writeFile(join(dir, OWNER_FILE), `${JSON.stringify(await ownerRef())}\n`);
  return dir;
}
