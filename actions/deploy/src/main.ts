import { loadConfig } from '@karoo/config';
import { deploy } from '@karoo/deploy';
import { actionProgress, core, runAction, setOutputs } from '@karoo/kit';
import { readInventory } from '@karoo/machines';
import { deploySummary } from '@karoo/summary';
import { KarooError } from '@karoo/common';
import { openActionStore } from '@karoo/kit/store';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';

runAction(async () => {
  const i = loadInputs();
  const config = await loadConfig(i.config);
  const inventory = await readInventory(i.inventory);
  const r = await deploy({
    config,
    environment: i.environment,
    store: openActionStore(config, i.store, i.githubToken),
    candidate: i.candidate,
    inventory,
    parallel: i.parallel,
    progress: actionProgress,
  });
  const nodes = r.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    result: n.result,
    changed: n.changed,
    release: n.release,
    durationMs: n.durationMs,
    detail: n.detail,
  }));
  setOutputs({
    [OUTPUT.systemId]: r.systemId,
    [OUTPUT.configDigest]: r.configDigest,
    [OUTPUT.nodes]: JSON.stringify(nodes),
    [OUTPUT.changed]: nodes.filter((n) => n.changed).length,
  });
  await core.summary
    .addRaw(
      deploySummary({
        environment: r.environment,
        candidate: r.candidate,
        systemId: r.systemId,
        nodes: nodes.map((n) => ({ ...n, result: n.result === 'failed' ? 'failed' : 'success' })),
      }),
    )
    .write();
  if (!r.ok) throw new KarooError(r.errorKind ?? 'conflict', r.error ?? 'deploy failed');
});
