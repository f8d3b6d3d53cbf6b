import { type Progress, silentProgress } from '@karoo/common';
import { cell, code, codeCell, details, result, shortDigest, table } from '@karoo/summary';
import { explainGitHubError, type GitHubClient } from './github.js';

/** First line of the bisect comment on a pull request: one such comment per pull request, updated in place. */
export const BISECT_MARKER = '<!-- karoo:bisect -->';

/** A leaf move as @karoo/bisect reports it. */
export interface BisectMove {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

/** What the bisect report needs of a @karoo/bisect result (structurally the same). */
export interface BisectReportInput {
  readonly system: string;
  readonly environment: string;
  readonly moved: readonly BisectMove[];
  readonly culprits: readonly BisectMove[];
  readonly inseparable: ReadonlyArray<readonly BisectMove[]>;
  readonly steps: ReadonlyArray<{
    readonly moved: readonly string[];
    readonly result: 'passed' | 'failed' | 'unresolvable';
    readonly reused: boolean;
    readonly candidate?: string | undefined;
    readonly evidence?: string | undefined;
    readonly reason?: string | undefined;
  }>;
  readonly runs: number;
  readonly reused: number;
  readonly unresolvable: number;
}

/**
 * The one-line answer: "acceptance fails since `cam-store` 2.0.0 → 2.1.0 (3 acceptance runs,
 * 2 reused)". Names are inline code in markdown; `plain` gives the terminal's text.
 */
export function bisectHeadline(r: Pick<BisectReportInput, 'culprits' | 'runs' | 'reused' | 'unresolvable'>, plain = false): string {
  const name = (n: string) => (plain ? n : code(n));
  const moves = r.culprits.map((m) => `${name(m.name)} ${plain ? m.from : cell(m.from)} → ${plain ? m.to : cell(m.to)}`);
  const list = moves.length <= 1 ? moves.join('') : `${moves.slice(0, -1).join(', ')} and ${moves[moves.length - 1]} together`;
  const extra = [`${r.runs} acceptance run${r.runs === 1 ? '' : 's'}`, `${r.reused} reused`];
  if (r.unresolvable > 0) extra.push(`${r.unresolvable} intermediate lock${r.unresolvable === 1 ? '' : 's'} could not be resolved`);
  return `acceptance fails since ${list} (${extra.join(', ')})`;
}

/**
 * The bisection for a job summary or a pull request comment: the headline, the moves that
 * cannot be told apart, and every step judged (which leaves were moved, its candidate, and
 * what acceptance said, run or reused).
 */
export function renderBisectMarkdown(r: BisectReportInput, options: { readonly marker?: string | undefined } = {}): string {
  const total = r.moved.length;
  const movesOf = (names: readonly string[]) =>
    names.length === 0
      ? 'none (good)'
      : names.length === total
        ? `all ${total} (bad)`
        : names
            .map((n) => {
              const m = r.moved.find((x) => x.name === n);
              return m ? `${codeCell(m.name)} ${cell(m.to)}` : codeCell(n);
            })
            .join(', ');
  const rows = r.steps.map((s, i) => [
    String(i + 1),
    movesOf(s.moved),
    s.candidate ? codeCell(shortDigest(s.candidate)) : '—',
    s.result === 'unresolvable' ? `⚠️ cannot be resolved: ${cell(s.reason)}` : `${result(s.result)}${s.reused ? ' (reused)' : ''}`,
  ]);
  const parts = [
    ...(options.marker ? [options.marker] : []),
    `### 🔎 Which leaf broke it? ${cell(r.system)} (${cell(r.environment)})`,
    `**${bisectHeadline(r)}**`,
    `${total} leaves moved: ${r.moved.map((m) => `${code(m.name)} ${cell(m.from)} → ${cell(m.to)}`).join(', ')}.`,
    ...r.inseparable.map(
      (g) => `⚠️ ${g.map((m) => code(m.name)).join(', ')} could not be tried apart: no intermediate lock that separates them resolves.`,
    ),
    details(`${r.steps.length} steps`, table(['#', 'leaves at the bad version', 'candidate', 'acceptance'], rows, ['right'])),
  ];
  return `${parts.join('\n\n')}\n`;
}

/** Label of the one issue a bisection keeps (karoo-bisect.yml with `issue: true`). */
export const BISECT_ISSUE_LABEL = 'karoo-bisect';

export interface BisectIssueResult {
  readonly number: number;
  readonly url: string;
  readonly action: 'created' | 'updated' | 'unchanged';
}

/**
 * Keeps ONE open issue (label karoo-bisect, body starting with BISECT_MARKER) saying the latest
 * bisection: opened the first time, rewritten by later runs. It is never closed here: a
 * bisection only runs when something fails, so closing is the team's call once it is fixed.
 */
export async function publishBisectIssue(
  gh: GitHubClient,
  repo: { readonly owner: string; readonly repo: string },
  r: BisectReportInput,
  options: { readonly title?: string | undefined; readonly progress?: Progress | undefined } = {},
): Promise<BisectIssueResult> {
  const progress = options.progress ?? silentProgress;
  const title = options.title ?? `karoo: ${bisectHeadline(r, true)}`;
  const body = renderBisectMarkdown(r, { marker: BISECT_MARKER });
  const target = { ...repo, number: 0 };
  let open;
  try {
    open = await gh.paginate(gh.rest.issues.listForRepo, { ...repo, state: 'open', labels: BISECT_ISSUE_LABEL, per_page: 100 });
  } catch (e) {
    throw explainGitHubError(e, 'list the bisect issues', target);
  }
  const mine = open
    .filter((i) => !i.pull_request && typeof i.body === 'string' && i.body.startsWith(`${BISECT_MARKER}\n`))
    .sort((a, b) => a.number - b.number)[0];
  try {
    if (mine) {
      if (mine.body === body && mine.title === title) return { number: mine.number, url: mine.html_url, action: 'unchanged' };
      const u = await gh.rest.issues.update({ ...repo, issue_number: mine.number, title, body });
      progress.info(`updated ${u.data.html_url}`);
      return { number: mine.number, url: u.data.html_url, action: 'updated' };
    }
    const c = await gh.rest.issues.create({ ...repo, title, body, labels: [BISECT_ISSUE_LABEL] });
    progress.info(`opened ${c.data.html_url}`);
    return { number: c.data.number, url: c.data.html_url, action: 'created' };
  } catch (e) {
    throw explainGitHubError(e, mine ? 'update the bisect issue' : 'open the bisect issue', { ...target, number: mine?.number ?? 0 });
  }
}
