import { isAbsolute, resolve } from 'node:path';
import * as core from '@actions/core';
import { KarooError } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import { type Credentials, openStore, parseStoreRef, type Store } from '@karoo/oci';
import { actionProgress, optionalInput } from './index.js';

/** The inputs every store-using action declares, kebab-case as in action.yml. */
export const STORE_INPUTS = { store: 'store', registryUsername: 'registry-username', registryPassword: 'registry-password' } as const;

/** The store inputs of an action, as read once by its loadInputs. */
export interface StoreInputs {
  /** `store`: a reference; absent means karoo.yml's, else ghcr.io/<owner>/<repo>. */
  readonly store?: string | undefined;
  readonly registryUsername?: string | undefined;
  readonly registryPassword?: string | undefined;
}

/** The inputs `store`, `registry-username` and `registry-password`; the password is masked in the log. */
export function storeInputs(): StoreInputs {
  const registryPassword = optionalInput(STORE_INPUTS.registryPassword);
  if (registryPassword) core.setSecret(registryPassword);
  return { store: optionalInput(STORE_INPUTS.store), registryUsername: optionalInput(STORE_INPUTS.registryUsername), registryPassword };
}

/**
 * The store reference of an action: the `store` input, else `store:` of karoo.yml (an
 * `oci-layout:` path there is relative to the file), else `ghcr.io/<owner>/<repo>`.
 */
export function storeReference(config: KarooConfig | undefined, given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (given) return given;
  const s = config?.store;
  if (s) return s.startsWith('oci-layout:') && !isAbsolute(s.slice(11)) ? `oci-layout:${resolve(config!.dir, s.slice(11))}` : s;
  const repo = env.GITHUB_REPOSITORY;
  if (!repo)
    throw new KarooError(
      'input',
      'input "store" is empty, the configuration has no store and GITHUB_REPOSITORY is not set; give a store reference',
    );
  return `ghcr.io/${repo.toLowerCase()}`;
}

/**
 * Opens the action's store. Explicit registry credentials win; the GitHub token (the
 * action's token input) is sent to ghcr.io only, never to another registry.
 */
export function openActionStore(
  config: KarooConfig | undefined,
  inputs: StoreInputs,
  githubToken: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Store {
  const ref = storeReference(config, inputs.store, env);
  const parsed = parseStoreRef(ref);
  let credentials: Credentials | undefined;
  if (parsed.kind === 'registry') {
    const username = inputs.registryUsername ?? env.GITHUB_ACTOR ?? 'karoo';
    if (inputs.registryPassword) {
      credentials = { username, password: inputs.registryPassword };
    } else if (parsed.registry === 'ghcr.io' && githubToken) {
      credentials = { username, password: githubToken };
    }
  }
  return openStore(ref, { credentials, progress: actionProgress });
}
