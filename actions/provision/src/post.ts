import { destroyEnvironment, loadState, readInventory, sshCommandLine } from '@karoo/machines';
import { actionProgress, core, runAction } from '@karoo/kit';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { EXPIRE_FLAG, STATE } from './constants.js';
import { saveImage, type ImageCacheEntry } from './image-cache.js';
import { rerunAsRoot } from './sudo.js';

// Runs as the action's post step (always: action.yml has no post-if), and as the TTL watchdog's
// command (`post/index.js --karoo-expire ENV`) when an environment outlives its TTL.
runAction(async () => {
  if (await rerunAsRoot()) return;
  const i = process.argv.indexOf(EXPIRE_FLAG);
  if (i >= 0) {
    await destroyEnvironment({ environmentId: process.argv[i + 1] }, { progress: actionProgress });
    return;
  }
  try {
    await destroyJobEnvironment();
  } finally {
    // The image this run built or downloaded, whatever happened to its machines (never throws).
    const image = core.getState(STATE.imageCache);
    if (image) await saveImage(JSON.parse(image) as ImageCacheEntry);
  }
});

async function destroyJobEnvironment(): Promise<void> {
  const env = core.getState(STATE.environmentId);
  if (!env) {
    core.info('no environment was created; nothing to destroy');
    return;
  }
  const outDir = core.getState(STATE.outDir);
  const inventory = join(outDir, 'inventory.json');
  if (core.getState(STATE.keep) === 'true') {
    const state = await loadState(env);
    if (state && existsSync(inventory)) {
      const inv = await readInventory(inventory);
      core.warning(
        `keeping environment ${env} until ${inv.expiresAt} (keep: true); inventory ${inventory}; ssh: ${sshCommandLine(inv.nodes[0]!.ssh)}`,
      );
      return;
    }
  }
  // The post step cannot tell whether the job's tests passed: keep every machine's console and
  // journal beside the inventory (cheap), then destroy.
  const report = await destroyEnvironment({ environmentId: env }, { progress: actionProgress, saveLogsTo: join(outDir, 'logs') });
  core.info(`console logs and journals saved in ${join(outDir, 'logs')}`);
  if (report.leftovers.length) throw new Error(`environment ${env} was not fully destroyed: ${report.leftovers.join(', ')}`);
  core.info(`environment ${env} destroyed in ${report.seconds} s`);
}
