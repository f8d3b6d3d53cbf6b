import { errorMessage, isKarooError, type Progress, silentProgress } from '@karoo/common';
import type { GitHubClient } from '@karoo/report';
import { type RebuildOptions, type RebuildResult, rebuild } from './rebuild.js';

/** Which candidate an environment runs (what `karoo status --json` lists). */
export interface RunningCandidate {
  readonly environment: string;
  readonly candidate: string;
}

export interface CheckedCandidate {
  readonly candidate: string;
  /** The environments that run it. */
  readonly environments: readonly string[];
  readonly result?: RebuildResult | undefined;
  /** Set when the rebuild could not even start (candidate unreadable, nowhere to look). */
  readonly error?: string | undefined;
}

export interface RebuildCheck {
  readonly checked: readonly CheckedCandidate[];
  /** True when every candidate was rebuilt to its digest and nothing it holds is yanked. */
  readonly ok: boolean;
}

/**
 * Rebuild-checks the candidates the given environments run, each distinct candidate once
 * (`rebuild` for each; one that cannot be read is reported, not thrown).
 */
export async function rebuildCheck(
  running: readonly RunningCandidate[],
  options: Omit<RebuildOptions, 'candidate'>,
): Promise<RebuildCheck> {
  const byCandidate = new Map<string, string[]>();
  for (const r of running) byCandidate.set(r.candidate, [...(byCandidate.get(r.candidate) ?? []), r.environment]);
  const checked: CheckedCandidate[] = [];
  for (const [candidate, environments] of byCandidate) {
    try {
      checked.push({ candidate, environments, result: await rebuild({ ...options, candidate }) });
    } catch (e) {
      if (!isKarooError(e)) throw e;
      checked.push({ candidate, environments, error: errorMessage(e) });
    }
  }
  return { checked, ok: checked.every((c) => c.result !== undefined && c.result.kind === undefined) };
}

/** The first line of the issue body: how the check finds its one issue again. */
export const REBUILD_ISSUE_MARKER = '<!-- karoo:rebuild-check -->';
/** The label the issue carries (lets the check list only its own issues). */
export const REBUILD_ISSUE_LABEL = 'karoo-rebuild';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The issue body / job summary: one section per candidate, a table of every file that changed. */
export function renderCheckMarkdown(check: RebuildCheck, options: { runUrl?: string | undefined } = {}): string {
  const lines = [REBUILD_ISSUE_MARKER, ''];
  lines.push(
    check.ok
      ? '**Every running candidate can still be rebuilt from its lock.**'
      : '**A running candidate can no longer be rebuilt from its lock.**',
    '',
  );
  for (const c of check.checked) {
    const envs = c.environments.join(', ');
    if (c.error) {
      lines.push(`### ${envs}: \`${c.candidate}\` could not be checked`, '', cell(c.error), '');
      continue;
    }
    const r = c.result!;
    const verdict = r.kind === undefined ? 'rebuildable' : r.kind === 'conflict' ? 'rebuildable, but yanked files' : 'not rebuildable';
    lines.push(`### ${envs}: \`${c.candidate}\` — ${verdict}`, '');
    const bad = r.files.filter((f) => f.status !== 'same' || f.yanked);
    if (bad.length) {
      lines.push('| file | status | what changed |', '| --- | --- | --- |');
      for (const f of bad)
        lines.push(`| \`${cell(f.name)}\` | ${f.status}${f.yanked ? ', yanked' : ''} | ${cell(f.reason ?? `yanked on ${f.index}`)} |`);
      lines.push('');
    }
    for (const p of r.problems.filter((p) => !r.files.some((f) => p.startsWith(`${f.name}: `)))) lines.push(`- ${cell(p)}`);
    lines.push(`Check it yourself: \`karoo rebuild ${c.candidate} --store ${r.store}\``, '');
  }
  if (options.runUrl) lines.push(`Checked by ${options.runUrl}.`);
  return `${lines.join('\n').trimEnd()}\n`;
}

export interface IssueResult {
  readonly number: number;
  readonly url: string;
  readonly action: 'created' | 'updated' | 'unchanged' | 'closed' | 'none';
}

/**
 * Keeps ONE issue about rebuilds: when the check failed, the open issue carrying the marker
 * (label `karoo-rebuild`) is updated, or created; when it passed, an open one is updated and
 * closed, and none is created.
 */
export async function publishRebuildIssue(
  gh: GitHubClient,
  repo: { readonly owner: string; readonly repo: string },
  check: RebuildCheck,
  options: { title?: string | undefined; runUrl?: string | undefined; progress?: Progress | undefined } = {},
): Promise<IssueResult> {
  const progress = options.progress ?? silentProgress;
  const title = options.title ?? 'karoo: a running candidate can no longer be rebuilt';
  const body = renderCheckMarkdown(check, { runUrl: options.runUrl });
  const open = await gh.paginate(gh.rest.issues.listForRepo, { ...repo, state: 'open', labels: REBUILD_ISSUE_LABEL, per_page: 100 });
  const mine = open
    .filter(
      (i) =>
        !i.pull_request &&
        typeof i.body === 'string' &&
        (i.body === REBUILD_ISSUE_MARKER || i.body.startsWith(`${REBUILD_ISSUE_MARKER}\n`)),
    )
    .sort((a, b) => a.number - b.number)[0];
  if (check.ok) {
    if (!mine) return { number: 0, url: '', action: 'none' };
    const r = await gh.rest.issues.update({ ...repo, issue_number: mine.number, body, state: 'closed' });
    progress.info(`every candidate is rebuildable again: closed ${r.data.html_url}`);
    return { number: mine.number, url: r.data.html_url, action: 'closed' };
  }
  if (mine) {
    if (mine.body === body && mine.title === title) return { number: mine.number, url: mine.html_url, action: 'unchanged' };
    const r = await gh.rest.issues.update({ ...repo, issue_number: mine.number, title, body });
    progress.info(`updated ${r.data.html_url}`);
    return { number: mine.number, url: r.data.html_url, action: 'updated' };
  }
  const r = await gh.rest.issues.create({ ...repo, title, body, labels: [REBUILD_ISSUE_LABEL] });
  progress.info(`opened ${r.data.html_url}`);
  return { number: r.data.number, url: r.data.html_url, action: 'created' };
}
