import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { context } from '@actions/github';
import { KarooError, parseDigest } from '@karoo/common';
import { loadConfig } from '@karoo/config';
import { actionProgress, core, runAction, setIndexCredentials, setOutputs } from '@karoo/kit';
import { openActionStore } from '@karoo/kit/store';
import { environmentStatus } from '@karoo/promote';
import { publishRebuildIssue, rebuildCheck, renderCheckMarkdown, type RunningCandidate } from '@karoo/rebuild';
import { createGitHubClient } from '@karoo/report';
import { INPUT, OUTPUT } from './constants.js';
import { loadInputs } from './inputs.js';

runAction(async () => {
  const i = loadInputs();
  const config = await loadConfig(i.config);
  setIndexCredentials(config.indexes, i.index);
  const token = i.githubToken;
  const store = openActionStore(config, i.store, token);

  // What the environments run now, from their promotion records (what `karoo status` shows).
  const environments = i.environments;
  const running: RunningCandidate[] = [];
  for (const s of await environmentStatus(store, environments)) {
    if (s.candidate) running.push({ environment: s.environment, candidate: s.candidate });
    else core.info(`environment ${s.environment} runs nothing yet; skipped`);
  }
  for (const c of i.candidates) running.push({ environment: 'given', candidate: parseDigest(c, `input "${INPUT.candidates}"`) });
  if (running.length === 0) {
    core.warning(
      `no candidate to check: none of ${environments.join(', ')} has a promotion in ${store.ref}, and input "candidates" is empty`,
    );
    setOutputs({ [OUTPUT.rebuildable]: 'true', [OUTPUT.reportPath]: '', [OUTPUT.issueUrl]: '' });
    return;
  }

  const mirror = i.mirror;
  const check = await rebuildCheck(running, {
    store,
    indexes: config.indexes,
    mirror: mirror ? { name: 'mirror', url: mirror.endsWith('/') ? mirror : `${mirror}/`, private: false } : undefined,
    progress: actionProgress,
  });
  const runUrl = process.env.GITHUB_RUN_ID
    ? `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${process.env.GITHUB_RUN_ID}`
    : undefined;
  const markdown = renderCheckMarkdown(check, { runUrl });
  const reportPath = join(process.env.RUNNER_TEMP ?? '.', 'karoo-rebuild-check.json');
  await writeFile(reportPath, `${JSON.stringify(check, null, 2)}\n`);
  await core.summary.addRaw(markdown).write();

  let issueUrl = '';
  if (i.issue) {
    if (!token)
      throw new KarooError(
        'input',
        'input "issue" is true but there is no GitHub token; pass `github-token` (needs issues: write) or set issue: false',
      );
    const gh = createGitHubClient({ token, progress: actionProgress });
    const r = await publishRebuildIssue(gh, context.repo, check, { title: i.issueTitle, runUrl, progress: actionProgress });
    issueUrl = r.url;
  }
  setOutputs({ [OUTPUT.rebuildable]: check.ok, [OUTPUT.reportPath]: reportPath, [OUTPUT.issueUrl]: issueUrl });
  if (!check.ok && i.fail) {
    const bad = check.checked.filter((c) => c.error || c.result?.kind).map((c) => `${c.environments.join(', ')} (${c.candidate})`);
    throw new KarooError(
      'integrity',
      `cannot rebuild what ${bad.join('; ')} run${bad.length === 1 ? 's' : ''}: see the job summary${issueUrl ? ` and ${issueUrl}` : ''}`,
    );
  }
});
