import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { canonicalJson, type Digest, isKarooError, sha256Of } from '@karoo/common';
import { type KarooConfig, parseConfig } from '@karoo/config';
import {
  checkNodeName,
  type Inventory,
  type InventoryNode,
  nspawnArgs,
  parseInventory,
  reap,
  seedFiles,
  sshDestination,
  sshOptions,
} from '@karoo/machines';
import { bufferSource, LayoutStore } from '@karoo/oci';
import YAML from 'yaml';
import { accept } from './accept.js';
import { deploy, planDeploy } from './deploy.js';
import { AGENT_SOURCE } from './generated/agent.js';
import { SshPool } from './ssh.js';
import type { StagedCandidate } from './stage.js';
import { environmentName, systemConfig } from './system.js';

// A small deterministic fuzz: a fixed list of hostile strings goes into every field of karoo.yml
// and of an inventory that reaches a file, a path or a process. Each must be refused on load with
// one clear line, or travel as data: exact argv elements of real processes (the acceptance
// command, a service started by the real node agent), values OpenSSH parses as one value, paths
// inside their directory. Any of them reaching a shell would run `touch SENTINEL`.

// The interpreter itself, not a version manager's shim (which costs a second per start).
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
let dir: string;
let sentinel: string;
let probe: string;
let store: LayoutStore;
let candidate: Digest;

const hostile = (s: string): Record<string, string> => ({
  'command substitution': `$(touch ${s})`,
  backticks: `\`touch ${s}\``,
  semicolon: `x; touch ${s}`,
  'single quotes': `x'; touch ${s}; echo '`,
  'double quotes': `x"; touch ${s}; echo "`,
  newline: `x\nProxyCommand touch ${s}`,
  'carriage return': `x\rExecStartPre=/usr/bin/touch ${s}`,
  'parent directories': '../../../../../tmp/karoo-escape',
  'absolute path': '/etc/passwd',
  NUL: 'x\u0000touch',
  'very long': 'a'.repeat(10_000),
  unicode: 'ünï\u202ecødé-名前',
  'line separator': 'x\u2028y',
  'leading dash': `-oProxyCommand=touch ${s}`,
  glob: '*',
});
let HOSTILE: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-hostile-'));
  sentinel = join(dir, 'pwned');
  HOSTILE = hostile(sentinel);
  // Records how it was started: argv, working directory, the variables the test looks at.
  probe = join(dir, 'probe.py');
  await writeFile(
    probe,
    'import json, os, sys\nwith open(sys.argv[1], "w") as f:\n    json.dump({"argv": sys.argv[2:], "cwd": os.getcwd(), "env": {k: v for k, v in os.environ.items() if k in ("GREETING", "KAROO_NODE", "KAROO_ROLE", "KAROO_ENVIRONMENT")}}, f)\n',
  );
  await writeFile(join(dir, 't.txt'), 'node {{ node.name }}\n');
  await mkdir(join(dir, 'index'));
  store = new LayoutStore(join(dir, 'store'));
  await store.init();
  const empty = new TextEncoder().encode('{}');
  const emptyDigest = sha256Of(empty);
  await store.putBlob({ digest: emptyDigest, size: empty.length }, bufferSource(empty));
  const manifest = new TextEncoder().encode(
    canonicalJson({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: 2 },
      layers: [],
    }),
  );
  candidate = (await store.putManifest(manifest, 'application/vnd.oci.image.manifest.v1+json')).digest;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// karoo.yml

type Doc = Record<string, any>;

function base(): Doc {
  return {
    system: 'demo',
    leaves: ['app'],
    indexes: [{ url: './index' }],
    nodes: [{ name: 'n1', role: 'web' }],
    roles: {
      web: {
        leaves: ['app'],
        services: [{ name: 'app', command: [PYTHON, probe, 'OUT', 'arg'], environment: { GREETING: 'hello' }, 'working-directory': '.' }],
        files: [
          { path: 'etc/app.conf', content: 'x' },
          { path: 'etc/t.txt', template: 't.txt' },
        ],
      },
    },
    values: { x: 1 },
    environments: [{ name: 'int', values: { y: 2 } }],
    acceptance: { command: [PYTHON, probe, 'OUT', 'arg'], junit: 'reports/junit.xml', 'working-directory': '.' },
  };
}

