import { existsSync } from 'node:fs';
import { errorMessage } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import { core } from '@karoo/kit';
import type { EvidenceInfo, Report } from '@karoo/report';

export { commentFromWorkflowRun } from '@karoo/report';

/**
 * Evidence and environments as the store has them (the base repository's store, opened with
 * this job's credentials): what a fork's comment shows instead of its artifact's claims. A store
 * that cannot be read gives none, with a warning: never the artifact's word instead.
 */
export async function storeLookups(
  configPath: string,
  githubToken: string | undefined,
): Promise<{ evidenceFor: (candidate: string) => Promise<EvidenceInfo[]>; environments: () => Promise<Report['environments']> }> {
  // Loaded here, not at start-up: the usual report step reads no store and starts faster.
  const [{ loadConfig }, { listEvidence }, { storeFromInputs }, { environmentStatus }] = await Promise.all([
    import('@karoo/config'),
    import('@karoo/evidence'),
    import('@karoo/kit/store'),
    import('@karoo/promote'),
  ]);
  const config: KarooConfig | undefined = existsSync(configPath) ? await loadConfig(configPath) : undefined;
  const store = storeFromInputs(config, githubToken);
  const names = config?.environments.map((e) => e.name) ?? [];
  const orNothing = async <T>(what: string, f: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await f();
    } catch (e) {
      core.warning(`cannot read ${what} from ${store.ref} (${errorMessage(e)}); the comment shows none`);
      return [];
    }
  };
  return {
    evidenceFor: (candidate) =>
      orNothing('the evidence', async () =>
        (await listEvidence(store, candidate)).map((r) => ({
          result: r.evidence.result,
          passed: r.evidence.counts.passed,
          failed: r.evidence.counts.failed + r.evidence.counts.errors,
          skipped: r.evidence.counts.skipped,
          ...(r.evidence.counts.source === 'unknown' ? { countsUnknown: true } : {}),
          durationMs: r.evidence.durationMs,
          runUrl: r.evidence.run?.runUrl,
          environment: r.evidence.environment,
          digest: r.digest,
        })),
      ),
    environments: () =>
      orNothing('the environments', async () =>
        (await environmentStatus(store, names)).map((s) => ({
          name: s.environment,
          candidate: s.candidate ?? null,
          systemId: s.systemId ?? null,
          production: s.environment === names.at(-1),
          same: null,
          diff: null,
        })),
      ),
  };
}
