import { ATTEST_INPUTS } from '@karoo/kit/attest';
import { EVIDENCE_OUTPUTS } from '@karoo/kit/evidence';

/** Input and output names of the build action, as action.yml declares them. */
export const INPUT = {
  lock: 'lock',
  config: 'config',
  system: 'system',
  store: 'store',
  tag: 'tag',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  githubToken: 'github-token',
  mountFrom: 'mount-from',
  cache: 'cache',
  indexUsername: 'index-username',
  indexPassword: 'index-password',
  provenance: 'provenance',
  attest: ATTEST_INPUTS.attest,
  attestKey: ATTEST_INPUTS.attestKey,
  attestKeyless: ATTEST_INPUTS.attestKeyless,
  lookForEvidence: 'look-for-evidence',
  environment: 'environment',
} as const;

export const OUTPUT = {
  candidate: 'candidate',
  candidateRef: 'candidate-ref',
  existed: 'existed',
  pushedBytes: 'pushed-bytes',
  attestation: 'attestation',
  ...EVIDENCE_OUTPUTS,
} as const;
