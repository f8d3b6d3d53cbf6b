// sshd's CPU for a stream into a command's stdin (issue 12, the agent's bootstrap): on one fresh
// nspawn node, N MB piped through `ssh node CMD` into `cat`, with the pipe sshd made for stdin as
// it is (64 KiB) and widened to 1 MiB by the reader first (F_SETPIPE_SZ, as the agent's bootstrap
// does), alternating; the CPU is the node's ssh.service cgroup (sshd, the shell, the reader),
// from its cgroup v2 cpu.stat. A connection that moves no data is measured as the baseline.
// Usage: npx tsc -b && node bench/ssh-pipe.mjs [--runs N] [--mb N]   (root; karoo's machine image)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyEnvironment, provision, readInventory } from '@karoo/machines';

const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const runs = arg('--runs', 5);
const mb = arg('--mb', 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const out = mkdtempSync(join(tmpdir(), 'karoo-bench-ssh-pipe-'));
const env = await provision({ nodes: [{ name: 'n1', role: 'bench' }], provider: 'nspawn', outDir: out });
const inv = await readInventory(env.inventoryPath);
try {
  const n = inv.nodes[0];
  const machine = readdirSync('/sys/fs/cgroup/unified').find((e) => e.startsWith(`${inv.environmentId}-`));
  const stat = join('/sys/fs/cgroup/unified', machine, 'payload/system.slice/ssh.service/cpu.stat');
  const usage = () => Number(/^usage_usec (\d+)$/m.exec(readFileSync(stat, 'utf8'))[1]) / 1000;
  const ssh = [
    ...['-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${n.ssh.knownHostsPath}`, '-o', `HostKeyAlias=${n.ssh.hostKeyAlias}`],
    ...['-o', 'LogLevel=ERROR', '-i', n.ssh.keyPath, '-p', String(n.ssh.port), `${n.ssh.user}@${n.ssh.host}`],
  ];
  const data = Buffer.alloc(mb * 1e6, 7);
  const widen = 'python3 -c "import fcntl; fcntl.fcntl(0, 1031, 1 << 20)"; ';
  const cases = [
    ['no data (connection, session, `true`)', 'true', Buffer.alloc(0)],
    [`${mb} MB into cat, the 64 KiB pipe`, 'cat > /dev/null', data],
    [`${mb} MB into cat, the pipe widened to 1 MiB first`, `${widen}cat > /dev/null`, data],
  ];
  const ms = cases.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (const [i, [, cmd, input]] of cases.entries()) {
      const before = usage();
      const code = await new Promise((res) => {
        const c = spawn('ssh', [...ssh, cmd], { stdio: ['pipe', 'ignore', 'inherit'] });
        c.on('close', res);
        c.stdin.end(input);
      });
      if (code !== 0) throw new Error(`ssh ${cmd} exited ${code}`);
      ms[i].push(usage() - before);
    }
  }
  console.log(`CPU of the node's ssh.service per connection (sshd, the shell, the reader), medians of ${runs} alternating runs:`);
  for (const [i, [label]] of cases.entries())
    console.log(`  ${label.padEnd(48)} ${Math.round(median(ms[i]))} ms   (${ms[i].map(Math.round).join(', ')})`);
} finally {
  await destroyEnvironment({ environmentId: inv.environmentId });
  rmSync(out, { recursive: true, force: true });
}
