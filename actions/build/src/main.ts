import { runAction, setOutputs } from '@karoo/kit';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';
import { runBuild } from './run.js';

runAction(async () => {
  const o = await runBuild(loadInputs());
  setOutputs({
    [OUTPUT.candidate]: o.candidate,
    [OUTPUT.candidateRef]: o.candidateRef,
    [OUTPUT.existed]: o.existed,
    [OUTPUT.pushedBytes]: o.pushedBytes,
    ...(o.attestation ? { [OUTPUT.attestation]: o.attestation } : {}),
  });
});
