import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { silentProgress, writeFileAtomic, type Progress } from '@karoo/common';
import { envDir, stateRoot } from '../paths.js';
import { Virsh, type LibvirtHost } from './libvirt-client.js';
import { KNOWN_HOSTS_FILE, PENDING_FILE, readJsonList, removeOnHost, runnerId, type PendingRemoval } from './libvirt.js';

export interface LibvirtReaped {
  environmentId: string;
  host: string;
  reason: string;
  /** What is still there (the host did not answer): retried next time. */
  leftovers: string[];
}

/**
 * Sweeps every libvirt host this runner has provisioned on (or `hosts`): first the removals a
 * teardown could not finish (host unreachable then), then domains and networks carrying karoo's
 * stamp whose environment has no state here and that expired, or that this runner made (an
 * orphan of a killed provisioning). Environments with a state directory here are the ordinary
 * reap's (their teardown reads the record). Nothing without karoo's stamp is ever touched.
 * Hosts that do not answer are reported and stay on the list for the next reap.
 */
export async function reapLibvirt(
  opts: { hosts?: readonly LibvirtHost[]; progress?: Progress; now?: number } = {},
): Promise<LibvirtReaped[]> {
  const progress = opts.progress ?? silentProgress;
  const now = opts.now ?? Date.now();
  const hosts = opts.hosts ?? (await readJsonList<LibvirtHost>(KNOWN_HOSTS_FILE()));
  const out: LibvirtReaped[] = [];
  const pending = await readJsonList<PendingRemoval>(PENDING_FILE());
  const still: PendingRemoval[] = [];
  for (const p of pending) {
    try {
      await removeOnHost(new Virsh(p.host, 30_000), p.environmentId, p.domains, p.volumes, p.networks);
      out.push({
        environmentId: p.environmentId,
        host: p.host.name,
        reason: 'left by a teardown while its host was unreachable',
        leftovers: [],
      });
    } catch (e) {
      still.push({ ...p, reason: (e as Error).message });
      const leftovers = [...p.domains.map((d) => `domain ${d}`), ...p.volumes.map((v) => `volume ${v}`)];
      out.push({ environmentId: p.environmentId, host: p.host.name, reason: `host unreachable: ${(e as Error).message}`, leftovers });
      progress.warn(
        `libvirt host ${p.host.name} (${p.host.uri}) is still unreachable; ${leftovers.join(', ')} of ${p.environmentId} left there, retried by the next reap`,
      );
    }
  }
  if (pending.length) {
    await mkdir(stateRoot(), { recursive: true });
    await writeFileAtomic(PENDING_FILE(), `${JSON.stringify(still, null, 2)}\n`);
  }
  const me = await runnerId();
  for (const h of hosts) {
    const v = new Virsh(h, 30_000);
    let domains: Array<{ name: string; stamp: { environmentId: string; expiresAt: string; runner: string } }>;
    let networks: string[];
    try {
      domains = await v.karooDomains();
      networks = (await v.listNetworks()).filter((n) => /^karoo-[0-9a-f]{8}$/.test(n));
    } catch (e) {
      if (!still.some((p) => p.host.uri === h.uri))
        progress.warn(`libvirt host ${h.name} (${h.uri}) did not answer: ${(e as Error).message}; swept by the next reap`);
      out.push({ environmentId: '', host: h.name, reason: `host unreachable: ${(e as Error).message}`, leftovers: [] });
      continue;
    }
    const byEnv = new Map<string, { stamp: { expiresAt: string; runner: string }; domains: string[] }>();
    for (const d of domains) {
      const e = byEnv.get(d.stamp.environmentId) ?? { stamp: d.stamp, domains: [] };
      e.domains.push(d.name);
      byEnv.set(d.stamp.environmentId, e);
    }
    for (const n of networks) {
      const stamp = await v.networkStamp(n).catch(() => undefined);
      if (stamp && stamp.environmentId === n && !byEnv.has(n)) byEnv.set(n, { stamp, domains: [] });
    }
    for (const [env, e] of byEnv) {
      // Its own state here: the ordinary reap decides (owner, TTL) and tears down through the record.
      if (existsSync(envDir(env))) continue;
      const expired = Date.parse(e.stamp.expiresAt) <= now;
      const orphan = e.stamp.runner === me;
      if (!expired && !orphan) continue;
      const reason = expired
        ? `expired at ${e.stamp.expiresAt}`
        : 'made by this runner, which has no state of it (left by a killed process)';
      const pool = await v.listVolumes(h.pool).catch(() => [] as string[]);
      const volumes = pool.filter((x) => x.startsWith(`${env}-`));
      try {
        await removeOnHost(v, env, e.domains, volumes, [env]);
        progress.info(`reaped ${env} on libvirt host ${h.name}: ${reason}`);
        out.push({ environmentId: env, host: h.name, reason, leftovers: [] });
      } catch (err) {
        out.push({
          environmentId: env,
          host: h.name,
          reason: `${reason}; removal failed: ${(err as Error).message}`,
          leftovers: e.domains.map((d) => `domain ${d}`),
        });
      }
    }
  }
  return out;
}
