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

/** How long a host may take to answer a first `virsh uri` before the reap leaves it for the next one. */
export const REAP_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Sweeps every libvirt host this runner has provisioned on (or `hosts`): first the removals a
 * teardown could not finish (host unreachable then), then domains and networks carrying karoo's
 * stamp whose environment has no state here and that expired, or that this runner made (an
 * orphan of a killed provisioning). Environments with a state directory here are the ordinary
 * reap's (their teardown reads the record). Nothing without karoo's stamp is ever touched.
 * The hosts are swept at once, each first asked for a short answer (`connectTimeoutMs`): one that
 * does not answer costs that long, not one timeout after another. Hosts that do not answer are
 * reported and stay on the list for the next reap.
 */
export async function reapLibvirt(
  opts: { hosts?: readonly LibvirtHost[]; progress?: Progress; now?: number; connectTimeoutMs?: number } = {},
): Promise<LibvirtReaped[]> {
  const progress = opts.progress ?? silentProgress;
  const now = opts.now ?? Date.now();
  const hosts = opts.hosts ?? (await readJsonList<LibvirtHost>(KNOWN_HOSTS_FILE()));
  const pending = await readJsonList<PendingRemoval>(PENDING_FILE());
  const me = await runnerId();
  // Every host once (a pending removal may name a host no longer in the pool), in the order given.
  const byUri = new Map<string, LibvirtHost>();
  for (const h of [...hosts, ...pending.map((p) => p.host)]) if (!byUri.has(h.uri)) byUri.set(h.uri, h);
  const swept = new Set(hosts.map((h) => h.uri));
  const perHost = await Promise.all(
    [...byUri.values()].map((h) =>
      reapHost(
        h,
        pending.filter((p) => p.host.uri === h.uri),
        swept.has(h.uri),
        { progress, now, me },
        opts.connectTimeoutMs ?? REAP_CONNECT_TIMEOUT_MS,
      ),
    ),
  );
  if (pending.length) {
    await mkdir(stateRoot(), { recursive: true });
    await writeFileAtomic(
      PENDING_FILE(),
      `${JSON.stringify(
        perHost.flatMap((r) => r.still),
        null,
        2,
      )}\n`,
    );
  }
  return perHost.flatMap((r) => r.out);
}

/** One host: a short first answer, then its pending removals, then (when in the pool swept) its stamp sweep. */
async function reapHost(
  h: LibvirtHost,
  pending: readonly PendingRemoval[],
  sweepIt: boolean,
  ctx: { progress: Progress; now: number; me: string },
  connectTimeoutMs: number,
): Promise<{ out: LibvirtReaped[]; still: PendingRemoval[] }> {
  const { progress, now, me } = ctx;
  const out: LibvirtReaped[] = [];
  const still: PendingRemoval[] = [];
  // A pending removal the host could not take: kept for the next reap, and said.
  const keep = (p: PendingRemoval, why: string) => {
    still.push({ ...p, reason: why });
    const leftovers = [...p.domains.map((d) => `domain ${d}`), ...p.volumes.map((v) => `volume ${v}`)];
    out.push({ environmentId: p.environmentId, host: h.name, reason: `host unreachable: ${why}`, leftovers });
    progress.warn(
      `libvirt host ${h.name} (${h.uri}) is still unreachable; ${leftovers.join(', ')} of ${p.environmentId} left there, retried by the next reap`,
    );
  };
  const unreachable = (e: unknown) => {
    const why = (e as Error).message;
    for (const p of pending) keep(p, why);
    if (sweepIt) {
      if (!pending.length) progress.warn(`libvirt host ${h.name} (${h.uri}) did not answer: ${why}; swept by the next reap`);
      out.push({ environmentId: '', host: h.name, reason: `host unreachable: ${why}`, leftovers: [] });
    }
    return { out, still };
  };
  try {
    await new Virsh(h, connectTimeoutMs).run(['uri']);
  } catch (e) {
    return unreachable(e);
  }
  const v = new Virsh(h, 30_000);
  for (const p of pending) {
    try {
      // The host as the teardown recorded it (its pool then).
      await removeOnHost(new Virsh(p.host, 30_000), p.environmentId, p.domains, p.volumes, p.networks);
      out.push({
        environmentId: p.environmentId,
        host: h.name,
        reason: 'left by a teardown while its host was unreachable',
        leftovers: [],
      });
    } catch (e) {
      keep(p, (e as Error).message);
    }
  }
  if (!sweepIt) return { out, still };
  let domains: Array<{ name: string; stamp: { environmentId: string; expiresAt: string; runner: string } }>;
  let networks: string[];
  try {
    domains = await v.karooDomains();
    networks = (await v.listNetworks()).filter((n) => /^karoo-[0-9a-f]{8}$/.test(n));
  } catch (e) {
    progress.warn(`libvirt host ${h.name} (${h.uri}) did not answer: ${(e as Error).message}; swept by the next reap`);
    out.push({ environmentId: '', host: h.name, reason: `host unreachable: ${(e as Error).message}`, leftovers: [] });
    return { out, still };
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
    const reason = expired ? `expired at ${e.stamp.expiresAt}` : 'made by this runner, which has no state of it (left by a killed process)';
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
  return { out, still };
}
