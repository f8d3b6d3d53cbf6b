import { booleanInput, indexCredentialsInput, type IndexCredentials, input, listInput, optionalInput } from '@karoo/kit';
import { storeInputs, type StoreInputs } from '@karoo/kit/store';
import { INPUT } from './constants.js';

/** The rebuild step's inputs (action.yml's, typed). */
export interface RebuildInputs {
  readonly config: string;
  /** The environments whose running candidates are checked. */
  readonly environments: readonly string[];
  /** More candidates to check, by digest. */
  readonly candidates: readonly string[];
  readonly mirror?: string | undefined;
  readonly store: StoreInputs;
  readonly index: IndexCredentials;
  /** Open (or update, or close) an issue with the result. */
  readonly issue: boolean;
  readonly issueTitle?: string | undefined;
  /** Fail the step when a candidate cannot be rebuilt. */
  readonly fail: boolean;
  /** Only `github-token`, never the deprecated `token` of the older steps. */
  readonly githubToken?: string | undefined;
}

const LIST = /[\s,]+/;

/** Every input of the action, read once. */
export function loadInputs(): RebuildInputs {
  return {
    config: input(INPUT.config, { default: 'karoo.yml' }),
    environments: optionalInput(INPUT.environments) === undefined ? ['qualification', 'production'] : listInput(INPUT.environments, LIST),
    candidates: listInput(INPUT.candidates, LIST),
    mirror: optionalInput(INPUT.mirror),
    store: storeInputs(),
    index: indexCredentialsInput(),
    issue: booleanInput(INPUT.issue, true),
    issueTitle: optionalInput(INPUT.issueTitle),
    fail: booleanInput(INPUT.fail, true),
    githubToken: optionalInput(INPUT.githubToken),
  };
}
