import { loadConfig } from '@karoo/config';
import { deploy } from '@karoo/deploy';
import { actionProgress, core, input, optionalInput, runAction, setOutputs } from '@karoo/kit';
import { readInventory } from '@karoo/machines';
import { deploySummary } from '@karoo/summary';
import { KarooError } from '@karoo/common';
import { storeFromInputs } from '@karoo/kit/store';

runAction(async () => {
  const config = await loadConfig(input('config', { default: 'karoo.yml' }));
  const inventory = await readInventory(input('inventory', { required: true }));
  const r = await deploy({
    config,
    environment: optionalInput('environment'),
    store: storeFromInputs(config, optionalInput('github-token')),
    candidate: input('candidate', { required: true }),
    inventory,
    parallel: Number(input('parallel', { default: '8' })) || 8,
    progress: actionProgress,
  });
  const nodes = r.nodes.map((n) => ({ name: n.name, role: n.role, result: n.result, changed: n.changed, release: n.release, durationMs: n.durationMs, detail: n.detail }));
  setOutputs({ 'system-id': r.systemId, 'config-digest': r.configDigest, nodes: JSON.stringify(nodes), changed: nodes.filter((n) => n.changed).length });
  await core.summary
    .addRaw(deploySummary({ environment: r.environment, candidate: r.candidate, systemId: r.systemId, nodes: nodes.map((n) => ({ ...n, result: n.result === 'failed' ? 'failed' : 'success' })) }))
    .write();
  if (!r.ok) throw new KarooError(r.errorKind ?? 'conflict', r.error ?? 'deploy failed');
});
