import { KarooError } from '@karoo/common';
import type { EnvironmentConfig, KarooConfig } from '@karoo/config';

type RawEnvironment = Record<string, unknown> & { name?: unknown };

/**
 * The configuration a promotion is gated with: every environment's `requires` and `soak` come
 * from `gate` (the karoo.yml of the default branch), everything else (inventories, values,
 * nodes) from `config` (the dispatched ref). A user who may dispatch from a branch can change
 * what is deployed there, but not relax the gate that decides whether it may be.
 * The target environment must exist in `gate`, or the promotion is refused.
 */
export function withGateFrom(config: KarooConfig, gate: KarooConfig, environment: string, gateLabel: string): KarooConfig {
  const gated = new Map(gate.environments.map((e) => [e.name, e]));
  if (!gated.has(environment)) {
    throw new KarooError(
      'refused',
      `environment "${environment}" is not in the karoo.yml of ${gateLabel}, which holds the gate of every release; add it there (merge it to the default branch) before releasing to it`,
    );
  }
  const gateRaw = new Map(((gate.raw.environments as RawEnvironment[] | undefined) ?? []).map((e) => [e.name, e]));
  const environments: EnvironmentConfig[] = config.environments.map((e) => {
    const g = gated.get(e.name);
    return g ? { ...e, requires: g.requires, soakSeconds: g.soakSeconds } : e;
  });
  // The gate reads whether `requires` was written out from the document itself.
  const rawEnvironments = ((config.raw.environments as RawEnvironment[] | undefined) ?? []).map((e) => {
    const g = gateRaw.get(e.name);
    if (!g) return e;
    const { requires: _r, soak: _s, ...rest } = e;
    return { ...rest, ...(g.requires !== undefined ? { requires: g.requires } : {}), ...(g.soak !== undefined ? { soak: g.soak } : {}) };
  });
  return { ...config, environments, raw: { ...config.raw, environments: rawEnvironments } };
}
