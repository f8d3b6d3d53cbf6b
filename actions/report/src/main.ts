import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { context } from '@actions/github';
import { FileError, writeFilesAtomic } from '@karoo/common';
import { actionProgress, booleanInput, core, githubTokenInput, input, optionalInput, runAction, setOutputs } from '@karoo/kit';
import {
  COMMENT_LIMIT,
  SUMMARY_LIMIT,
  createGitHubClient,
  parseReport,
  publishReport,
  pullRequestFromEvent,
  renderJson,
  renderMarkdown,
  reportFromFiles,
  reportMarker,
  type Report,
} from '@karoo/report';
import { commentFromWorkflowRun, storeLookups } from './workflow-run.js';

const INPUT = {
  lock: 'lock',
  baseLock: 'base-lock',
  baseRef: 'base-ref',
  candidate: 'candidate',
  candidateRef: 'candidate-ref',
  candidateExisted: 'candidate-existed',
  store: 'store',
  evidence: 'evidence',
  environments: 'environments',
  reportJson: 'report-json',
  pullRequest: 'pull-request',
  comment: 'comment',
  key: 'key',
  githubToken: 'github-token',
  fromWorkflowRun: 'from-workflow-run',
  config: 'config',
} as const;

const OUTPUT = { commentId: 'comment-id', commentUrl: 'comment-url', markdownPath: 'markdown-path' } as const;

runAction(async () => {
  const { owner, repo } = context.repo;
  const event = pullRequestFromEvent(context.eventName, context.payload as Record<string, unknown>, `${owner}/${repo}`);
  const key = optionalInput(INPUT.key);
  const marker = reportMarker(key);
  const warn = (m: string) => core.warning(m);

  if (booleanInput(INPUT.fromWorkflowRun, false)) {
    await commentForWorkflowRun(marker);
    return;
  }

  let report: Report;
  const fromJson = optionalInput(INPUT.reportJson);
  if (fromJson) {
    let data: unknown;
    try {
      data = JSON.parse(await readFile(fromJson, 'utf8'));
    } catch (e) {
      throw new FileError(fromJson, undefined, `cannot read a report from it (${(e as Error).message})`);
    }
    report = parseReport(data, fromJson);
  } else {
    const baseLock = optionalInput(INPUT.baseLock);
    const explicitRef = optionalInput(INPUT.baseRef);
    const existed = optionalInput(INPUT.candidateExisted);
    report = await reportFromFiles(
      {
        head: input(INPUT.lock, { default: 'pylock.toml' }),
        base: baseLock,
        baseRef: baseLock ? explicitRef : (explicitRef ?? event?.baseSha),
        baseRefOptional: !explicitRef,
        candidate: optionalInput(INPUT.candidate),
        candidateRef: optionalInput(INPUT.candidateRef),
        existed: existed === undefined ? undefined : booleanInput(INPUT.candidateExisted, false),
        store: optionalInput(INPUT.store),
        evidence: optionalInput(INPUT.evidence),
        environments: optionalInput(INPUT.environments),
      },
      warn,
    );
  }

  // The full report goes to a file first: the summary and the comment may be cut, this never is.
  const dir = resolve(process.env.RUNNER_TEMP || tmpdir(), 'karoo-report', key ?? 'report');
  const markdownPath = join(dir, 'report.md');
  await writeFilesAtomic([
    { path: markdownPath, data: renderMarkdown(report).markdown },
    { path: join(dir, 'report.json'), data: renderJson(report) },
  ]);
  setOutputs({ [OUTPUT.markdownPath]: markdownPath, [OUTPUT.commentId]: '', [OUTPUT.commentUrl]: '' });
  const summary = renderMarkdown(report, { limit: SUMMARY_LIMIT, fullReportHint: `The full report is in ${markdownPath} (the \`markdown-path\` output).` });
  await core.summary.addRaw(summary.markdown).write();

  if (!booleanInput(INPUT.comment, true)) return;
  const explicitNumber = optionalInput(INPUT.pullRequest);
  if (explicitNumber !== undefined && !/^[1-9][0-9]*$/.test(explicitNumber)) {
    throw new Error(`input "${INPUT.pullRequest}" is "${explicitNumber}"; expected a pull request number`);
  }
  const number = explicitNumber ? Number(explicitNumber) : event?.number;
  if (number === undefined) {
    core.info(`${context.eventName} is not a pull request event and no "${INPUT.pullRequest}" input was given: the report is in the job summary only`);
    return;
  }
  const runUrl = `${context.serverUrl}/${owner}/${repo}/actions/runs/${context.runId}`;
  const comment = renderMarkdown(report, {
    marker,
    limit: COMMENT_LIMIT,
    fullReportHint: `The full report is in the [job summary](${runUrl}) and the \`markdown-path\` output of the report step.`,
  });
  const gh = createGitHubClient({
    token: githubTokenInput() ?? process.env.GITHUB_TOKEN ?? '',
    baseUrl: process.env.GITHUB_API_URL,
    progress: actionProgress,
  });
  const fork = event?.number === number ? event.fork : false;
  const result = await publishReport(gh, { owner, repo, number }, marker, comment.markdown, { fork, progress: actionProgress });
  if (!result.posted) {
    core.warning(result.message);
    return;
  }
  core.info(`${result.action} report comment ${result.url}${comment.truncated ? ` (${comment.omittedRows} changed packages left out for length)` : ''}`);
  setOutputs({ [OUTPUT.commentId]: result.id, [OUTPUT.commentUrl]: result.url });
});

/**
 * The `workflow_run` mode (fork pull requests): the pull request from the event, the report
 * file only as claims, evidence and environments from the store.
 */
async function commentForWorkflowRun(marker: string): Promise<void> {
  const file = input(INPUT.reportJson, { required: true });
  const { owner, repo } = context.repo;
  const token = githubTokenInput() ?? process.env.GITHUB_TOKEN ?? '';
  const r = await commentFromWorkflowRun({
    gh: createGitHubClient({ token, baseUrl: process.env.GITHUB_API_URL, progress: actionProgress }),
    owner,
    repo,
    serverUrl: context.serverUrl,
    eventName: context.eventName,
    payload: context.payload as Record<string, unknown>,
    reportFile: file,
    ...(await storeLookups(input(INPUT.config, { default: 'karoo.yml' }), token || undefined)),
    marker,
    progress: actionProgress,
  });
  if (!r.posted) {
    core.warning(r.message);
    return;
  }
  await core.summary.addRaw(r.markdown).write();
  core.info(`${r.action} report comment on #${r.number}: ${r.url}`);
  setOutputs({ [OUTPUT.commentId]: r.id, [OUTPUT.commentUrl]: r.url, [OUTPUT.markdownPath]: '' });
}
