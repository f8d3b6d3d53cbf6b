import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { context } from '@actions/github';
import { signerFrom } from '@karoo/attest';
import { signingOptions } from '@karoo/kit/attest';
import { bisect, type BisectResult, endpointFrom } from '@karoo/bisect';
import { KarooError, runContextFromEnv } from '@karoo/common';
import { loadConfig } from '@karoo/config';
import { actionProgress, core, setIndexCredentials } from '@karoo/kit';
import { openActionStore } from '@karoo/kit/store';
import {
  BISECT_MARKER,
  bisectHeadline,
  createGitHubClient,
  publishBisectIssue,
  renderBisectMarkdown,
  upsertStickyComment,
} from '@karoo/report';
import { restoreImage, saveImage } from '../../provision/lib/image-cache.js';
import { prepareRunner, shouldPrepare } from '../../provision/lib/runner.js';
import { INPUT } from './constants.js';
import type { BisectInputs } from './inputs.js';

export interface BisectOutputs {
  readonly result: BisectResult;
  readonly headline: string;
  readonly reportPath: string;
  readonly commentUrl: string;
  readonly issueUrl: string;
}

/**
 * Runs @karoo/bisect in this process (each step's acceptance on fresh machines of this runner,
 * as `karoo up`), then writes the report to the job summary and a JSON file, and to the comment
 * or issue asked for. Bad input (both ends the same, an unknown digest, a file that is not a
 * lock) is refused before anything is built.
 */
export async function runBisect(i: BisectInputs): Promise<BisectOutputs> {
  const config = await loadConfig(i.config);
  const good = await endpointFrom(i.good, `input "${INPUT.good}"`);
  const bad = await endpointFrom(i.bad, `input "${INPUT.bad}"`);
  if ('candidate' in good && 'candidate' in bad && good.candidate === bad.candidate) {
    throw new KarooError(
      'input',
      `inputs "${INPUT.good}" and "${INPUT.bad}" are the same candidate (${good.candidate}); pass the candidate that passed and the one that failed`,
    );
  }
  const token = i.githubToken;
  if ((i.comment !== undefined || i.issue) && !token) {
    throw new KarooError(
      'input',
      `a comment or issue was asked for but there is no GitHub token; pass \`${INPUT.githubToken}\` (pull-requests: write or issues: write)`,
    );
  }
  setIndexCredentials(config.indexes, i.index);
  const store = openActionStore(config, i.store, token);
  const attest = await signerFrom(signingOptions(i.attest, config.attestations?.signingKey, token));
  // The runner as the provision action prepares it, by the same code: Debian packages, /dev/kvm,
  // and the machine image from the Actions cache (saved afterwards when this run had to make it).
  const { image, imageSha256 } = config.provision;
  if (shouldPrepare(i.prepareRunner)) await prepareRunner(i.provider ?? config.provision.provider ?? 'nspawn', !image);
  const cachedImage = await restoreImage(image ? imageSha256 : undefined);
  let result: BisectResult;
  try {
    result = await bisect({
      config,
      store,
      good,
      bad,
      environment: i.environment,
      provider: i.provider,
      lockDir: join(process.env.RUNNER_TEMP ?? '.', 'karoo-bisect-locks'),
      attest,
      run: runContextFromEnv().run,
      progress: actionProgress,
    });
  } finally {
    await saveImage(cachedImage);
  }
  const headline = bisectHeadline(result, true);
  const reportPath = join(process.env.RUNNER_TEMP ?? '.', 'karoo-bisect.json');
  await writeFile(reportPath, `${JSON.stringify({ ...result, headline }, null, 2)}\n`);
  await core.summary.addRaw(renderBisectMarkdown(result)).write();
  core.notice(headline);

  let commentUrl = '';
  let issueUrl = '';
  if (i.comment !== undefined || i.issue) {
    const gh = createGitHubClient({ token: token!, progress: actionProgress });
    if (i.comment !== undefined) {
      commentUrl = (
        await upsertStickyComment(
          gh,
          { ...context.repo, number: i.comment },
          BISECT_MARKER,
          renderBisectMarkdown(result, { marker: BISECT_MARKER }),
          actionProgress,
        )
      ).url;
    }
    if (i.issue) issueUrl = (await publishBisectIssue(gh, context.repo, result, { title: i.issueTitle, progress: actionProgress })).url;
  }
  return { result, headline, reportPath, commentUrl, issueUrl };
}
