import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@karoo/common';
import type { ProviderName } from './inventory.js';
import { envDir, envsRoot } from './paths.js';
import type { OwnerRef, ProcRef } from './proc.js';
import { isEnvironmentId } from './names.js';

/** What one machine of an environment is, as far as teardown needs to know. */
export interface MachineState {
  name: string;
  role: string;
  index: number;
  address: string;
  mac: string;
  machineId: string;
  /** The provider's main process: systemd-nspawn or qemu-system-x86_64. */
  process?: ProcRef;
  /** nspawn: the overlay mount point. */
  mountPoint?: string;
  /** nspawn: the node's own network namespace. */
  netns?: string;
  consoleLog: string;
  hostKey: string;
  sshPort?: number;
  cpus?: number;
  memory?: number;
  startedAt?: string;
  readyAt?: string;
}

/**
 * The stamp of an environment: written before any resource exists and updated as each is
 * created, so `reap` can always tell what belongs to which environment and whether it is
 * still wanted (owner alive while provisioning, or not yet expired).
 */
export interface EnvState {
  version: 1;
  environmentId: string;
  provider: ProviderName;
  phase: 'provisioning' | 'ready' | 'destroying' | 'failed';
  createdAt: string;
  expiresAt: string;
  ttlSeconds: number;
  /**
   * The process provisioning it; while phase is provisioning, its death makes the environment an
   * orphan. With `lifetime: 'owner'` its death ends the environment in every phase. Its
   * `bootId` is the boot the environment was made in: after a restart its processes, namespaces
   * and mounts are gone.
   */
  owner: OwnerRef;
  /**
   * `owner`: the environment exists only for its owner process (karoo up, karoo demo) and goes
   * the moment that process is gone (reap, watchdog). `ttl` (or absent): handed on to others
   * (karoo provision), it lives until destroyed or expired.
   */
  lifetime?: 'owner' | 'ttl';
  /** Directories outside the state directory that go with the environment (the owner's temporary files). */
  paths?: string[];
  /** Directories the owner points its helpers at (KAROO_* variables): processes using them are the environment's. Kept. */
  related?: string[];
  keep: boolean;
  netns: string;
  cidr: string;
  dir: string;
  outDir: string;
  inventoryPath?: string;
  accelerator?: 'kvm' | 'tcg';
  image: { id: string; kind: 'karoo' | 'cloud'; sha256?: string };
  /** The watchdog (started right after this stamp, before any resource), later also the SSH forwarder. */
  forwarder?: ProcRef;
  machines: MachineState[];
  timings: Record<string, number>;
}

export function statePath(env: string): string {
  return join(envDir(env), 'state.json');
}

export async function saveState(s: EnvState): Promise<void> {
  await writeFileAtomic(statePath(s.environmentId), `${JSON.stringify(s, null, 2)}\n`);
}

export async function loadState(env: string): Promise<EnvState | undefined> {
  try {
    return JSON.parse(await readFile(statePath(env), 'utf8')) as EnvState;
  } catch {
    return undefined;
  }
}

export async function listStateDirs(): Promise<string[]> {
  try {
    return (await readdir(envsRoot())).filter(isEnvironmentId).sort();
  } catch {
    return [];
  }
}
