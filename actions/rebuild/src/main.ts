import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { context } from '@actions/github';
import { KarooError, parseDigest } from '@karoo/common';
import { loadConfig } from '@karoo/config';
import { actionProgress, applyIndexCredentials, booleanInput, core, input, optionalInput, runAction, setOutputs } from '@karoo/kit';
import { storeFromInputs } from '@karoo/kit/store';
import { environmentStatus } from '@karoo/promote';
import { publishRebuildIssue, rebuildCheck, renderCheckMarkdown, type RunningCandidate } from '@karoo/rebuild';
import { createGitHubClient } from '@karoo/report';

const INPUT = {
  config: 'config',
  environments: 'environments',
  candidates: 'candidates',
  mirror: 'mirror',
  issue: 'issue',
  issueTitle: 'issue-title',
  fail: 'fail',
  githubToken: 'github-token',
} as const;

const OUTPUT = { rebuildable: 'rebuildable', reportPath: 'report-path', issueUrl: 'issue-url' } as const;

const list = (s: string | undefined) => (s ?? '').split(/[\s,]+/).filter((x) => x !== '');

runAction(async () => {
  const config = await loadConfig(input(INPUT.config, { default: 'karoo.yml' }));
  applyIndexCredentials(config.indexes);
  // A new action: only `github-token`, never the deprecated `token` of the older steps.
  const token = optionalInput(INPUT.githubToken);
  const store = storeFromInputs(config, token);

  // What the environments run now, from their promotion records (what `karoo status` shows).
  const environments = list(input(INPUT.environments, { default: 'qualification production' }));
  const running: RunningCandidate[] = [];
  for (const s of await environmentStatus(store, environments)) {
    if (s.candidate) running.push({ environment: s.environment, candidate: s.candidate });
    else core.info(`environment ${s.environment} runs nothing yet; skipped`);
  }
  for (const c of list(optionalInput(INPUT.candidates))) running.push({ environment: 'given', candidate: parseDigest(c, 'input "candidates"') });
  if (running.length === 0) {
    core.warning(`no candidate to check: none of ${environments.join(', ')} has a promotion in ${store.ref}, and input "candidates" is empty`);
    setOutputs({ [OUTPUT.rebuildable]: 'true', [OUTPUT.reportPath]: '', [OUTPUT.issueUrl]: '' });
    return;
  }

  const mirror = optionalInput(INPUT.mirror);
  const check = await rebuildCheck(running, {
    store,
    indexes: config.indexes,
    mirror: mirror ? { name: 'mirror', url: mirror.endsWith('/') ? mirror : `${mirror}/`, private: false } : undefined,
    progress: actionProgress,
  });
  const runUrl = process.env.GITHUB_RUN_ID ? `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${process.env.GITHUB_RUN_ID}` : undefined;
  const markdown = renderCheckMarkdown(check, { runUrl });
  const reportPath = join(process.env.RUNNER_TEMP ?? '.', 'karoo-rebuild-check.json');
  await writeFile(reportPath, `${JSON.stringify(check, null, 2)}\n`);
  await core.summary.addRaw(markdown).write();

  let issueUrl = '';
  if (booleanInput(INPUT.issue, true)) {
    if (!token) throw new KarooError('input', 'input "issue" is true but there is no GitHub token; pass `github-token` (needs issues: write) or set issue: false');
    const gh = createGitHubClient({ token, progress: actionProgress });
    const r = await publishRebuildIssue(gh, context.repo, check, { title: input(INPUT.issueTitle) || undefined, runUrl, progress: actionProgress });
    issueUrl = r.url;
  }
  setOutputs({ [OUTPUT.rebuildable]: check.ok, [OUTPUT.reportPath]: reportPath, [OUTPUT.issueUrl]: issueUrl });
  if (!check.ok && booleanInput(INPUT.fail, true)) {
    const bad = check.checked.filter((c) => c.error || c.result?.kind).map((c) => `${c.environments.join(', ')} (${c.candidate})`);
    throw new KarooError('integrity', `cannot rebuild what ${bad.join('; ')} run${bad.length === 1 ? 's' : ''}: see the job summary${issueUrl ? ` and ${issueUrl}` : ''}`);
  }
});
