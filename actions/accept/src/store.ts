import { isAbsolute, resolve } from 'node:path';
import { KarooError } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import { core, optionalInput } from '@karoo/kit';
import { openStore, parseStoreRef, type Store } from '@karoo/oci';
import { actionProgress } from '@karoo/kit';

/** The store of the inputs (store, registry-username, registry-password, github-token); the GitHub token goes to ghcr.io only. */
export function storeFromInputs(config: KarooConfig): Store {
  const given = optionalInput('store');
  let ref: string;
  if (given) ref = given;
  else if (config.store) ref = config.store.startsWith('oci-layout:') && !isAbsolute(config.store.slice(11)) ? `oci-layout:${resolve(config.dir, config.store.slice(11))}` : config.store;
  else if (process.env.GITHUB_REPOSITORY) ref = `ghcr.io/${process.env.GITHUB_REPOSITORY.toLowerCase()}`;
  else throw new KarooError('input', 'input "store" is empty, the configuration has no store and GITHUB_REPOSITORY is not set; give a store reference');
  const parsed = parseStoreRef(ref);
  let credentials;
  if (parsed.kind === 'registry') {
    const username = optionalInput('registry-username') ?? process.env.GITHUB_ACTOR ?? 'karoo';
    const password = optionalInput('registry-password');
    if (password) {
      core.setSecret(password);
      credentials = { username, password };
    } else if (parsed.registry === 'ghcr.io' && optionalInput('github-token')) {
      credentials = { username, password: optionalInput('github-token')! };
    }
  }
  return openStore(ref, { credentials, progress: actionProgress });
}
