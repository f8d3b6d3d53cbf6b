import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage, KarooError } from '@karoo/common';
import { type KarooConfig, loadConfig } from '@karoo/config';
import { buildImage, fetchCloudImage, findJobProcess, libvirtOptions, provision, type ProviderName, sshCommandLine } from '@karoo/machines';
import { actionProgress, core, runAction, setOutputs } from '@karoo/kit';
import { lookupCached } from '@karoo/kit/cache';
import { EXPIRE_FLAG, OUTPUT, STATE } from './constants.js';
import { loadInputs, type ProvisionInputs } from './inputs.js';
import { uploadLogs } from './logs.js';
import { rerunAsRoot } from './sudo.js';
import { imageCacheEntry, restoreImage, saveImage } from './image-cache.js';
import { prepareRunner, shouldPrepare } from './runner.js';

/** The post bundle beside this one (dist/provision/post/index.js), or lib/post.js unbundled. */
function postEntry(): string {
  // Built from a list at run time so the bundler does not mistake these paths for assets.
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [['post', 'index.js'], ['post.js']].map((parts) => join(here, ...parts));
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

runAction(async () => {
  try {
    if (await rerunAsRoot()) return;
    await provisionMachines();
  } catch (e) {
    // The reason travels as an output too: the workflow reports a failed acceptance run with it.
    core.setOutput(OUTPUT.error, errorMessage(e).split('\n')[0]);
    throw e;
  }
});

async function provisionMachines(): Promise<void> {
  const i = loadInputs();
  const config = await loadConfig(i.config);
  const { image, imageSha256, provider } = machineSettings(i, config);
  if (i.imageOnly) return cacheImageOnly(i, image, imageSha256, provider);
  const keep = i.keep;
  const outDir = join(process.env.RUNNER_TEMP ?? join(process.cwd(), '.karoo'), `karoo-provision-${process.pid}`);
  core.saveState(STATE.outDir, outDir);
  core.saveState(STATE.keep, String(keep));
  if (shouldPrepare(i.prepareRunner)) await prepareRunner(provider ?? 'nspawn', !image);
  const cached = await restoreImage(image ? imageSha256 : undefined);
  // Built or downloaded by this run: the post step saves it, so acceptance does not wait for the upload.
  if (!cached.present) core.saveState(STATE.imageCache, JSON.stringify(cached));
  // The machines live as long as the job (the runner's Runner.Worker; each step is a process of
  // its own): a cancelled or killed job loses them at once. Kept ones, or outside a runner: the TTL.
  const job = keep ? undefined : await findJobProcess();
  if (job) core.info(`the machines live as long as this job (runner process ${job.pid}), or until the post step destroys them`);
  try {
    const r = await provision({
      nodes: config.nodes.map((n) => ({ name: n.name, role: n.role, cpus: n.cpus, memory: n.memory })),
      provider,
      ...libvirtOptions(config.provision),
      image,
      imageSha256,
      ttlSeconds: i.ttlSeconds ?? config.provision.ttlSeconds,
      outDir,
      keep,
      ...(job ? { lifetime: 'owner' as const, ownerPid: job.pid } : {}),
      onExpire: [process.execPath, postEntry(), EXPIRE_FLAG, '{env}'],
      // Saved before any machine exists, so the post step can destroy even a half-made environment.
      onEnvironmentCreated: (env) => core.saveState(STATE.environmentId, env),
      progress: actionProgress,
    });
    const inv = r.inventory;
    setOutputs({ [OUTPUT.inventory]: r.inventoryPath, [OUTPUT.environmentId]: inv.environmentId });
    const t = r.timings;
    await core.summary
      .addHeading(`karoo provision: ${inv.environmentId}`, 3)
      .addRaw(
        `${inv.nodes.length} node(s) with <b>${inv.provider}</b>${inv.accelerator ? ` (${inv.accelerator})` : ''}, network ${inv.network?.cidr ?? ''}, expires ${inv.expiresAt}`,
        true,
      )
      .addTable([
        [
          { data: 'node', header: true },
          { data: 'role', header: true },
          { data: 'address', header: true },
          { data: 'ssh', header: true },
          { data: 'ready after', header: true },
        ],
        ...inv.nodes.map((n) => [n.name, n.role, n.address, `${n.ssh.host}:${n.ssh.port}`, `${t[`ready:${n.name}`] ?? '?'} s`]),
      ])
      .addRaw(`image ${t.image} s · network ${t.network} s · machines ${t.machines} s · total ${t.total} s`, true)
      .write();
    core.info(`ssh: ${sshCommandLine(inv.nodes[0]!.ssh)}`);
  } catch (e) {
    core.saveState(STATE.failed, 'true');
    await uploadLogs(join(outDir, 'logs'), 'provision').catch((u: Error) => core.warning(u.message));
    throw e instanceof Error ? e : new KarooError('internal', String(e));
  }
}

/**
 * `image-only`: makes sure the Actions cache holds the base image the machines would boot, for
 * later runs, and creates no machine. A pull request restores the cache entries of its own runs
 * and of its base branch, never another pull request's; the default branch's run, whose
 * acceptance is skipped when the candidate already has evidence, keeps the entry there. Looked
 * up without downloading; only when it is missing is the runner prepared, and the image built
 * (or downloaded) and saved.
 */
async function cacheImageOnly(
  i: ProvisionInputs,
  image: string | undefined,
  imageSha256: string | undefined,
  provider: ProviderName | undefined,
): Promise<void> {
  const entry = imageCacheEntry(image ? imageSha256 : undefined);
  // Asked without downloading it (lookupOnly), with the path as restore and save give it.
  const hit = await lookupCached([entry.path], entry.key);
  if (hit === 'unavailable') {
    core.warning(
      'image-only: this runner has no Actions cache service (ACTIONS_RESULTS_URL is not set), so there is nothing to keep the image in',
    );
    return;
  }
  if (hit) {
    core.info(`the machine image is in the Actions cache as ${hit}: nothing to build or save`);
    return;
  }
  if (!entry.present) {
    if (shouldPrepare(i.prepareRunner)) await prepareRunner(provider ?? 'nspawn', !image);
    if (image) await fetchCloudImage(image, imageSha256, actionProgress);
    else await buildImage({ progress: actionProgress });
  }
  // Saved even when this runner had the image from the start (a self-hosted one): the cache lacks it.
  await saveImage({ ...entry, present: false });
}

/** The image and provider the machines use: the step's inputs over karoo.yml's `provision`. */
function machineSettings(
  i: ProvisionInputs,
  config: KarooConfig,
): { image: string | undefined; imageSha256: string | undefined; provider: ProviderName | undefined } {
  return {
    image: i.image ?? config.provision.image,
    imageSha256: i.imageSha256 ?? config.provision.imageSha256,
    provider: i.provider ?? config.provision.provider,
  };
}
