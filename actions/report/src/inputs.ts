import { booleanInput, githubTokenInput, input, integerInput, optionalInput } from '@karoo/kit';
import { storeInputs } from '@karoo/kit/store';
import { INPUT } from './constants.js';
import type { ReportInputs } from './run.js';

/** Every input of the action, read once. */
export function loadInputs(): ReportInputs {
  const pullRequest = integerInput(INPUT.pullRequest, 0, { min: 1 });
  return {
    lock: input(INPUT.lock, { default: 'pylock.toml' }),
    baseLock: optionalInput(INPUT.baseLock),
    baseRef: optionalInput(INPUT.baseRef),
    candidate: optionalInput(INPUT.candidate),
    candidateRef: optionalInput(INPUT.candidateRef),
    candidateExisted: optionalInput(INPUT.candidateExisted) === undefined ? undefined : booleanInput(INPUT.candidateExisted, false),
    store: storeInputs(),
    evidence: optionalInput(INPUT.evidence),
    environments: optionalInput(INPUT.environments),
    reportJson: optionalInput(INPUT.reportJson),
    fromWorkflowRun: booleanInput(INPUT.fromWorkflowRun, false),
    config: input(INPUT.config, { default: 'karoo.yml' }),
    attestations: booleanInput(INPUT.attestations, false),
    pullRequest: pullRequest === 0 ? undefined : pullRequest,
    comment: booleanInput(INPUT.comment, true),
    key: optionalInput(INPUT.key),
    githubToken: githubTokenInput(),
  };
}