const renameRole = (d: Doc, v: string) => {
  d.roles = { [v]: d.roles.web };
  d.nodes[0].role = v;
};

/** Every field of karoo.yml that reaches a file, a path, a process or a configuration file. */
const CONFIG_FIELDS: Record<string, (d: Doc, v: string) => void> = {
  system: (d, v) => (d.system = v),
  'leaves[0]': (d, v) => ((d.leaves[0] = v), (d.roles.web.leaves[0] = v)),
  'leaves[0].extras': (d, v) => (d.leaves[0] = { name: 'app', extras: [v] }),
  'leaves[0].pin': (d, v) => (d.leaves[0] = { name: 'app', pin: v }),
  'indexes[0].name': (d, v) => (d.indexes[0].name = v),
  'indexes[0].url': (d, v) => (d.indexes[0].url = v),
  'indexes[0].password-env': (d, v) => (d.indexes[0]['password-env'] = v),
  'target.python': (d, v) => (d.target = { python: v }),
  'target.platforms': (d, v) => (d.target = { platforms: [v] }),
  constraints: (d, v) => (d.constraints = [v]),
  lock: (d, v) => (d.lock = v),
  store: (d, v) => (d.store = v),
  'nodes[0].name': (d, v) => (d.nodes[0].name = v),
  'role name': renameRole,
  'services[0].name': (d, v) => (d.roles.web.services[0].name = v),
  'services[0].command[0]': (d, v) => (d.roles.web.services[0].command[0] = v),
  'services[0].command[3]': (d, v) => (d.roles.web.services[0].command[3] = v),
  'services[0].environment key': (d, v) => (d.roles.web.services[0].environment = { [v]: 'x' }),
  'services[0].environment value': (d, v) => (d.roles.web.services[0].environment = { GREETING: v }),
  'services[0].working-directory': (d, v) => (d.roles.web.services[0]['working-directory'] = v),
  'files[0].path': (d, v) => (d.roles.web.files[0].path = v),
  'files[0].content': (d, v) => (d.roles.web.files[0].content = v),
  'files[0].mode': (d, v) => (d.roles.web.files[0].mode = v),
  'files[1].template': (d, v) => (d.roles.web.files[1].template = v),
  'values key and value': (d, v) => (d.values = { [v]: v, x: v }),
  'environments[0].name': (d, v) => (d.environments[0].name = v),
  'environments[0].requires': (d, v) => d.environments.push({ name: 'prod', requires: [v] }),
  'environments[0].github-environment': (d, v) => (d.environments[0]['github-environment'] = v),
  'environments[0].inventory': (d, v) => (d.environments[0].inventory = v),
  'environments[0].values': (d, v) => (d.environments[0].values = { [v]: v }),
  'acceptance.command[3]': (d, v) => (d.acceptance.command[3] = v),
  'acceptance.junit': (d, v) => (d.acceptance.junit = v),
  'acceptance.working-directory': (d, v) => (d.acceptance['working-directory'] = v),
  'provision.image': (d, v) => (d.provision = { image: v }),
  'unknown key': (d, v) => (d[v] = 1),
};

/**
 * Fields whose values reach a process started from the configuration: the service (started by
 * the node agent) or the acceptance command. Every field also goes through the checks without
 * processes (paths, unit and machine names, seed files); names go through both processes too.
 */
