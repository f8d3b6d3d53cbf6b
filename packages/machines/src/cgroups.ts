import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Roots of the cgroup hierarchies an init system inside a container manages: the named
 * `systemd` v1 hierarchy and the unified (v2) one, wherever this machine mounts them.
 */
export async function cgroupRoots(): Promise<string[]> {
  const roots: string[] = [];
  const self = await readFile('/proc/self/cgroup', 'utf8').catch(() => '');
  if (/^[0-9]+:name=systemd:/m.test(self) && existsSync('/sys/fs/cgroup/systemd/cgroup.procs')) roots.push('/sys/fs/cgroup/systemd');
  if (existsSync('/sys/fs/cgroup/unified/cgroup.procs')) roots.push('/sys/fs/cgroup/unified');
  else if (existsSync('/sys/fs/cgroup/cgroup.controllers')) roots.push('/sys/fs/cgroup');
  return roots;
}

/**
 * A cgroup of the machine's own in each hierarchy. Without it (nspawn with --keep-unit on a
 * host without systemd) every container's systemd would manage the same cgroup and they
 * would tear down each other's services.
 */
export async function createCgroups(name: string): Promise<string[]> {
  const dirs = (await cgroupRoots()).map((r) => join(r, name));
  for (const d of dirs) await mkdir(d, { recursive: true });
  return dirs;
}

/** Removes a cgroup and everything the container's init created below it, deepest first. */
export async function removeCgroupTree(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return;
  }
  for (const e of entries) await removeCgroupTree(join(dir, e));
  for (let i = 0; i < 20; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // EBUSY while the last processes are still being torn down.
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The cgroups whose names start with `prefix` (an environment id), in every hierarchy. */
export async function cgroupsWithPrefix(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const r of await cgroupRoots()) {
    for (const e of await readdir(r).catch(() => [] as string[])) if (e === prefix || e.startsWith(`${prefix}-`)) out.push(join(r, e));
  }
  return out;
}
