import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { context } from '@actions/github';
import { FileError, KarooError, writeFilesAtomic } from '@karoo/common';
import type { KarooConfig } from '@karoo/config';
import { actionProgress, core } from '@karoo/kit';
import type { StoreInputs } from '@karoo/kit/store';
import {
  COMMENT_LIMIT,
  SUMMARY_LIMIT,
  createGitHubClient,
  fileAtRef,
  type GitHubClient,
  parseReport,
  publishReport,
  pullRequestFromEvent,
  renderJson,
  renderMarkdown,
  reportFromFiles,
  reportMarker,
  type Report,
} from '@karoo/report';
import { candidateAttestationsOrWarn } from './attestations.js';
import { INPUT } from './constants.js';
import { commentFromWorkflowRun, storeLookups } from './workflow-run.js';

/** The report step's inputs (action.yml's, typed). */
export interface ReportInputs {
  /** The head pylock.toml. */
  readonly lock: string;
  readonly baseLock?: string | undefined;
  readonly baseRef?: string | undefined;
  readonly candidate?: string | undefined;
  readonly candidateRef?: string | undefined;
  readonly candidateExisted?: boolean | undefined;
  readonly store: StoreInputs;
  /** JSON files the promote step writes. */
  readonly evidence?: string | undefined;
  readonly environments?: string | undefined;
  /** A report.json to render instead of building one from the files. */
  readonly reportJson?: string | undefined;
  /** The `workflow_run` mode for fork pull requests. */
  readonly fromWorkflowRun: boolean;
  readonly config: string;
  /** The configuration already read from `config` (the candidate step reads it once for all its steps). */
  readonly loaded?: KarooConfig | undefined;
  /** Read and verify the candidate's signed attestations from the store. */
  readonly attestations?: boolean | undefined;
  /** The pull request to comment on; default, the event's. */
  readonly pullRequest?: number | undefined;
  /** Post (or update) the pull request comment. */
  readonly comment: boolean;
  /** Several reports on one pull request: one comment per key. */
  readonly key?: string | undefined;
  readonly githubToken?: string | undefined;
}

export interface ReportOutputs {
  readonly commentId: string;
  readonly commentUrl: string;
  readonly markdownPath: string;
}

/**
 * Renders the report into a file and the job summary, and posts or updates the pull request
 * comment. `early` gets the outputs known before the comment is attempted (the markdown file),
 * so a step whose comment fails still gives them.
 */
