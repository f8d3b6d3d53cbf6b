import { core, runAction, setOutputs } from '@karoo/kit';
import { rerunAsRoot } from '../../provision/lib/sudo.js';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';
import { runBisect } from './run.js';

runAction(async () => {
  if (await asRoot()) return;
  const o = await runBisect(loadInputs());
  setOutputs({
    [OUTPUT.culprits]: o.result.culprits.map((m) => m.name).join(' '),
    [OUTPUT.headline]: o.headline,
    [OUTPUT.reportPath]: o.reportPath,
    [OUTPUT.commentUrl]: o.commentUrl,
    [OUTPUT.issueUrl]: o.issueUrl,
  });
});

/**
 * Machines (and preparing the runner) need root: on GitHub's runners the step runs itself again
 * through `sudo -n -E`, as the provision action does (true: it did, and has exited with its code).
 * Without sudo it goes on as this user: a bisection whose verdicts are all reused needs no machine.
 */
async function asRoot(): Promise<boolean> {
  try {
    return await rerunAsRoot();
  } catch (e) {
    core.info(`${(e as Error).message.split(';')[0]}; going on as this user (machines will need root)`);
    return false;
  }
}
