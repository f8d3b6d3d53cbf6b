import { KarooError } from '@karoo/common';
import { booleanInput, choiceInput, indexCredentialsInput, type IndexCredentials, input, optionalInput } from '@karoo/kit';
import { attestInputs, type AttestInputs } from '@karoo/kit/attest';
import { storeInputs, type StoreInputs } from '@karoo/kit/store';
import { INPUT } from './constants.js';

/** The bisect step's inputs (action.yml's, typed). */
export interface BisectInputs {
  /** A candidate digest or a lock file, as `karoo bisect --good` takes. */
  readonly good: string;
  readonly bad: string;
  readonly config: string;
  readonly environment?: string | undefined;
  readonly provider?: string | undefined;
  readonly store: StoreInputs;
  readonly index: IndexCredentials;
  /** Pull request (or issue) number for the one comment. */
  readonly comment?: number | undefined;
  readonly issue: boolean;
  readonly issueTitle?: string | undefined;
  /** How to sign each step's acceptance result (`attest`, `attest-key`, `attest-keyless`), read as the build and accept actions read them. */
  readonly attest: AttestInputs;
  readonly githubToken?: string | undefined;
  /** Install the machines' Debian packages and open /dev/kvm first, as the provision action does. */
  readonly prepareRunner: 'auto' | 'true' | 'false';
}

/** Every input of the action, read once; a malformed one is refused before anything runs. */
export function loadInputs(): BisectInputs {
  const comment = optionalInput(INPUT.comment);
  if (comment !== undefined && !/^[1-9][0-9]{0,9}$/.test(comment)) {
    throw new KarooError(
      'input',
      `input "${INPUT.comment}" is "${comment}", not a pull request or issue number; pass e.g. comment: 42, or leave it empty`,
    );
  }
  return {
    good: input(INPUT.good, { required: true }),
    bad: input(INPUT.bad, { required: true }),
    config: input(INPUT.config, { default: 'karoo.yml' }),
    environment: optionalInput(INPUT.environment),
    provider: optionalInput(INPUT.provider),
    store: storeInputs(),
    index: indexCredentialsInput(),
    comment: comment === undefined ? undefined : Number(comment),
    issue: booleanInput(INPUT.issue, false),
    issueTitle: optionalInput(INPUT.issueTitle),
    attest: attestInputs(),
    githubToken: optionalInput(INPUT.githubToken),
    prepareRunner: choiceInput(INPUT.prepareRunner, ['auto', 'true', 'false'], 'auto'),
  };
}
