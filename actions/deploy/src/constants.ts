/** Input and output names of the deploy action, as action.yml declares them. */
export const INPUT = {
  candidate: 'candidate',
  inventory: 'inventory',
  config: 'config',
  environment: 'environment',
  store: 'store',
  parallel: 'parallel',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  githubToken: 'github-token',
} as const;

export const OUTPUT = {
  systemId: 'system-id',
  configDigest: 'config-digest',
  nodes: 'nodes',
  changed: 'changed',
} as const;
