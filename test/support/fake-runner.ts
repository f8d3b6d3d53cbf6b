/**
 * A stand-in for a GitHub Actions job as a process tree: a process named `Runner.Worker`
 * (argv[0], as `exec -a` sets it) that starts a step, `sh` running `node` — the shape of a
 * JavaScript action's step (through sudo it is one level deeper). Kill only what it returns.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

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
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0; // the step has ended already (its shell too)
  }
}

export interface FakeStep {
  /** The step's command line (default: a node process that waits). */
  argv?: string[];
  /** Its environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** File for its stdout and stderr (default: none). */
  log?: string;
}

export async function startFakeRunnerJob(name = 'Runner.Worker', step: FakeStep = {}): Promise<FakeRunnerJob> {
  const argv = step.argv ?? [process.execPath, '-e', 'setInterval(() => {}, 1000)'];
  // The worker keeps running after its step ends (as the runner does between steps), as the
  // same process under the same name (exec, so nothing is left behind when it is killed).
  // The step's pid comes back on fd 3, which the step itself does not get.
  const script = `sh -c '"$@" 3>&- & echo $! >&3; wait' sh "$@"; exec -a ${name} sleep 300`;
  const log = step.log ? openSync(step.log, 'a') : 'ignore';
  const worker = spawn('bash', ['-c', script, 'bash', ...argv], {
    argv0: name,
    env: step.env ?? process.env,
    stdio: ['ignore', log, log, 'pipe'],
  });
  if (typeof log === 'number') closeSync(log);
  const pidPipe = worker.stdio[3] as Readable;
  const stepPid = await new Promise<number>((resolve, reject) => {
    let out = '';
    pidPipe.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    worker.once('error', reject);
    worker.once('exit', () => reject(new Error('the fake runner ended before its step started')));
  });
  pidPipe.destroy();
  const shell = ppidOf(stepPid);
  const pids = [stepPid, shell, worker.pid!];
  return {
    worker: worker.pid!,
    shell,
    step: stepPid,
    killAll() {
      for (const p of pids) {
        if (!(p > 0)) continue;
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
