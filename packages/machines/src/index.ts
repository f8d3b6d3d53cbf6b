/**
 * Ephemeral machines for acceptance runs: providers (systemd-nspawn containers, QEMU virtual
 * machines), environments with a private network and a fresh SSH key, the inventory deploy
 * reads, and teardown that always happens (destroy, TTL, reap).
 */
export {
  provision,
  providerFor,
  execOnNode,
  nodeEndpoint,
  checkNotExpired,
  handOver,
  PROVIDERS,
  type NodeSpec,
  type ProvisionOptions,
  type ProvisionResult,
} from './environment.js';
export {
  destroyEnvironment,
  destroyState,
  saveLogs,
  reap,
  reapReason,
  reapTempDirs,
  resourcesOf,
  knownEnvironments,
  sweep,
  type DestroyOptions,
  type DestroyReport,
  type ReapOptions,
  type Reaped,
} from './teardown.js';
export { buildImage, findImage, fetchCloudImage, imageId, imageRecipe, IMAGE_PACKAGES, type KarooImage, type CloudImage } from './image.js';
export {
  readInventory,
  parseInventory,
  writeInventory,
  INVENTORY_SCHEMA_ID,
  type Inventory,
  type InventoryNode,
  type SshEndpoint,
  type ProviderName,
} from './inventory.js';
export {
  type SshSession,
  SSH_DEFAULTS,
  sshPort,
  sshUser,
  checkSshEndpoint,
  hostKeyAlias,
  sshSettings,
  sshConfigEntry,
  sshOptions,
  sshExec,
  sshCommandLine,
  sshDestination,
  waitForSsh,
} from './ssh.js';
export type { Provider, CreateRequest } from './provider.js';
export { NspawnProvider, nspawnArgs } from './providers/nspawn.js';
export { QemuProvider, qemuArgs, detectAccelerator, writeNoCloudSeed } from './providers/qemu.js';
export {
  LibvirtProvider,
  libvirtOptions,
  libvirtNames,
  isLocalUri,
  LIBVIRT_NODE_DEFAULTS,
  type LibvirtHost,
  type LibvirtSettings,
} from './providers/libvirt.js';
export { Virsh, connectUri } from './providers/libvirt-client.js';
export { reapLibvirt, type LibvirtReaped } from './providers/libvirt-reap.js';
export { domainXml, parseStamp, stampXml, KAROO_XMLNS, type Stamp } from './providers/libvirt-xml.js';
export { place, describePlacement, type Placement, type PlacementHost, type PlacementNode } from './placement.js';
export { loadState, listStateDirs, type EnvState, type MachineState } from './state.js';
export { checkNodeName, isEnvironmentId, newEnvironmentId, subnetOf, MAX_NODE_NAME } from './names.js';
export { seedFiles, seedTar, type SeedFile } from './seed.js';
export { stateRoot, envDir, imagesRoot, cacheRoot, ownedTempDir, OWNER_FILE } from './paths.js';
export { listProcesses, isAlive, procRef, ownerRef, ownerGone, bootId, processesUsing, type ProcRef, type OwnerRef } from './proc.js';
export { findJobProcess, ownerOf, RUNNER_JOB_PROCESS } from './owner.js';
export { run, hasTool } from './run.js';
