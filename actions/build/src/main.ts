import { runAction, setOutputs } from '@karoo/kit';
import { evidenceOutputs } from '@karoo/kit/evidence';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';
import { runBuild } from './run.js';

// Exits with the error kind's code (2 for bad input such as `attest: key` without a key), as the CLI does.
runAction(main, { exitCodes: true });

async function main(): Promise<void> {
  const o = await runBuild(loadInputs());
  setOutputs({
    [OUTPUT.candidate]: o.candidate,
    [OUTPUT.candidateRef]: o.candidateRef,
    [OUTPUT.existed]: o.existed,
    [OUTPUT.pushedBytes]: o.pushedBytes,
    ...(o.attestation ? { [OUTPUT.attestation]: o.attestation } : {}),
    ...evidenceOutputs(o.evidence),
  });
}
