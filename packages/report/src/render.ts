import { cell, changeCounts, code, codeCell, count, details, duration, link, result, shortDigest, table, testCounts } from '@karoo/summary';
import { compareVersionStrings } from '@karoo/lock';
import type { AttestationInfo, Report, ReportChange, ReportDiff } from './model.js';

/** GitHub refuses issue comments longer than this. */
export const COMMENT_LIMIT = 65536;
/** GitHub refuses a step's job summary over 1 MiB; stay below with room for other steps' summaries. */
export const SUMMARY_LIMIT = 1_000_000;

export interface RenderOptions {
  /** Hidden marker placed first (comments only). */
  readonly marker?: string | undefined;
  /** Upper bound in UTF-8 bytes (which is never fewer than the characters GitHub counts). Unlimited when absent. */
  readonly limit?: number | undefined;
  /** Where the untruncated report can be read, named in the truncation note. */
  readonly fullReportHint?: string | undefined;
  /** Tables with more rows than this are folded in `<details>` (default 20). */
  readonly foldAfter?: number | undefined;
}

export interface Rendered {
  readonly markdown: string;
  /** True when rows were left out to fit the limit. */
  readonly truncated: boolean;
  /** Changed packages left out of the lock diff table (0 when complete). */
  readonly omittedRows: number;
}

const CHANGE_LABEL: Record<ReportChange['change'], string> = {
  upgraded: '⬆️ upgraded',
  downgraded: '⬇️ downgraded',
  added: '➕ added',
  removed: '➖ removed',
  rehashed: '♻️ rehashed',
};

/**
 * Renders the report as GitHub-flavoured markdown. With a `limit`, long sections are folded
 * first and then cut row by row (the rows reviewers must not miss — downgrades, rehashes,
 * removals — come first) until the whole fits, with a note saying how many rows are missing
 * and where the full report is. It never fails for length.
 */
export function renderMarkdown(report: Report, options: RenderOptions = {}): Rendered {
  const limit = options.limit;
  const full = compose(report, options, Infinity);
  if (limit === undefined || size(full.markdown) <= limit) return { markdown: full.markdown, truncated: false, omittedRows: 0 };
  // The largest number of rows per table that fits: composing is monotone in rows.
  let lo = 0;
  let hi = Math.max(report.diff.changes.length, ...report.environments.map((e) => e.diff?.changes.length ?? 0), report.leaves.length);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (size(compose(report, options, mid).markdown) <= limit) lo = mid;
    else hi = mid - 1;
  }
  const best = compose(report, options, lo);
  if (size(best.markdown) <= limit) return { markdown: best.markdown, truncated: true, omittedRows: best.omitted };
  // Even without any rows it is too long (a tiny limit): cut the text itself.
  const note = `\n\n_…cut to fit ${count(limit)} characters.${options.fullReportHint ? ` ${options.fullReportHint}` : ''}_\n`;
  return { markdown: cutToBytes(best.markdown, limit - size(note)) + note, truncated: true, omittedRows: report.diff.changes.length };
}

