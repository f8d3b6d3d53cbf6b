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
  attestKey: 'attest-key',
  attestKeyless: 'attest-keyless',
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
