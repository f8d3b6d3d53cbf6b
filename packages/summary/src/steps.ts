import { bytes, cell, code, codeCell, count, details, duration, link, result, shortDigest, table, type Align } from './markdown.js';

/** One fact of a step: a label and an already-formatted markdown value. */
export type Fact = readonly [label: string, value: string];

export interface SummaryTable {
  readonly caption?: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly align?: readonly Align[];
  /** Rows beyond this are folded in `<details>` (default 25). */
  readonly foldAfter?: number;
}

export interface StepSummary {
  /** `karoo resolve`, `karoo build`, … */
  readonly title: string;
  /** A one-line verdict under the title, e.g. the candidate digest or the result. */
  readonly headline?: string;
  readonly facts?: readonly Fact[];
  readonly tables?: readonly SummaryTable[];
  /** Short paragraphs after the tables. */
  readonly notes?: readonly string[];
}

/**
 * Renders a step's job summary: a title, a facts table and result tables. Every karoo step
 * writes its summary through this one function so that they read alike; the action adds it
 * with `core.summary.addRaw(markdown).write()`.
 */
export function renderStepSummary(s: StepSummary): string {
  const out: string[] = [`### ${s.title}`];
  if (s.headline) out.push(s.headline);
  const facts = (s.facts ?? []).filter(([, v]) => v !== '');
  if (facts.length)
    out.push(
      table(
        ['', ''],
        facts.map(([k, v]) => [`**${cell(k)}**`, v]),
      ),
    );
  for (const t of s.tables ?? []) {
    const fold = t.foldAfter ?? 25;
    const body = table(t.header, t.rows, t.align);
    if (t.rows.length > fold) out.push(details(`${cell(t.caption ?? 'Details')} (${count(t.rows.length)} rows)`, body));
    else out.push(t.caption ? `**${cell(t.caption)}**\n\n${body}` : body);
  }
  for (const n of s.notes ?? []) out.push(n);
  return `${out.join('\n\n')}\n`;
}

export interface ResolveSummaryInput {
  readonly lockDigest: string;
  readonly packages: number;
  readonly leaves: ReadonlyArray<{ name: string; version: string; old?: string | undefined }>;
  readonly target?: { python: string; platforms: readonly string[] } | undefined;
  /** True when the inputs were unchanged and the lock was reused without resolving. */
  readonly reused?: boolean;
  readonly lockPath?: string;
  readonly durationMs?: number;
  /** Counts from the diff against the previous lock, when there is one. */
  readonly changes?: Readonly<Partial<Record<'added' | 'removed' | 'upgraded' | 'downgraded' | 'rehashed' | 'unchanged', number>>>;
}

export function resolveSummary(r: ResolveSummaryInput): string {
  return renderStepSummary({
    title: 'karoo resolve',
    headline: `Lock ${code(r.lockDigest)}${r.reused ? ' — inputs unchanged, lock reused' : ''}`,
    facts: [
      ['Lock file', r.lockPath ? code(r.lockPath) : ''],
      ['Packages', count(r.packages)],
      ['Target', r.target ? `Python ${cell(r.target.python)}, ${r.target.platforms.map(codeCell).join(', ')}` : ''],
      ['Changes', r.changes ? changeCounts(r.changes) : ''],
      ['Time', r.durationMs === undefined ? '' : duration(r.durationMs)],
    ],
    tables: r.leaves.length
      ? [
          {
            caption: 'Leaves',
            header: ['Leaf', 'Version', 'Before'],
            rows: r.leaves.map((l) => [
              codeCell(l.name),
              codeCell(l.version),
              l.old === undefined ? '' : l.old === l.version ? 'unchanged' : codeCell(l.old),
            ]),
          },
        ]
      : [],
  });
}

export interface BuildSummaryInput {
  readonly candidate: string;
  readonly ref?: string;
  readonly existed: boolean;
  readonly lockDigest?: string;
  readonly size?: number;
  readonly blobsReused?: number;
  readonly blobsUploaded?: number;
  readonly pushedBytes?: number;
  readonly durationMs?: number;
}

export function buildSummary(r: BuildSummaryInput): string {
  return renderStepSummary({
    title: 'karoo build',
    headline: `Candidate ${code(shortDigest(r.candidate))} — ${r.existed ? 'already in the store, nothing built' : 'new'}`,
    facts: [
      ['Candidate', code(r.candidate)],
      ['Reference', r.ref ? code(r.ref) : ''],
      ['Lock', r.lockDigest ? code(r.lockDigest) : ''],
      ['Size', r.size === undefined ? '' : bytes(r.size)],
      ['Blobs reused', r.blobsReused === undefined ? '' : count(r.blobsReused)],
      ['Blobs uploaded', r.blobsUploaded === undefined ? '' : count(r.blobsUploaded)],
      ['Pushed', r.pushedBytes === undefined ? '' : bytes(r.pushedBytes)],
      ['Time', r.durationMs === undefined ? '' : duration(r.durationMs)],
    ],
  });
}

