// libvirt provider benchmark (issue 14, Performance), side by side in one run on this machine:
//  1. create → SSH-ready of one node (2 vCPUs, 512 MiB) through the libvirt provider on
//     qemu:///system against the qemu provider (same image, same node), alternating, medians of
//     --runs runs each — target: libvirt's overhead ≤ 15 %;
//  2. image bytes uploaded into the host's storage pool: the first environment on a fresh pool
//     uploads karoo's image (qcow2, kernel, initrd); every later one must upload none.
// The pool is a temporary directory pool of the bench's own; libvirtd (and virtlogd) are started
// when none answers and stopped afterwards, as the integration test does.
// Usage: npx tsc -b && node bench/libvirt.mjs [--runs N] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, destroyEnvironment, provision, stateRoot } from '@karoo/machines';
import { startLocalLibvirtd, stopLocalLibvirtd } from '../test/support/local-libvirtd.mjs';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', '3'));
const URI = 'qemu:///system';
const POOL = `karoo-bench-${process.pid}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const virsh = (...a) => execFileSync('virsh', ['-q', '-c', URI, ...a], { encoding: 'utf8' });
const node = { name: 'bench', role: 'r', cpus: 2, memory: 512 };

let started = [];
const ensureLibvirtd = async () => (started = await startLocalLibvirtd(URI, 'bench'));

/** Bytes of the karoo-base-* volumes in the pool (the uploaded image), by name. */
function baseVolumes() {
  const out = new Map();
  for (const line of virsh('vol-list', '--pool', POOL).split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (!name?.startsWith('karoo-base-') || name.endsWith('.ok')) continue;
    // Allocation: the bytes on the host's disk (a qcow2's capacity is its virtual size).
    out.set(name, Number(/^Allocation:\s*(\d+)/m.exec(virsh('vol-info', '--bytes', '--pool', POOL, name))?.[1] ?? 0));
  }
  return out;
}

async function one(provider, out) {
  const before = provider === 'libvirt' ? baseVolumes() : new Map();
  const t0 = performance.now();
  const r = await provision({
    nodes: [node],
    provider,
    ...(provider === 'libvirt' ? { libvirt: { hosts: [{ name: 'local', uri: URI, pool: POOL }] } } : {}),
    outDir: out,
    reapFirst: false,
  });
  const ready = (performance.now() - t0) / 1000;
  const d = await destroyEnvironment({ environmentId: r.inventory.environmentId });
  if (d.leftovers.length) throw new Error(`${provider}: leftovers ${d.leftovers.join(', ')}`);
  let uploaded = 0;
  if (provider === 'libvirt') for (const [name, bytes] of baseVolumes()) if (!before.has(name)) uploaded += bytes;
  return { ready, uploaded };
}

await buildImage();
await ensureLibvirtd();
const knownFile = join(stateRoot(), 'libvirt-hosts.json');
const known = existsSync(knownFile) ? readFileSync(knownFile, 'utf8') : undefined;
const poolDir = mkdtempSync(join(tmpdir(), 'karoo-bench-pool-'));
const work = mkdtempSync(join(tmpdir(), 'karoo-bench-libvirt-'));
chmodSync(poolDir, 0o711);
virsh('pool-create-as', POOL, 'dir', '--target', poolDir);
const result = { runs, first: undefined, qemu: [], libvirt: [], uploadedLater: [] };
try {
  // The first environment on a fresh pool: the image goes up once.
  result.first = await one('libvirt', join(work, 'first'));
  for (let i = 0; i < runs; i++) {
    // Alternating, so that the machine's load weighs on both alike.
    result.qemu.push((await one('qemu', join(work, `q${i}`))).ready);
    const l = await one('libvirt', join(work, `l${i}`));
    result.libvirt.push(l.ready);
    result.uploadedLater.push(l.uploaded);
  }
} finally {
  for (const line of virsh('vol-list', '--pool', POOL).split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (name) spawnSync('virsh', ['-q', '-c', URI, 'vol-delete', '--pool', POOL, name], { stdio: 'ignore' });
  }
  spawnSync('virsh', ['-q', '-c', URI, 'pool-destroy', POOL], { stdio: 'ignore' });
  rmSync(poolDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  if (known === undefined) rmSync(knownFile, { force: true });
  else writeFileSync(knownFile, known);
  await stopLocalLibvirtd(started);
}
const q = median(result.qemu);
const l = median(result.libvirt);
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ ...result, medianQemu: q, medianLibvirt: l, overhead: l / q - 1, load }));
} else {
  const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log(
    `create → SSH-ready, one node (2 vCPUs, 512 MiB, TCG), medians of ${runs} alternating runs (load average at the end: ${load}):`,
  );
  console.log(`  qemu provider    ${q.toFixed(1)} s   (${result.qemu.map((x) => x.toFixed(1)).join(', ')})`);
  console.log(
    `  libvirt provider ${l.toFixed(1)} s   (${result.libvirt.map((x) => x.toFixed(1)).join(', ')})   overhead ${((l / q - 1) * 100).toFixed(1)} %`,
  );
  console.log(`first libvirt environment on a fresh pool: ${result.first.ready.toFixed(1)} s, uploaded ${mib(result.first.uploaded)}`);
  console.log(`later libvirt environments uploaded: ${result.uploadedLater.map(mib).join(', ')}`);
}