const SINKS: Record<string, ReadonlyArray<'service' | 'acceptance'>> = {
  system: ['service', 'acceptance'],
  'nodes[0].name': ['service', 'acceptance'],
  'role name': ['service', 'acceptance'],
  'environments[0].name': ['service', 'acceptance'],
  'services[0].name': ['service'],
  'services[0].command[0]': ['service'],
  'services[0].command[3]': ['service'],
  'services[0].environment key': ['service'],
  'services[0].environment value': ['service'],
  'services[0].working-directory': ['service'],
  'acceptance.command[3]': ['acceptance'],
  'acceptance.junit': ['acceptance'],
  'acceptance.working-directory': ['acceptance'],
};

/** Fields that are data: every hostile string must be accepted (and passed on exactly), but those listed. */
const DATA: Record<string, string[]> = {
  'services[0].command[3]': ['NUL'],
  'services[0].environment value': ['NUL'],
  'acceptance.command[3]': ['NUL'],
  'files[0].content': [],
  'values key and value': [],
  'environments[0].values': [],
};

interface Loaded {
  config: KarooConfig;
  environment: string;
}

/** Loads a configuration with one hostile value; returns it when accepted, the error when refused. */
async function load(field: string, v: string, name: string): Promise<Loaded | Error> {
  const d = base();
  CONFIG_FIELDS[field]!(d, v);
  const path = join(dir, 'karoo.yml');
  try {
    const config = parseConfig(YAML.stringify(d), path);
    const environment = config.environments[0]!.name;
    await systemConfig(config, environment);
    return { config, environment };
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    // Refused: a karoo input error, one line, naming the file (and the key for what the schema checks).
    expect([field, name, isKarooError(e) && e.kind]).toEqual([field, name, 'input']);
    expect([field, name, e.message.includes('\n') || e.message.includes('\r') || e.message.includes('\u0000')]).toEqual([
      field,
      name,
      false,
    ]);
    expect([field, name, e.message.includes('karoo.yml')]).toEqual([field, name, true]);
    return e;
  }
}

const inside = (root: string, p: string) => {
  const r = relative(root, resolve(root, p));
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
};

function candidateFor(config: KarooConfig): StagedCandidate {
  return {
    digest: candidate,
    short: candidate.slice(7, 19),
    config: { system: config.system },
    lock: { packages: [{ name: 'app' }] },
    expected: [],
  } as unknown as StagedCandidate;
}

function nodesOf(config: KarooConfig): InventoryNode[] {
  return config.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    address: '127.0.0.1',
    ssh: { host: '127.0.0.1', port: 22, user: 'root' },
    provider: 'static',
  }));
}

/** Starts a service of a release the real node agent would run, on this machine: `karoo_node.py exec SERVICE` (execve, no shell). */
async function runServiceThroughAgent(
  release: { services: ReadonlyArray<{ name: string; command: readonly string[] }> },
  out: string,
): Promise<{ status: number | null; stderr: string }> {
  const rdir = await mkdtemp(join(dir, 'release-'));
  await mkdir(join(rdir, '.karoo'));
  await mkdir(join(rdir, 'bin'));
  await writeFile(join(rdir, '.karoo', 'karoo_node.py'), AGENT_SOURCE, { mode: 0o755 });
  const services = release.services.map((s) => ({ ...s, command: s.command.map((a) => (a === 'OUT' ? out : a)) }));
  await writeFile(join(rdir, '.karoo', 'release.json'), JSON.stringify({ ...release, services }));
  const r = spawnSync(PYTHON, ['-S', join(rdir, '.karoo', 'karoo_node.py'), 'exec', release.services[0]!.name], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr };
}

const sink = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

