import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { controlCharacterIn, FileError, KarooError, quoteValue } from '@karoo/common';
import { isValidVersion, normalizeName, parseInstant, type Target } from '@karoo/lock';
import type { ErrorObject } from 'ajv';
import { isMap, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { checkConfigStrings } from './checks.js';
import { validate as validateSchema } from './generated/schema-validator.js';

export interface LeafConfig {
  /** As written in the configuration. */
  readonly name: string;
  /** PEP 503 normalised. */
  readonly key: string;
  readonly pin?: string | undefined;
  readonly allowPrerelease: boolean;
  readonly extras: readonly string[];
}

export interface IndexConfig {
  readonly name: string;
  /** Absolute URL: http(s):// or file://, always ending in `/`. */
  readonly url: string;
  readonly private: boolean;
  readonly usernameEnv?: string | undefined;
  readonly passwordEnv?: string | undefined;
}

export interface NodeConfig {
  readonly name: string;
  readonly role: string;
  readonly cpus?: number | undefined;
  readonly memory?: number | undefined;
}

export interface ServiceConfig {
  readonly name: string;
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly workingDirectory?: string | undefined;
  readonly port?: number | undefined;
  /** `start-timeout`: how long a deploy waits for it to come up; default START_TIMEOUT_SECONDS. */
  readonly startTimeoutSeconds?: number | undefined;
}

/** How long a deploy waits for a service to come up when karoo.yml does not say (`start-timeout`). */
export const START_TIMEOUT_SECONDS = 60;

export interface FileConfig {
  readonly path: string;
  /** Absolute path of the template on the machine reading the configuration. */
  readonly template?: string | undefined;
  readonly content?: string | undefined;
  readonly mode?: string | undefined;
}

export interface RoleConfig {
  readonly name: string;
  readonly leaves: readonly string[];
  readonly services: readonly ServiceConfig[];
  readonly files: readonly FileConfig[];
}

export interface EnvironmentConfig {
  readonly name: string;
  readonly requires: readonly string[];
  readonly soakSeconds?: number | undefined;
  readonly githubEnvironment?: string | undefined;
  readonly inventory?: string | undefined;
  readonly values: Readonly<Record<string, unknown>>;
}

export interface AcceptanceConfig {
  readonly command: readonly string[];
  readonly timeoutSeconds: number;
  readonly junit?: string | undefined;
  readonly workingDirectory: string;
  /** `allow-no-tests: true`: a run in which no test ran may pass (default: it fails). */
  readonly allowNoTests?: boolean | undefined;
  /** `pass-env`: names of variables of karoo's environment the tests get (besides PATH, HOME, locale, KAROO_*). */
  readonly passEnv?: readonly string[] | undefined;
  /** `env`: variables with fixed values for the tests. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** `workflows`: workflow files whose runs may produce evidence a promotion in GitHub Actions accepts. */
  readonly workflows?: readonly string[] | undefined;
}

export interface ProvisionConfig {
  readonly provider?: 'nspawn' | 'qemu' | 'libvirt' | undefined;
  readonly image?: string | undefined;
  readonly imageSha256?: string | undefined;
  readonly ttlSeconds: number;
  /** provider libvirt: the pool of hypervisor hosts. */
  readonly hosts?: readonly LibvirtHostConfig[] | undefined;
  /** provider libvirt: roles whose nodes must each be on a different host. */
  readonly antiAffinity?: readonly string[] | undefined;
}

/** karoo.yml `provision.hosts[]`. Credential paths are absolute (resolved against karoo.yml's directory); no secret is ever in karoo.yml. */
export interface LibvirtHostConfig {
  readonly name: string;
  readonly uri: string;
  readonly cpus?: number | undefined;
  readonly memory?: number | undefined;
  readonly pool: string;
  readonly network?: string | undefined;
  readonly sshKey?: string | undefined;
  readonly pkiDir?: string | undefined;
}

export interface KarooConfig {
  /** Absolute path of the file this was read from. */
  readonly path: string;
  readonly dir: string;
  readonly system: string;
  readonly leaves: readonly LeafConfig[];
  readonly indexes: readonly IndexConfig[];
  readonly target: Target;
  /** Absolute paths. */
  readonly constraints: readonly string[];
  readonly resolver: 'pip' | 'uv' | 'auto';
  /** `as-of`: upload-time cutoff for resolve, `leaves` or an RFC 3339 date-time; absent (or `none`) for no cutoff. */
  readonly asOf?: string | undefined;
  /** Absolute directory the lock is written to and read from. */
  readonly lockDir: string;
  readonly store?: string | undefined;
  readonly nodes: readonly NodeConfig[];
  readonly roles: Readonly<Record<string, RoleConfig>>;
  readonly values: Readonly<Record<string, unknown>>;
  readonly environments: readonly EnvironmentConfig[];
  readonly acceptance?: AcceptanceConfig | undefined;
  /** `attestations`: signing key and what a promotion requires of signed attestations (see @karoo/attest). */
  readonly attestations?: AttestationsConfig | undefined;
  readonly provision: ProvisionConfig;
  /** The document as parsed, for sections other packages interpret. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** karoo.yml `attestations`. Paths are absolute (resolved against karoo.yml's directory); no key text is ever in karoo.yml. */
export interface AttestationsConfig {
  /** A promotion counts evidence only with a signed test-result attestation that verifies with `keys`. */
  readonly require: boolean;
  /** PEM public keys a promotion trusts. */
  readonly keys: readonly string[];
  /** PEM private key karoo signs with (the CLI's --attest-key overrides it). */
  readonly signingKey?: string | undefined;
  /** Sigstore `trusted_root.json` (Fulcio CAs, transparency logs, timestamp authorities) keyless bundles are verified against; absent: keyless bundles are refused. */
  readonly trustedRoot?: string | undefined;
  /**
   * The workflow an attestation must come from (each field given must match). `issuer` (OIDC
   * issuer) and `serverUrl` (the GitHub server) are what a keyless certificate's identity must name,
   * default `https://token.actions.githubusercontent.com` and `https://github.com`.
   */
  readonly identity?:
    | {
        readonly repository?: string | undefined;
        readonly workflow?: string | undefined;
        readonly ref?: string | undefined;
        readonly issuer?: string | undefined;
        readonly serverUrl?: string | undefined;
      }
    | undefined;
}

export const DEFAULT_TARGET: Target = { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' };

// Precompiled from schema/karoo.schema.json by scripts/gen-config-validator.mjs: no schema
// compilation at start-up.
function validate(value: unknown): ErrorObject[] {
  const v = validateSchema as ((x: unknown) => boolean) & { errors?: ErrorObject[] | null };
  return v(value) ? [] : [...(v.errors ?? [])];
}

/** Reads and validates a karoo.yml. Errors name the file, line and key. */
export async function loadConfig(path: string): Promise<KarooConfig> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KarooError(
      'input',
      `configuration ${path} cannot be read (${code ?? String(e)}); pass --config with the path of your karoo.yml`,
    );
  }
  return parseConfig(text, abs);
}

export function parseConfig(text: string, path: string): KarooConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const at = (node: YamlNode | null | undefined): number | undefined => {
    const off = node?.range?.[0];
    return off === undefined ? undefined : lc.linePos(off).line;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new FileError(path, lc.linePos(e.pos[0]).line, `invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const value = doc.toJS() as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FileError(path, 1, 'the configuration must be a mapping with at least system, leaves and indexes');
  }
  const errors = validate(value);
  if (errors.length > 0) {
    const e = pickError(errors);
    const { line, key } = locate(doc, e, at);
    throw new FileError(path, line, `${key}: ${describe(e)}`);
  }
  return normalise(value as RawConfig, path, (keyPath) => at(doc.getIn(keyPath, true) as YamlNode | undefined));
}

// The most useful of ajv's errors: prefer the deepest one, and a real constraint over oneOf noise.
function pickError(errors: ErrorObject[]): ErrorObject {
  const useful = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  const pool = useful.length > 0 ? useful : errors;
  // A `type` error usually comes from the oneOf branch the value was not meant for.
  const rank = (e: ErrorObject) => e.instancePath.split('/').length * 2 + (e.keyword === 'type' ? 0 : 1);
  return [...pool].sort((a, b) => rank(b) - rank(a))[0]!;
}

function pathOf(instancePath: string): Array<string | number> {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
}

function keyName(p: Array<string | number>): string {
  if (p.length === 0) return '(top level)';
  // A key with a control character is shown JSON-quoted: an error message stays one line.
  const safe = (s: string) => (controlCharacterIn(s) === undefined ? s : quoteValue(s));
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? safe(s) : `.${safe(s)}`)).join('');
}

function locate(
  doc: Document,
  e: ErrorObject,
  at: (n: YamlNode | null | undefined) => number | undefined,
): { line: number | undefined; key: string } {
  const p = pathOf(e.instancePath);
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    const parent = p.length === 0 ? doc.contents : doc.getIn(p, true);
    let line: number | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((it) => (it.key as { value?: unknown })?.value === extra);
      line = at(pair?.key as YamlNode | undefined);
    }
    return { line: line ?? at(parent as YamlNode), key: keyName([...p, extra]) };
  }
  let node = doc.getIn(p, true) as YamlNode | undefined;
  if (p.length === 0) node = doc.contents as YamlNode;
  return { line: at(node) ?? 1, key: keyName(p) };
}

function describe(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return 'unknown key; check its spelling against the karoo.yml schema';
    case 'required':
      return `missing required key "${String(params.missingProperty)}"`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `value does not match ${String(params.pattern)}`;
    case 'type':
      return `must be ${String(params.type)}`;
    case 'minItems':
      return `must have at least ${String(params.limit)} item(s)`;
    default:
      return e.message ?? e.keyword;
  }
}

interface RawConfig {
  system: string;
  leaves: Array<string | { name: string; pin?: string; 'allow-prerelease'?: boolean; extras?: string[] }>;
  indexes: Array<{ name?: string; url: string; private?: boolean; 'username-env'?: string; 'password-env'?: string }>;
  target?: { python?: string; platforms?: string[]; implementation?: string };
  constraints?: string[];
  resolver?: 'pip' | 'uv' | 'auto';
  'as-of'?: string;
  lock?: string;
  store?: string;
  nodes?: Array<{ name: string; role: string; cpus?: number; memory?: number }>;
  roles?: Record<
    string,
    {
      leaves?: string[];
      services?: Array<{
        name: string;
        command: string[];
        environment?: Record<string, string>;
        'working-directory'?: string;
        port?: number;
        'start-timeout'?: string;
      }>;
      files?: Array<{ path: string; template?: string; content?: string; mode?: string }>;
    }
  >;
  values?: Record<string, unknown>;
  environments?: Array<{
    name: string;
    requires?: string[];
    soak?: string;
    'github-environment'?: string;
    inventory?: string;
    values?: Record<string, unknown>;
  }>;
  acceptance?: {
    command: string[];
    timeout?: string;
    junit?: string;
    'working-directory'?: string;
    'allow-no-tests'?: boolean;
    'pass-env'?: string[];
    env?: Record<string, string>;
    workflows?: string[];
  };
  provision?: {
    provider?: 'nspawn' | 'qemu' | 'libvirt';
    image?: string;
    'image-sha256'?: string;
    ttl?: string;
    hosts?: Array<{
      name?: string;
      uri: string;
      cpus?: number;
      memory?: number;
      pool?: string;
      network?: string;
      'ssh-key'?: string;
      'pki-dir'?: string;
    }>;
    placement?: { 'anti-affinity'?: string[] };
  };
  attestations?: {
    require?: boolean;
    keys?: string[];
    'signing-key'?: string;
    'trusted-root'?: string;
    identity?: { repository?: string; workflow?: string; ref?: string; issuer?: string; 'server-url'?: string };
  };
}

/** The workflow whose runs produce acceptance evidence, unless karoo.yml `acceptance.workflows` names others. */
export const DEFAULT_EVIDENCE_WORKFLOW = '.github/workflows/karoo-candidate.yml';

/** Names the tests may never be given from karoo's environment: action inputs, runner tokens, karoo's own variables. */
function checkPassEnv(
  passEnv: readonly string[],
  env: readonly string[],
  fail: (keyPath: Array<string | number>, reason: string) => never,
): void {
  const forbidden = (n: string) => /^(INPUT_|ACTIONS_|KAROO_)/i.test(n) || /^(GITHUB_TOKEN|GH_TOKEN)$/i.test(n);
  passEnv.forEach((n, i) => {
    if (forbidden(n))
      fail(
        ['acceptance', 'pass-env', i],
        `"${n}" may not be passed to the tests (INPUT_*, ACTIONS_*, KAROO_* and GitHub tokens never are); remove it`,
      );
  });
  for (const n of env)
    if (forbidden(n))
      fail(['acceptance', 'env', n], `"${n}" may not be set for the tests (INPUT_*, ACTIONS_*, KAROO_* and GitHub tokens); remove it`);
}

function attestationsOf(
  a: NonNullable<RawConfig['attestations']>,
  dir: string,
  fail: (keyPath: Array<string | number>, reason: string) => never,
): AttestationsConfig {
  const require = a.require === true;
  if (require && (a.keys ?? []).length === 0 && !a['trusted-root'])
    fail(
      ['attestations', 'keys'],
      'require: true needs at least one public key file under keys (or a Sigstore trusted-root for keyless attestations), or nothing could ever verify',
    );
  return {
    require,
    keys: (a.keys ?? []).map((k) => resolve(dir, k)),
    ...(a['signing-key'] ? { signingKey: resolve(dir, a['signing-key']) } : {}),
    ...(a['trusted-root'] ? { trustedRoot: resolve(dir, a['trusted-root']) } : {}),
    ...(a.identity ? { identity: identityOf(a.identity) } : {}),
  };
}

function identityOf(i: NonNullable<NonNullable<RawConfig['attestations']>['identity']>): NonNullable<AttestationsConfig['identity']> {
  const { 'server-url': serverUrl, ...rest } = i;
  return { ...rest, ...(serverUrl !== undefined ? { serverUrl: serverUrl.replace(/\/+$/, '') } : {}) };
}

/** provision.hosts and provision.placement: only with provider libvirt, which needs them. */
function libvirtOf(
  p: RawConfig['provision'],
  nodes: readonly NodeConfig[],
  dir: string,
  fail: (keyPath: Array<string | number>, reason: string) => never,
): { hosts?: LibvirtHostConfig[]; antiAffinity?: string[] } {
  if (p?.provider !== 'libvirt') {
    if (p?.hosts)
      fail(
        ['provision', 'hosts'],
        `hosts are for provider: libvirt, not ${p.provider ?? 'nspawn (the default)'}; remove them or set provider: libvirt`,
      );
    if (p?.placement)
      fail(
        ['provision', 'placement'],
        `placement is for provider: libvirt, not ${p.provider ?? 'nspawn (the default)'}; remove it or set provider: libvirt`,
      );
    return {};
  }
  if (!p.hosts?.length)
    fail(['provision'], 'provider: libvirt needs hosts: a list of libvirt connection URIs (e.g. - uri: qemu:///system)');
  const names = new Set<string>();
  const uris = new Set<string>();
  const hosts = p.hosts.map((h, i): LibvirtHostConfig => {
    const scheme = h.uri.slice(0, h.uri.indexOf(':'));
    const name =
      h.name ??
      (/^[a-z]+(\+[a-z]+)?:\/\/(?:[^@/]*@)?([^/:]*)/
        .exec(h.uri)?.[2]
        ?.toLowerCase()
        .replace(/[^a-z0-9-]/g, '-') ||
        'local');
    if (names.has(name)) fail(['provision', 'hosts', i, 'name'], `host name "${name}" is used twice; give each host a name of its own`);
    if (uris.has(h.uri)) fail(['provision', 'hosts', i, 'uri'], `"${h.uri}" is listed twice; list each host once`);
    names.add(name);
    uris.add(h.uri);
    if (h['ssh-key'] !== undefined && scheme !== 'qemu+ssh')
      fail(['provision', 'hosts', i, 'ssh-key'], `ssh-key is for qemu+ssh:// hosts, not "${h.uri}"; remove it`);
    if (h['pki-dir'] !== undefined && scheme !== 'qemu+tls')
      fail(['provision', 'hosts', i, 'pki-dir'], `pki-dir is for qemu+tls:// hosts, not "${h.uri}"; remove it`);
    if (p.hosts!.length > 1 && h.network === undefined) {
      fail(
        ['provision', 'hosts', i],
        `with several hosts every host needs network: the libvirt network (bridged) its nodes share with the other hosts' nodes`,
      );
    }
    return {
      name,
      uri: h.uri,
      ...(h.cpus !== undefined ? { cpus: h.cpus } : {}),
      ...(h.memory !== undefined ? { memory: h.memory } : {}),
      pool: h.pool ?? 'default',
      ...(h.network !== undefined ? { network: h.network } : {}),
      ...(h['ssh-key'] !== undefined ? { sshKey: resolve(dir, h['ssh-key']) } : {}),
      ...(h['pki-dir'] !== undefined ? { pkiDir: resolve(dir, h['pki-dir']) } : {}),
    };
  });
  const roles = new Set(nodes.map((n) => n.role));
  const anti = p.placement?.['anti-affinity'] ?? [];
  anti.forEach((r, i) => {
    if (!roles.has(r))
      fail(['provision', 'placement', 'anti-affinity', i], `"${r}" is not the role of any node (roles: ${[...roles].join(', ')})`);
  });
  return { hosts, ...(anti.length ? { antiAffinity: [...anti] } : {}) };
}

