// Deploy benchmarks (issue 12 §3), side by side in one run, on the CAM example at MeerKAT size
// (examples/cam/karoo-15.yml, nspawn nodes):
//  1. a fresh deploy of one candidate to all 15 nodes against a fresh deploy of the same
//     candidate to 1 node (control-1 alone, the role with the most services), alternating, every
//     node wiped before each run (target: 15 nodes ≤ 1.5× one node). The candidate is installed
//     once per target and the installed tree shipped to the other nodes;
//  2. a re-deploy with nothing changed (15 nodes);
//  3. a first-time `karoo up` of the 15-node example end to end: provision, deploy, accept, teardown.
// Usage: npx tsc -b && node bench/deploy.mjs [--runs N] [--no-up]   (root; builds karoo's machine image once;
//   --no-up leaves out 3.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, destroyEnvironment, execOnNode, provision, readInventory } from '@karoo/machines';
import { parseDocument } from 'yaml';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = Number(arg('--runs', '3'));
const root = new URL('..', import.meta.url).pathname;
const karoo = join(root, 'packages/cli/bin/karoo.js');
const cfg15 = join(root, 'examples/cam/karoo-15.yml');
const work = mkdtempSync(join(tmpdir(), 'karoo-bench-deploy-'));
const store = `oci-layout:${join(work, 'store')}`;

