import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { canonicalJson, type Digest, FileError, hexOf, KarooError, quoteValue, sha256Of } from '@karoo/common';
import type { KarooConfig, RoleConfig } from '@karoo/config';
import { renderTemplate } from './template.js';

/** Schema names hashed into the digests below; bump only on purpose (every digest moves). */
export const CONFIG_SCHEMA = 'karoo.system.config/v1';
export const SYSTEM_SCHEMA = 'karoo.system/v1';

/**
 * The canonical form of a deployment configuration for one environment: what the config
 * digest is computed over. Everything that decides what runs where, and nothing about where
 * the configuration file lives or which machines an environment happens to get:
 * nodes (name, role) sorted by name; every role with its leaves, services (command,
 * environment, working directory, port) and files (path, mode, and the template's or the
 * content's text — not its path); the environment's name and its values (the top-level
 * `values` deep-merged with the environment's `values`: mappings merge key by key, anything
 * else is replaced).
 */
export interface SystemConfig {
  readonly schema: typeof CONFIG_SCHEMA;
  readonly system: string;
  readonly environment: string;
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly role: string }>;
  readonly roles: Readonly<Record<string, CanonicalRole>>;
  readonly values: Readonly<Record<string, unknown>>;
}

export interface CanonicalRole {
  readonly leaves: readonly string[];
  readonly services: ReadonlyArray<{
    readonly name: string;
    readonly command: readonly string[];
    readonly environment: Readonly<Record<string, string>>;
    readonly workingDirectory?: string | undefined;
    readonly port?: number | undefined;
  }>;
  readonly files: ReadonlyArray<{
    readonly path: string;
    readonly mode: string;
    readonly text: string;
    readonly template: boolean;
    readonly source?: string | undefined;
  }>;
}

