import { ATTEST_INPUTS } from '@karoo/kit/attest';

/** Input and output names of the bisect action, as action.yml declares them. */
export const INPUT = {
  good: 'good',
  bad: 'bad',
  config: 'config',
  environment: 'environment',
  provider: 'provider',
  store: 'store',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  indexUsername: 'index-username',
  indexPassword: 'index-password',
  comment: 'comment',
  issue: 'issue',
  issueTitle: 'issue-title',
  attest: ATTEST_INPUTS.attest,
  attestKey: ATTEST_INPUTS.attestKey,
  attestKeyless: ATTEST_INPUTS.attestKeyless,
  githubToken: 'github-token',
  prepareRunner: 'prepare-runner',
} as const;

export const OUTPUT = {
  culprits: 'culprits',
  headline: 'headline',
  reportPath: 'report-path',
  commentUrl: 'comment-url',
  issueUrl: 'issue-url',
} as const;
