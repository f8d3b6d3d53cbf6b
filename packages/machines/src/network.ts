import { readdir } from 'node:fs/promises';
import { names } from './names.js';
import { run } from './run.js';

const NETNS_DIR = '/run/netns';

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

/** Runs `ip` commands inside a namespace in one process. */
export async function ipBatch(netns: string | undefined, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  await run('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 30_000 });
}

export async function addNetns(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name], { timeoutMs: 30_000 });
}

export async function deleteNetns(name: string): Promise<void> {
  await run('ip', ['netns', 'delete', name], { allowFailure: true, timeoutMs: 30_000 });
}

export async function listNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch {
    return [];
  }
}

/** The environment's network: a namespace holding a bridge with the gateway address; nothing routes out of it. */
export async function createEnvNetwork(env: string, gateway: string): Promise<void> {
  await addNetns(names.netns(env));
  await ipBatch(names.netns(env), [
    'link set lo up',
    `link add ${names.bridge} type bridge stp_state 0 forward_delay 0`,
    `link set ${names.bridge} alias ${names.bridgeAlias(env)}`,
    `address add ${gateway}/24 dev ${names.bridge}`,
    `link set ${names.bridge} up`,
  ]);
}

/** nspawn: a namespace of the node's own with `host0`, the peer of a veth on the environment's bridge. */
export async function createNodeVeth(env: string, node: string, index: number, mac: string): Promise<string> {
  const ns = names.nodeNetns(env, node);
  await addNetns(ns);
  await ipBatch(names.netns(env), [
    `link add ${names.veth(index)} type veth peer name host0 address ${mac} netns ${ns}`,
    `link set ${names.veth(index)} alias ${names.vethAlias(env, node)}`,
    `link set ${names.veth(index)} master ${names.bridge} up`,
  ]);
  return ns;
}

/** qemu: a tap device on the environment's bridge for the node's virtio NIC. */
export async function createNodeTap(env: string, node: string, index: number): Promise<string> {
  const tap = names.tap(index);
  await ipBatch(names.netns(env), [
    `tuntap add dev ${tap} mode tap`,
    `link set ${tap} alias ${names.tapAlias(env, node)}`,
    `link set ${tap} master ${names.bridge} up`,
  ]);
  return tap;
}
