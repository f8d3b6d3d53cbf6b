import { randomBytes } from 'node:crypto';
import { KarooError, quoteValue } from '@karoo/common';

/** `karoo-` and 8 lowercase hex digits: the prefix of every resource an environment owns. */
export const ENV_ID_RE = /^karoo-[0-9a-f]{8}$/;
/** Finds environment ids inside names, command lines and paths. */
export const ENV_ID_IN_TEXT_RE = /karoo-[0-9a-f]{8}(?![0-9a-f])/g;

export function newEnvironmentId(): string {
  return `karoo-${randomBytes(4).toString('hex')}`;
}

export function isEnvironmentId(s: string): boolean {
  return ENV_ID_RE.test(s);
}

export function checkEnvironmentId(s: string): string {
  if (!isEnvironmentId(s))
    throw new KarooError('input', `${quoteValue(s)} is not an environment id; expected karoo- and 8 hex digits, e.g. karoo-1a2b3c4d`);
  return s;
}

/** Longest node name: machine names are `karoo-<8 hex>-<node>` and must stay a valid 64-character host name. */
export const MAX_NODE_NAME = 48;
const HOSTNAME_LABEL_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Node names become host names, machine names and namespace names: RFC 1123 labels, lower case. */
export function checkNodeName(name: string): void {
  if (!HOSTNAME_LABEL_RE.test(name) || name.length > MAX_NODE_NAME) {
    throw new KarooError(
      'input',
      `node name ${quoteValue(name)} is not a valid host name; use 1-${MAX_NODE_NAME} lower-case letters, digits and inner hyphens (e.g. control-1)`,
    );
  }
  if (name === 'localhost') throw new KarooError('input', 'node name "localhost" is reserved; choose another name');
}

/** Resource names of one environment. Interface names are limited to 15 bytes, so links carry the full name as their alias. */
export const names = {
  netns: (env: string) => env,
  nodeNetns: (env: string, node: string) => `${env}-${node}`,
  machine: (env: string, node: string) => `${env}-${node}`,
  bridge: 'br0',
  bridgeAlias: (env: string) => `${env}-bridge`,
  veth: (index: number) => `v${index}`,
  vethAlias: (env: string, node: string) => `${env}-${node}-veth`,
  tap: (index: number) => `t${index}`,
  tapAlias: (env: string, node: string) => `${env}-${node}-tap`,
  overlaySource: (env: string, node: string) => `${env}-${node}`,
};

/**
 * The environment's private /24: 10.X.Y.0/24 derived from its id. Each environment has its own
 * namespace, so two environments never share a network even if the derived subnets met.
 */
export function subnetOf(env: string): { prefix: string; gateway: string; cidr: string; address: (index: number) => string } {
  const hex = env.slice('karoo-'.length);
  const x = 64 + (parseInt(hex.slice(0, 2), 16) % 64);
  const y = parseInt(hex.slice(2, 4), 16);
  const prefix = `10.${x}.${y}`;
  return {
    prefix,
    gateway: `${prefix}.1`,
    cidr: `${prefix}.0/24`,
    address: (index: number) => {
      if (index > 250) throw new KarooError('input', `an environment holds at most 251 nodes, got node #${index + 1}`);
      return `${prefix}.${index + 2}`;
    },
  };
}

/** A locally administered MAC address, unique within the environment. */
export function macOf(env: string, index: number): string {
  const hex = env.slice('karoo-'.length);
  return `52:54:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${(index & 0xff).toString(16).padStart(2, '0')}`;
}
