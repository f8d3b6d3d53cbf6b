/**
 * deploy, accept, status, rollback, evidence and up, through the built CLI, on real machines
 * (systemd-nspawn system containers from @karoo/machines) with the CAM example system.
 * One environment of 4 nodes is shared by the cases, which run in order and build on each
 * other (each says what state it leaves); `up` makes its own environment.
 * Needs root, systemd-nspawn and karoo's machine image (built once, cached). ~2 minutes.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import {
  buildImage,
  destroyEnvironment,
  execOnNode,
  type Inventory,
  loadState,
  NspawnProvider,
  provision,
  readInventory,
} from '@karoo/machines';
import { json, karoo, KAROO, ROOT } from '../support/cli.js';

jest.setTimeout(300_000);

const HOSTILE = `$(touch /tmp/pwned-subst); touch /tmp/pwned-semi; \`touch /tmp/pwned-tick\` 'single' "double" \\ back\nnew line %n %h $HOME`;

let work: string;
let cfg: string;
let store: string;
let candA: string;
let candB: string;
let candC: string;
/** Candidate A's lock without pip: almost no real system lists pip as a leaf. */
let candNoPip: string;
let invPath: string;
let inv: Inventory;
const envs: string[] = [];

interface NodeJson {
  name: string;
  result: string;
  changed: boolean;
  detail?: string;
  bytesSent: number;
  release?: string;
  install?: string;
  installedOn?: string;
  target?: string;
}
interface DeployJson {
  ok: boolean;
  systemId: string;
  candidate: string;
  nodes: NodeJson[];
  error?: string;
}

async function sh(node: string, cmd: string): Promise<string> {
  const r = await execOnNode(inv, node, cmd, { allowFailure: true, timeoutMs: 60_000 });
  return r.stdout;
}

/** What a service on a node says about itself (its /config or /version), asked on the node. */
async function ask(node: string, port: number, path: string): Promise<Record<string, unknown>> {
  const out = await sh(
    node,
    `python3 -c 'import urllib.request,sys; print(urllib.request.urlopen("http://127.0.0.1:${port}${path}", timeout=5).read().decode())'`,
  );
  return JSON.parse(out) as Record<string, unknown>;
}

/** SSH master connections to this environment's nodes still running on the runner (their command lines). */
async function sshMasters(): Promise<string[]> {
  const found: string[] = [];
  for (let i = 0; i < 50; i++) {
    found.length = 0;
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let cmd: string;
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        continue;
      }
      if (cmd.startsWith('ssh ') && cmd.includes('ControlMaster=yes') && cmd.includes(`HostKeyAlias=${inv.environmentId}-`))
        found.push(cmd);
    }
    if (found.length === 0) break;
    await new Promise((r) => setTimeout(r, 100)); // a master exits just after it acknowledged the exit request
  }
  return found;
}

/** Drops one package from a pylock.toml (its [[packages]] block with its wheels). */
function withoutPackage(pylock: string, name: string): string {
  const blocks = pylock.split(/\n(?=\[\[packages\]\]\n)/);
  const kept = blocks.filter((b) => !b.startsWith(`[[packages]]\nname = "${name}"\n`));
  expect(kept.length).toBe(blocks.length - 1);
  return kept.join('\n');
}

async function resolveAndBuild(
  name: string,
  edit: (yml: string) => string,
  editLock: (pylock: string) => string = (l) => l,
): Promise<string> {
  const dir = join(work, name);
  cpSync(join(work, 'cam'), dir, { recursive: true });
  writeFileSync(join(dir, 'karoo.yml'), edit(readFileSync(join(dir, 'karoo.yml'), 'utf8')));
  const r = await karoo(['resolve', '--config', join(dir, 'karoo.yml'), '--out', join(dir, 'lock')]);
  expect(r.code).toBe(0);
  writeFileSync(join(dir, 'lock', 'pylock.toml'), editLock(readFileSync(join(dir, 'lock', 'pylock.toml'), 'utf8')));
  const b = await karoo([
    'build',
    '--config',
    join(dir, 'karoo.yml'),
    '--lock',
    join(dir, 'lock', 'pylock.toml'),
    '--store',
    store,
    '--json',
  ]);
  expect(b.code).toBe(0);
  return json<{ candidate: string }>(b).candidate;
}

