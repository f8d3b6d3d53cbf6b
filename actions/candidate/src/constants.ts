import { ATTEST_INPUTS } from '@karoo/kit/attest';
import { EVIDENCE_OUTPUTS } from '@karoo/kit/evidence';

/** Input and output names of the candidate action (and of the root action.yml), as action.yml declares them. */
export const INPUT = {
  config: 'config',
  store: 'store',
  comment: 'comment',
  baseRef: 'base-ref',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  indexUsername: 'index-username',
  indexPassword: 'index-password',
  cache: 'cache',
  attest: ATTEST_INPUTS.attest,
  attestKey: ATTEST_INPUTS.attestKey,
  attestKeyless: ATTEST_INPUTS.attestKeyless,
  environment: 'environment',
  acceptance: 'acceptance',
  attestations: 'attestations',
  key: 'key',
  githubToken: 'github-token',
  token: 'token',
} as const;

export const OUTPUT = {
  candidate: 'candidate',
  candidateRef: 'candidate-ref',
  existed: 'existed',
  attestation: 'attestation',
  lockDigest: 'lock-digest',
  lockPath: 'lock-path',
  requirementsPath: 'requirements-path',
  changed: 'changed',
  ...EVIDENCE_OUTPUTS,
  reported: 'reported',
  commentUrl: 'comment-url',
  markdownPath: 'markdown-path',
} as const;
