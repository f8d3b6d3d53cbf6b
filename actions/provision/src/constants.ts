/** Input, output and state names of the provision action (kebab-case in action.yml). */
export const INPUT = {
  config: 'config',
  provider: 'provider',
  image: 'image',
  imageSha256: 'image-sha256',
  ttl: 'ttl',
  keep: 'keep',
  prepareRunner: 'prepare-runner',
  imageOnly: 'image-only',
} as const;

export const OUTPUT = {
  inventory: 'inventory',
  environmentId: 'environment-id',
  error: 'error',
} as const;

export const STATE = {
  environmentId: 'environment-id',
  outDir: 'out-dir',
  keep: 'keep',
  failed: 'failed',
  /** The machine image to save in the Actions cache (JSON), when the runner did not have it. */
  imageCache: 'image-cache',
} as const;

/** argv flag the TTL watchdog passes to the post bundle to destroy an environment by id. */
export const EXPIRE_FLAG = '--karoo-expire';
