// Provision benchmarks (issue 4), side by side in one run:
//  1. create → SSH-ready of one machine through karoo (`provision()`: keys, namespace, bridge,
//     forwarder, overlay/disk, boot, SSH probe through 127.0.0.1) against the same image booted
//     by the bare tool (`systemd-nspawn` / `qemu-system-x86_64` with the same flags, plus the
//     minimum a bare script must do first: a key, the overlay or qcow2 overlay, the seed, the
//     namespace and bridge; probed directly inside the namespace) — target overhead ≤ 10 %;
//  2. 15 nspawn nodes (examples/cam/karoo-15.yml) from nothing to all SSH-ready, and all
//     destroyed, with the peak memory used on the machine meanwhile;
//  3. destroy time per environment (target ≤ 2 s).
// Medians of --runs runs (default 5 for nspawn, --qemu-runs 1 for qemu under TCG).
// Usage: npx tsc -b && bash scripts/ensure-deps.sh && node bench/provision.mjs [--runs N] [--qemu-runs N] [--no-qemu] [--json]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@karoo/config';
import { buildImage, destroyEnvironment, detectAccelerator, nspawnArgs, provision, qemuArgs, seedFiles, seedTar } from '@karoo/machines';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', '5'));
const qemuRuns = Number(arg('--qemu-runs', '1'));
const root = new URL('..', import.meta.url).pathname;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
const fmt = (s) => `${s.toFixed(2)} s`;

const image = await buildImage();
const work = mkdtempSync(join(tmpdir(), 'karoo-bench-provision-'));
sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, 'id')]);
sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, 'hostkey')]);
const key = readFileSync(join(work, 'id.pub'), 'utf8');
const seed = seedFiles({
  node: 'bare',
  address: '10.250.0.2',
  mac: '52:54:00:fa:00:02',
  prefixLength: 24,
  hosts: [{ name: 'bare', address: '10.250.0.2' }],
  authorizedKey: key,
  hostPrivateKey: readFileSync(join(work, 'hostkey'), 'utf8'),
  hostPublicKey: readFileSync(join(work, 'hostkey.pub'), 'utf8'),
});

// The bare run's probe: ssh straight to the address inside the namespace, same 1 s connect timeout.
async function probe(ns, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const r = spawnSync('ip', [
      'netns',
      'exec',
      ns,
      'ssh',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=1',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-i',
      join(work, 'id'),
      'root@10.250.0.2',
      'true',
    ]);
    if (r.status === 0) return;
    await sleep(100);
  }
  throw new Error('bare machine did not answer SSH');
}

function bareNetwork(ns) {
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['-n', ns, '-batch', '-'], {
    input: 'link set lo up\nlink add br0 type bridge stp_state 0 forward_delay 0\naddress add 10.250.0.1/24 dev br0\nlink set br0 up\n',
  });
}

