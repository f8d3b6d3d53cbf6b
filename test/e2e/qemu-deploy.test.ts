import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, destroyEnvironment, execOnNode, type Inventory, readInventory } from '@karoo/machines';
import { json, karoo, ROOT } from '../support/cli.js';

// The same deploy on real virtual machines (QEMU; software emulation where KVM is not
// usable): two nodes of the example, the control node's proxy calling the store on the
// other machine by name over the environment's private network.
let work: string;
let cfg: string;
let store: string;
let candidate: string;
let inv: Inventory;
let invPath: string;

beforeAll(async () => {
  await buildImage();
  work = mkdtempSync(join(tmpdir(), 'karoo-e2e-qemu-'));
  cpSync(join(ROOT, 'examples/cam'), join(work, 'cam'), { recursive: true, filter: (p) => !p.includes('/.karoo') && !p.includes('/reports') });
  cfg = join(work, 'cam', 'karoo-qemu.yml');
  const yml = readFileSync(join(work, 'cam', 'karoo.yml'), 'utf8');
  const start = yml.indexOf('nodes:');
  const end = yml.indexOf('\n\n', start);
  writeFileSync(cfg, `${yml.slice(0, start)}nodes:\n  - { name: store-1, role: store, cpus: 2, memory: 768 }\n  - { name: control-1, role: control, cpus: 2, memory: 768 }${yml.slice(end)}`);
  const built = json<{ candidate: string; store: string }>(await karoo(['demo', '--example', join(work, 'cam'), '--no-accept', '--json']));
  candidate = built.candidate;
  store = built.store;
  const p = await karoo(['provision', '--config', cfg, '--provider', 'qemu', '--out', join(work, 'env'), '--json']);
  expect(p.code).toBe(0);
  invPath = join(work, 'env', 'inventory.json');
  inv = await readInventory(invPath);
}, 10 * 60_000);

afterAll(async () => {
  if (inv) await destroyEnvironment({ environmentId: inv.environmentId }).catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('deploy onto QEMU machines', () => {
  it('converges both machines, services call each other across machines, a re-deploy does nothing', async () => {
    expect(inv.provider).toBe('qemu');
    const args = ['deploy', '--config', cfg, '--inventory', invPath, '--store', store, '--candidate', candidate, '--environment', 'integration', '--json'];
    const first = await karoo(args);
    expect(first.code).toBe(0);
    expect(json<{ nodes: Array<{ result: string }> }>(first).nodes.map((n) => n.result)).toEqual(['deployed', 'deployed']);

    const r = await execOnNode(inv, 'control-1', `python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:7102/api/store", timeout=20).read().decode())'`, { timeoutMs: 60_000 });
    expect(JSON.parse(r.stdout)).toMatchObject({ proxy_node: 'control-1', store_node: 'store-1', store_status: 'ok', store_version: '2.0.0' });

    const again = await karoo(args);
    expect(again.code).toBe(0);
    expect(json<{ nodes: Array<{ changed: boolean; result: string }> }>(again).nodes.every((n) => !n.changed && n.result === 'converged')).toBe(true);
    const status = await karoo(['status', '--config', cfg, '--inventory', invPath, '--candidate', candidate, '--environment', 'integration']);
    expect(status.code).toBe(0);
  }, 10 * 60_000);
});
