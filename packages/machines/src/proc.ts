import { readdir, readFile, readlink, stat } from 'node:fs/promises';

/** A process identified robustly: pid plus its start time (clock ticks since boot), so a reused pid is never mistaken for ours. */
export interface ProcRef {
  pid: number;
  startTime: number;
}

interface StatFields {
  state: string;
  ppid: number;
  startTime: number;
}

async function statOf(pid: number): Promise<StatFields | undefined> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: split after the last ')'.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, ppid: Number(rest[1]), startTime: Number(rest[19]) };
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined;

/** This boot of the machine (/proc/sys/kernel/random/boot_id): pids and start times mean something only within one boot. */
export async function bootId(): Promise<string> {
  cachedBootId ??= (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
  return cachedBootId;
}

/** A process that owns something for its whole life: pid, start time and the boot it ran in. */
export interface OwnerRef extends ProcRef {
  bootId?: string;
}

/** The owner record of this process. */
export async function ownerRef(pid = process.pid): Promise<OwnerRef> {
  return { ...((await procRef(pid)) ?? { pid, startTime: 0 }), bootId: await bootId() };
}

/** An owner is gone when it ran in another boot, or its pid is dead, reused or a zombie. */
export async function ownerGone(owner: OwnerRef | undefined): Promise<boolean> {
  if (!owner) return true;
  if (owner.bootId && owner.bootId !== (await bootId())) return true;
  return !(await isAlive(owner));
}

export async function procRef(pid: number): Promise<ProcRef | undefined> {
  const s = await statOf(pid);
  return s ? { pid, startTime: s.startTime } : undefined;
}

/** Alive means: exists, same start time, and not a zombie (a zombie waiting for a late reaper counts as gone). */
export async function isAlive(ref: ProcRef | undefined): Promise<boolean> {
  if (!ref) return false;
  const s = await statOf(ref.pid);
  return !!s && s.startTime === ref.startTime && s.state !== 'Z' && s.state !== 'X';
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  startTime: number;
  state: string;
  argv: string[];
  /** Inode of its network namespace, when readable. */
  netns?: number;
}

/** Every process on the machine with its command line and network namespace. */
export async function listProcesses(): Promise<ProcInfo[]> {
  const out: ProcInfo[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const s = await statOf(pid);
    if (!s || s.state === 'Z') continue;
    let argv: string[];
    try {
      argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
    } catch {
      continue;
    }
    let netns: number | undefined;
    try {
      const l = await readlink(`/proc/${pid}/ns/net`);
      netns = Number(/\[([0-9]+)\]/.exec(l)?.[1]);
    } catch {
      netns = undefined;
    }
    out.push({ pid, ppid: s.ppid, startTime: s.startTime, state: s.state, argv, netns });
  }
  return out;
}

/** Inode of a network namespace file (/run/netns/NAME), if it exists. */
export async function netnsInode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** SIGKILLs the processes and waits (up to timeoutMs) until none of them is alive. */
export async function killAndWait(refs: readonly ProcRef[], timeoutMs = 3000): Promise<ProcRef[]> {
  const live: ProcRef[] = [];
  for (const r of refs) if (await isAlive(r)) live.push(r);
  for (const r of live) {
    try {
      process.kill(r.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + timeoutMs;
  let remaining = live;
  while (remaining.length > 0 && Date.now() < deadline) {
    const next: ProcRef[] = [];
    for (const r of remaining) if (await isAlive(r)) next.push(r);
    remaining = next;
    if (remaining.length > 0) await sleep(20);
  }
  return remaining;
}

/**
 * Processes started for something that lives under `dirs`: those whose environment holds a
 * `KAROO_*` variable pointing into one of them (the acceptance command gets KAROO_INVENTORY
 * and the like, and passes them to everything it starts, in whatever session or group).
 */
export async function processesUsing(dirs: readonly string[]): Promise<ProcRef[]> {
  const roots = dirs.filter((d) => d.startsWith('/') && d.length > 1).map((d) => d.replace(/\/+$/, ''));
  if (roots.length === 0) return [];
  const out: ProcRef[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(e) || Number(e) === process.pid) continue;
    let environ: string;
    try {
      environ = await readFile(`/proc/${e}/environ`, 'latin1');
    } catch {
      continue;
    }
    const hit = environ.split('\0').some((kv) => {
      if (!kv.startsWith('KAROO_')) return false;
      const v = kv.slice(kv.indexOf('=') + 1);
      return roots.some((r) => v === r || v.startsWith(`${r}/`));
    });
    if (!hit) continue;
    const ref = await procRef(Number(e));
    if (ref) out.push(ref);
  }
  return out;
}
