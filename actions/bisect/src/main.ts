import { runAction, setOutputs } from '@karoo/kit';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';
import { runBisect } from './run.js';

runAction(async () => {
  const o = await runBisect(loadInputs());
  setOutputs({
    [OUTPUT.culprits]: o.result.culprits.map((m) => m.name).join(' '),
    [OUTPUT.headline]: o.headline,
    [OUTPUT.reportPath]: o.reportPath,
    [OUTPUT.commentUrl]: o.commentUrl,
    [OUTPUT.issueUrl]: o.issueUrl,
  });
});