export interface DeploySummaryInput {
  readonly environment: string;
  readonly candidate: string;
  readonly systemId: string;
  readonly nodes: ReadonlyArray<{ name: string; role?: string; result: string; changed?: boolean; durationMs?: number; detail?: string }>;
}

export function deploySummary(r: DeploySummaryInput): string {
  const failed = r.nodes.filter((n) => n.result !== 'success' && n.result !== 'passed' && n.result !== 'ok');
  return renderStepSummary({
    title: `karoo deploy — ${cell(r.environment)}`,
    headline: failed.length
      ? `❌ ${failed.length} of ${r.nodes.length} node(s) failed`
      : `✅ ${r.nodes.length} node(s) at system ${code(shortDigest(r.systemId))}`,
    facts: [
      ['Candidate', code(r.candidate)],
      ['System id', code(r.systemId)],
    ],
    tables: [
      {
        caption: 'Nodes',
        header: ['Node', 'Role', 'Result', 'Changed', 'Time', 'Detail'],
        rows: r.nodes.map((n) => [
          codeCell(n.name),
          cell(n.role),
          result(n.result),
          n.changed === undefined ? '' : n.changed ? 'yes' : 'no (converged)',
          n.durationMs === undefined ? '' : duration(n.durationMs),
          cell(n.detail),
        ]),
      },
    ],
  });
}

export interface AcceptSummaryInput {
  readonly environment: string;
  readonly result: string;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** The run's counts are not known (no JUnit file, no summary line in its output): the numbers are zeros that mean nothing. */
  readonly countsUnknown?: boolean;
  readonly durationMs: number;
  readonly candidate?: string;
  readonly systemId?: string;
  readonly evidence?: string;
  readonly runUrl?: string;
  /** Failed test ids, listed in a table. */
  readonly failures?: ReadonlyArray<{ test: string; message?: string }>;
}

export function acceptSummary(r: AcceptSummaryInput): string {
  return renderStepSummary({
    title: `karoo accept — ${cell(r.environment)}`,
    headline: `${result(r.result)}: ${testCounts(r)} in ${duration(r.durationMs)}`,
    facts: [
      ['Candidate', r.candidate ? code(r.candidate) : ''],
      ['System id', r.systemId ? code(r.systemId) : ''],
      ['Evidence', r.evidence ? code(r.evidence) : ''],
      ['Run', r.runUrl ? link('workflow run', r.runUrl) : ''],
    ],
    tables: r.failures?.length
      ? [{ caption: 'Failures', header: ['Test', 'Message'], rows: r.failures.map((f) => [codeCell(f.test), cell(f.message)]) }]
      : [],
  });
}

export interface PromoteSummaryInput {
  readonly candidate: string;
  readonly to: string;
  readonly previous?: string;
  readonly systemId?: string;
  readonly reason?: string;
  readonly actor?: string;
  readonly deploymentUrl?: string;
  /** The gate's checks: evidence and soak time per earlier environment. */
  readonly gate?: ReadonlyArray<{ environment: string; requirement: string; met: boolean; detail?: string }>;
}

export function promoteSummary(r: PromoteSummaryInput): string {
  return renderStepSummary({
    title: `karoo promote → ${cell(r.to)}`,
    headline: `${code(shortDigest(r.candidate))} ${r.previous ? `replaces ${code(shortDigest(r.previous))}` : 'is the first candidate'} in ${cell(r.to)}`,
    facts: [
      ['Candidate', code(r.candidate)],
      ['Previous', r.previous ? code(r.previous) : ''],
      ['System id', r.systemId ? code(r.systemId) : ''],
      ['Reason', cell(r.reason)],
      ['Actor', cell(r.actor)],
      ['Deployment', r.deploymentUrl ? link('deployment', r.deploymentUrl) : ''],
    ],
    tables: r.gate?.length
      ? [
          {
            caption: 'Gate',
            header: ['Environment', 'Requirement', 'Met', 'Detail'],
            rows: r.gate.map((g) => [cell(g.environment), cell(g.requirement), g.met ? '✅' : '❌', cell(g.detail)]),
          },
        ]
      : [],
  });
}

/** A test run's counts for people: `4 passed, 0 failed, 1 skipped`, or `counts unknown` (never zeros that were not counted). */
export function testCounts(c: {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly countsUnknown?: boolean | undefined;
}): string {
  return c.countsUnknown ? 'counts unknown' : `${count(c.passed)} passed, ${count(c.failed)} failed, ${count(c.skipped)} skipped`;
}

/** `3 upgraded, 1 downgraded, 2 added, 120 unchanged` — zero counts left out. */
export function changeCounts(c: Readonly<Partial<Record<string, number>>>): string {
  const order = ['upgraded', 'downgraded', 'added', 'removed', 'rehashed', 'unchanged'];
  const parts = order.filter((k) => (c[k] ?? 0) > 0).map((k) => `${count(c[k]!)} ${k}`);
  return parts.length ? parts.join(', ') : 'no packages';
}
