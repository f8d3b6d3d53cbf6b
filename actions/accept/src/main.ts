import { loadConfig, parseDuration } from '@karoo/config';
import { accept } from '@karoo/deploy';
import { actionProgress, booleanInput, core, input, optionalInput, runAction, setOutputs } from '@karoo/kit';
import { readInventory } from '@karoo/machines';
import { acceptSummary } from '@karoo/summary';
import { KarooError, runContextFromEnv } from '@karoo/common';
import { storeFromInputs } from '@karoo/kit/store';
import { countOutputs, summaryCounts } from './outputs.js';

runAction(async () => {
  const config = await loadConfig(input('config', { default: 'karoo.yml' }));
  const inventory = await readInventory(input('inventory', { required: true }));
  const timeout = optionalInput('timeout');
  const run = runContextFromEnv().run;
  const r = await accept({
    config,
    environment: optionalInput('environment'),
    inventory,
    store: storeFromInputs(config, optionalInput('github-token')),
    candidate: input('candidate', { required: true }),
    outDir: input('out', { default: '.karoo/acceptance' }),
    timeoutSeconds: timeout ? parseDuration(timeout) : undefined,
    evidence: booleanInput('evidence', true),
    run,
    progress: actionProgress,
  });
  setOutputs({
    result: r.result,
    evidence: r.evidence ?? '',
    'system-id': r.systemId,
    ...countOutputs(r.counts),
    junit: r.junitFile ?? '',
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
  if (r.result !== 'passed') throw new KarooError('refused', `acceptance failed: ${r.reason ?? 'failed'}${r.evidence ? ` (evidence ${r.evidence})` : ''}`);
});
