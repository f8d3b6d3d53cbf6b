import { runAction, setOutputs } from '@karoo/kit';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';
import { runCandidate } from './run.js';

runAction(async () => {
  const o = await runCandidate(loadInputs());
  setOutputs({
    [OUTPUT.candidate]: o.candidate,
    [OUTPUT.candidateRef]: o.candidateRef,
    [OUTPUT.existed]: o.existed,
    [OUTPUT.lockDigest]: o.lockDigest,
    [OUTPUT.lockPath]: o.lockPath,
    [OUTPUT.changed]: o.changed,
    [OUTPUT.commentUrl]: o.commentUrl,
    [OUTPUT.markdownPath]: o.markdownPath,
  });
});
