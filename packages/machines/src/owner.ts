import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { KarooError } from '@karoo/common';
import { ownerRef, procRef, type OwnerRef, type ProcRef } from './proc.js';

/** The GitHub Actions runner's per-job process: every step of a job is one of its descendants. */
export const RUNNER_JOB_PROCESS = 'Runner.Worker';

async function parentAndName(pid: number): Promise<{ ppid: number; names: string[] } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
    const argv0 = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '';
    return { ppid, names: [comm, argv0 ? basename(argv0) : ''] };
  } catch {
    return undefined;
  }
}

/**
 * The nearest ancestor of `pid` (itself excluded) whose name (comm, or its argv[0]'s base name)
 * is `name`: in a GitHub Actions job, the runner's `Runner.Worker`, which lives exactly as long
 * as the job, while each step is a process of its own. Undefined outside a runner.
 */
export async function findJobProcess(pid: number = process.pid, name: string = RUNNER_JOB_PROCESS): Promise<ProcRef | undefined> {
  const seen = new Set<number>();
  let cur = (await parentAndName(pid))?.ppid;
  while (cur !== undefined && cur > 0 && !seen.has(cur)) {
    seen.add(cur);
    const p = await parentAndName(cur);
    if (!p) return undefined;
    if (p.names.includes(name)) return procRef(cur);
    cur = p.ppid;
  }
  return undefined;
}

/** The owner record of another, live process (an environment that lives as long as it does); refuses a pid that is not running. */
export async function ownerOf(pid: number): Promise<OwnerRef> {
  if (!Number.isInteger(pid) || pid <= 0 || !(await procRef(pid))) {
    throw new KarooError(
      'input',
      `owner process ${pid} is not running; pass the pid of a live process the environment should live as long as`,
    );
  }
  return ownerRef(pid);
}
