import { loadConfig } from '@karoo/config';
import { accept } from '@karoo/deploy';
import { actionProgress, core, runAction, setOutputs } from '@karoo/kit';
import { readInventory } from '@karoo/machines';
import { acceptSummary } from '@karoo/summary';
import { signerFrom } from '@karoo/attest';
import { KarooError, runContextFromEnv } from '@karoo/common';
import { signingOptions } from '@karoo/kit/attest';
import { openActionStore } from '@karoo/kit/store';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';
import { countOutputs, summaryCounts } from './outputs.js';

// Exits with the error kind's code (2 for bad input such as `attest: key` without a key), as the CLI does.
runAction(main, { exitCodes: true });

async function main(): Promise<void> {
  const i = loadInputs();
  const config = await loadConfig(i.config);
  const inventory = await readInventory(i.inventory);
  const run = runContextFromEnv().run;
  const r = await accept({
    config,
    environment: i.environment,
    inventory,
    store: openActionStore(config, i.store, i.githubToken),
    candidate: i.candidate,
    outDir: i.out,
    timeoutSeconds: i.timeoutSeconds,
    evidence: i.evidence,
    run,
    attest: await signerFrom(signingOptions(i.attest, config.attestations?.signingKey, i.githubToken)),
    progress: actionProgress,
  });
  const counts = countOutputs(r.counts);
  setOutputs({
    [OUTPUT.result]: r.result,
    [OUTPUT.evidence]: r.evidence ?? '',
    [OUTPUT.systemId]: r.systemId,
    [OUTPUT.counts]: counts.counts,
    [OUTPUT.passed]: counts.passed,
    [OUTPUT.failed]: counts.failed,
    [OUTPUT.skipped]: counts.skipped,
    [OUTPUT.junit]: r.junitFile ?? '',
    // Only when the result was signed: workflows that compare outputs see no new empty one.
    ...(r.attestation ? { [OUTPUT.attestation]: r.attestation } : {}),
  });
  await core.summary
    .addRaw(
      acceptSummary({
        environment: r.environment,
        result: r.result,
        ...summaryCounts(r.counts),
        durationMs: r.durationMs,
        candidate: r.candidate,
        systemId: r.systemId,
        evidence: r.evidence,
        runUrl: run?.runUrl,
        failures: r.failures,
      }),
    )
    .write();
  if (r.result !== 'passed')
    throw new KarooError('refused', `acceptance failed: ${r.reason ?? 'failed'}${r.evidence ? ` (evidence ${r.evidence})` : ''}`);
}
