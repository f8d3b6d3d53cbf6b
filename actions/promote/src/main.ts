import { runAction, setOutputs } from '@karoo/kit';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';
import { type RefusedOutputs, runPromote } from './run.js';

runAction(async () => {
  const refused = (o: RefusedOutputs) =>
    setOutputs({ [OUTPUT.environment]: o.environment, [OUTPUT.allowed]: o.allowed, [OUTPUT.gate]: o.gate });
  const o = await runPromote(loadInputs(), refused);
  setOutputs({
    [OUTPUT.environment]: o.environment,
    [OUTPUT.status]: o.status,
    [OUTPUT.allowed]: o.allowed,
    [OUTPUT.hasEvidence]: o.hasEvidence,
    [OUTPUT.passingEvidence]: o.passingEvidence,
    [OUTPUT.previous]: o.previous,
    [OUTPUT.record]: o.record,
    [OUTPUT.tag]: o.tag,
    [OUTPUT.systemId]: o.systemId,
    [OUTPUT.evidence]: o.evidence,
    [OUTPUT.deploymentId]: o.deploymentId,
    [OUTPUT.gate]: o.gate,
    [OUTPUT.evidencePath]: o.evidencePath,
    [OUTPUT.environmentsPath]: o.environmentsPath,
  });
});
