/** Input and output names of the rebuild action, as action.yml declares them. */
export const INPUT = {
  config: 'config',
  environments: 'environments',
  candidates: 'candidates',
  mirror: 'mirror',
  store: 'store',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  indexUsername: 'index-username',
  indexPassword: 'index-password',
  issue: 'issue',
  issueTitle: 'issue-title',
  fail: 'fail',
  githubToken: 'github-token',
} as const;

export const OUTPUT = { rebuildable: 'rebuildable', reportPath: 'report-path', issueUrl: 'issue-url' } as const;
