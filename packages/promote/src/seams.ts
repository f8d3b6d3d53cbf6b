import type { Digest, Progress } from '@karoo/common';
import type { AttestationsConfig, EnvironmentConfig, KarooConfig } from '@karoo/config';
import type { Store } from '@karoo/oci';
import type { AttestedResults } from './gate.js';
import type { DeployHandover } from './promote.js';

/**
 * The candidate's signed test results, verified with the public keys (keyed) or the Sigstore
 * trusted root (keyless) and the workflow identity of karoo.yml `attestations` (@karoo/attest
 * verifiedTestResults); each bundle that does not
 * verify is named in a warning and never counts.
 */
export async function attestedResults(
  store: Store,
  candidate: Digest,
  config: AttestationsConfig,
  progress: Progress,
): Promise<AttestedResults> {
  const { loadTrustedRoot, loadVerificationKey, verifiedTestResults } = await import('@karoo/attest');
  const keys = await Promise.all(config.keys.map((k) => loadVerificationKey(k)));
  // Keyless bundles verify against the site's Sigstore trusted root only; without one they are refused.
  const trustedRoot = config.trustedRoot ? await loadTrustedRoot(config.trustedRoot) : undefined;
  const r = await verifiedTestResults(store, candidate, { keys, identity: config.identity, trustedRoot });
  for (const x of r.rejected) progress.warn(`attestation ${x.digest} does not count: ${x.reason}`);
  return r;
}

/**
 * The system id of a candidate with one environment's configuration, as @karoo/deploy
 * computes it (sha256 over the candidate digest and the environment's configuration digest),
 * for promotion records and GitHub Deployments. Undefined for a configuration without nodes,
 * which describes no deployable system.
 */
export function systemIdFromConfig(
  config: KarooConfig,
): (candidate: Digest, environment: EnvironmentConfig) => Promise<Digest | undefined> {
  return async (candidate, environment) => {
    if (config.nodes.length === 0) return undefined;
    const { configDigest, systemConfig, systemIdOf } = await import('@karoo/deploy');
    return systemIdOf(candidate, configDigest(await systemConfig(config, environment.name)));
  };
}

/**
 * The hand-over to @karoo/deploy: the environment's inventory (real hosts, karoo.yml
 * `inventory`) converges to the candidate with the environment's values — the same code path
 * as the ephemeral acceptance runs. A node that fails fails the promotion's deploy.
 */
export function deployHandover(): DeployHandover {
  return async (r) => {
    const { readInventory } = await import('@karoo/machines');
    const { assertDeployed, deploy } = await import('@karoo/deploy');
    const result = await deploy({
      config: r.config,
      environment: r.environment.name,
      store: r.store,
      candidate: r.candidate,
      inventory: await readInventory(r.inventory),
      progress: r.progress,
    });
    assertDeployed(result);
    const changed = result.nodes.filter((n) => n.changed).length;
    return { systemId: result.systemId, detail: `${result.nodes.length} node(s) run system ${result.systemId} (${changed} changed)` };
  };
}
