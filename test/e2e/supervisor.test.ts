import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, destroyEnvironment, execOnNode, type Inventory, provision, readInventory } from '@karoo/machines';
import { json, karoo, ROOT } from '../support/cli.js';

// Nodes whose services karoo's own supervisor runs (no systemd units): the same deploy,
// acceptance across nodes, restarts of a killed service, drift and rollback.
let work: string;
let cfg: string;
let store: string;
let candidate: string;
let invPath: string;
let inv: Inventory;
let envId: string | undefined;

const UNIT = 'karoo-cam-cam-store.service';

async function sh(node: string, cmd: string): Promise<{ code: number; stdout: string }> {
  const r = await execOnNode(inv, node, cmd, { allowFailure: true, timeoutMs: 60_000 });
  return { code: r.code ?? -1, stdout: r.stdout };
}

async function storeState(): Promise<{ supervisor: number; pid: number; restarts: number; state: string }> {
  return JSON.parse((await sh('store-1', `cat /run/karoo/cam/${UNIT}.json`)).stdout);
}

beforeAll(async () => {
  await buildImage();
  work = mkdtempSync(join(tmpdir(), 'karoo-e2e-supervisor-'));
  cpSync(join(ROOT, 'examples/cam'), join(work, 'cam'), {
    recursive: true,
    filter: (p) => !p.includes('/.karoo') && !p.includes('/reports'),
  });
  cfg = join(work, 'cam', 'karoo.yml');
  const built = json<{ candidate: string; store: string }>(await karoo(['demo', '--example', join(work, 'cam'), '--no-accept', '--json']));
  candidate = built.candidate;
  store = built.store;
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
  envId = p.inventory.environmentId;
  invPath = p.inventoryPath;
  inv = await readInventory(invPath);
  for (const n of inv.nodes) expect((await sh(n.name, 'mkdir -p /etc/karoo && echo supervisor > /etc/karoo/service-manager')).code).toBe(0);
}, 10 * 60_000);

afterAll(async () => {
  if (envId) await destroyEnvironment({ environmentId: envId }).catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe("services under karoo's supervisor", () => {
  it('deploys, passes acceptance across nodes, and installs no systemd unit', async () => {
    const d = await karoo([
      'deploy',
      '--config',
      cfg,
      '--inventory',
      invPath,
      '--store',
      store,
      '--candidate',
      candidate,
      '--environment',
      'integration',
      '--json',
    ]);
    expect(d.code).toBe(0);
    const a = await karoo([
      'accept',
      '--config',
      cfg,
      '--inventory',
      invPath,
      '--store',
      store,
      '--candidate',
      candidate,
      '--environment',
      'integration',
      '--out',
      join(work, 'acc'),
      '--json',
    ]);
    expect(json<{ result: string }>(a).result).toBe('passed');
    expect((await sh('store-1', `systemctl is-active ${UNIT}`)).stdout.trim()).not.toBe('active');
    expect((await sh('store-1', `test -e /etc/systemd/system/${UNIT}`)).code).not.toBe(0);
    const state = await storeState();
    expect(state.state).toBe('running');
    expect((await sh('store-1', `cat /proc/${state.pid}/cmdline | tr '\\0' ' '`)).stdout).toContain('cam-store');
  }, 180_000);

  it('restarts a killed service, and a re-deploy finds nothing to do', async () => {
    const before = await storeState();
    await sh('store-1', `kill -9 ${before.pid}`);
    let after = before;
    for (let i = 0; i < 100 && (after.pid === before.pid || after.state !== 'running'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = await storeState();
    }
    expect(after.pid).not.toBe(before.pid);
    expect(after.supervisor).toBe(before.supervisor);
    expect(after.restarts).toBe(before.restarts + 1);
    const again = await karoo([
      'deploy',
      '--config',
      cfg,
      '--inventory',
      invPath,
      '--store',
      store,
      '--candidate',
      candidate,
      '--environment',
      'integration',
      '--json',
    ]);
    expect(again.code).toBe(0);
    expect(json<{ nodes: Array<{ changed: boolean }> }>(again).nodes.every((n) => !n.changed)).toBe(true);
    const s = await karoo([
      'status',
      '--config',
      cfg,
      '--inventory',
      invPath,
      '--candidate',
      candidate,
      '--environment',
      'integration',
      '--json',
    ]);
    expect(s.code).toBe(0);
  }, 120_000);

  it('reports a stopped supervisor as drift', async () => {
    const st = await storeState();
    await sh('store-1', `kill -9 ${st.supervisor} ${st.pid}`);
    const s = await karoo([
      'status',
      '--config',
      cfg,
      '--inventory',
      invPath,
      '--candidate',
      candidate,
      '--environment',
      'integration',
      '--json',
    ]);
    expect(s.code).not.toBe(0);
    expect(s.stdout).toContain(`service ${UNIT} is inactive`);
    // Deploy repairs it: a new supervisor and a new service process, both alive, and no drift.
    const d = await karoo([
      'deploy',
      '--config',
      cfg,
      '--inventory',
      invPath,
      '--store',
      store,
      '--candidate',
      candidate,
      '--environment',
      'integration',
      '--json',
    ]);
    expect(d.code).toBe(0);
    const repaired = await storeState();
    expect(repaired.state).toBe('running');
    expect(repaired.supervisor).not.toBe(st.supervisor);
    expect(repaired.pid).not.toBe(st.pid);
    expect((await sh('store-1', `kill -0 ${repaired.supervisor} && kill -0 ${repaired.pid}`)).code).toBe(0);
    const after = await karoo([
      'status',
      '--config',
      cfg,
      '--inventory',
      invPath,
      '--candidate',
      candidate,
      '--environment',
      'integration',
      '--json',
    ]);
    expect(after.code).toBe(0);
  }, 120_000);
});
