/**
 * actions/setup-node, emulated. Models: `node-version` (or `node-version-file`: .nvmrc,
 * .node-version), by major version: this machine's Node when the major matches, else
 * `npx -p node@<major>`; its directory goes first on PATH for later steps; output
 * `node-version`.
 * Leaves out: downloading from nodejs.org or a mirror, exact versions and ranges other than the
 * major (`24.1.0` gives the newest 24), `check-latest`, `architecture`, `registry-url`/`scope`
 * (.npmrc), `cache` and `package-manager-cache` (nothing is cached).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nodeBinary } from '../process.js';
import type { EmulatedAction } from './index.js';

export const setupNode: EmulatedAction = {
  repository: 'actions/setup-node',
  inputs: {
    'node-version': undefined,
    'node-version-file': undefined,
    architecture: undefined,
    'check-latest': 'false',
    'registry-url': undefined,
    scope: undefined,
    token: undefined,
    cache: undefined,
    'package-manager-cache': 'true',
    'cache-dependency-path': undefined,
    mirror: undefined,
    'mirror-token': undefined,
  },
  async run({ inputs, job, log }): Promise<Record<string, string>> {
    let spec = inputs['node-version'];
    if (!spec && inputs['node-version-file']) spec = readFileSync(join(job.workspace, inputs['node-version-file']), 'utf8').trim();
    if (!spec) {
      log('Warning: node-version not given; using the Node on PATH');
      return {};
    }
    const major = /(\d+)/.exec(spec.replace(/^v/, ''))?.[1];
    if (!major) throw new Error(`Unable to find Node version '${spec}' for platform linux and architecture x64.`);
    const bin = nodeBinary(major);
    job.pathPrepend.push(dirname(bin));
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
    if (inputs.cache) log(`Warning: the workflow runner does not emulate setup-node's ${inputs.cache} cache`);
    log(`Found in cache @ ${dirname(bin)}`);
    log(`Environment details: node: ${version}`);
    return { 'node-version': version };
  },
};
