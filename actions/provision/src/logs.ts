import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { core } from '@karoo/kit';

/**
 * Uploads the saved console logs and journals as a workflow artifact when @actions/artifact
 * can be loaded (it is not bundled by default); otherwise says where they are on the runner.
 */
export async function uploadLogs(dir: string, what: string): Promise<void> {
  if (!existsSync(dir)) return;
  const files = readdirSync(dir).map((f) => join(dir, f));
  if (files.length === 0) return;
  const moduleName = '@actions/artifact';
  const artifact = (await import(moduleName).catch(() => undefined)) as
    { DefaultArtifactClient: new () => { uploadArtifact(name: string, files: string[], root: string): Promise<unknown> } } | undefined;
  if (artifact && process.env.ACTIONS_RUNTIME_TOKEN) {
    const name = `karoo-${what}-logs-${process.env.GITHUB_JOB ?? 'job'}-${Date.now()}`;
    await new artifact.DefaultArtifactClient().uploadArtifact(name, files, dir);
    core.info(`machine logs uploaded as artifact ${name}`);
  } else {
    core.warning(
      `machine logs (console and journal) are in ${dir} on the runner; add an actions/upload-artifact step with that path to keep them (@actions/artifact is not bundled)`,
    );
  }
}
