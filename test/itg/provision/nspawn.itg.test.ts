import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadConfig } from '@karoo/config';
import {
  destroyEnvironment,
  execOnNode,
  knownEnvironments,
  listProcesses,
  loadState,
  provision,
  readInventory,
  reap,
  reapReason,
  resourcesOf,
  type Inventory,
  type ProvisionResult,
} from '@karoo/machines';
import { isKarooError } from '@karoo/common';
import { json, karoo, KAROO, ROOT } from '../../support/cli.js';
import { configWith, prepare, tempDir } from './support.js';

const created: string[] = [];

beforeAll(async () => {
  await prepare();
}, 20 * 60_000);

afterAll(async () => {
  // Whatever a failed assertion left behind.
  for (const env of created) await destroyEnvironment({ environmentId: env }).catch(() => {});
}, 5 * 60_000); // 15 nodes left by a failed test take more than jest's 30 s to remove on a loaded machine

async function up(
  nodes: Array<{ name: string; role: string }>,
  extra: Partial<Parameters<typeof provision>[0]> = {},
): Promise<ProvisionResult> {
  const r = await provision({ nodes, provider: 'nspawn', outDir: tempDir('env'), ...extra });
  created.push(r.inventory.environmentId);
  return r;
}

/** Environments this test process is provisioning or has provisioned (others may run in parallel). */
async function ownedByMe(): Promise<string[]> {
  const out: string[] = [];
  for (const id of await knownEnvironments()) if ((await loadState(id))?.owner.pid === process.pid) out.push(id);
  return out;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function sh(inv: Inventory, node: string, cmd: string): Promise<string> {
  const r = await execOnNode(inv, node, cmd, { allowFailure: true, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${node}: ${cmd} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

describe('nspawn environments', () => {
  test('the example system (4 nodes, 3 roles) comes up on a private network, every node resolves and reaches the others by name, and goes away completely', async () => {
    const config = await loadConfig(join(ROOT, 'examples/cam/karoo.yml'));
    expect(config.nodes.length).toBeGreaterThanOrEqual(4);
    const { inventory, inventoryPath } = await up(config.nodes.map((n) => ({ name: n.name, role: n.role })));
    const env = inventory.environmentId;
    expect(env).toMatch(/^karoo-[0-9a-f]{8}$/);

    // The inventory on disk is what deploy reads: valid against the schema, one entry per node.
    const read = await readInventory(inventoryPath);
    expect(read.nodes.map((n) => [n.name, n.role])).toEqual(config.nodes.map((n) => [n.name, n.role]));
    expect(new Set(read.nodes.map((n) => n.ssh.port)).size).toBe(read.nodes.length);
    for (const n of read.nodes) {
      expect(n.ssh.host).toBe('127.0.0.1');
      expect(n.machineId).toBe(`${env}-${n.name}`);
      expect(n.address).toMatch(/^10\.[0-9]+\.[0-9]+\.[0-9]+$/);
    }

    const names = read.nodes.map((n) => n.name);
    await Promise.all(
      read.nodes.map(async (n) => {
        // Strict host key checking against the environment's known_hosts: this is the node we made.
        const out = await sh(
          read,
          n.name,
          [
            'hostname',
            'python3 -c "import sys, venv; print(sys.version.split()[0])"',
            'python3 -m venv --without-pip /tmp/venv-check && /tmp/venv-check/bin/python -c "print(1)"',
            // "running" means no unit failed; print the failed ones otherwise.
            'systemctl is-system-running --wait | tr "\\n" " " | sed "s/ $//"; echo; systemctl --failed --no-legend --plain | tr "\\n" " " >&2; true',
            ...names.map((o) => `getent hosts ${o} | cut -d' ' -f1`),
            ...names.filter((o) => o !== n.name).map((o) => `ping -c1 -W2 ${o} >/dev/null && echo ping-${o}-ok`),
          ].join(' && '),
        );
        const lines = out.trim().split('\n');
        expect(lines[0]).toBe(n.name);
        expect(lines[1]).toMatch(/^3\.11\./);
        expect(lines[2]).toBe('1');
        expect(lines[3]).toBe('running');
        expect(lines.slice(4, 4 + names.length)).toEqual(read.nodes.map((o) => o.address));
        for (const o of names.filter((x) => x !== n.name)) expect(out).toContain(`ping-${o}-ok`);
      }),
    );
    // Every machine has its own identity: machine-id and SSH host key differ.
    const ids = await Promise.all(names.map((n) => sh(read, n, 'cat /etc/machine-id /etc/ssh/ssh_host_ed25519_key.pub')));
    expect(new Set(ids).size).toBe(names.length);

    // Resources are named after the environment.
    const mine = await resourcesOf(env);
    expect(mine).toEqual(expect.arrayContaining([`netns ${env}`, ...names.map((n) => `netns ${env}-${n}`)]));
    expect(mine.filter((r) => r.startsWith('process ') && r.includes('systemd-nspawn'))).toHaveLength(names.length);
    expect((await loadState(env))?.phase).toBe('ready');

    const report = await destroyEnvironment({ inventory: inventoryPath });
    expect(report.leftovers).toEqual([]);
    expect(await resourcesOf(env)).toEqual([]);
    for (const n of read.nodes) expect(await portOpen(n.ssh.port)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(env);
  }, 180_000);

  test('the 15-node variant fits on one runner and every node resolves every other', async () => {
    const config = await loadConfig(join(ROOT, 'examples/cam/karoo-15.yml'));
    expect(config.nodes).toHaveLength(15);
    const { inventory, inventoryPath } = await up(config.nodes.map((n) => ({ name: n.name, role: n.role })));
    const last = inventory.nodes[14]!;
    const out = await sh(
      inventory,
      inventory.nodes[0]!.name,
      inventory.nodes.map((n) => `getent hosts ${n.name} | cut -d' ' -f1`).join(' && ') +
        ` && ping -c1 -W2 ${last.name} >/dev/null && echo reached`,
    );
    expect(out.trim().split('\n')).toEqual([...inventory.nodes.map((n) => n.address), 'reached']);
    expect((await destroyEnvironment({ inventory: inventoryPath })).leftovers).toEqual([]);
  }, 240_000);

  test('two environments at once share no name, port, namespace or network', async () => {
    const nodes = [
      { name: 'alpha', role: 'a' },
      { name: 'beta', role: 'b' },
    ];
    const [a, b] = await Promise.all([up(nodes), up(nodes)]);
    const ia = a.inventory;
    const ib = b.inventory;
    expect(ia.environmentId).not.toBe(ib.environmentId);
    const ports = [...ia.nodes, ...ib.nodes].map((n) => n.ssh.port);
    expect(new Set(ports).size).toBe(4);
    expect(ia.network?.namespace).not.toBe(ib.network?.namespace);
    // Same node names, different machines: each environment's alpha is its own.
    const [ha, hb] = await Promise.all([sh(ia, 'alpha', 'cat /etc/machine-id'), sh(ib, 'alpha', 'cat /etc/machine-id')]);
    expect(ha).not.toBe(hb);
    // A node of one environment cannot reach the other environment's nodes.
    const cross = await execOnNode(ia, 'alpha', `ping -c1 -W1 ${ib.nodes[1]!.address}`, { allowFailure: true });
    expect(cross.code).not.toBe(0);
    const inside = await execOnNode(ia, 'alpha', `ping -c1 -W1 ${ia.nodes[1]!.address}`, { allowFailure: true });
    expect(inside.code).toBe(0);
    // Destroying one leaves the other running.
    await destroyEnvironment({ inventory: a.inventoryPath });
    expect(await resourcesOf(ia.environmentId)).toEqual([]);
    expect((await sh(ib, 'beta', 'hostname')).trim()).toBe('beta');
    await destroyEnvironment({ inventory: b.inventoryPath });
    expect(await resourcesOf(ib.environmentId)).toEqual([]);
  }, 180_000);

  test('kill -9 of the provisioning process mid-boot, then reap: nothing of that environment remains', async () => {
    const cfg = configWith(['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((name) => ({ name, role: 'r' })));
    const before = new Set(await knownEnvironments());
    const child = spawn(process.execPath, [KAROO, 'provision', '--config', cfg, '--out', tempDir('killed')], {
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: 'ignore',
    });
    // Wait until a machine of the child's environment has started, then kill the child.
    let env: string | undefined;
    const deadline = Date.now() + 60_000;
    while (!env && Date.now() < deadline) {
      for (const id of await knownEnvironments()) {
        if (before.has(id)) continue;
        const s = await loadState(id);
        if (s && s.owner.pid === child.pid && s.machines.some((m) => m.process)) env = id;
      }
      if (!env) await new Promise((r) => setTimeout(r, 10));
    }
    expect(env).toBeDefined();
    created.push(env!);
    const state = await loadState(env!);
    expect(state?.phase).toBe('provisioning');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The machines are still there: the kill alone does not clean up.
    expect((await resourcesOf(env!)).some((r) => r.startsWith('netns '))).toBe(true);

    const reaped = await reap();
    const mine = reaped.find((r) => r.environmentId === env);
    expect(mine?.reason).toMatch(/process .* is gone/);
    expect(mine?.leftovers).toEqual([]);
    // The environment's own watchdog saw the owner go too: its teardown and this one take turns
    // (the teardown lock), so when reap returns both are done and nothing is left.
    expect(await resourcesOf(env!)).toEqual([]);
    // Zero processes (by name or in its namespaces), mounts, interfaces/namespaces, files.
    const procs = await listProcesses();
    expect(procs.filter((p) => p.argv.join(' ').includes(env!))).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(env!);
    expect(readdirSync('/run/netns').filter((n) => n.startsWith(env!))).toEqual([]);
    expect(existsSync(`/var/lib/karoo/envs/${env}`)).toBe(false);
  }, 120_000);

  test('reap leaves live environments and anything not named karoo-<id> alone', async () => {
    const { inventory, inventoryPath } = await up([{ name: 'keeper', role: 'r' }]);
    const { execFileSync } = await import('node:child_process');
    execFileSync('ip', ['netns', 'add', 'karoo-notours']);
    try {
      const reaped = await reap();
      expect(reaped.map((r) => r.environmentId)).not.toContain(inventory.environmentId);
      expect((await sh(inventory, 'keeper', 'hostname')).trim()).toBe('keeper');
      expect(readdirSync('/run/netns')).toContain('karoo-notours');
      // --older-than takes live ones too (checked on the rule: other test files' environments may be live now).
      const state = await loadState(inventory.environmentId);
      expect(await reapReason(inventory.environmentId, state, {})).toBeUndefined();
      expect(await reapReason(inventory.environmentId, state, { olderThanSeconds: 0 })).toBe('older than 0 s');
      expect(await reapReason(inventory.environmentId, state, { olderThanSeconds: 3600 })).toBeUndefined();
      expect(await reapReason(inventory.environmentId, state, { now: Date.parse(inventory.expiresAt!) + 1 })).toMatch(/^expired at/);
      expect(await reapReason(inventory.environmentId, undefined, {})).toMatch(/no state/);
      await reap({ environmentId: inventory.environmentId });
      expect(await resourcesOf(inventory.environmentId)).toEqual([]);
      expect(readdirSync('/run/netns')).toContain('karoo-notours');
    } finally {
      execFileSync('ip', ['netns', 'delete', 'karoo-notours']);
    }
    expect(existsSync(inventoryPath)).toBe(true);
  }, 120_000);
});

describe('bad input and faults', () => {
  test('an unknown provider is refused by name, before anything is made', async () => {
    const before = await ownedByMe();
    await expect(provision({ nodes: [{ name: 'a', role: 'r' }], provider: 'vmware' })).rejects.toThrow(
      /provider "vmware" is not known; use one of: nspawn, qemu/,
    );
    const r = await karoo(['provision', '--config', configWith([{ name: 'a', role: 'r' }]), '--provider', 'vmware', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(json<{ error: { kind: string } }>(r).error.kind).toBe('input');
    expect(await ownedByMe()).toEqual(before);
  });

  test('a node name that is not a valid host name is refused with the name', async () => {
    const before = await ownedByMe();
    for (const bad of ['Control_1', '-lead', 'a'.repeat(49), 'localhost']) {
      const e = await provision({ nodes: [{ name: bad, role: 'r' }], provider: 'nspawn' }).catch((x: unknown) => x);
      expect(isKarooError(e) && e.kind === 'input').toBe(true);
      expect((e as Error).message).toContain(`"${bad}"`);
    }
    // The configuration loader refuses it too, with file and line.
    const r = await karoo(['provision', '--config', configWith([{ name: 'Bad_Name', role: 'r' }])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/karoo\.yml:[0-9]+: nodes\[0\]\.name/);
    expect(await ownedByMe()).toEqual(before);
  });

  test('a machine that never becomes reachable: timeout naming it with its last console lines, logs saved, the rest destroyed', async () => {
    const out = tempDir('unreachable');
    let env = '';
    const e = await provision({
      nodes: [
        { name: 'fine', role: 'r' },
        { name: 'cut-off', role: 'r' },
      ],
      provider: 'nspawn',
      outDir: out,
      bootTimeoutSeconds: 6,
      // Fault injection: take the node's cable out of the environment's bridge as it boots.
      onMachineStarted: async (m, state) => {
        env = state.environmentId;
        created.push(env);
        if (m.name === 'cut-off') {
          const { execFileSync } = await import('node:child_process');
          execFileSync('ip', ['-n', state.netns, 'link', 'delete', `v${m.index}`]);
        }
      },
    }).catch((x: unknown) => x);
    expect(isKarooError(e)).toBe(true);
    const msg = (e as Error).message;
    expect(msg).toMatch(/container cut-off \(karoo-[0-9a-f]{8}-cut-off\) is not reachable over SSH/);
    expect(msg).toContain('last console lines:');
    expect(msg).toMatch(/Reached target|Started|Welcome/);
    expect(await resourcesOf(env)).toEqual([]);
    const logs = readdirSync(join(out, 'logs'));
    expect(logs).toEqual(expect.arrayContaining(['cut-off.console.log', 'fine.console.log', 'fine.journal.log']));
    expect(readFileSync(join(out, 'logs', 'fine.journal.log'), 'utf8')).toContain('sshd');
  }, 120_000);

  test('--keep: a failed environment stays (with an inventory to reach it) until destroyed', async () => {
    const out = tempDir('kept');
    let env = '';
    await expect(
      provision({
        nodes: [
          { name: 'ok', role: 'r' },
          { name: 'broken', role: 'r' },
        ],
        provider: 'nspawn',
        outDir: out,
        keep: true,
        bootTimeoutSeconds: 4,
        onMachineStarted: async (m, state) => {
          env = state.environmentId;
          created.push(env);
          if (m.name === 'broken')
            (await import('node:child_process')).execFileSync('ip', ['-n', state.netns, 'link', 'delete', `v${m.index}`]);
        },
      }),
    ).rejects.toThrow(/broken .* is not reachable over SSH/);
    expect((await loadState(env))?.phase).toBe('failed');
    // Not an orphan for the reaper: kept until its TTL.
    expect(await reapReason(env, await loadState(env), {})).toBeUndefined();
    const inv = await readInventory(join(out, 'inventory.json'));
    expect((await sh(inv, 'ok', 'hostname')).trim()).toBe('ok');
    expect((await destroyEnvironment({ environmentId: env })).leftovers).toEqual([]);
  }, 120_000);

  test('TTL: an expired environment refuses work and its watchdog reaps it', async () => {
    const { inventory } = await up([{ name: 'short', role: 'r' }], {
      // Long enough to be provisioned on a loaded runner (the watchdog counts from the stamp).
      ttlSeconds: 15,
      onExpire: [process.execPath, KAROO, 'reap', '--env', '{env}'],
    });
    const env = inventory.environmentId;
    expect((await sh(inventory, 'short', 'hostname')).trim()).toBe('short');
    const expiresAt = Date.parse(inventory.expiresAt!);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 100));
    await expect(execOnNode(inventory, 'short', 'true')).rejects.toThrow(new RegExp(`environment ${env} expired at`));
    const deadline = Date.now() + 30_000;
    while ((await resourcesOf(env)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await resourcesOf(env)).toEqual([]);
  }, 120_000);
});
