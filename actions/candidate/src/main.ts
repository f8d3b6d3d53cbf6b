import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KarooError } from '@karoo/common';
import { loadConfig } from '@karoo/config';
import { core, githubTokenInput, input, optionalInput, runAction, setOutputs } from '@karoo/kit';

const INPUT = {
  config: 'config',
  store: 'store',
  comment: 'comment',
  baseRef: 'base-ref',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  indexUsername: 'index-username',
  indexPassword: 'index-password',
} as const;

// dist/candidate/index.js → dist/<step>/index.js: the bundles of the same karoo version.
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Runs one bundled step as the runner would (INPUT_* variables, its own GITHUB_OUTPUT file,
 * the job's summary file), with its log on ours, and returns its outputs.
 */
async function step(name: string, inputs: Record<string, string | undefined>): Promise<Record<string, string>> {
  const bundle = join(DIST, name, 'index.js');
  if (!existsSync(bundle)) throw new KarooError('internal', `${bundle} is missing from this karoo release`);
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), `karoo-${name}-`));
  const outputFile = join(dir, 'output');
  await writeFile(outputFile, '');
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_')));
  env.GITHUB_OUTPUT = outputFile;
  for (const [k, v] of Object.entries(inputs)) if (v !== undefined && v !== '') env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  core.startGroup(`karoo ${name}`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], { env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  core.endGroup();
  if (code !== 0) throw new KarooError('input', `karoo ${name} failed (exit ${code}); its error is above`);
  const outputs: Record<string, string> = {};
  for (const m of (await readFile(outputFile, 'utf8')).matchAll(/^([\w-]+)<<(ghadelimiter_[\w-]+)\n([\s\S]*?)\n\2$/gm)) outputs[m[1]!] = m[3]!;
  return outputs;
}

runAction(async () => {
  const config = input(INPUT.config, { default: 'karoo.yml' });
  const store = optionalInput(INPUT.store);
  const token = githubTokenInput();
  const registry = { 'registry-username': optionalInput(INPUT.registryUsername), 'registry-password': optionalInput(INPUT.registryPassword) };

  const index = { 'index-username': optionalInput(INPUT.indexUsername), 'index-password': optionalInput(INPUT.indexPassword) };
  if (index['index-password']) core.setSecret(index['index-password']);
  const resolved = await step('resolve', { config, ...index });
  const built = await step('build', {
    config,
    lock: resolved['lock-path'],
    store,
    ...index,
    'github-token': token,
    ...registry,
  });

  // Evidence and environments for the report, when the configuration has environments.
  let files: Record<string, string> = {};
  if ((await loadConfig(config)).environments.length > 0) {
    files = await step('promote', { candidate: built.candidate, config, store, 'dry-run': 'true', 'github-deployment': 'false', 'github-token': token, ...registry });
  }

  const reported = await step('report', {
    lock: resolved['lock-path'],
    'base-ref': optionalInput(INPUT.baseRef),
    candidate: built.candidate,
    'candidate-ref': built['candidate-ref'],
    'candidate-existed': built.existed,
    store: store ?? built['candidate-ref']?.replace(/@sha256:[0-9a-f]{64}$/, ''),
    evidence: files['evidence-path'],
    environments: files['environments-path'],
    comment: input(INPUT.comment, { default: 'true' }),
    'github-token': token,
  });

  setOutputs({
    candidate: built.candidate ?? '',
    'candidate-ref': built['candidate-ref'] ?? '',
    existed: built.existed ?? '',
    'lock-digest': resolved['lock-digest'] ?? '',
    'lock-path': resolved['lock-path'] ?? '',
    changed: resolved.changed ?? '',
    'comment-url': reported['comment-url'] ?? '',
    'markdown-path': reported['markdown-path'] ?? '',
  });
});