function compose(r: Report, o: RenderOptions, maxRows: number): { markdown: string; omitted: number } {
  const fold = o.foldAfter ?? 20;
  const out: string[] = [];
  let omitted = 0;
  const hint = o.fullReportHint ? ` ${o.fullReportHint}` : '';
  const truncNote = (n: number, what: string) =>
    `_…and ${count(n)} more ${what} not shown: a pull request comment holds at most ${count(COMMENT_LIMIT)} characters.${hint}_`;
  if (o.marker) out.push(o.marker);

  const c = r.candidate;
  const status = c?.status === 'new' ? 'new' : c?.status === 'existed' ? 'already in the store' : '';
  const claimed = r.claims ? " (claimed by a fork's run)" : '';
  out.push(
    c ? `### karoo: candidate ${code(shortDigest(c.digest))}${status ? ` (${status})` : claimed}` : `### karoo: lock report${claimed}`,
  );
  if (r.claims) {
    out.push(
      `> [!WARNING]\n> This pull request comes from a fork (${code(r.claims.headRepository)} at ${code(r.claims.headSha.slice(0, 12))}). ` +
        `The candidate digest and the lock diff below are **claims of the fork's own run** (${link('run', r.claims.runUrl)}), made by code the fork controls; karoo has not checked them. ` +
        'The acceptance evidence and the environments are read from the store, never from that run. ' +
        'Before releasing this candidate, rebuild it from the lock (see *Reproduce*) and compare the digests.',
    );
  }

  const facts: Array<[string, string]> = [];
  if (c) {
    facts.push([
      'Candidate',
      `${codeCell(c.digest)}${c.status === 'new' ? ' — new, built from this lock' : c.status === 'existed' ? ' — existed already: nothing was rebuilt' : ''}`,
    ]);
    if (c.ref) facts.push(['Reference', codeCell(c.ref)]);
  }
  const target = r.lock.target ? ` · Python ${cell(r.lock.target.python)} · ${r.lock.target.platforms.map(codeCell).join(', ')}` : '';
  facts.push(['Lock', `${codeCell(r.lock.digest)} · ${count(r.lock.packages)} packages${target}`]);
  if (r.base) facts.push(['Base', `${r.base.label ? `${codeCell(r.base.label)} · ` : ''}${codeCell(r.base.digest)}`]);
  facts.push([
    'Changes',
    r.base
      ? r.base.digest === r.lock.digest
        ? 'none: same lock as the base'
        : changeCounts(r.diff.counts)
      : 'no base lock to compare with',
  ]);
  for (const e of r.evidence) {
    facts.push([
      `Acceptance${e.environment ? ` (${cell(e.environment)})` : ''}`,
      `${result(e.result)}: ${testCounts(e)} in ${duration(e.durationMs)}${e.runUrl ? ` · ${link('run', e.runUrl)}` : ''}`,
    ]);
  }
  if (!r.evidence.length)
    facts.push([
      'Acceptance',
      r.claims ? "no evidence in the store for this candidate (a fork's run cannot record any)" : 'no evidence yet',
    ]);
  if (r.attestations) facts.push(...signatureFacts(r.attestations));
  out.push(
    table(
      ['', ''],
      facts.map(([k, v]) => [`**${k}**`, v]),
    ),
  );

  if (r.leaves.length) {
    const rows = r.leaves.map((l) => [
      codeCell(l.name),
      l.version ? codeCell(l.version) : '—',
      r.base ? (l.old ? codeCell(l.old) : '—') : '',
      !l.moved ? '' : leafMove(l.old, l.version),
    ]);
    const shown = rows.slice(0, maxRows);
    let body = table(['Leaf', 'Version', 'Base', 'Moved'], shown);
    if (shown.length < rows.length) body += `\n\n${truncNote(rows.length - shown.length, 'leaves')}`;
    const moved = r.leaves.filter((l) => l.moved).length;
    out.push(`#### Leaves (${count(r.leaves.length)}${r.base ? `, ${count(moved)} moved` : ''})`);
    out.push(rows.length > fold ? details(`${count(rows.length)} leaves`, body) : body);
  } else out.push('#### Leaves\n\nThe lock records no leaves.');

  if (r.base && r.diff.changes.length) {
    out.push(`#### Lock diff against ${r.base.label ? code(r.base.label) : 'the base'}`);
    const { body, left } = diffTable(r.diff, maxRows, (n) => truncNote(n, 'changed packages'));
    omitted += left;
    out.push(`${changeCounts(r.diff.counts)}.`);
    out.push(r.diff.changes.length > fold ? details(`${count(r.diff.changes.length)} changed packages`, body) : body);
  }

  if (r.evidence.length) {
    out.push('#### Acceptance evidence');
    out.push(
      table(
        ['Environment', 'Result', 'Passed', 'Failed', 'Skipped', 'Duration', 'Run', 'Evidence'],
        r.evidence.map((e) => [
          cell(e.environment ?? ''),
          result(e.result),
          // Unknown counts are said once, never shown as zeros.
          e.countsUnknown ? 'counts unknown' : count(e.passed),
          e.countsUnknown ? '—' : count(e.failed),
          e.countsUnknown ? '—' : count(e.skipped),
          duration(e.durationMs),
          e.runUrl ? link('run', e.runUrl) : '',
          e.digest ? codeCell(shortDigest(e.digest)) : '',
        ]),
        ['left', 'left', 'right', 'right', 'right', 'right'],
      ),
    );
  }

  if (r.environments.length) {
    out.push('#### Environments');
    out.push(
      table(
        ['Environment', 'Runs', 'System id', 'This candidate compared with it'],
        r.environments.map((e) => [
          `${cell(e.name)}${e.production && e.name !== 'production' ? ' (production)' : ''}`,
          e.candidate ? codeCell(shortDigest(e.candidate)) : 'nothing yet',
          e.systemId ? codeCell(shortDigest(e.systemId)) : '',
          e.same ? 'same candidate' : e.diff ? changeCounts(e.diff.counts) : e.candidate ? 'package diff unknown (lock not available)' : '',
        ]),
      ),
    );
    const prod = r.environments.find((e) => e.production);
    if (prod?.diff && prod.diff.changes.length) {
      const { body } = diffTable(prod.diff, maxRows, (n) => truncNote(n, 'changed packages'), [
        'Package',
        'Change',
        cell(prod.name),
        'This candidate',
      ]);
      out.push(details(`Package diff: ${cell(prod.name)} → this candidate (${changeCounts(prod.diff.counts)})`, body));
    }
  }

  out.push('#### Reproduce');
  out.push(
    `Anyone can rebuild this candidate and check its hash:\n\n\`\`\`sh\n${r.reproduce.command}\n\`\`\`\n\n` +
      `${r.reproduce.candidate ? `gives candidate ${code(r.reproduce.candidate)} ` : 'gives the candidate '}from lock ${code(r.reproduce.lockDigest)}.`,
  );
  return { markdown: `${out.join('\n\n')}\n`, omitted };
}