function cli(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [karoo, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`karoo ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return { out: r.stdout, err: r.stderr, ms };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;

await buildImage();
cli(['resolve', '--config', cfg15, '--out', join(work, 'lock')]);
const candidate = JSON.parse(
  cli(['build', '--config', cfg15, '--lock', join(work, 'lock', 'pylock.toml'), '--store', store, '--json']).out,
).candidate;
const manifest = JSON.parse(readFileSync(join(work, 'store', 'blobs', 'sha256', candidate.slice(7)), 'utf8'));

// The same system on one node: karoo-15.yml with control-1 alone, and the inventory cut to it.
// The configuration file stays next to the example's templates.
const doc = parseDocument(readFileSync(cfg15, 'utf8'));
const nodes15 = doc.get('nodes').toJSON();
doc.set(
  'nodes',
  nodes15.filter((n) => n.name === 'control-1'),
);
const cfg1 = join(root, 'examples/cam', `.bench-1-node-${process.pid}.yml`);
writeFileSync(cfg1, doc.toString());

// CPU accounting: the machines' processes (everything started while provisioning: the
// containers' init and all they start, sshd sessions, the agent, the services) go into one cpuacct
// cgroup, this process and what it starts afterwards (the karoo CLI, its ssh clients) into
// another, so that a deploy's CPU time on both sides is measured, not guessed.
const acct = '/sys/fs/cgroup/cpuacct';
const acctDir = existsSync(`${acct}/cgroup.procs`) ? join(acct, `karoo-bench-deploy-${process.pid}`) : undefined;
const joinAcct = (g) => acctDir && writeFileSync(join(acctDir, g, 'cgroup.procs'), String(process.pid));
if (acctDir) for (const g of ['nodes', 'runner']) mkdirSync(join(acctDir, g), { recursive: true });
const cpuOf = (g) => (acctDir ? Number(readFileSync(join(acctDir, g, 'cpuacct.usage'), 'utf8')) / 1e6 : NaN);
// Where the machines' CPU goes, from their cgroup v2 trees (cpu.stat is there without a
// controller): the system's own services (karoo-*.service), sshd and the agent it runs
// (ssh.service), and the rest (the containers' systemd, journald, networkd).
const unified = '/sys/fs/cgroup/unified';
function nodeCpu(envId) {
  const out = { services: 0, ssh: 0, total: 0 };
  const usage = (d) => {
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(join(d, 'cpu.stat'), 'utf8'));
    return m ? Number(m[1]) / 1000 : 0;
  };
  if (!existsSync(unified)) return out;
  for (const m of readdirSync(unified).filter((e) => e.startsWith(`${envId}-`))) {
    const root = join(unified, m);
    out.total += usage(root);
    const walk = (d, rel) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        const r = `${rel}/${e.name}`;
        if (/^\/(payload\/)?system\.slice\/karoo-[^/]+\.service$/.test(r)) out.services += usage(join(d, e.name));
        else if (/^\/(payload\/)?system\.slice\/ssh\.service$/.test(r)) out.ssh += usage(join(d, e.name));
        else walk(join(d, e.name), r);
      }
    };
    walk(root, '');
  }
  return out;
}
joinAcct('nodes');
const env = await provision({ nodes: nodes15.map((n) => ({ name: n.name, role: n.role })), provider: 'nspawn', outDir: join(work, 'env') });
joinAcct('runner');
const inv = await readInventory(env.inventoryPath);
const inv1Path = join(work, 'inventory-1.json');
const raw = JSON.parse(readFileSync(env.inventoryPath, 'utf8'));
writeFileSync(inv1Path, JSON.stringify({ ...raw, nodes: raw.nodes.filter((n) => n.name === 'control-1') }));
let destroyed = false;
process.on('exit', () => {
  rmSync(cfg1, { force: true });
  if (!destroyed) spawnSync(process.execPath, [karoo, 'destroy', '--inventory', env.inventoryPath], { stdio: 'ignore' });
  if (acctDir) {
    writeFileSync(join(acct, 'cgroup.procs'), String(process.pid));
    for (const g of ['nodes', 'runner', '']) spawnSync('rmdir', [join(acctDir, g)]);
  }
});

const wipe = () =>
  Promise.all(
    inv.nodes.map((n) =>
      execOnNode(
        inv,
        n.name,
        'systemctl stop "karoo-*" 2>/dev/null; rm -f /etc/systemd/system/karoo-* /etc/systemd/system/multi-user.target.wants/karoo-*; systemctl daemon-reload; rm -rf /opt/karoo',
        { timeoutMs: 600_000 },
      ),
    ),
  );
// The machine is shared: the 1-minute load average before every deploy goes into the report.
const loads = [];
const deploy = (config, inventory) => {
  loads.push(loadavg()[0]);
  const c0 = { nodes: cpuOf('nodes'), runner: cpuOf('runner'), parts: nodeCpu(inv.environmentId) };
  const r = cli(['deploy', '--config', config, '--inventory', inventory, '--store', store, '--candidate', candidate, '--json', '--quiet']);
  const parts = nodeCpu(inv.environmentId);
  return {
    ms: r.ms,
    result: JSON.parse(r.out),
    cpu: {
      nodes: cpuOf('nodes') - c0.nodes,
      runner: cpuOf('runner') - c0.runner,
      services: parts.services - c0.parts.services,
      ssh: parts.ssh - c0.parts.ssh,
      total: parts.total - c0.parts.total,
    },
  };
};

const one = [];
const fifteen = [];
const again = [];
for (let i = 0; i < runs; i++) {
  const order = i % 2 === 0 ? ['1', '15'] : ['15', '1'];
  for (const which of order) {
    await wipe();
    if (which === '1') one.push(deploy(cfg1, inv1Path));
    else {
      const d = deploy(cfg15, env.inventoryPath);
      if (!d.result.nodes.every((n) => n.result === 'deployed'))
        throw new Error(`15-node deploy: ${JSON.stringify(d.result.nodes.map((n) => n.result))}`);
      fifteen.push(d);
      const a = deploy(cfg15, env.inventoryPath);
      if (!a.result.nodes.every((n) => n.result === 'converged')) throw new Error('re-deploy did work');
      again.push(a.ms);
    }
  }
}
await destroyEnvironment({ environmentId: inv.environmentId });
destroyed = true;

// A first-time `karoo up` of the 15-node example, end to end.
const noUp = process.argv.includes('--no-up');
const up = noUp ? undefined : cli(['up', '--config', cfg15, '--store', store, '--candidate', candidate, '--provider', 'nspawn', '--json']);
const upJson = up && JSON.parse(up.out);
rmSync(work, { recursive: true, force: true });

const phase = (d, k) => Math.max(...d.result.nodes.map((n) => n.phases[k]));
console.log(
  `karoo deploy of the CAM example (${manifest.layers.length - 2} wheels, ${(manifest.layers.reduce((n, l) => n + l.size, 0) / 1e6).toFixed(1)} MB), nspawn nodes, fresh nodes each run; ${runs} runs, medians`,
);
console.log('');
console.log('nodes  whole command  plan    transfer  install  start   verify   (slowest node per phase)');
for (const [label, rows] of [
  ['1', one],
  ['15', fifteen],
]) {
  const m = (k) => s(median(rows.map((d) => phase(d, k)))).padEnd(7);
  console.log(
    `${label.padEnd(5)}  ${s(median(rows.map((d) => d.ms))).padEnd(13)}  ${m('plan')} ${m('transfer')}   ${m('install')}  ${m('start')} ${m('verify')}`,
  );
}
console.log('');
console.log(
  'nodes  stage   plan    install  ship    activate  close   (whole deploy, by phase: DeployResult.timings)   agent CPU on the nodes: plan, prepare, activate',
);
for (const [label, rows] of [
  ['1', one],
  ['15', fifteen],
]) {
  const m = (k) => s(median(rows.map((d) => d.result.timings[k]))).padEnd(7);
  const c = (k) => s(median(rows.map((d) => d.result.nodes.reduce((n, x) => n + x.cpu[k], 0))));
  console.log(
    `${label.padEnd(5)}  ${m('stage')} ${m('plan')} ${m('install')}  ${m('ship')} ${m('activate')}   ${m('close')}                                                  ${c('plan')}, ${c('prepare')}, ${c('activate')}`,
  );
}
const last = fifteen[fifteen.length - 1].result.nodes;
console.log('');
console.log(
  `15 nodes: ${last
    .filter((n) => n.install === 'wheels')
    .map((n) => n.name)
    .join(
      ', ',
    )} installed from wheels, ${last.filter((n) => n.install === 'archive').length} received the installed tree (${last.find((n) => n.install === 'archive')?.bytesSent ?? 0} bytes each)`,
);
if (acctDir) {
  console.log('');
  console.log(
    "nodes  CPU: on the nodes (all their processes)  on the runner (karoo, ssh)  total / 2 cores  vs whole command   on the nodes: sshd + agent, the system's services, the rest (systemd, journald, …)",
  );
  for (const [label, rows] of [
    ['1', one],
    ['15', fifteen],
  ]) {
    const n = median(rows.map((d) => d.cpu.nodes));
    const r = median(rows.map((d) => d.cpu.runner));
    const cores = (await import('node:os')).availableParallelism();
    console.log(
      `${label.padEnd(5)}  ${s(n).padEnd(40)} ${s(r).padEnd(27)} ${s((n + r) / cores).padEnd(16)} ${s(median(rows.map((d) => d.ms))).padEnd(19)} ${s(median(rows.map((d) => d.cpu.ssh)))}, ${s(median(rows.map((d) => d.cpu.services)))}, ${s(median(rows.map((d) => d.cpu.total - d.cpu.ssh - d.cpu.services)))}`,
    );
  }
}
console.log(`ratio 15 / 1 nodes: ${(median(fifteen.map((d) => d.ms)) / median(one.map((d) => d.ms))).toFixed(2)}x (target <= 1.5x)`);
console.log(`re-deploy, nothing changed, 15 nodes: ${s(median(again))} (${s(median(again) / 15)} per node)`);
console.log(
  `load average (1 min) before each deploy: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} on ${(await import('node:os')).availableParallelism()} cores`,
);
if (up) console.log('');
if (up)
  console.log(
    `first-time karoo up of the 15-node example, end to end: ${s(up.ms)} (result ${upJson.result}; ${Object.entries(upJson.timings ?? {})
      .map(([k, v]) => `${k} ${typeof v === 'number' ? `${v.toFixed(1)} s` : v}`)
      .join(', ')})`,
  );
