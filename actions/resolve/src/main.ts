import { runAction, setOutputs } from '@karoo/kit';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';
import { runResolve } from './run.js';

runAction(async () => {
  const o = await runResolve(loadInputs());
  setOutputs({
    [OUTPUT.lockDigest]: o.lockDigest,
    [OUTPUT.lockPath]: o.lockPath,
    [OUTPUT.requirementsPath]: o.requirementsPath,
    [OUTPUT.changed]: o.changed,
    [OUTPUT.resolved]: o.resolved,
    [OUTPUT.diff]: o.diff,
    [OUTPUT.asOf]: o.asOf,
  });
});