async function bareNspawn() {
  const ns = 'karoo-benchbare';
  const nodeNs = 'karoo-benchbare-n';
  const dir = join(work, 'nspawn');
  // The clock starts where karoo's does: a bare script must also make a key, the overlay, the seed and the network.
  const t0 = performance.now();
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, 'bare-key')]);
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(dir, d), { recursive: true });
  bareNetwork(ns);
  sh('ip', ['netns', 'add', nodeNs]);
  sh('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'host0', 'address', '52:54:00:fa:00:02', 'netns', nodeNs]);
  sh('ip', ['-n', ns, 'link', 'set', 'v0', 'master', 'br0', 'up']);
  sh('mount', [
    '-t',
    'overlay',
    'karoo-benchbare',
    '-o',
    `lowerdir=${image.rootfs},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`,
    join(dir, 'root'),
  ]);
  for (const f of seed) {
    const p = join(dir, 'root', f.path);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, f.content, { mode: f.mode });
  }
  sh('chmod', ['600', join(dir, 'root/etc/ssh/ssh_host_ed25519_key'), join(dir, 'root/root/.ssh/authorized_keys')]);
  // Its own cgroup, as karoo does (a container's systemd must not share one).
  for (const r of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']) mkdirSync(join(r, 'karoo-benchbare'), { recursive: true });
  const child = spawn(
    'sh',
    [
      '-c',
      'for g in /sys/fs/cgroup/systemd/karoo-benchbare /sys/fs/cgroup/unified/karoo-benchbare; do echo $$ > $g/cgroup.procs; done; exec systemd-nspawn "$@"',
      'x',
      ...nspawnArgs({ root: join(dir, 'root'), machine: 'karoo-benchbare', hostname: 'bare', netnsPath: `/run/netns/${nodeNs}` }),
    ],
    { stdio: 'ignore', detached: true },
  );
  await probe(ns, 60_000);
  const ready = (performance.now() - t0) / 1000;
  // Teardown: kill the container's init and nspawn, unmount, delete namespaces.
  const kids = spawnSync('pgrep', ['-P', String(child.pid)])
    .stdout.toString()
    .trim()
    .split('\n')
    .filter(Boolean);
  for (const k of kids) process.kill(Number(k), 'SIGKILL');
  process.kill(child.pid, 'SIGKILL');
  await sleep(300);
  spawnSync('umount', [join(dir, 'root')]);
  spawnSync('ip', ['netns', 'del', nodeNs]);
  spawnSync('ip', ['netns', 'del', ns]);
  for (const r of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'])
    spawnSync('find', [join(r, 'karoo-benchbare'), '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';']);
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(work, 'bare-key'), { force: true });
  rmSync(join(work, 'bare-key.pub'), { force: true });
  return ready;
}

async function bareQemu(accel) {
  const ns = 'karoo-benchbare';
  const dir = join(work, 'qemu');
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'bare-key')]);
  bareNetwork(ns);
  sh('ip', ['-n', ns, 'tuntap', 'add', 'dev', 't0', 'mode', 'tap']);
  sh('ip', ['-n', ns, 'link', 'set', 't0', 'master', 'br0', 'up']);
  sh('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', image.disk, join(dir, 'disk.qcow2')]);
  writeFileSync(join(dir, 'seed.tar'), await seedTar(seed));
  const khz = Math.round(Number(/^cpu MHz\s*:\s*([0-9.]+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 0) * 1000) || undefined;
  const args = qemuArgs({
    name: 'karoo-benchbare',
    accel,
    cpus: accel === 'kvm' ? 1 : 2,
    memory: 512,
    disk: join(dir, 'disk.qcow2'),
    seed: { path: join(dir, 'seed.tar'), kind: 'tar' },
    tap: 't0',
    mac: '52:54:00:fa:00:02',
    console: join(dir, 'console.log'),
    kernel: { kernel: image.kernel, initrd: image.initrd, khz },
  });
  const child = spawn('ip', ['netns', 'exec', ns, 'qemu-system-x86_64', ...args], { stdio: 'ignore', detached: true });
  await probe(ns, 300_000);
  const ready = (performance.now() - t0) / 1000;
  process.kill(child.pid, 'SIGKILL');
  await sleep(200);
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
  return ready;
}

async function karooOne(provider) {
  const t0 = performance.now();
  const r = await provision({ nodes: [{ name: 'bench', role: 'r' }], provider, outDir: join(work, 'out'), reapFirst: false });
  const ready = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const d = await destroyEnvironment({ environmentId: r.inventory.environmentId });
  return { ready, destroy: (performance.now() - t1) / 1000, leftovers: d.leftovers.length };
}

