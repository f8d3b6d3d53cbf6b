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
  githubToken: 'github-token',
  token: 'token',
} as const;

export const OUTPUT = {
  candidate: 'candidate',
  candidateRef: 'candidate-ref',
  existed: 'existed',
  lockDigest: 'lock-digest',
  lockPath: 'lock-path',
  changed: 'changed',
  commentUrl: 'comment-url',
  markdownPath: 'markdown-path',
} as const;