/** The top-level values deep-merged with an environment's: mappings merge key by key, anything else replaces. */
export function mergeValues(base: Readonly<Record<string, unknown>>, over: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? mergeValues(b, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** The environment a command means: the one named, else the first one of the configuration, else `default`. */
export function environmentName(config: KarooConfig, name?: string): string {
  if (name !== undefined) {
    if (config.environments.length === 0 && name === 'default') return name;
    if (!config.environments.some((e) => e.name === name)) {
      const known = config.environments.map((e) => e.name).join(', ') || 'none; the configuration lists no environments';
      throw new KarooError(
        'input',
        `environment ${quoteValue(name)} is not in ${config.path} (known: ${known}); pass --environment with one of them`,
      );
    }
    return name;
  }
  return config.environments[0]?.name ?? 'default';
}

/**
 * Reads the templates and builds the canonical configuration of one environment. Checks
 * what the configuration loader cannot: every node's role has something to run, templates
 * exist, service and file names are usable. Throws before anything is deployed.
 */
export async function systemConfig(config: KarooConfig, environment?: string): Promise<SystemConfig> {
  const env = environmentName(config, environment);
  if (config.nodes.length === 0)
    throw new KarooError('input', `${config.path}: no nodes; list the system's nodes and their roles under "nodes"`);
  const envValues = config.environments.find((e) => e.name === env)?.values ?? {};
  const roles: Record<string, CanonicalRole> = {};
  const used = new Set(config.nodes.map((n) => n.role));
  for (const n of config.nodes) {
    if (!config.roles[n.role]) {
      const known = Object.keys(config.roles).join(', ') || 'none';
      throw new KarooError(
        'input',
        `${config.path}: node "${n.name}" has role "${n.role}", which is not defined under roles (known: ${known})`,
      );
    }
  }
  for (const name of Object.keys(config.roles).sort()) {
    if (!used.has(name)) continue;
    roles[name] = await canonicalRole(config, config.roles[name]!);
  }
  return {
    schema: CONFIG_SCHEMA,
    system: config.system,
    environment: env,
    nodes: config.nodes.map((n) => ({ name: n.name, role: n.role })).sort((a, b) => cmp(a.name, b.name)),
    roles,
    values: mergeValues(config.values, envValues),
  };
}

async function canonicalRole(config: KarooConfig, role: RoleConfig): Promise<CanonicalRole> {
  const seen = new Set<string>();
  const services = role.services.map((s) => {
    if (seen.has(s.name)) throw new KarooError('input', `${config.path}: role "${role.name}" lists service "${s.name}" twice`);
    seen.add(s.name);
    for (const k of Object.keys(s.environment)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        throw new KarooError(
          'input',
          `${config.path}: service "${s.name}": environment variable name "${k}" is not valid (letters, digits, _)`,
        );
    }
    return { name: s.name, command: [...s.command], environment: { ...s.environment }, workingDirectory: s.workingDirectory, port: s.port };
  });
  const paths = new Set<string>();
  const files = [];
  for (const f of role.files) {
    checkReleasePath(config, role.name, f.path);
    if (paths.has(f.path)) throw new KarooError('input', `${config.path}: role "${role.name}" writes ${f.path} twice`);
    paths.add(f.path);
    let text: string;
    let source: string | undefined;
    if (f.template !== undefined) {
      source = relative(config.dir, f.template);
      try {
        text = await readFile(f.template, 'utf8');
      } catch (e) {
        throw new KarooError(
          'input',
          `${config.path}: role "${role.name}": template ${source} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
        );
      }
    } else {
      text = f.content ?? '';
    }
    const mode = (f.mode ?? '0644').padStart(4, '0');
    files.push({ path: f.path, mode, text, template: f.template !== undefined, source });
  }
  return { leaves: [...role.leaves].sort(), services, files };
}

function checkReleasePath(config: KarooConfig, role: string, p: string): void {
  const parts = p.split('/');
  if (
    p === '' ||
    p.startsWith('/') ||
    parts.some((x) => x === '' || x === '.' || x === '..') ||
    ['bin', 'units', '.karoo'].includes(parts[0]!) ||
    p.includes('\0')
  ) {
    throw new KarooError(
      'input',
      `${config.path}: role "${role}": file path "${p}" must be relative to the release, without . or .., and not under bin/, units/ or .karoo/`,
    );
  }
}

/** sha256 over the canonical configuration. */
export function configDigest(c: SystemConfig): Digest {
  return sha256Of(canonicalJson(c));
}

/**
 * The system id: sha256 over the UTF-8 bytes of the canonical JSON
 * `{"candidate":"sha256:<candidate>","config":"sha256:<config digest>","schema":"karoo.system/v1"}`.
 * The same candidate with the same configuration for the same environment is the same system,
 * wherever and whenever it is deployed.
 */
export function systemIdOf(candidate: Digest, config: Digest): Digest {
  return sha256Of(canonicalJson({ schema: SYSTEM_SCHEMA, candidate, config }));
}

export interface RenderedFile {
  readonly path: string;
  readonly mode: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

/** Renders a node's files: templates see values.*, node.name, node.role, environment, system.name, system.id, candidate. */
export function renderNodeFiles(
  c: SystemConfig,
  node: { name: string; role: string },
  ids: { systemId: Digest; candidate: Digest },
  where: string,
): RenderedFile[] {
  const role = c.roles[node.role];
  if (!role) throw new KarooError('input', `node "${node.name}" has role "${node.role}", which the configuration does not define`);
  const context = {
    values: c.values,
    node: { name: node.name, role: node.role },
    environment: c.environment,
    system: { name: c.system, id: ids.systemId },
    candidate: ids.candidate,
  };
  return role.files.map((f) => {
    let text = f.text;
    if (f.template) {
      try {
        text = renderTemplate(f.text, context);
      } catch (e) {
        const line = (e as { line?: number }).line;
        throw new FileError(`${where}/${f.source ?? f.path}`, line, (e as Error).message);
      }
    }
    const bytes = new TextEncoder().encode(text);
    return { path: f.path, mode: f.mode, bytes, sha256: hexOf(sha256Of(bytes)) };
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
