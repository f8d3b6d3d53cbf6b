import { booleanInput, githubTokenInput, input, optionalInput } from '@karoo/kit';
import { storeInputs } from '@karoo/kit/store';
import { INPUT } from './constants.js';
import type { PromoteInputs } from './run.js';

/** Every input of the action, read once. */
export function loadInputs(): PromoteInputs {
  return {
    candidate: input(INPUT.candidate, { required: true }),
    environment: optionalInput(INPUT.environment),
    config: input(INPUT.config, { default: 'karoo.yml' }),
    store: storeInputs(),
    reason: optionalInput(INPUT.reason),
    rollback: booleanInput(INPUT.rollback, false),
    dryRun: booleanInput(INPUT.dryRun, false),
    thisRunEvidence: (optionalInput(INPUT.thisRunEvidence) ?? '').split(/\s+/).filter(Boolean),
    deploy: booleanInput(INPUT.deploy, true),
    githubDeployment: booleanInput(INPUT.githubDeployment, true),
    githubToken: githubTokenInput(),
    gateConfig: optionalInput(INPUT.gateConfig),
    gateConfigRef: optionalInput(INPUT.gateConfigRef),
  };
}
