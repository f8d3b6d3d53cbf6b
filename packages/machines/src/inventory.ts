import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { KarooError, quoteValue, writeFileAtomic } from '@karoo/common';
import { Ajv, type ErrorObject } from 'ajv';
import schema from '../schema/inventory.schema.json' with { type: 'json' };

export type ProviderName = 'nspawn' | 'qemu' | 'libvirt';

export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  keyPath?: string;
  knownHostsPath?: string;
  hostKeyAlias?: string;
  hostKey?: string;
}

export interface InventoryNode {
  name: string;
  role: string;
  /** Address on the environment's private network. */
  address: string;
  ssh: SshEndpoint;
  provider: ProviderName | 'static';
  machineId?: string;
  cpus?: number;
  memory?: number;
}

/** The JSON document deploy and the acceptance tests read (schema/inventory.schema.json). */
export interface Inventory {
  $schema?: string;
  version: 1;
  environmentId: string;
  createdAt?: string;
  ttlSeconds?: number;
  expiresAt?: string;
  provider: ProviderName | 'static';
  accelerator?: 'kvm' | 'tcg';
  image?: { id?: string; kind?: 'karoo' | 'cloud'; sha256?: string };
  network?: { cidr?: string; namespace?: string };
  logsDir?: string;
  nodes: InventoryNode[];
}

export const INVENTORY_SCHEMA_ID = 'https://karoo.dev/schema/inventory.schema.json';

let validator: ReturnType<Ajv['compile']> | undefined;

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replace(/\//g, '.');
  if (e.keyword === 'additionalProperties')
    return `${where}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  // The value JSON-quoted, so a newline in it cannot split the message (or anything that logs it).
  if (e.keyword === 'pattern' && typeof e.data === 'string')
    return `${where}: ${quoteValue(e.data)} is not allowed (must match ${(e.params as { pattern: string }).pattern})`;
  return `${where}: ${e.message ?? 'is invalid'}`;
}

/** Checks a parsed inventory against the schema; fills defaults (port 22, user root) and resolves key paths against `baseDir`. */
export function parseInventory(value: unknown, source: string, baseDir?: string): Inventory {
  validator ??= new Ajv({ allErrors: true, strict: false, useDefaults: true, validateFormats: false, verbose: true }).compile(schema);
  if (!validator(value)) {
    const e = validator.errors![0]!;
    throw new KarooError('input', `inventory ${source}: ${describe(e)}; see packages/machines/schema/inventory.schema.json`);
  }
  const inv = value as Inventory;
  const names = new Set<string>();
  for (const n of inv.nodes) {
    if (names.has(n.name)) throw new KarooError('input', `inventory ${source}: node "${n.name}" is listed twice`);
    names.add(n.name);
    n.provider ??= inv.provider;
    if (baseDir) {
      if (n.ssh.keyPath && !isAbsolute(n.ssh.keyPath)) n.ssh.keyPath = resolve(baseDir, n.ssh.keyPath);
      if (n.ssh.knownHostsPath && !isAbsolute(n.ssh.knownHostsPath)) n.ssh.knownHostsPath = resolve(baseDir, n.ssh.knownHostsPath);
    }
  }
  return inv;
}

export async function readInventory(path: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new KarooError(
      'input',
      `inventory ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); pass the inventory.json that karoo provision wrote`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new KarooError('input', `inventory ${path} is not JSON: ${(e as Error).message}`);
  }
  return parseInventory(value, path, dirname(resolve(path)));
}

export async function writeInventory(path: string, inv: Inventory): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify({ $schema: INVENTORY_SCHEMA_ID, ...inv }, null, 2)}\n`);
}
