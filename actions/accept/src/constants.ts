import { ATTEST_INPUTS } from '@karoo/kit/attest';

/** Input and output names of the accept action, as action.yml declares them. */
export const INPUT = {
  candidate: 'candidate',
  inventory: 'inventory',
  config: 'config',
  environment: 'environment',
  store: 'store',
  timeout: 'timeout',
  out: 'out',
  evidence: 'evidence',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  githubToken: 'github-token',
  attest: ATTEST_INPUTS.attest,
  attestKey: ATTEST_INPUTS.attestKey,
  attestKeyless: ATTEST_INPUTS.attestKeyless,
} as const;

export const OUTPUT = {
  result: 'result',
  evidence: 'evidence',
  systemId: 'system-id',
  counts: 'counts',
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  junit: 'junit',
  attestation: 'attestation',
} as const;
