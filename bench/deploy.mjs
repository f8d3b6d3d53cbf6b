// Deploy benchmarks (issue 5), side by side in one run, on the CAM example (4 nspawn nodes):
//  1. a fresh deploy, time per phase on each node (plan, transfer, install, start, verify);
//  2. transfer + install against a bare `pip install --no-index --require-hashes --no-deps` of the
//     same wheels into a fresh venv on the same nodes, all 4 nodes at once in both cases (target ≤ 1.5×);
//  3. re-deploy with nothing changed: time per node (in parallel) and for the whole command
//     (target ≤ 1 s per node).
// Usage: npx tsc -b && node bench/deploy.mjs [--runs N]   (root; builds karoo's machine image once)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, destroyEnvironment, execOnNode, provision, readInventory, sshCopy } from '@karoo/machines';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', '3'));
const root = new URL('..', import.meta.url).pathname;
const karoo = join(root, 'packages/cli/bin/karoo.js');
const cfg = join(root, 'examples/cam/karoo.yml');
const work = mkdtempSync(join(tmpdir(), 'karoo-bench-deploy-'));
const store = `oci-layout:${join(work, 'store')}`;

function cli(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [karoo, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`karoo ${args[0]} failed (${r.status}): ${r.stderr}`);
  return { out: r.stdout, ms };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

await buildImage();
cli(['resolve', '--config', cfg, '--out', join(work, 'lock')]);
const candidate = JSON.parse(cli(['build', '--config', cfg, '--lock', join(work, 'lock', 'pylock.toml'), '--store', store, '--json']).out).candidate;
const env = await provision({
  nodes: [
    { name: 'store-1', role: 'store' },
    { name: 'control-1', role: 'control' },
    { name: 'control-2', role: 'control' },
    { name: 'monitor-1', role: 'monitor' },
  ],
  provider: 'nspawn',
  outDir: join(work, 'env'),
});
const inv = await readInventory(env.inventoryPath);
process.on('exit', () => spawnSync(process.execPath, [karoo, 'destroy', '--inventory', env.inventoryPath], { stdio: 'ignore' }));
const nodes = inv.nodes.map((n) => n.name);
const onAll = (cmd) => Promise.all(nodes.map((n) => execOnNode(inv, n, cmd, { timeoutMs: 600_000 })));

// The wheels, staged on every node once for the bare pip runs (outside any timing).
const wheels = join(work, 'wheels');
mkdirSync(wheels);
const blob = (d) => join(work, 'store', 'blobs', 'sha256', d.slice(7));
const manifest = JSON.parse(readFileSync(blob(candidate), 'utf8'));
await onAll('rm -rf /root/wheels && mkdir -p /root/wheels');
const copies = [];
for (const l of manifest.layers) {
  const title = l.annotations['org.opencontainers.image.title'];
  execFileSync('cp', [blob(l.digest), join(wheels, title)]);
  copies.push(join(wheels, title));
}
for (const n of nodes) await sshCopy(inv.nodes.find((x) => x.name === n).ssh, copies, '/root/wheels/');
const pipWheel = manifest.layers.map((l) => l.annotations['org.opencontainers.image.title']).find((t) => t.startsWith('pip-'));

const wipe = () =>
  onAll(
    'systemctl stop "karoo-*" 2>/dev/null; rm -f /etc/systemd/system/karoo-* /etc/systemd/system/multi-user.target.wants/karoo-*; systemctl daemon-reload; rm -rf /opt/karoo /root/bare',
  );

const rows = [];
const bare = [];
const redeploy = [];
for (let i = 0; i < runs; i++) {
  await wipe();
  const d = JSON.parse(cli(['deploy', '--config', cfg, '--inventory', env.inventoryPath, '--store', store, '--candidate', candidate, '--json', '--quiet']).out);
  rows.push(d.nodes.map((n) => ({ node: n.name, ...n.phases, total: n.durationMs })));
  // Re-deploy, nothing changed.
  const again = cli(['deploy', '--config', cfg, '--inventory', env.inventoryPath, '--store', store, '--candidate', candidate, '--json', '--quiet']);
  const a = JSON.parse(again.out);
  if (!a.nodes.every((n) => n.result === 'converged')) throw new Error('re-deploy did work');
  redeploy.push({ wall: again.ms, perNode: Math.max(...a.nodes.map((n) => n.durationMs)) });
  // Bare pip on the same nodes, all at once like deploy.
  const t = process.hrtime.bigint();
  await onAll(
    `rm -rf /root/bare && python3 -m venv --without-pip /root/bare && /root/bare/bin/python3 /root/wheels/${pipWheel}/pip install --isolated --no-index --require-hashes --no-deps --no-cache-dir --disable-pip-version-check --find-links /root/wheels -r /root/wheels/requirements.txt >/dev/null`,
  );
  bare.push(Number(process.hrtime.bigint() - t) / 1e6);
}
await destroyEnvironment({ environmentId: inv.environmentId });
rmSync(work, { recursive: true, force: true });

console.log(`karoo deploy of the CAM example (12 wheels, ${(manifest.layers.reduce((n, l) => n + l.size, 0) / 1e6).toFixed(1)} MB) to 4 nspawn nodes at once; ${runs} runs, medians`);
console.log('');
console.log('node        plan     transfer  install  start    verify   total');
for (const n of nodes) {
  const per = rows.map((r) => r.find((x) => x.node === n));
  const m = (k) => s(median(per.map((p) => p[k])));
  console.log(`${n.padEnd(10)}  ${m('plan').padEnd(7)}  ${m('transfer').padEnd(8)}  ${m('install').padEnd(7)}  ${m('start').padEnd(7)}  ${m('verify').padEnd(7)}  ${m('total')}`);
}
const ti = median(rows.map((r) => Math.max(...r.map((x) => x.transfer + x.install))));
const b = median(bare);
console.log('');
console.log(`transfer + install (slowest node)      ${s(ti)}`);
console.log(`bare pip install --no-index, same nodes ${s(b)}`);
console.log(`ratio                                   ${(ti / b).toFixed(2)}x (target <= 1.5x)`);
console.log('');
console.log(`re-deploy, nothing changed: slowest node ${s(median(redeploy.map((r) => r.perNode)))} (target <= 1 s), whole command ${s(median(redeploy.map((r) => r.wall)))}`);
