/**
 * actions/download-artifact (v4 and later), emulated. Models: `name` (one artifact, into
 * `path` itself), no name (every artifact of the run, each into `path/<name>/`, or all into
 * `path` with `merge-multiple`), `pattern` (glob over names), `path` (default the workspace),
 * and, with `github-token`, `run-id` and `repository`: another run's artifacts, read only with
 * a token the runner issued that has `actions: read` (else 403 as GitHub answers); output
 * `download-path`.
 * Leaves out: `artifact-ids`, digest checks (`digest-mismatch`), `skip-decompress`, tokens
 * other than those the runner issued (personal access tokens).
 */
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { EmulatedAction } from './index.js';

export const downloadArtifact: EmulatedAction = {
  repository: 'actions/download-artifact',
  inputs: {
    name: undefined,
    'artifact-ids': undefined,
    path: undefined,
    pattern: undefined,
    'merge-multiple': 'false',
    'github-token': undefined,
    repository: undefined,
    'run-id': undefined,
    'skip-decompress': 'false',
    'digest-mismatch': 'error',
  },
  async run({ inputs, job, log }): Promise<Record<string, string>> {
    const run = job.run;
    const services = run.services;
    let dir = run.artifactsDir;
    if (inputs['github-token']) {
      const grant = services.tokens.get(inputs['github-token']);
      if (!grant) throw new Error('Unable to download artifact(s): Bad credentials (401)');
      const level = grant.permissions.actions;
      if (level !== 'read' && level !== 'write')
        throw new Error('Unable to download artifact(s): Resource not accessible by integration (403)');
      const runId = inputs['run-id'] || String(run.runId);
      const repository = inputs.repository || run.repository;
      dir = join(services.artifactsRoot, runId);
      const owner = existsSync(join(dir, '.repository')) ? readFileSync(join(dir, '.repository'), 'utf8') : undefined;
      if (!owner || owner.toLowerCase() !== repository.toLowerCase())
        throw new Error(`Unable to download artifact(s): no workflow run ${runId} in ${repository} (404)`);
      log(`Downloading artifacts of run ${runId} in ${repository}`);
    }
    const path = inputs.path ? (isAbsolute(inputs.path) ? inputs.path : join(job.workspace, inputs.path)) : job.workspace;
    const names = existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : [];
    if (inputs.name) {
      if (!names.includes(inputs.name)) throw new Error(`Unable to download artifact(s): Artifact not found for name: ${inputs.name}`);
      cpSync(join(dir, inputs.name), path, { recursive: true });
      log(`Artifact ${inputs.name} was downloaded to ${path}`);
      return { 'download-path': path };
    }
    const match = inputs.pattern ? globToRegExp(inputs.pattern) : undefined;
    const chosen = names.filter((n) => !match || match.test(n));
    for (const n of chosen) cpSync(join(dir, n), inputs['merge-multiple'] === 'true' ? path : join(path, n), { recursive: true });
    log(`Total of ${chosen.length} artifact(s) downloaded`);
    return { 'download-path': path };
  },
};

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}
