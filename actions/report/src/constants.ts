/** Input and output names of the report action, as action.yml declares them. */
export const INPUT = {
  lock: 'lock',
  baseLock: 'base-lock',
  baseRef: 'base-ref',
  candidate: 'candidate',
  candidateRef: 'candidate-ref',
  candidateExisted: 'candidate-existed',
  store: 'store',
  evidence: 'evidence',
  environments: 'environments',
  reportJson: 'report-json',
  fromWorkflowRun: 'from-workflow-run',
  config: 'config',
  attestations: 'attestations',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  pullRequest: 'pull-request',
  comment: 'comment',
  key: 'key',
  githubToken: 'github-token',
  token: 'token',
} as const;

export const OUTPUT = { commentId: 'comment-id', commentUrl: 'comment-url', markdownPath: 'markdown-path' } as const;
