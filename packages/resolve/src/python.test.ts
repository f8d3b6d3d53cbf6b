// pip runs with none of a GitHub Actions step's secrets: it needs none of them (the index's
// credentials reach it in its index URLs), and it is a process karoo does not write.
import { describe, expect, it } from '@jest/globals';
import { isolatedPipEnv, isRunnerSecretVariable } from './python.js';

const CANARY = 'karoo-canary-7f3a91';
/** What a step of GitHub Actions has in its environment, each secret with the canary in it. */
const STEP_SECRETS = {
  'INPUT_GITHUB-TOKEN': `ghs_${CANARY}_token`,
  'INPUT_REGISTRY-PASSWORD': `${CANARY}_registry`,
  'INPUT_ATTEST-KEY': `-----BEGIN PRIVATE KEY-----${CANARY}`,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: `${CANARY}_oidc`,
  ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:9/${CANARY}`,
  ACTIONS_RUNTIME_TOKEN: `${CANARY}_runtime`,
  GITHUB_TOKEN: `ghs_${CANARY}_env`,
};

describe("pip's environment", () => {
  it("leaves out every input of the step, the runner's tokens and GITHUB_TOKEN, and keeps the rest", () => {
    const env = isolatedPipEnv({ PATH: '/usr/bin', HOME: '/home/runner', GITHUB_WORKSPACE: '/w', RUNNER_TEMP: '/t', ...STEP_SECRETS });
    expect(Object.keys(env).filter(isRunnerSecretVariable)).toEqual([]);
    expect(JSON.stringify(env)).not.toContain(CANARY);
    expect(env).toMatchObject({ PATH: '/usr/bin', HOME: '/home/runner', GITHUB_WORKSPACE: '/w', RUNNER_TEMP: '/t' });
  });

  it("leaves out the machine's pip settings and Python paths", () => {
    const env = isolatedPipEnv({ PATH: '/usr/bin', PIP_INDEX_URL: 'http://elsewhere/', PYTHONPATH: '/x', PYTHONHOME: '/y' });
    expect(env).not.toHaveProperty('PIP_INDEX_URL');
    expect(env).not.toHaveProperty('PYTHONPATH');
    expect(env).not.toHaveProperty('PYTHONHOME');
    expect(env.PIP_CONFIG_FILE).toBe('/dev/null');
  });
});
