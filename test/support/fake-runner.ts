/**
 * A stand-in for a GitHub Actions job as a process tree: a process named `Runner.Worker`
 * (argv[0], as `exec -a` sets it) that starts a step, `sh` running `node` — the shape of a
 * JavaScript action's step (through sudo it is one level deeper). Kill only what it returns.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface FakeRunnerJob {
  /** The fake `Runner.Worker` (the job). */
  worker: number;
  /** The `sh` between them. */
  shell: number;
  /** The step's node process. */
  step: number;
  /** SIGKILLs the three processes it started (by pid), whichever still run. */
  killAll(): void;
}

function ppidOf(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
}

export async function startFakeRunnerJob(name = 'Runner.Worker'): Promise<FakeRunnerJob> {
  // The worker keeps running after its step ends (as the runner does between steps), as the
  // same process under the same name (exec, so nothing is left behind when it is killed).
  const script = `sh -c '${process.execPath} -e "setInterval(() => {}, 1000)" & echo $!; wait'; exec -a ${name} sleep 300`;
  const worker = spawn('bash', ['-c', script], { argv0: name, stdio: ['ignore', 'pipe', 'ignore'] });
  const step = await new Promise<number>((resolve, reject) => {
    let out = '';
    worker.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    worker.once('error', reject);
    worker.once('exit', () => reject(new Error('the fake runner ended before its step started')));
  });
  worker.stdout!.destroy();
  const shell = ppidOf(step);
  const pids = [step, shell, worker.pid!];
  return {
    worker: worker.pid!,
    shell,
    step,
    killAll() {
      for (const p of pids) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
