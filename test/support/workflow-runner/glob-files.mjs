// Globbing for the emulated upload-artifact: @actions/glob (the action's own library), in a
// worker thread whose stdout goes nowhere, because the library writes ::debug:: lines to stdout.
// The worker stays up for the runner's process (unref'd between globs) and answers one message
// per glob: { id, patterns, excludeHiddenFiles } → { id, files, searchPaths } or { id, error }.
import { create } from '@actions/glob';
import { statSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

process.stdout.write = () => true;

parentPort.on('message', async ({ id, patterns, excludeHiddenFiles }) => {
  try {
    const globber = await create(patterns, { implicitDescendants: true, matchDirectories: false, excludeHiddenFiles });
    const files = (await globber.glob()).filter((f) => statSync(f).isFile()).sort();
    parentPort.postMessage({ id, files, searchPaths: globber.getSearchPaths() });
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
