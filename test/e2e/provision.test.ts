/** The built CLI (provision, destroy, reap, image) and the bundled provision action (main + post), end to end. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { buildImage, destroyEnvironment, execOnNode, readInventory, resourcesOf, type Inventory } from '@karoo/machines';
import { json, karoo, ROOT } from '../support/cli.js';

const leftover: string[] = [];

beforeAll(async () => {
  await buildImage();
}, 20 * 60_000);

afterAll(async () => {
  for (const env of leftover) await destroyEnvironment({ environmentId: env }).catch(() => {});
});

function node(entry: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], {
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** name<<delimiter\nvalue\ndelimiter records of GITHUB_OUTPUT / GITHUB_STATE files. */
function records(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}

describe('karoo provision / destroy / reap (CLI)', () => {
  test('provision --json prints the inventory; the machines answer; destroy removes everything', async () => {
    const out = mkdtempSync(join(tmpdir(), 'karoo-cli-provision-'));
    const r = await karoo([
      'provision',
      '--config',
      'examples/cam/karoo.yml',
      '--provider',
      'nspawn',
      '--out',
      out,
      '--ttl',
      '20m',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const inv = json<Inventory>(r);
    leftover.push(inv.environmentId);
    expect(r.stderr).toContain(`environment ${inv.environmentId}`);
    expect(await readInventory(join(out, 'inventory.json'))).toEqual(
      expect.objectContaining({ environmentId: inv.environmentId, ttlSeconds: 1200 }),
    );
    const hn = await execOnNode(inv, 'monitor-1', 'hostname');
    expect(hn.stdout.trim()).toBe('monitor-1');
    const d = await karoo(['destroy', '--inventory', join(out, 'inventory.json'), '--json']);
    expect(d.code).toBe(0);
    expect(json<{ leftovers: string[] }>(d).leftovers).toEqual([]);
    expect(await resourcesOf(inv.environmentId)).toEqual([]);
    // Destroying again is harmless; reap finds nothing of it.
    expect((await karoo(['destroy', '--inventory', join(out, 'inventory.json')])).code).toBe(0);
    const reap = json<{ reaped: Array<{ environmentId: string }> }>(await karoo(['reap', '--json']));
    expect(reap.reaped.map((x) => x.environmentId)).not.toContain(inv.environmentId);
  }, 120_000);

  test('destroy refuses an inventory of real hosts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'karoo-static-'));
    const p = join(dir, 'inventory.json');
    writeFileSync(
      p,
      JSON.stringify({
        version: 1,
        environmentId: 'production',
        provider: 'static',
        nodes: [{ name: 'cam-1', role: 'r', address: '192.0.2.1', ssh: { host: 'cam-1' } }],
      }),
    );
    const r = await karoo(['destroy', '--inventory', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not an ephemeral karoo environment.*real hosts are never destroyed/);
  });

  test('image build reports the cached image', async () => {
    const r = await karoo(['image', 'build', '--json']);
    expect(r.code).toBe(0);
    const img = json<{ id: string; rootfs: string; disk: string; kernel: string }>(r);
    for (const p of [img.rootfs, img.disk, img.kernel]) expect(existsSync(p)).toBe(true);
  });
});

describe('actions/provision bundle', () => {
  test('main provisions and sets outputs, state and a summary; post destroys and keeps the logs', async () => {
    const work = mkdtempSync(join(tmpdir(), 'karoo-action-provision-'));
    const files = { state: join(work, 'state'), output: join(work, 'output'), summary: join(work, 'summary') };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const main = await node(join(ROOT, 'dist/provision/index.js'), {
      INPUT_CONFIG: join(ROOT, 'examples/cam/karoo.yml'),
      INPUT_PROVIDER: 'nspawn',
      INPUT_TTL: '15m',
      INPUT_KEEP: 'false',
      GITHUB_STATE: files.state,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      RUNNER_TEMP: work,
    });
    expect(main.stdout).not.toContain('::error::');
    expect(main.code).toBe(0);
    const outputs = records(files.output);
    const state = records(files.state);
    const env = outputs['environment-id']!;
    leftover.push(env);
    expect(env).toMatch(/^karoo-[0-9a-f]{8}$/);
    expect(state['environment-id']).toBe(env);
    const inv = await readInventory(outputs.inventory!);
    expect(inv.nodes).toHaveLength(4);
    const summary = readFileSync(files.summary, 'utf8');
    expect(summary).toContain(`karoo provision: ${env}`);
    for (const n of inv.nodes) expect(summary).toContain(`<td>${n.name}</td>`);
    expect((await execOnNode(inv, 'store-1', 'python3 -c "print(6*7)"')).stdout.trim()).toBe('42');

    const post = await node(join(ROOT, 'dist/provision/post/index.js'), {
      ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v])),
      GITHUB_STATE: join(work, 'state2'),
      RUNNER_TEMP: work,
    });
    expect(post.stdout).not.toContain('::error::');
    expect(post.code).toBe(0);
    expect(post.stdout).toContain(`environment ${env} destroyed`);
    expect(await resourcesOf(env)).toEqual([]);
    expect(existsSync(join(state['out-dir']!, 'logs', 'store-1.journal.log'))).toBe(true);
  }, 120_000);

  test('main fails with one line for an unknown provider, and post has nothing to destroy', async () => {
    const work = mkdtempSync(join(tmpdir(), 'karoo-action-provision-bad-'));
    const files = { state: join(work, 'state'), output: join(work, 'output'), summary: join(work, 'summary') };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const main = await node(join(ROOT, 'dist/provision/index.js'), {
      INPUT_CONFIG: join(ROOT, 'examples/cam/karoo.yml'),
      INPUT_PROVIDER: 'lxd',
      GITHUB_STATE: files.state,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      RUNNER_TEMP: work,
    });
    expect(main.code).not.toBe(0);
    expect(main.stdout).toMatch(/::error::input "provider" is "lxd"; allowed values: nspawn, qemu/);
    const state = records(files.state);
    expect(state['environment-id']).toBeUndefined();
    const post = await node(join(ROOT, 'dist/provision/post/index.js'), {
      ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v])),
    });
    expect(post.code).toBe(0);
    expect(post.stdout).toContain('nothing to destroy');
  });
});