export async function runReport(i: ReportInputs, early: (o: ReportOutputs) => void = () => {}): Promise<ReportOutputs> {
  const marker = reportMarker(i.key);
  if (i.fromWorkflowRun) return commentForWorkflowRun(i, marker);
  const { owner, repo } = context.repo;
  const event = pullRequestFromEvent(context.eventName, context.payload as Record<string, unknown>, `${owner}/${repo}`);
  const token = i.githubToken ?? process.env.GITHUB_TOKEN ?? '';
  let gh: GitHubClient | undefined;
  const client = () => (gh ??= createGitHubClient({ token, baseUrl: process.env.GITHUB_API_URL, progress: actionProgress }));

  let report: Report;
  if (i.reportJson) {
    let data: unknown;
    try {
      data = JSON.parse(await readFile(i.reportJson, 'utf8'));
    } catch (e) {
      throw new FileError(i.reportJson, undefined, `cannot read a report from it (${(e as Error).message})`);
    }
    report = parseReport(data, i.reportJson);
  } else {
    report = await reportFromFiles(
      {
        head: i.lock,
        base: i.baseLock,
        baseRef: i.baseLock ? i.baseRef : (i.baseRef ?? event?.baseSha),
        baseRefOptional: !i.baseRef,
        candidate: i.candidate,
        candidateRef: i.candidateRef,
        existed: i.candidateExisted,
        store: i.store.store,
        evidence: i.evidence,
        environments: i.environments,
        // A checkout of one commit (actions/checkout's default) does not hold the base commit: its lock is read from the API.
        readAtRef: token ? (ref, path) => fileAtRef(client(), { owner, repo, path, ref }) : undefined,
      },
      (m) => core.warning(m),
    );
  }

  if (i.attestations && report.candidate) {
    const [{ loadConfig }, { openActionStore }] = await Promise.all([import('@karoo/config'), import('@karoo/kit/store')]);
    const config = i.loaded ?? (existsSync(i.config) ? await loadConfig(i.config) : undefined);
    const store = openActionStore(config, i.store, token || undefined);
    const attestations = await candidateAttestationsOrWarn(store, report.candidate.digest, config, (m) => core.warning(m));
    if (attestations) report = { ...report, attestations };
  }

  // The full report goes to a file first: the summary and the comment may be cut, this never is.
  const dir = resolve(process.env.RUNNER_TEMP || tmpdir(), 'karoo-report', i.key ?? 'report');
  const markdownPath = join(dir, 'report.md');
  await writeFilesAtomic([
    { path: markdownPath, data: renderMarkdown(report).markdown },
    { path: join(dir, 'report.json'), data: renderJson(report) },
  ]);
  const written: ReportOutputs = { markdownPath, commentId: '', commentUrl: '' };
  early(written);
  const summary = renderMarkdown(report, {
    limit: SUMMARY_LIMIT,
    fullReportHint: `The full report is in ${markdownPath} (the \`markdown-path\` output).`,
  });
  await core.summary.addRaw(summary.markdown).write();

  if (!i.comment) return written;
  const number = i.pullRequest ?? event?.number;
  if (number === undefined) {
    core.info(
      `${context.eventName} is not a pull request event and no "${INPUT.pullRequest}" input was given: the report is in the job summary only`,
    );
    return written;
  }
  const runUrl = `${context.serverUrl}/${owner}/${repo}/actions/runs/${context.runId}`;
  const comment = renderMarkdown(report, {
    marker,
    limit: COMMENT_LIMIT,
    fullReportHint: `The full report is in the [job summary](${runUrl}) and the \`markdown-path\` output of the report step.`,
  });
  const fork = event?.number === number ? event.fork : false;
  const result = await publishReport(client(), { owner, repo, number }, marker, comment.markdown, { fork, progress: actionProgress });
  if (!result.posted) {
    core.warning(result.message);
    return written;
  }
  core.info(
    `${result.action} report comment ${result.url}${comment.truncated ? ` (${comment.omittedRows} changed packages left out for length)` : ''}`,
  );
  return { ...written, commentId: String(result.id), commentUrl: result.url };
}

/**
 * The `workflow_run` mode (fork pull requests): the pull request from the event, the report
 * file only as claims, evidence and environments from the store.
 */
async function commentForWorkflowRun(i: ReportInputs, marker: string): Promise<ReportOutputs> {
  if (!i.reportJson)
    throw new KarooError(
      'input',
      `input "${INPUT.reportJson}" is empty; ${INPUT.fromWorkflowRun}: true comments from the report.json of the pull request's run`,
    );
  const { owner, repo } = context.repo;
  const token = i.githubToken ?? process.env.GITHUB_TOKEN ?? '';
  const r = await commentFromWorkflowRun({
    gh: createGitHubClient({ token, baseUrl: process.env.GITHUB_API_URL, progress: actionProgress }),
    owner,
    repo,
    serverUrl: context.serverUrl,
    eventName: context.eventName,
    payload: context.payload as Record<string, unknown>,
    reportFile: i.reportJson,
    ...(await storeLookups(i.config, i.store, token || undefined)),
    marker,
    progress: actionProgress,
  });
  if (!r.posted) {
    core.warning(r.message);
    return { commentId: '', commentUrl: '', markdownPath: '' };
  }
  await core.summary.addRaw(r.markdown).write();
  core.info(`${r.action} report comment on #${r.number}: ${r.url}`);
  return { commentId: String(r.id), commentUrl: r.url, markdownPath: '' };
}
