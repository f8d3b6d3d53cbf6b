import type { CloudImage, KarooImage } from './image.js';
import type { ProcInfo } from './proc.js';
import type { ProviderName, SshEndpoint } from './inventory.js';
import type { SeedFile } from './seed.js';
import type { EnvState, MachineState } from './state.js';

/** What a provider needs to start one machine. */
export interface CreateRequest {
  state: EnvState;
  machine: MachineState;
  image: KarooImage | CloudImage;
  seed: SeedFile[];
  /** SSH public key of the environment (cloud-init needs it apart from the seed files). */
  authorizedKey: string;
  /** Persists the state: called before each resource is made, so a crash leaves a record of it. */
  save: () => Promise<void>;
}

/**
 * A way of making machines. Every provider's machines boot an image, join the environment's
 * private network (the bridge in its namespace) with a static address, and run sshd with the
 * host key from the seed; the runner reaches them through the environment's forwarder.
 */
export interface Provider {
  readonly name: ProviderName;
  /** How many machines may boot at once on this runner. */
  maxParallelBoots(state: EnvState): number;
  /** Checks tools and the accelerator; records provider facts (e.g. kvm or tcg) in the state. */
  prepare(state: EnvState): Promise<void>;
  /** Starts the machine (does not wait for it); records its process in `machine`. */
  create(req: CreateRequest): Promise<void>;
  /** Whether the machine's process still runs. */
  isRunning(machine: MachineState): Promise<boolean>;
  /** Waits until the machine answers SSH, or throws with the last lines of its console. */
  waitReady(machine: MachineState, ssh: SshEndpoint, deadline: number): Promise<void>;
  /** Copies the console log and the journal (when the machine still answers) into `dir`. */
  collectLogs(state: EnvState, machine: MachineState, ssh: SshEndpoint | undefined, dir: string): Promise<string[]>;
  /** Stops the machine and removes what the provider made for it (overlay, disk, namespace). Idempotent. `processes` is a snapshot taken once for the whole environment. */
  destroy(state: EnvState, machine: MachineState, processes?: readonly ProcInfo[]): Promise<void>;
}