/** `30s`, `10m`, `2h`, `1d` → seconds. */
export function parseDuration(s: string): number {
  const m = /^([0-9]+)(s|m|h|d)$/.exec(s.trim());
  if (!m) throw new KarooError('input', `duration "${s}" is not of the form 30s, 10m, 2h or 1d`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

function asOfOf(value: string | undefined, fail: (keyPath: Array<string | number>, reason: string) => never): { asOf?: string } {
  if (value === undefined || value === 'none') return {};
  if (value !== 'leaves' && parseInstant(value) === undefined) {
    fail(['as-of'], `"${value}" is not an RFC 3339 date-time with an offset (e.g. 2026-01-31T12:00:00Z), "leaves" or "none"`);
  }
  return { asOf: value };
}

function indexUrl(url: string, dir: string): string {
  let u: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) u = url;
  else u = pathToFileURL(isAbsolute(url) ? url : resolve(dir, url)).href;
  return u.endsWith('/') ? u : `${u}/`;
}

function normalise(raw: RawConfig, path: string, line: (keyPath: Array<string | number>) => number | undefined): KarooConfig {
  const dir = dirname(path);
  const fail = (keyPath: Array<string | number>, reason: string): never => {
    throw new FileError(path, line(keyPath), `${keyName(keyPath)}: ${reason}`);
  };
  checkConfigStrings(raw as unknown as Record<string, unknown>, fail);

  const leaves: LeafConfig[] = [];
  const seenLeaves = new Set<string>();
  raw.leaves.forEach((l, i) => {
    const o = typeof l === 'string' ? { name: l } : l;
    const key = normalizeName(o.name);
    if (seenLeaves.has(key)) fail(['leaves', i], `leaf "${o.name}" is listed twice`);
    seenLeaves.add(key);
    if (o.pin !== undefined && !isValidVersion(o.pin)) fail(['leaves', i, 'pin'], `"${o.pin}" is not a PEP 440 version`);
    leaves.push({
      name: o.name,
      key,
      pin: o.pin,
      allowPrerelease: o['allow-prerelease'] ?? false,
      extras: (o.extras ?? []).map(normalizeName).sort(),
    });
  });

  const indexNames = new Set<string>();
  const indexes: IndexConfig[] = raw.indexes.map((ix, i) => {
    const name = ix.name ?? (i === 0 ? 'private' : `extra-${i}`);
    if (indexNames.has(name)) fail(['indexes', i, 'name'], `index name "${name}" is used twice`);
    indexNames.add(name);
    let url: string;
    try {
      url = indexUrl(ix.url, dir);
      new URL(url);
    } catch {
      return fail(['indexes', i, 'url'], `"${ix.url}" is not a URL or path`);
    }
    if (new URL(url).username || new URL(url).password) {
      fail(['indexes', i, 'url'], 'credentials must not be written in the configuration; use username-env and password-env');
    }
    return { name, url, private: ix.private ?? i === 0, usernameEnv: ix['username-env'], passwordEnv: ix['password-env'] };
  });
  if (!indexes.some((ix) => ix.private)) fail(['indexes'], 'no index is private; mark the index holding your leaves with private: true');

  const target: Target = {
    python: raw.target?.python ?? DEFAULT_TARGET.python,
    platforms: raw.target?.platforms ?? DEFAULT_TARGET.platforms,
    implementation: raw.target?.implementation ?? DEFAULT_TARGET.implementation,
  };

  const roles: Record<string, RoleConfig> = {};
  for (const [name, r] of Object.entries(raw.roles ?? {})) {
    (r.leaves ?? []).forEach((l, i) => {
      if (!seenLeaves.has(normalizeName(l))) fail(['roles', name, 'leaves', i], `"${l}" is not one of the leaves`);
    });
    roles[name] = {
      name,
      leaves: (r.leaves ?? []).map(normalizeName),
      services: (r.services ?? []).map((s, i) => {
        const startTimeout = s['start-timeout'] === undefined ? undefined : parseDuration(s['start-timeout']);
        if (startTimeout === 0)
          fail(['roles', name, 'services', i, 'start-timeout'], 'must be at least 1s: a service needs time to come up');
        if (startTimeout !== undefined && startTimeout > 86_400)
          fail(['roles', name, 'services', i, 'start-timeout'], 'must be at most 24h: a deploy waits that long for a node at the most');
        return {
          name: s.name,
          command: s.command,
          environment: s.environment ?? {},
          workingDirectory: s['working-directory'],
          port: s.port,
          ...(startTimeout === undefined ? {} : { startTimeoutSeconds: startTimeout }),
        };
      }),
      files: (r.files ?? []).map((f, i) => {
        if ((f.template === undefined) === (f.content === undefined))
          fail(['roles', name, 'files', i], 'give exactly one of template or content');
        return {
          path: f.path,
          template: f.template === undefined ? undefined : resolve(dir, f.template),
          content: f.content,
          mode: f.mode,
        };
      }),
    };
  }

  const nodeNames = new Set<string>();
  const nodes: NodeConfig[] = (raw.nodes ?? []).map((n, i) => {
    if (nodeNames.has(n.name)) fail(['nodes', i, 'name'], `node "${n.name}" is listed twice`);
    nodeNames.add(n.name);
    if (raw.roles && !(n.role in roles))
      fail(['nodes', i, 'role'], `role "${n.role}" is not defined under roles (known: ${Object.keys(roles).join(', ') || 'none'})`);
    return { name: n.name, role: n.role, cpus: n.cpus, memory: n.memory };
  });

  const envNames: string[] = [];
  const environments: EnvironmentConfig[] = (raw.environments ?? []).map((e, i) => {
    if (envNames.includes(e.name)) fail(['environments', i, 'name'], `environment "${e.name}" is listed twice`);
    const requires = e.requires ?? (i > 0 ? [raw.environments![i - 1]!.name] : []);
    requires.forEach((r, j) => {
      if (!envNames.includes(r)) fail(['environments', i, 'requires', j], `"${r}" is not an environment listed before "${e.name}"`);
    });
    envNames.push(e.name);
    return {
      name: e.name,
      requires,
      soakSeconds: e.soak === undefined ? undefined : parseDuration(e.soak),
      githubEnvironment: e['github-environment'],
      inventory: e.inventory === undefined ? undefined : resolve(dir, e.inventory),
      values: e.values ?? {},
    };
  });

  if (raw.acceptance) checkPassEnv(raw.acceptance['pass-env'] ?? [], Object.keys(raw.acceptance.env ?? {}), fail);
  const acceptance: AcceptanceConfig | undefined = raw.acceptance && {
    command: raw.acceptance.command,
    timeoutSeconds: raw.acceptance.timeout ? parseDuration(raw.acceptance.timeout) : 600,
    junit: raw.acceptance.junit,
    workingDirectory: resolve(dir, raw.acceptance['working-directory'] ?? '.'),
    ...(raw.acceptance['allow-no-tests'] === true ? { allowNoTests: true } : {}),
    ...(raw.acceptance['pass-env'] ? { passEnv: [...raw.acceptance['pass-env']] } : {}),
    ...(raw.acceptance.env ? { env: { ...raw.acceptance.env } } : {}),
    workflows: raw.acceptance.workflows ?? [DEFAULT_EVIDENCE_WORKFLOW],
  };

  return {
    path,
    dir,
    system: raw.system,
    leaves,
    indexes,
    target,
    constraints: (raw.constraints ?? []).map((c) => resolve(dir, c)),
    resolver: raw.resolver ?? 'pip',
    ...asOfOf(raw['as-of'], fail),
    lockDir: resolve(dir, raw.lock ?? '.'),
    store: raw.store,
    nodes,
    roles,
    values: raw.values ?? {},
    environments,
    acceptance,
    ...(raw.attestations ? { attestations: attestationsOf(raw.attestations, dir, fail) } : {}),
    provision: {
      provider: raw.provision?.provider,
      image: raw.provision?.image,
      imageSha256: raw.provision?.['image-sha256'],
      ttlSeconds: raw.provision?.ttl ? parseDuration(raw.provision.ttl) : 3600,
      ...libvirtOf(raw.provision, nodes, dir, fail),
    },
    raw: raw as unknown as Record<string, unknown>,
  };
}
