import { runAction, setOutputs } from '@karoo/kit';
import { OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';
import { type ReportOutputs, runReport } from './run.js';

const set = (o: ReportOutputs) =>
  setOutputs({ [OUTPUT.markdownPath]: o.markdownPath, [OUTPUT.commentId]: o.commentId, [OUTPUT.commentUrl]: o.commentUrl });

runAction(async () => set(await runReport(loadInputs(), set)));
