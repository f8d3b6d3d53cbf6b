/**
 * Issue 11 §4: the acceptance tests are not trusted code and get no tokens. A real candidate in
 * an OCI layout, a real acceptance command that writes out its whole environment; the parent
 * process holds an action's token input and GitHub tokens, which must not reach it.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { build } from '@karoo/build';
import { parseConfig } from '@karoo/config';
import { accept } from '@karoo/deploy';
import type { Inventory } from '@karoo/machines';
import { LayoutStore } from '@karoo/oci';
import { makeWheels } from '../../../test/support/wheels.js';

let work: string;
let store: LayoutStore;
let candidate: string;

const SECRETS = {
  'INPUT_GITHUB-TOKEN': 'ghs_input_token_with_packages_write',
  INPUT_TOKEN: 'ghs_another_input_token',
  GITHUB_TOKEN: 'ghs_github_token',
  ACTIONS_RUNTIME_TOKEN: 'runtime-token',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-request-token',
  KAROO_REGISTRY_PASSWORD: 'registry-password',
  SOME_OTHER_SECRET: 'not named in karoo.yml',
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-accept-env-'));
  store = new LayoutStore(join(work, 'store'));
  const wheels = await makeWheels(join(work, 'wheels'), [{ name: 'acme-cam', version: '1.0.0', size: 1000 }]);
  candidate = (await build({ lock: wheels.lock(), store, system: 'cam' })).candidate;
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function config(extra: string) {
  const dump = join(work, 'env.json');
  const yml = `system: cam
leaves: [acme-cam]
indexes: [{ url: ./index }]
nodes: [{ name: cam-1, role: cam }]
roles:
  cam:
    leaves: [acme-cam]
    services: [{ name: cam, command: [cam] }]
environments: [{ name: integration }]
acceptance:
  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(`require('fs').writeFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env))`)}]
${extra}`;
  return { config: parseConfig(yml, join(work, 'karoo.yml')), dump };
}

const inventory: Inventory = {
  version: 1,
  environmentId: 'env-test',
  provider: 'static',
  nodes: [{ name: 'cam-1', role: 'cam', address: '127.0.0.1', ssh: { host: '127.0.0.1', port: 22, user: 'root' }, provider: 'static' }],
};

async function runWithParentEnv(extra: string, parent: Record<string, string>): Promise<Record<string, string>> {
  const { config: cfg, dump } = config(extra);
  const saved = { ...process.env };
  Object.assign(process.env, parent);
  try {
    const out = join(work, `out-${Math.random().toString(36).slice(2)}`);
    await mkdir(out);
    const r = await accept({
      config: cfg,
      environment: 'integration',
      inventory,
      store,
      candidate,
      outDir: out,
      evidence: false,
      output: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    expect(r.exitCode).toBe(0);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  return JSON.parse(await readFile(dump, 'utf8')) as Record<string, string>;
}

describe('the acceptance command environment', () => {
  it('holds PATH, HOME, locale and the KAROO_* variables, and no token the parent holds', async () => {
    const env = await runWithParentEnv('', { ...SECRETS, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' });
    for (const [name, value] of Object.entries(SECRETS)) {
      expect([name, env[name]]).toEqual([name, undefined]);
      expect(Object.values(env)).not.toContain(value);
    }
    expect(Object.keys(env).filter((k) => k.startsWith('INPUT_') || k.startsWith('ACTIONS_'))).toEqual([]);
    expect(env.PATH).toBe(process.env.PATH);
    expect(env.HOME).toBe(process.env.HOME);
    expect(env.LANG).toBe('C.UTF-8');
    expect(env.LC_ALL).toBe('C.UTF-8');
    expect(env.KAROO_CANDIDATE).toBe(candidate);
    expect(env.KAROO_ENVIRONMENT).toBe('integration');
    expect(env.KAROO_SYSTEM_ID).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const k of ['KAROO_INVENTORY', 'KAROO_VALUES', 'KAROO_SSH_CONFIG', 'KAROO_LOCK', 'KAROO_CONFIG_DIGEST'])
      expect(env[k]).toBeTruthy();
  });

  it('holds what karoo.yml passes explicitly (pass-env, env), and nothing else', async () => {
    const env = await runWithParentEnv('  pass-env: [CAM_SITE]\n  env: { CAM_MODE: acceptance }\n', { ...SECRETS, CAM_SITE: 'karoo-lab' });
    expect(env.CAM_SITE).toBe('karoo-lab');
    expect(env.CAM_MODE).toBe('acceptance');
    expect(env.SOME_OTHER_SECRET).toBeUndefined();
    expect(env['INPUT_GITHUB-TOKEN']).toBeUndefined();
  });

  it('refuses a karoo.yml that passes tokens or action inputs to the tests', () => {
    expect(() => config('  pass-env: [GITHUB_TOKEN]\n')).toThrow(
      /karoo.yml:12: acceptance.pass-env\[0\]: "GITHUB_TOKEN" may not be passed to the tests/,
    );
    expect(() => config('  pass-env: [INPUT_TOKEN]\n')).toThrow(/"INPUT_TOKEN" may not be passed/);
    expect(() => config('  env: { KAROO_CANDIDATE: x }\n')).toThrow(/"KAROO_CANDIDATE" may not be set for the tests/);
  });
});
