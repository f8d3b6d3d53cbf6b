/** Input and output names of the resolve action, as action.yml declares them. */
export const INPUT = {
  config: 'config',
  out: 'out',
  previous: 'previous',
  force: 'force',
  asOf: 'as-of',
  cache: 'cache',
  indexUsername: 'index-username',
  indexPassword: 'index-password',
} as const;

export const OUTPUT = {
  lockDigest: 'lock-digest',
  lockPath: 'lock-path',
  requirementsPath: 'requirements-path',
  changed: 'changed',
  resolved: 'resolved',
  diff: 'diff',
  asOf: 'as-of',
} as const;