const deployArgs = (candidate: string, ...more: string[]) => [
  'deploy',
  '--config',
  cfg,
  '--inventory',
  invPath,
  '--store',
  store,
  '--candidate',
  candidate,
  '--json',
  ...more,
];

beforeAll(async () => {
  await buildImage();
  work = mkdtempSync(join(tmpdir(), 'karoo-deploy-e2e-'));
  cpSync(join(ROOT, 'examples', 'cam'), join(work, 'cam'), { recursive: true, filter: (p) => !p.includes(`${join('cam', 'reports')}`) });
  cfg = join(work, 'cam', 'karoo.yml');
  // An environment whose values are hostile: they must reach the services as data.
  // …and so must a service's environment variable.
  const yml = readFileSync(cfg, 'utf8').replace(
    'environment: { PYTHONUNBUFFERED: "1" }',
    `environment: { PYTHONUNBUFFERED: "1", CAM_HOSTILE: ${JSON.stringify(HOSTILE)} }`,
  );
  expect(yml).toContain('\n\nacceptance:');
  writeFileSync(
    cfg,
    yml.replace(
      '\n\nacceptance:',
      `\n  - name: hostile\n    requires: []\n    values: { site: ${JSON.stringify(HOSTILE)} }\n\nacceptance:`,
    ),
  );
  store = `oci-layout:${join(work, 'store')}`;
  candA = await resolveAndBuild('a', (y) => y);
  candB = await resolveAndBuild('b', (y) => y.replace('pin: 3.0.0', 'pin: 3.1.0'));
  candC = await resolveAndBuild('c', (y) => y.replace('allow-prerelease: true ', 'allow-prerelease: false'));
  candNoPip = await resolveAndBuild(
    'no-pip',
    (y) => y,
    (l) => withoutPackage(l, 'pip'),
  );
  const p = await provision({
    nodes: [
      { name: 'store-1', role: 'store' },
      { name: 'control-1', role: 'control' },
      { name: 'control-2', role: 'control' },
      { name: 'monitor-1', role: 'monitor' },
    ],
    provider: 'nspawn',
    outDir: join(work, 'env'),
  });
  envs.push(p.inventory.environmentId);
  invPath = p.inventoryPath;
  inv = await readInventory(invPath);
}, 10 * 60_000);

