import { runAction, setOutputs } from '@karoo/kit';
import { evidenceOutputs } from '@karoo/kit/evidence';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';
import { type BuiltOutputs, runCandidate } from './run.js';

/** The outputs known before the report: set first, so a step whose comment fails still gives the candidate. */
const built = (o: BuiltOutputs) =>
  setOutputs({
    [OUTPUT.candidate]: o.candidate,
    [OUTPUT.candidateRef]: o.candidateRef,
    [OUTPUT.existed]: o.existed,
    [OUTPUT.attestation]: o.attestation ?? '',
    [OUTPUT.lockDigest]: o.lockDigest,
    [OUTPUT.lockPath]: o.lockPath,
    [OUTPUT.requirementsPath]: o.requirementsPath,
    [OUTPUT.changed]: o.changed,
    ...evidenceOutputs(o.evidence),
  });

// Exit codes as the CLI's (2: bad input, refused before anything ran), as the build step's.
runAction(
  async () => {
    const o = await runCandidate(loadInputs(), built);
    setOutputs({ [OUTPUT.reported]: o.reported, [OUTPUT.commentUrl]: o.commentUrl, [OUTPUT.markdownPath]: o.markdownPath });
  },
  { exitCodes: true },
);
