/**
 * actions/upload-artifact (v4 and later), emulated. Models: `name` (default `artifact`),
 * `path` (newline-separated globs, `!` to exclude, through @actions/glob), the files kept
 * relative to the least common ancestor of the search paths, hidden files left out unless
 * `include-hidden-files`, `if-no-files-found` (warn/error/ignore), `overwrite` (a second upload
 * of a name in one run fails without it); outputs `artifact-id`, `artifact-url`,
 * `artifact-digest` (sha256 over the stored files, not of a zip). Artifacts are plain
 * directories: RunResult.artifactsDir/<name>/.
 * Leaves out: zipping and `compression-level`, `retention-days` (artifacts live as long as the
 * runner), `archive: false` single-file uploads are stored like the others.
 */
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { EmulatedAction } from './index.js';

export const uploadArtifact: EmulatedAction = {
  repository: 'actions/upload-artifact',
  inputs: {
    name: 'artifact',
    path: undefined,
    'if-no-files-found': 'warn',
    'retention-days': '0',
    'compression-level': '6',
    overwrite: 'false',
    'include-hidden-files': 'false',
    archive: 'true',
  },
  async run({ inputs, job, log }): Promise<Record<string, string>> {
    if (!inputs.path) throw new Error('Input required and not supplied: path');
    const name = inputs.name || 'artifact';
    if (/[":<>|*?\r\n\\/]/.test(name))
      throw new Error(`The artifact name is not valid: ${name}. Contains the following character: ${/[":<>|*?\r\n\\/]/.exec(name)![0]}`);
    const patterns = inputs.path
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => (l.startsWith('!') ? l : l.startsWith('/') ? l : join(job.workspace, l)))
      .map((l) => (l.startsWith('!') && !l.startsWith('!/') ? `!${join(job.workspace, l.slice(1))}` : l));
    const { files, searchPaths } = await glob(patterns.join('\n'), inputs['include-hidden-files'] !== 'true');
    if (files.length === 0) {
      const message = `No files were found with the provided path: ${inputs.path}. No artifacts will be uploaded.`;
      if (inputs['if-no-files-found'] === 'error') throw new Error(message);
      if (inputs['if-no-files-found'] !== 'ignore') log(`Warning: ${message}`);
      return {};
    }
    let root =
      searchPaths.length === 1 && files.length === 1 && files[0] === searchPaths[0]
        ? dirname(files[0]!)
        : commonAncestor(searchPaths.map((p) => (existsSync(p) && statSync(p).isFile() ? dirname(p) : p)));
    if (!root) root = '/';
    const dest = join(job.run.artifactsDir, name);
    if (existsSync(dest)) {
      if (inputs.overwrite !== 'true')
        throw new Error(
          `Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run`,
        );
      rmSync(dest, { recursive: true, force: true });
    }
    const digest = createHash('sha256');
    let size = 0;
    for (const f of files) {
      const rel = relative(root, f);
      mkdirSync(dirname(join(dest, rel)), { recursive: true });
      copyFileSync(f, join(dest, rel));
      const bytes = readFileSync(f);
      size += bytes.length;
      digest.update(`${rel}\0${bytes.length}\0`).update(bytes);
    }
    const id = job.run.services.nextId();
    writeFileSync(join(job.run.artifactsDir, `.${name}.json`), JSON.stringify({ id, name, size }));
    log(`Artifact ${name} has been successfully uploaded! Final size is ${size} bytes. Artifact ID is ${id}`);
    return {
      'artifact-id': String(id),
      'artifact-url': `${job.run.services.serverUrl}/${job.run.repository}/actions/runs/${job.run.runId}/artifacts/${id}`,
      'artifact-digest': digest.digest('hex'),
    };
  },
};

let globber: { worker: Worker; next: number; waiting: Map<number, (r: GlobAnswer) => void> } | undefined;
type GlobAnswer = { files: string[]; searchPaths: string[] } | { error: string };

/**
 * @actions/glob over the patterns, in a worker thread kept for the process (the library writes
 * ::debug:: lines to stdout: the worker's go nowhere). A thread, not a process per
 * upload (a tenth of a second each): the runner's own overhead stays out of the steps it times.
 */
function startGlobber(): NonNullable<typeof globber> {
  if (!globber) {
    const worker = new Worker(new URL('../glob-files.mjs', import.meta.url), { env: { PATH: process.env.PATH ?? '' } });
    const g = { worker, next: 0, waiting: new Map<number, (r: GlobAnswer) => void>() };
    worker.on('message', (m: GlobAnswer & { id: number }) => {
      g.waiting.get(m.id)?.(m);
      g.waiting.delete(m.id);
      if (g.waiting.size === 0) worker.unref();
    });
    worker.on('error', (e) => {
      for (const done of g.waiting.values()) done({ error: e.message });
      g.waiting.clear();
      if (globber === g) globber = undefined;
    });
    // After the listeners: adding a 'message' listener refs the worker again, and an idle worker
    // must not keep the process (a test file, the CLI) alive.
    worker.unref();
    globber = g;
  }
  return globber;
}
// Started with the runner, so that its start-up is in no step's time.
startGlobber();

async function glob(patterns: string, excludeHiddenFiles: boolean): Promise<{ files: string[]; searchPaths: string[] }> {
  const g = startGlobber();
  const id = g.next++;
  const answer = await new Promise<GlobAnswer>((resolve) => {
    g.waiting.set(id, resolve);
    g.worker.ref(); // held while an answer is awaited, let go between uploads
    g.worker.postMessage({ id, patterns, excludeHiddenFiles });
  });
  if ('error' in answer) throw new Error(answer.error);
  return answer;
}

function commonAncestor(paths: string[]): string {
  if (!paths.length) return '';
  const split = paths.map((p) => p.split(sep));
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const seg = split[0]![i];
    if (seg === undefined || split.some((s) => s[i] !== seg)) break;
    out.push(seg);
  }
  return out.join(sep) || sep;
}