describe('hostile strings in karoo.yml are refused on load or passed as data', () => {
  const fields = Object.keys(CONFIG_FIELDS);
  test.each(fields)(
    '%s',
    async (field) => {
      const refused: string[] = [];
      for (const [name, v] of Object.entries(HOSTILE)) {
        const r = await load(field, v, name);
        if (r instanceof Error) {
          refused.push(name);
          continue;
        }
        const { config, environment } = r;
        const sc = await systemConfig(config, environment);

        // Paths karoo writes, deletes or builds from the configuration stay inside their directory.
        expect([name, inside(config.dir, relative(config.dir, config.lockDir) || 'x')]).toEqual([name, true]);
        if (config.acceptance?.junit)
          expect([name, inside(config.acceptance.workingDirectory, config.acceptance.junit)]).toEqual([name, true]);
        const plan = planDeploy(sc, candidateFor(config), nodesOf(config), config.dir);
        for (const { node, desired, files } of plan.nodes) {
          for (const f of files) expect([name, f.path, inside('/opt/karoo/demo/releases/0', f.path)]).toEqual([name, f.path, true]);
          for (const s of desired.services) expect([name, s.unit]).toEqual([name, expect.stringMatching(/^karoo-[a-z0-9-]+\.service$/)]);
          // Names the machines get (file names, network namespaces, command-line flags) are plain.
          const flags = nspawnArgs({
            root: '/r',
            machine: `karoo-00000000-${node.name}`,
            hostname: node.name,
            netnsPath: `/run/netns/karoo-00000000-${node.name}`,
          });
          for (const a of flags) expect([name, a]).toEqual([name, expect.stringMatching(/^--[a-z-]+(=[A-Za-z0-9_/.:-]+)?$/)]);
          expect(() =>
            seedFiles({
              node: node.name,
              address: '10.0.0.2',
              mac: '52:54:00:00:00:01',
              prefixLength: 24,
              hosts: [{ name: node.name, address: '10.0.0.2' }],
              authorizedKey: '',
              hostPrivateKey: '',
              hostPublicKey: '',
            }),
          ).not.toThrow();
          if (!SINKS[field]?.includes('service')) continue;

          // A service's command and environment reach the service exactly, through the real agent (execve).
          const out = join(dir, `service-${Date.now()}.json`);
          const ran = await runServiceThroughAgent(desired, out);
          expect([name, existsSync(sentinel)]).toEqual([name, false]);
          if (existsSync(out)) {
            const got = JSON.parse(readFileSync(out, 'utf8')) as { argv: string[]; env: Record<string, string>; cwd: string };
            const svc = desired.services[0]!;
            expect([name, got.argv]).toEqual([name, svc.command.slice(3)]);
            expect([name, got.env.GREETING]).toEqual([name, svc.environment.GREETING]);
            expect([name, got.env.KAROO_ROLE]).toEqual([name, node.role]);
          } else {
            // The program or the working directory was the hostile value: looked up as a file name, not given to a shell.
            const svc = desired.services[0]!;
            expect([name, ran.status === 0, svc.command[0] === v || svc.workingDirectory === v]).toEqual([name, false, true]);
          }
        }
        if (!SINKS[field]?.includes('acceptance')) continue;

        // The acceptance command runs as argv with the value as one element; the tests' ssh_config parses as intended.
        const out = join(dir, `accept-${Date.now()}.json`);
        const cfg = {
          ...config,
          acceptance: { ...config.acceptance!, command: config.acceptance!.command.map((a) => (a === 'OUT' ? out : a)) },
        };
        const inventory: Inventory = { version: 1, environmentId: 'fuzz', provider: 'static', nodes: nodesOf(config) };
        const outDir = await mkdtemp(join(dir, 'accept-'));
        const a = await accept({
          config: cfg,
          environment,
          inventory,
          store,
          candidate,
          outDir,
          evidence: false,
          output: sink(),
          timeoutSeconds: 30,
        }).catch((e: Error) => e);
        expect([name, existsSync(sentinel)]).toEqual([name, false]);
        if (a instanceof Error) {
          expect([name, isKarooError(a) && a.kind, a.message.includes('\n')]).toEqual([name, 'input', false]);
        } else if (!existsSync(out)) {
          // The working directory was the hostile value: the command could not start there, and the run failed.
          expect([name, a.result, cfg.acceptance.workingDirectory.endsWith(v)]).toEqual([name, 'failed', true]);
        } else {
          const got = JSON.parse(await readFile(out, 'utf8')) as { argv: string[]; cwd: string };
          expect([name, got.argv]).toEqual([name, cfg.acceptance.command.slice(3)]);
          expect([name, got.cwd]).toEqual([name, cfg.acceptance.workingDirectory]);
          const sshConfig = join(outDir, 'ssh_config');
          for (const n of config.nodes) {
            const g = execFileSync('ssh', ['-G', '-F', sshConfig, n.name], { encoding: 'utf8' });
            expect([name, /^proxycommand /m.test(g), /^hostname 127\.0\.0\.1$/m.test(g)]).toEqual([name, false, true]);
          }
        }
      }
      // Data is passed on, not refused: only what no process can carry.
      if (field in DATA) expect(refused).toEqual(DATA[field]);
    },
    300_000,
  );

  test('every hostile string is refused somewhere: names and paths are checked, not only passed on', async () => {
    for (const field of ['system', 'nodes[0].name', 'role name', 'services[0].name', 'environments[0].name', 'leaves[0]']) {
      for (const [name, v] of Object.entries(HOSTILE)) {
        expect([field, name, (await load(field, v, name)) instanceof Error]).toEqual([field, name, true]);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Inventories (hand-written for real hosts, or handed over by whoever runs the machines)

const INVENTORY_FIELDS: Record<string, (n: Record<string, any>, inv: Record<string, any>, v: string) => void> = {
  name: (n, _i, v) => (n.name = v),
  role: (n, _i, v) => (n.role = v),
  address: (n, _i, v) => (n.address = v),
  'ssh.host': (n, _i, v) => (n.ssh.host = v),
  'ssh.user': (n, _i, v) => (n.ssh.user = v),
  'ssh.keyPath': (n, _i, v) => (n.ssh.keyPath = v),
  'ssh.knownHostsPath': (n, _i, v) => (n.ssh.knownHostsPath = v),
  'ssh.hostKeyAlias': (n, _i, v) => ((n.ssh.knownHostsPath = '/kh'), (n.ssh.hostKeyAlias = v)),
  'ssh.hostKey': (n, _i, v) => (n.ssh.hostKey = `ssh-ed25519 AAAA ${v}`),
  machineId: (n, _i, v) => (n.machineId = v),
  environmentId: (_n, i, v) => (i.environmentId = v),
  logsDir: (_n, i, v) => (i.logsDir = v),
  'network.namespace': (_n, i, v) => (i.network = { namespace: v }),
  'image.id': (_n, i, v) => (i.image = { id: v }),
};

/** Fields that end up in an ssh_config, an ssh command line or a known_hosts file (the rest are checked on load only). */
const REACHES_SSH = new Set([
  'name',
  'address',
  'ssh.host',
  'ssh.user',
  'ssh.keyPath',
  'ssh.knownHostsPath',
  'ssh.hostKeyAlias',
  'ssh.hostKey',
]);

describe('hostile strings in an inventory are refused on load or reach ssh as one value', () => {
  test.each(Object.keys(INVENTORY_FIELDS))(
    '%s',
    async (field) => {
      for (const [name, v] of Object.entries(HOSTILE)) {
        const node: Record<string, any> = {
          name: 'n1',
          role: 'web',
          address: '10.0.0.2',
          ssh: { host: '127.0.0.1', port: 2222, user: 'root' },
        };
        const doc: Record<string, any> = { version: 1, environmentId: 'fuzz', provider: 'static', nodes: [node] };
        INVENTORY_FIELDS[field]!(node, doc, v);
        let inv: Inventory;
        try {
          inv = parseInventory(JSON.parse(JSON.stringify(doc)), 'inv.json', dir);
        } catch (e) {
          expect([field, name, isKarooError(e) && (e as Error).message.includes('\n')]).toEqual([field, name, false]);
          expect([field, name, (e as Error).message]).toEqual([field, name, expect.stringContaining('inventory inv.json: ')]);
          continue;
        }
        const n = inv.nodes[0]!;
        if (!REACHES_SSH.has(field)) continue;
        // What the tests get (ssh_config) and what deploy and provision pass on the command line, as OpenSSH parses them.
        const pool = await SshPool.open([{ name: n.name, ...n.ssh }]);
        try {
          const file = join(dir, 'ssh_config');
          await writeFile(file, pool.configEntry(n.name));
          const parsed = [
            execFileSync('ssh', ['-G', '-F', file, n.name], { encoding: 'utf8' }),
            execFileSync('ssh', ['-G', '-F', '/dev/null', ...pool.options(n.name), n.ssh.host], { encoding: 'utf8' }),
            execFileSync('ssh', ['-G', '-F', '/dev/null', ...sshOptions(n.ssh), sshDestination(n.ssh)], { encoding: 'utf8' }),
          ];
          for (const [i, g] of parsed.entries()) {
            expect([field, name, /^proxycommand /m.test(g), /^localcommand /m.test(g)]).toEqual([field, name, false, false]);
            expect([field, name, g.match(/^hostname (.*)$/m)?.[1]]).toEqual([field, name, n.ssh.host]);
            expect([field, name, g.match(/^user (.*)$/m)?.[1]]).toEqual([field, name, n.ssh.user]);
            // (`ssh -i` drops a key file that does not exist, so only the configuration forms show it.)
            if (n.ssh.keyPath && i < 2) expect([field, name, g.match(/^identityfile (.*)$/m)?.[1]]).toEqual([field, name, n.ssh.keyPath]);
            if (n.ssh.hostKeyAlias) expect([field, name, g.match(/^hostkeyalias (.*)$/m)?.[1]]).toEqual([field, name, n.ssh.hostKeyAlias]);
          }
          const knownHosts = (await readFile(join(pool.controlDir, 'known_hosts'), 'utf8')).split('\n').filter(Boolean);
          expect([field, name, knownHosts.length]).toEqual([field, name, n.ssh.hostKey ? 1 : 0]);
        } finally {
          await pool.close();
        }
        expect([field, name, existsSync(sentinel)]).toEqual([field, name, false]);
      }
    },
    120_000,
  );

  test('a target handed to deploy directly (not read from a file) is refused too, with one line', async () => {
    const config = parseConfig(YAML.stringify(base()), join(dir, 'karoo.yml'));
    const inventory = {
      version: 1,
      environmentId: 'fuzz',
      provider: 'static',
      nodes: [
        { name: 'n1', role: 'web', address: '10.0.0.2', ssh: { host: HOSTILE.newline!, port: 22, user: 'root' }, provider: 'static' },
      ],
    } as Inventory;
    const e = await deploy({ config, environment: 'int', store, candidate, inventory }).catch((x: Error) => x);
    expect(isKarooError(e) && e.kind).toBe('input');
    expect((e as Error).message).toMatch(
      /^inventory node "n1" ssh\.host "x\\nProxyCommand touch [^"]*" contains a control character \(U\+000A\)/,
    );
    expect(existsSync(sentinel)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Command-line options and action inputs (`--environment`/`environment`, `--env`, node names)

describe('hostile strings as command-line options and action inputs are refused with one line', () => {
  test('an environment name, an environment id to reap, a node name', async () => {
    const config = parseConfig(YAML.stringify(base()), join(dir, 'karoo.yml'));
    const inputs: Array<[string, (v: string) => unknown]> = [
      ['environment', (v) => environmentName(config, v)],
      ['reap --env', (v) => reap({ environmentId: v })],
      ['node name', (v) => checkNodeName(v)],
    ];
    for (const [what, f] of inputs) {
      for (const [name, v] of Object.entries(HOSTILE)) {
        const e = (await Promise.resolve()
          .then(() => f(v))
          .then(
            () => undefined,
            (x: unknown) => x,
          )) as Error | undefined;
        expect([what, name, isKarooError(e) && e.kind, e?.message.includes('\n')]).toEqual([what, name, 'input', false]);
      }
    }
    expect(existsSync(sentinel)).toBe(false);
  });
});