function diffTable(
  d: ReportDiff,
  maxRows: number,
  note: (n: number) => string,
  header = ['Package', 'Change', 'Base', 'This PR'],
): { body: string; left: number } {
  const shown = d.changes.slice(0, maxRows);
  const rows = shown.map((c) => [
    `${codeCell(c.name)}${c.leaf ? ' (leaf)' : ''}`,
    CHANGE_LABEL[c.change],
    c.old ? codeCell(c.old) : '—',
    c.new ? codeCell(c.new) : '—',
  ]);
  const left = d.changes.length - shown.length;
  let body = shown.length ? table(header, rows) : '';
  if (left > 0) body += `${body ? '\n\n' : ''}${note(left)}`;
  return { body, left };
}

function leafMove(old: string | null, cur: string | null): string {
  if (!old) return '➕ new leaf';
  if (!cur) return '➖ no longer a leaf';
  const c = compareVersionStrings(old, cur);
  return `${c < 0 ? '⬆️' : c > 0 ? '⬇️' : '♻️'} ${codeCell(old)} → ${codeCell(cur)}`;
}

function size(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Cuts a string to at most n UTF-8 bytes without splitting a character. */
function cutToBytes(s: string, n: number): string {
  if (n <= 0) return '';
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= n) return s;
  let end = n;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** The report as JSON: each changed package with its `change` and old and new versions. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * Whether the candidate's provenance and its evidence are signed, by whom, and whether the
 * signature verified here: one line each, "not signed" when there is none.
 */
export function signatureFacts(atts: readonly AttestationInfo[]): Array<[string, string]> {
  const prov = atts.filter((a) => a.kind === 'provenance');
  const tests = atts.filter((a) => a.kind === 'test-result');
  const other = atts.filter((a) => a.kind === 'other');
  const lines = (xs: readonly AttestationInfo[], label: (a: AttestationInfo) => string) =>
    xs.map((a) => `${label(a)}${signatureStatus(a)}`).join('<br>');
  return [
    ['Provenance', prov.length ? lines(prov, () => '') : '⚠️ not signed'],
    [
      'Evidence signatures',
      tests.length
        ? lines(tests, (a) =>
            a.environment || a.result ? `${cell([a.environment, a.result?.toLowerCase()].filter(Boolean).join(' '))}: ` : '',
          )
        : 'no signed test result',
    ],
    ...(other.length ? [['Other attestations', lines(other, () => '')] as [string, string]] : []),
  ];
}

function signatureStatus(a: AttestationInfo): string {
  const by = a.signer ? ` ${codeCell(a.signing === 'key' && a.signer.length > 16 ? `${a.signer.slice(0, 16)}…` : a.signer)}` : '';
  if (a.signing === 'key')
    return a.verified ? `✅ signed with key${by}, verified` : `❌ signed with key${by}, does not verify: ${cell(a.reason)}`;
  if (a.signing === 'keyless') {
    const who = a.signer ? ` by${by}` : '';
    if (a.verified) return `✅ signed (keyless)${who}, verified`;
    // No trusted root to check a Sigstore certificate against: say so rather than call it bad.
    return a.checked === false
      ? `🔏 signed (keyless)${who}, not verified here`
      : `❌ signed (keyless)${who}, does not verify: ${cell(a.reason)}`;
  }
  return `❌ unreadable attestation ${codeCell(shortDigest(a.digest))}: ${cell(a.reason)}`;
}
