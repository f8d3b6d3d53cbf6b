import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { KarooError, type Progress } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import type { CandidateInput } from '@karoo/candidate';
import type { Lock } from '@karoo/lock';
import type { Store } from '@karoo/oci';

/** Where candidates go when neither --store nor karoo.yml `store:` says: an OCI layout in the working directory. */
export const DEFAULT_STORE = 'oci-layout:.karoo/store';

export interface CandidateCliOptions {
  lock?: string;
  system?: string;
  config?: string;
  store?: string;
  json?: boolean;
}

/** karoo.yml from --config, else ./karoo.yml when there is one. */
export async function maybeConfig(opts: CandidateCliOptions): Promise<KarooConfig | undefined> {
  const path = opts.config ?? (existsSync('karoo.yml') ? 'karoo.yml' : undefined);
  if (!path) return undefined;
  const { loadConfig } = await import('@karoo/config');
  return loadConfig(path);
}

/** The lock and what the candidate needs besides it (system name; target and leaves when the lock lacks them). */
export async function lockAndInput(
  opts: CandidateCliOptions,
  config: KarooConfig | undefined,
): Promise<{ lock: Lock; lockPath: string; input: CandidateInput; warnings: readonly string[] }> {
  const lockPath = opts.lock ?? (config ? join(config.lockDir, 'pylock.toml') : undefined);
  if (!lockPath) throw new KarooError('input', 'no lock given; pass --lock pylock.toml (or --config karoo.yml to use its lock)');
  const system = opts.system ?? config?.system;
  if (!system) throw new KarooError('input', 'no system name; pass --system NAME or --config karoo.yml (its "system")');
  const { readLockFile } = await import('@karoo/lock');
  const r = await readLockFile(lockPath);
  return {
    lock: r.lock,
    lockPath,
    warnings: r.warnings,
    input: { system, target: config?.target, leaves: config?.leaves.map((l) => l.key) },
  };
}

/** The store reference: --store, else karoo.yml `store:` (oci-layout paths relative to the file), else DEFAULT_STORE. */
export function storeRef(opts: CandidateCliOptions, config: KarooConfig | undefined): string {
  if (opts.store) return opts.store;
  const s = config?.store;
  if (s) {
    if (s.startsWith('oci-layout:')) {
      const p = s.slice('oci-layout:'.length);
      return isAbsolute(p) ? s : `oci-layout:${resolve(config.dir, p)}`;
    }
    return s;
  }
  return DEFAULT_STORE;
}

export async function openCliStore(ref: string, progress?: Progress): Promise<Store> {
  const { openStore } = await import('@karoo/oci');
  return openStore(ref, { progress });
}
