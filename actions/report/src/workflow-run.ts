import { existsSync } from 'node:fs';
import { errorMessage, parseDigest } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import { actionProgress, core } from '@karoo/kit';
import type { StoreInputs } from '@karoo/kit/store';
import type { EvidenceInfo, Report } from '@karoo/report';

export { commentFromWorkflowRun } from '@karoo/report';

/**
 * Evidence and environments as the store has them (the base repository's store, opened with
 * this job's credentials): what a fork's comment shows instead of its artifact's claims. A store
 * that cannot be read gives none, with a warning: never the artifact's word instead. Passing
 * evidence is shown only when a promotion would count it (trustEvidence: about this candidate
 * with the environment's configuration as it is now and, inside GitHub Actions, from a
 * successful run of the candidate workflow); what would not count is left out, with a warning.
 */
export async function storeLookups(
  configPath: string,
  storeInputs: StoreInputs,
  githubToken: string | undefined,
): Promise<{ evidenceFor: (candidate: string) => Promise<EvidenceInfo[]>; environments: () => Promise<Report['environments']> }> {
  // Loaded here, not at start-up: the usual report step reads no store and starts faster.
  const [
    { loadConfig },
    { openActionStore },
    { candidateEvidence, environmentStatus, evidenceRunVerifierFromEnv, systemIdFromConfig, trustEvidence },
  ] = await Promise.all([import('@karoo/config'), import('@karoo/kit/store'), import('@karoo/promote')]);
  const config: KarooConfig | undefined = existsSync(configPath) ? await loadConfig(configPath) : undefined;
  const store = openActionStore(config, storeInputs, githubToken);
  const names = config?.environments.map((e) => e.name) ?? [];
  const verifyRun = evidenceRunVerifierFromEnv({ token: githubToken, config: config ?? {}, progress: actionProgress });
  const orNothing = async <T>(what: string, f: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await f();
    } catch (e) {
      core.warning(`cannot read ${what} from ${store.ref} (${errorMessage(e)}); the comment shows none`);
      return [];
    }
  };
  return {
    evidenceFor: (claimed) =>
      orNothing('the evidence', async () => {
        const candidate = parseDigest(claimed, 'candidate');
        const evidence = await trustEvidence(await candidateEvidence(store, candidate, actionProgress), {
          systemIdFor: async (name) => {
            const env = config?.environments.find((e) => e.name === name);
            return env && systemIdFromConfig(config!)(candidate, env);
          },
          verifyRun,
        });
        for (const e of evidence)
          if (e.untrusted) core.warning(`evidence ${e.digest} (${e.environment}, passed) is not shown: ${e.untrusted}`);
        return evidence
          .filter((e) => !e.untrusted)
          .map((e) => ({
            result: e.result,
            passed: e.passed,
            failed: e.failed,
            skipped: e.skipped,
            ...(e.countsUnknown ? { countsUnknown: true } : {}),
            durationMs: e.durationMs,
            runUrl: e.runUrl,
            environment: e.environment,
            digest: e.digest,
          }));
      }),
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
