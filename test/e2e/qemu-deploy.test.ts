import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, destroyEnvironment, execOnNode, type Inventory, readInventory } from '@karoo/machines';
import { parseDocument } from 'yaml';
import { json, karoo, ROOT } from '../support/cli.js';

// The same deploy on real virtual machines (QEMU; software emulation where KVM is not
// usable): two nodes of the example, the control node's proxy calling the store on the
// other machine by name over the environment's private network. The control node also runs
// the monitor role's services, so that the example's acceptance tests pass on two machines.
let work: string;
let cfg: string;
let store: string;
let candidate: string;
let inv: Inventory;
let invPath: string;

interface Role {
  leaves: string[];
  services: unknown[];
  files: unknown[];
}

/** The example on two machines: store-1 (store) and control-1 (control + monitor), values pointing at them. */
function twoMachineConfig(yml: string): string {
  const doc = parseDocument(yml);
  doc.set('nodes', [
    { name: 'store-1', role: 'store', cpus: 2, memory: 768 },
    { name: 'control-1', role: 'control', cpus: 2, memory: 768 },
  ]);
  const control = doc.getIn(['roles', 'control']) as { toJSON(): Role };
  const monitor = doc.getIn(['roles', 'monitor']) as { toJSON(): Role };
  const c = control.toJSON();
  const m = monitor.toJSON();
  doc.setIn(
    ['roles', 'control'],
    doc.createNode({ leaves: [...c.leaves, ...m.leaves], services: [...c.services, ...m.services], files: [...c.files, ...m.files] }),
  );
  doc.deleteIn(['roles', 'monitor']);
  doc.setIn(['values', 'proxy_urls'], ['http://control-1:7102']);
  doc.setIn(
    ['values', 'portal_services'],
    doc.createNode([
      { name: 'cam-store', url: 'http://store-1:7101' },
      { name: 'cam-proxy', url: 'http://control-1:7102' },
      { name: 'cam-scheduler', url: 'http://control-1:7103' },
      { name: 'cam-monitor', url: 'http://control-1:7104' },
    ]),
  );
  return doc.toString();
}

/** Candidate of the example's lock without pip (almost no real system lists pip as a leaf). */
async function buildWithoutPip(): Promise<string> {
  const out = join(work, 'lock-no-pip');
  expect((await karoo(['resolve', '--config', cfg, '--out', out])).code).toBe(0);
  const pylock = readFileSync(join(out, 'pylock.toml'), 'utf8');
  const blocks = pylock.split(/\n(?=\[\[packages\]\]\n)/);
  const kept = blocks.filter((b) => !b.startsWith('[[packages]]\nname = "pip"\n'));
  expect(kept.length).toBe(blocks.length - 1);
  writeFileSync(join(out, 'pylock.toml'), kept.join('\n'));
  const b = await karoo(['build', '--config', cfg, '--lock', join(out, 'pylock.toml'), '--store', store, '--json']);
  expect(b.code).toBe(0);
  return json<{ candidate: string }>(b).candidate;
}

beforeAll(async () => {
  await buildImage();
  work = mkdtempSync(join(tmpdir(), 'karoo-e2e-qemu-'));
  cpSync(join(ROOT, 'examples/cam'), join(work, 'cam'), {
    recursive: true,
    filter: (p) => !p.includes('/.karoo') && !p.includes('/reports'),
  });
  cfg = join(work, 'cam', 'karoo-qemu.yml');
  writeFileSync(cfg, twoMachineConfig(readFileSync(join(work, 'cam', 'karoo.yml'), 'utf8')));
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
  it(
    'converges both machines, services call each other across machines, a re-deploy does nothing',
    async () => {
      expect(inv.provider).toBe('qemu');
      const args = [
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
      ];
      const first = await karoo(args);
      expect(first.code).toBe(0);
      expect(json<{ nodes: Array<{ result: string }> }>(first).nodes.map((n) => n.result)).toEqual(['deployed', 'deployed']);

      const r = await execOnNode(
        inv,
        'control-1',
        `python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:7102/api/store", timeout=20).read().decode())'`,
        { timeoutMs: 60_000 },
      );
      expect(JSON.parse(r.stdout)).toMatchObject({
        proxy_node: 'control-1',
        store_node: 'store-1',
        store_status: 'ok',
        store_version: '2.0.0',
      });

      const again = await karoo(args);
      expect(again.code).toBe(0);
      expect(
        json<{ nodes: Array<{ changed: boolean; result: string }> }>(again).nodes.every((n) => !n.changed && n.result === 'converged'),
      ).toBe(true);
      const status = await karoo([
        'status',
        '--config',
        cfg,
        '--inventory',
        invPath,
        '--candidate',
        candidate,
        '--environment',
        'integration',
      ]);
      expect(status.code).toBe(0);
    },
    10 * 60_000,
  );

  it(
    'a candidate without pip deploys (installed once, shipped to the other machine) and passes acceptance; its C extension imports on both',
    async () => {
      const noPip = await buildWithoutPip();
      // Services get longer to come up under software emulation on a shared 2-core machine.
      const args = [
        'deploy',
        '--config',
        cfg,
        '--inventory',
        invPath,
        '--store',
        store,
        '--candidate',
        noPip,
        '--environment',
        'integration',
        '--wait',
        '300',
        '--json',
      ];
      const d = await karoo(args);
      if (d.code !== 0) throw new Error(`deploy exited ${d.code}: ${d.stderr.trim().split('\n').slice(-12).join('\n')}`);
      const nodes = json<{ nodes: Array<{ name: string; result: string; install: string; installedOn?: string }> }>(d).nodes;
      expect(nodes.map((n) => [n.name, n.result, n.install, n.installedOn])).toEqual([
        ['control-1', 'deployed', 'wheels', undefined],
        ['store-1', 'deployed', 'archive', 'control-1'],
      ]);
      for (const node of ['store-1', 'control-1']) {
        const r = await execOnNode(
          inv,
          node,
          '/opt/karoo/cam/current/bin/cam-signal; ls /opt/karoo/cam/current/bin | grep -c "^pip" || true',
          { timeoutMs: 60_000 },
        );
        const [selftest, pips] = r.stdout.trim().split('\n');
        expect(JSON.parse(selftest!)).toMatchObject({ module: '_native.cpython-311-x86_64-linux-gnu.so', adler32: 0x11e60398 });
        expect(pips).toBe('0');
      }
      const a = await karoo([
        'accept',
        '--config',
        cfg,
        '--inventory',
        invPath,
        '--store',
        store,
        '--candidate',
        noPip,
        '--environment',
        'integration',
        '--out',
        join(work, 'acc'),
        '--json',
      ]);
      const acc = json<{ result: string; counts: { passed: number; failed: number } }>(a);
      expect(a.code).toBe(0);
      expect(acc.result).toBe('passed');
      expect(acc.counts.failed).toBe(0);
      expect(acc.counts.passed).toBeGreaterThanOrEqual(10);
    },
    15 * 60_000,
  );
});