/** Proportional set size of every process of an environment: in its namespaces, or naming it. */
async function envPssMiB(env) {
  const { listProcesses } = await import('@karoo/machines');
  const { readdirSync, statSync } = await import('node:fs');
  const inodes = new Set(
    readdirSync('/run/netns')
      .filter((n) => n.startsWith(env))
      .map((n) => statSync(`/run/netns/${n}`).ino),
  );
  let kb = 0;
  for (const p of await listProcesses()) {
    if (!(inodes.has(p.netns) || p.argv.some((a) => a.includes(env)))) continue;
    try {
      kb += Number(/^Pss:\s+([0-9]+)/m.exec(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

function memUsedMiB() {
  const m = readFileSync('/proc/meminfo', 'utf8');
  const v = (k) => Number(new RegExp(`^${k}:\\s+([0-9]+)`, 'm').exec(m)[1]);
  return (v('MemTotal') - v('MemAvailable')) / 1024;
}

const results = [];
function row(what, karooS, bareS) {
  const overhead = bareS ? ((karooS / bareS - 1) * 100).toFixed(1) : '';
  results.push({ what, karoo: karooS, bare: bareS, overhead });
  console.log(
    `${what.padEnd(34)} karoo ${fmt(karooS).padStart(8)}   bare ${bareS ? fmt(bareS).padStart(8) : '       -'}   ${bareS ? `overhead ${overhead} %` : ''}`,
  );
}

try {
  // 1. nspawn, alternating which of karoo and bare goes first so both see the same machine state.
  const kn = [];
  const bn = [];
  const destroys = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 1) bn.push(await bareNspawn());
    const k = await karooOne('nspawn');
    kn.push(k.ready);
    destroys.push(k.destroy);
    if (i % 2 === 0) bn.push(await bareNspawn());
  }
  row('nspawn: create → SSH-ready', median(kn), median(bn));
  row('nspawn: destroy (1 node)', median(destroys));

  // 2. 15 nodes, with peak memory.
  const config = await loadConfig(join(root, 'examples/cam/karoo-15.yml'));
  const base = memUsedMiB();
  let peak = base;
  let env15;
  let peakPss = 0;
  let sampling = false;
  const sampler = setInterval(async () => {
    peak = Math.max(peak, memUsedMiB());
    if (env15 && !sampling) {
      sampling = true;
      peakPss = Math.max(peakPss, await envPssMiB(env15).catch(() => 0));
      sampling = false;
    }
  }, 100);
  const t15 = performance.now();
  const r15 = await provision({
    nodes: config.nodes.map((n) => ({ name: n.name, role: n.role })),
    provider: 'nspawn',
    outDir: join(work, 'out15'),
    reapFirst: false,
    onEnvironmentCreated: (id) => (env15 = id),
  });
  const up15 = (performance.now() - t15) / 1000;
  await sleep(1500); // let the sampler see the settled system too
  peakPss = Math.max(peakPss, await envPssMiB(env15));
  const td = performance.now();
  const d15 = await destroyEnvironment({ environmentId: r15.inventory.environmentId });
  const down15 = (performance.now() - td) / 1000;
  clearInterval(sampler);
  row('nspawn: 15 nodes → all SSH-ready', up15);
  row('nspawn: 15 nodes destroyed', down15);
  console.log(
    `  peak memory of the 15 nodes: ${peakPss.toFixed(0)} MiB PSS of their processes (containers, nspawn, forwarder); machine-wide used rose by at most ${(peak - base).toFixed(0)} MiB (noisy when others run); leftovers: ${d15.leftovers.length}`,
  );
  results.push({ what: 'nspawn: 15 nodes peak PSS MiB', karoo: peakPss });

  // 3. qemu.
  if (!process.argv.includes('--no-qemu')) {
    const accel = await detectAccelerator();
    const kq = [];
    const bq = [];
    const dq = [];
    for (let i = 0; i < qemuRuns; i++) {
      const k = await karooOne('qemu');
      kq.push(k.ready);
      dq.push(k.destroy);
      bq.push(await bareQemu(accel));
    }
    row(`qemu (${accel}): create → SSH-ready`, median(kq), median(bq));
    row(`qemu (${accel}): destroy (1 node)`, median(dq));
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ at: new Date().toISOString(), runs, qemuRuns, results }));
} finally {
  rmSync(work, { recursive: true, force: true });
}