afterAll(async () => {
  for (const e of envs) await destroyEnvironment({ environmentId: e }).catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('karoo deploy / accept / status / rollback on nspawn machines', () => {
  test('four different candidates were built', () => {
    expect(new Set([candA, candB, candC, candNoPip]).size).toBe(4);
  });

  test('a configuration naming an unknown role or leaf fails before any machine is touched', async () => {
    const bad = join(work, 'bad-role.yml');
    writeFileSync(bad, readFileSync(cfg, 'utf8').replace('{ name: monitor-1, role: monitor', '{ name: monitor-1, role: monitr'));
    const r = await karoo(['deploy', '--config', bad, '--inventory', invPath, '--store', store, '--candidate', candA]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-role\.yml:\d+: nodes\[3\]\.role: role "monitr" is not defined under roles/);

    const badLeaf = join(work, 'bad-leaf.yml');
    writeFileSync(badLeaf, readFileSync(cfg, 'utf8').replace('leaves: [cam-store]', 'leaves: [cam-stor]'));
    const l = await karoo(['deploy', '--config', badLeaf, '--inventory', invPath, '--store', store, '--candidate', candA]);
    expect(l.code).toBe(2);
    expect(l.stderr).toMatch(/bad-leaf\.yml:\d+: roles\.store\.leaves\[0\]: "cam-stor" is not one of the leaves/);

    for (const n of inv.nodes) expect(await sh(n.name, 'test -e /opt/karoo && echo touched || echo untouched')).toBe('untouched\n');
  });

  test('a candidate whose blob was altered in the store is refused before any node is touched', async () => {
    const bad = join(work, 'store-bad');
    cpSync(join(work, 'store'), bad, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(bad, 'blobs', 'sha256', candA.slice(7)), 'utf8')) as {
      layers: Array<{ digest: string; annotations?: Record<string, string> }>;
    };
    const wheel = manifest.layers.find((l) => l.annotations?.['org.opencontainers.image.title']?.startsWith('cam_store-'))!;
    const path = join(bad, 'blobs', 'sha256', wheel.digest.slice(7));
    const bytes = readFileSync(path);
    bytes[100] = bytes[100]! ^ 0xff;
    rmSync(path, { force: true });
    writeFileSync(path, bytes);
    const r = await karoo(['deploy', '--config', cfg, '--inventory', invPath, '--store', `oci-layout:${bad}`, '--candidate', candA]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`layer "cam_store-2.0.0-py3-none-any.whl" is damaged`);
    expect(r.stderr).toContain('no node was touched');
    for (const n of inv.nodes) expect(await sh(n.name, 'test -e /opt/karoo && echo touched || echo untouched')).toBe('untouched\n');
  });

  test('deploy: the example on 4 nodes in 3 roles, then accept produces evidence that karoo evidence lists', async () => {
    const r = await karoo(deployArgs(candA), {});
    const d = json<DeployJson>(r);
    expect(r.code).toBe(0);
    expect(d.ok).toBe(true);
    expect(d.nodes.map((n) => n.result)).toEqual(['deployed', 'deployed', 'deployed', 'deployed']);
    // Installed once: the first node from the wheels, the others (same target) from its installed tree.
    // (Nodes in name order: control-1 is the first of the one target.)
    expect(d.nodes.map((n) => [n.name, n.install, n.installedOn])).toEqual([
      ['control-1', 'wheels', undefined],
      ['control-2', 'archive', 'control-1'],
      ['monitor-1', 'archive', 'control-1'],
      ['store-1', 'archive', 'control-1'],
    ]);
    expect(new Set(d.nodes.map((n) => n.target)).size).toBe(1);
    expect(d.nodes[0]!.target).toMatch(/^cpython 3\.11\.\d+ linux-x86_64 glibc 2\.\d+ /);
    expect(r.stderr).toMatch(/control-1: installed candidate [0-9a-f]{12} from 13 wheels and packed it for 3 more node\(s\)/);
    // The compiled extension imports on a node that got the installed tree.
    const selftest = JSON.parse(await sh('control-2', '/opt/karoo/cam/current/bin/cam-signal')) as { module: string; adler32: number };
    expect(selftest).toMatchObject({ module: '_native.cpython-311-x86_64-linux-gnu.so', adler32: 0x11e60398 });
    // Every node verified: each service answers on its node and reports the node and the environment.
    const store1 = (await ask('store-1', 7101, '/config')).config;
    expect(store1).toMatchObject({ node: 'store-1', environment: 'integration', site: 'integration-lab' });
    const receipt = JSON.parse(await sh('control-2', 'cat /opt/karoo/cam/receipt.json')) as Record<string, string>;
    expect(receipt).toMatchObject({
      systemId: d.systemId,
      candidate: candA,
      node: 'control-2',
      role: 'control',
      environment: 'integration',
    });

    const a = await karoo([
      'accept',
      '--config',
      cfg,
      '--inventory',
      invPath,
      '--store',
      store,
      '--candidate',
      candA,
      '--out',
      join(work, 'acc-a'),
      '--json',
    ]);
    const acc = json<{ result: string; evidence: string; systemId: string; counts: { passed: number; failed: number; tests: number } }>(a);
    expect(a.code).toBe(0);
    expect(acc.result).toBe('passed');
    expect(acc.systemId).toBe(d.systemId);
    expect(acc.counts.failed).toBe(0);
    expect(acc.counts.passed).toBeGreaterThanOrEqual(10);
    const ev = await karoo(['evidence', '--store', store, candA, '--json']);
    const list =
      json<Array<{ digest: string; result: string; environment: string; systemId: string; counts: { passed: number }; junit?: string }>>(
        ev,
      );
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ digest: acc.evidence, result: 'passed', environment: 'integration', systemId: d.systemId });
    expect(list[0]!.junit).toMatch(/^sha256:/);
  });

  test('re-deploying the same desired state does no work on any node and says so', async () => {
    const r = await karoo(deployArgs(candA));
    const d = json<DeployJson>(r);
    expect(r.code).toBe(0);
    expect(d.nodes.every((n) => n.result === 'converged' && !n.changed && n.bytesSent === 0)).toBe(true);
    const human = await karoo(['deploy', '--config', cfg, '--inventory', invPath, '--store', store, '--candidate', candA]);
    expect(human.stderr).toMatch(/store-1: converged at [0-9a-f]{16}, nothing to do/);
    expect(human.stdout.match(/nothing to do/g)).toHaveLength(4);
    // Every SSH master connection of a run is closed when it returns (they stayed for their ControlPersist).
    expect(await sshMasters()).toEqual([]);
  });

  test('the bundled deploy and accept actions run with real INPUT_*/GITHUB_* variables', async () => {
    const gh = mkdtempSync(join(tmpdir(), 'karoo-gh-'));
    const runBundle = (step: string, inputs: Record<string, string>) => {
      const out = join(gh, `${step}.out`);
      const summary = join(gh, `${step}.md`);
      writeFileSync(out, '');
      writeFileSync(summary, '');
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: summary };
      for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
      return new Promise<{ code: number; outputs: string; summary: string }>((resolve) => {
        const c = spawn(process.execPath, [join(ROOT, 'dist', step, 'index.js')], { cwd: join(work, 'cam'), env, stdio: 'ignore' });
        c.on('close', (code) => resolve({ code: code ?? -1, outputs: readFileSync(out, 'utf8'), summary: readFileSync(summary, 'utf8') }));
      });
    };
    const common = { candidate: candA, inventory: invPath, config: 'karoo.yml', store };
    const d = await runBundle('deploy', { ...common, parallel: '8' });
    expect(d.code).toBe(0);
    expect(d.outputs).toMatch(/changed<<(\S+)\n0\n\1/);
    expect(d.outputs).toMatch(/system-id<<(\S+)\nsha256:[0-9a-f]{64}\n/);
    expect(d.summary).toContain('karoo deploy — integration');
    const a = await runBundle('accept', { ...common, out: join(gh, 'acc'), evidence: 'true' });
    expect(a.code).toBe(0);
    expect(a.outputs).toMatch(/result<<(\S+)\npassed\n/);
    expect(a.outputs).toMatch(/evidence<<(\S+)\nsha256:[0-9a-f]{64}\n/);
    expect(a.summary).toContain('passed');
    rmSync(gh, { recursive: true, force: true });
  });

  test('status shows drift (a file changed on a node); deploy puts it back', async () => {
    const ok = await karoo(['status', '--config', cfg, '--inventory', invPath, '--candidate', candA, '--json']);
    expect(ok.code).toBe(0);
    expect(json<{ inSync: boolean }>(ok).inSync).toBe(true);

    await sh('control-1', 'echo "{}" > /opt/karoo/cam/current/etc/cam-proxy.json');
    const s = await karoo(['status', '--config', cfg, '--inventory', invPath, '--candidate', candA, '--json']);
    expect(s.code).toBe(5);
    const st = json<{ inSync: boolean; nodes: Array<{ name: string; drift: string[] }> }>(s);
    expect(st.inSync).toBe(false);
    expect(st.nodes.find((n) => n.name === 'control-1')!.drift[0]).toMatch(/^file etc\/cam-proxy\.json changed since deploy/);
    expect(st.nodes.filter((n) => n.drift.length > 0).map((n) => n.name)).toEqual(['control-1']);
    expect(s.stderr).toContain('node control-1: file etc/cam-proxy.json changed since deploy');

    const r = await karoo(deployArgs(candA));
    const d = json<DeployJson>(r);
    expect(r.code).toBe(0);
    expect(d.nodes.find((n) => n.name === 'control-1')!.result).toBe('repaired');
    expect(d.nodes.filter((n) => n.name !== 'control-1').every((n) => n.result === 'converged')).toBe(true);
    expect((await karoo(['status', '--config', cfg, '--inventory', invPath, '--candidate', candA])).code).toBe(0);
  });

  test('a hostile configuration value reaches the services as data, never through a shell', async () => {
    const r = await karoo(deployArgs(candA, '--environment', 'hostile'));
    expect(r.code).toBe(0);
    for (const [node, port] of [
      ['store-1', 7101],
      ['control-1', 7102],
      ['monitor-1', 7105],
    ] as const) {
      const c = (await ask(node, port, '/config')).config as Record<string, unknown>;
      expect(c.site).toBe(HOSTILE);
      expect(c.environment).toBe('hostile');
    }
    const environ = await sh(
      'store-1',
      'tr "\\0" "\\n" < /proc/$(systemctl show -p MainPID --value karoo-cam-cam-store.service)/environ | base64 -w0',
    );
    expect(Buffer.from(environ, 'base64').toString()).toContain(`\nCAM_HOSTILE=${HOSTILE}\n`);
    for (const n of inv.nodes) expect(await sh(n.name, 'ls /tmp/pwned-* 2>/dev/null | wc -l')).toBe('0\n');
    expect(existsSync('/tmp/pwned-subst') || existsSync('/tmp/pwned-semi') || existsSync('/tmp/pwned-tick')).toBe(false);
  });

  test('rollback switches every node back to the previous release', async () => {
    const before = JSON.parse(await sh('store-1', 'cat /opt/karoo/cam/receipt.json')) as {
      environment: string;
      release: string;
      previousRelease: string;
    };
    expect(before.environment).toBe('hostile');
    const r = await karoo(['rollback', '--config', cfg, '--inventory', invPath, '--json']);
    expect(r.code).toBe(0);
    const rb = json<{ ok: boolean; systemIds: string[]; nodes: Array<{ result: string }> }>(r);
    expect(rb.nodes.every((n) => n.result === 'rolled-back')).toBe(true);
    const status = await karoo([
      'status',
      '--config',
      cfg,
      '--inventory',
      invPath,
      '--candidate',
      candA,
      '--environment',
      'integration',
      '--json',
    ]);
    expect(status.code).toBe(0);
    expect(json<{ systemIds: string[] }>(status).systemIds).toEqual(rb.systemIds);
    expect((await ask('control-2', 7102, '/config')).config).toMatchObject({ site: 'integration-lab', environment: 'integration' });
    expect((await sh('store-1', 'readlink /opt/karoo/cam/current')).trim()).toBe(`releases/${before.previousRelease}`);
  });

  test('a new candidate: only changed wheels travel to the installing node, the installed tree to the others, and the running versions are the new lock', async () => {
    const r = await karoo(deployArgs(candB));
    const d = json<DeployJson>(r);
    expect(r.code).toBe(0);
    // Only cam-scheduler changed between A and B: the other wheels are already on control-1, which installs.
    const [builder, ...others] = d.nodes;
    expect(builder!.name).toBe('control-1');
    expect(builder!.install).toBe('wheels');
    expect(builder!.bytesSent).toBeLessThan(100_000);
    expect(builder!.bytesSent).toBeGreaterThan(0);
    // The others get control-1's installed tree, one archive of the same bytes each.
    expect(others.map((n) => [n.install, n.installedOn, n.bytesSent === others[0]!.bytesSent && n.bytesSent > 0])).toEqual(
      others.map(() => ['archive', 'control-1', true]),
    );
    const v = await ask('control-1', 7103, '/version');
    expect(JSON.stringify(v)).toContain('3.1.0');
    const a = await karoo([
      'accept',
      '--config',
      cfg,
      '--inventory',
      invPath,
      '--store',
      store,
      '--candidate',
      candB,
      '--out',
      join(work, 'acc-b'),
      '--json',
    ]);
    expect(a.code).toBe(0);
    expect(json<{ result: string }>(a).result).toBe('passed');
  });

  test("a service's start-timeout in karoo.yml is how long its node waits: a service that never listens fails the deploy after it, naming the service", async () => {
    // The same candidate with a configuration whose store service never opens its port (sleep
    // is on every node's PATH) and may take 2 s: the node gives up after 2 s, not 60 s.
    const slow = join(work, 'cam', 'slow-start.yml');
    const yml = readFileSync(cfg, 'utf8');
    const edited = yml.replace('command: [cam-store, --config, etc/cam-store.json]', 'command: [sleep, "3600"]\n        start-timeout: 2s');
    expect(edited).not.toBe(yml);
    writeFileSync(slow, edited);
    try {
      const r = await karoo(['deploy', '--config', slow, '--inventory', invPath, '--store', store, '--candidate', candB, '--json']);
      // A node that cannot run its release is a conflict (exit 5), not "unavailable, retry".
      expect([r.code, json<DeployJson>(r).error]).toEqual([
        5,
        expect.stringMatching(/^deploy failed on node store-1: .*service karoo-cam-cam-store\.service did not come up within 2s/),
      ]);
    } finally {
      // Back to the configuration the next test starts from.
      const back = await karoo(deployArgs(candB));
      expect(back.code).toBe(0);
    }
    expect(JSON.stringify(await ask('store-1', 7101, '/version'))).toContain('cam-store');
  });

  test('a node killed mid-deploy fails the deploy naming it; every other node stays fully on its old release', async () => {
    const old = await Promise.all(
      inv.nodes.map(async (n) => JSON.parse(await sh(n.name, 'cat /opt/karoo/cam/receipt.json')) as { systemId: string; release: string }),
    );
    const child = spawn(process.execPath, [KAROO, ...deployArgs(candC)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const killed = new Promise<void>((resolve) => {
      let done = false;
      child.stderr.on('data', async (b: Buffer) => {
        stderr += b.toString();
        // The plan has started on every node; the victim dies while the nodes transfer and install.
        if (!done && /prepared release|deploying candidate/.test(stderr)) {
          done = true;
          const state = (await loadState(inv.environmentId))!;
          const victim = state.machines.find((m) => m.name === 'control-2')!;
          await new NspawnProvider().destroy(state, victim);
          resolve();
        }
      });
    });
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    await killed;
    expect(code).toBe(4);
    const d = JSON.parse(stdout) as DeployJson;
    expect(d.ok).toBe(false);
    expect(d.error).toMatch(/^deploy failed on node control-2: /);
    expect(d.nodes.find((n) => n.name === 'control-2')!.result).toBe('failed');
    expect(stderr).toMatch(/not switching any node/);
    for (const [i, n] of inv.nodes.entries()) {
      if (n.name === 'control-2') continue;
      const receipt = JSON.parse(await sh(n.name, 'cat /opt/karoo/cam/receipt.json')) as { systemId: string; release: string };
      expect(receipt.release).toBe(old[i]!.release);
      expect((await sh(n.name, 'readlink /opt/karoo/cam/current')).trim()).toBe(`releases/${old[i]!.release}`);
    }
    // The old release is whole: its services answer with the old candidate's versions.
    expect(JSON.stringify(await ask('control-1', 7103, '/version'))).toContain('3.1.0');
    const s = await karoo(['status', '--config', cfg, '--inventory', invPath, '--json']);
    const st = json<{ nodes: Array<{ name: string; reachable: boolean; drift: string[] }> }>(s);
    expect(st.nodes.find((n) => n.name === 'control-2')!.reachable).toBe(false);
    expect(st.nodes.filter((n) => n.name !== 'control-2').every((n) => n.drift.length === 0)).toBe(true);
  });
});

describe('karoo up', () => {
  test('provision → deploy → accept → teardown of a candidate without pip prints systemId, result and evidence; the machines are gone', async () => {
    const pylock = readFileSync(join(work, 'no-pip', 'lock', 'pylock.toml'), 'utf8');
    expect(pylock).not.toContain('name = "pip"');
    expect(pylock).toContain('name = "setuptools"');
    const r = await karoo(['up', '--config', cfg, '--store', store, '--candidate', candNoPip, '--provider', 'nspawn', '--json']);
    const u = json<{ systemId: string; result: string; evidence: string; environmentId: string }>(r);
    expect(r.code).toBe(0);
    expect(u.result).toBe('passed');
    expect(u.systemId).toMatch(/^sha256:/);
    const ev = json<Array<{ digest: string }>>(await karoo(['evidence', '--store', store, candNoPip, '--json']));
    expect(ev.map((e) => e.digest)).toContain(u.evidence);
    const state = await loadState(u.environmentId);
    expect(state === undefined || state.phase === 'destroying').toBe(true);
    expect(existsSync(`/run/netns/${u.environmentId}`)).toBe(false);
  });
});
