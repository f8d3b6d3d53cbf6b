import { describe, expect, it } from '@jest/globals';
import { hexOf, sha256Of } from '@karoo/common';
import { Lock, compareVersionStrings, type LockedPackage } from '@karoo/lock';
import {
  buildReport,
  COMMENT_LIMIT,
  parseReport,
  renderJson,
  renderMarkdown,
  reportMarker,
  SUMMARY_LIMIT,
  type Report,
} from '@karoo/report';

function pkg(name: string, version: string, salt = ''): LockedPackage {
  const file = `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`;
  return { name, version, files: [{ name: file, url: `https://pypi.example/${file}`, sha256: hexOf(sha256Of(file + salt)), size: 1000 }] };
}

const CANDIDATE = sha256Of('candidate');

/** A base and a head lock whose differences are known in advance, independent of diffLocks. */
function fixture() {
  const base = Lock.create(
    [
      pkg('katcp', '1.2.0'),
      pkg('numpy', '1.26.4'),
      pkg('tornado', '6.4'),
      pkg('six', '1.16.0'),
      pkg('old-thing', '0.3'),
      pkg('requests', '2.32.3'),
      pkg('pyyaml', '6.0.1'),
    ],
    { leaves: { katcp: '1.2.0' }, target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'] } },
  );
  const head = Lock.create(
    [
      pkg('katcp', '1.10.0'), // upgraded leaf (1.10 > 1.2 numerically, not as strings)
      pkg('numpy', '1.26.4'), // unchanged
      pkg('tornado', '6.3.3'), // downgraded
      pkg('six', '1.16.0'), // unchanged
      pkg('requests', '2.32.3', 'other bytes'), // rehashed
      pkg('pyyaml', '6.0.2rc1'), // upgraded to a pre-release (6.0.2rc1 > 6.0.1)
      pkg('cam-proxy', '1.0.0'), // added leaf
    ],
    { leaves: { katcp: '1.10.0', 'cam-proxy': '1.0.0' }, target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'] } },
  );
  const expected: Record<string, [string, string | undefined, string | undefined]> = {
    katcp: ['upgraded', '1.2.0', '1.10.0'],
    tornado: ['downgraded', '6.4', '6.3.3'],
    requests: ['rehashed', '2.32.3', '2.32.3'],
    pyyaml: ['upgraded', '6.0.1', '6.0.2rc1'],
    'cam-proxy': ['added', undefined, '1.0.0'],
    'old-thing': ['removed', '0.3', undefined],
  };
  return { base, head, expected };
}

/** Rows of the first markdown table whose header starts with `| first |` (or `| first | second |`). */
function tableRows(md: string, ...header: string[]): string[][] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${header.join(' | ')} |`));
  expect(start).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
    rows.push(
      lines[i]!.slice(2, -2)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const unquote = (c: string) => (c === '—' ? undefined : c.replace(/^`|`$/g, ''));

describe('report rendering', () => {
  it('shows the candidate, every changed package with the right direction, and only counts the unchanged', () => {
    const { base, head, expected } = fixture();
    const report = buildReport({
      head,
      base,
      baseLabel: 'main',
      candidate: { digest: CANDIDATE, existed: false },
      store: 'ghcr.io/acme/cam',
      lockPath: 'pylock.toml',
    });
    const { markdown, truncated } = renderMarkdown(report, { marker: reportMarker(), limit: COMMENT_LIMIT });
    expect(truncated).toBe(false);
    expect(markdown.startsWith('<!-- karoo:report -->\n')).toBe(true);
    expect(markdown).toContain(`\`${hexOf(CANDIDATE).slice(0, 12)}\` (new)`);
    expect(markdown).toContain(`\`${CANDIDATE}\``);
    expect(markdown).toContain(`\`ghcr.io/acme/cam@${CANDIDATE}\``);

    const rows = tableRows(markdown, 'Package');
    const seen = new Map(rows.map((r) => [r[0]!.replace(/`/g, '').replace(' (leaf)', ''), r]));
    expect([...seen.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, [change, from, to]] of Object.entries(expected)) {
      const r = seen.get(name)!;
      expect(r[1]).toContain(change);
      expect(unquote(r[2]!)).toBe(from);
      expect(unquote(r[3]!)).toBe(to);
      // The direction the table claims agrees with PEP 440 ordering of its own columns.
      if (from && to && change !== 'rehashed') expect(Math.sign(compareVersionStrings(from, to))).toBe(change === 'upgraded' ? -1 : 1);
    }
    expect(seen.get('katcp')![0]).toContain('(leaf)');
    // Unchanged packages are counted, never listed.
    expect(markdown).toContain('2 unchanged');
    expect(markdown).not.toMatch(/`numpy`|`six`/);
    // Leaves and which moved.
    const leaves = tableRows(markdown, 'Leaf');
    expect(leaves).toEqual([
      ['`cam-proxy`', '`1.0.0`', '—', '➕ new leaf'],
      ['`katcp`', '`1.10.0`', '`1.2.0`', '⬆️ `1.2.0` → `1.10.0`'],
    ]);
    expect(markdown).toContain('#### Leaves (2, 2 moved)');
    // Reproducibility: the lock digest and the command.
    expect(markdown).toContain('karoo build --lock pylock.toml --store ghcr.io/acme/cam');
    expect(markdown).toContain(`from lock \`${head.digest}\``);
  });

  it('lists the rows reviewers must not miss first: downgrades, rehashes, removals', () => {
    const { base, head } = fixture();
    const report = buildReport({ head, base });
    expect(report.diff.changes.map((c) => c.change)).toEqual(['downgraded', 'rehashed', 'removed', 'upgraded', 'upgraded', 'added']);
  });

  it('prints JSON with each changed package, its change and old and new versions', () => {
    const { base, head, expected } = fixture();
    const json = JSON.parse(renderJson(buildReport({ head, base, candidate: { digest: CANDIDATE, existed: true } }))) as Report;
    expect(json.schema).toBe('karoo.report/v1');
    expect(json.candidate).toEqual({ digest: CANDIDATE, ref: null, status: 'existed' });
    const got = Object.fromEntries(json.diff.changes.map((c) => [c.name, [c.change, c.old, c.new]]));
    expect(got).toEqual(expected);
    expect(json.diff.counts).toEqual({ added: 1, removed: 1, upgraded: 2, downgraded: 1, rehashed: 1, unchanged: 2 });
    expect(json.reproduce.lockDigest).toBe(head.digest);
  });

  it('says "counts unknown" for a run whose counts nobody knows, never zeros', () => {
    const { base, head } = fixture();
    const report = buildReport({
      head,
      base,
      candidate: { digest: CANDIDATE },
      evidence: [
        { result: 'passed', passed: 0, failed: 0, skipped: 0, countsUnknown: true, durationMs: 4_000, environment: 'ephemeral' },
        { result: 'passed', passed: 7, failed: 0, skipped: 0, durationMs: 5_000, environment: 'integration' },
      ],
    });
    const md = renderMarkdown(report).markdown;
    expect(md).toContain('| **Acceptance (ephemeral)** | ✅ passed: counts unknown in 4.0 s |');
    expect(md).toContain('| **Acceptance (integration)** | ✅ passed: 7 passed, 0 failed, 0 skipped in 5.0 s |');
    expect(tableRows(md, 'Environment', 'Result')).toEqual([
      ['ephemeral', '✅ passed', 'counts unknown', '—', '—', '4.0 s', '', ''],
      ['integration', '✅ passed', '7', '0', '0', '5.0 s', '', ''],
    ]);
    expect(md).not.toContain('0 passed');
  });

  it('shows evidence, what each environment runs and the diff against production', () => {
    const { base, head } = fixture();
    const prodCandidate = sha256Of('prod');
    const report = buildReport({
      head,
      base,
      candidate: { digest: CANDIDATE },
      evidence: [
        {
          result: 'failed',
          passed: 40,
          failed: 2,
          skipped: 1,
          durationMs: 185_000,
          runUrl: 'https://github.com/acme/cam/actions/runs/9',
          environment: 'ephemeral',
        },
      ],
      environments: [
        { name: 'integration', candidate: CANDIDATE, systemId: sha256Of('sys-int') },
        { name: 'qualification' },
        { name: 'production', candidate: prodCandidate, systemId: sha256Of('sys-prod'), lock: base },
      ],
    });
    const md = renderMarkdown(report).markdown;
    expect(md).toContain('❌ failed: 40 passed, 2 failed, 1 skipped in 3 min 5 s · [run](https://github.com/acme/cam/actions/runs/9)');
    const byName = Object.fromEntries(tableRows(md, 'Environment', 'Runs').map((r) => [r[0], r]));
    expect(tableRows(md, 'Environment', 'Result')).toEqual([
      ['ephemeral', '❌ failed', '40', '2', '1', '3 min 5 s', '[run](https://github.com/acme/cam/actions/runs/9)', ''],
    ]);
    expect(byName['integration']![3]).toBe('same candidate');
    expect(byName['qualification']![1]).toBe('nothing yet');
    expect(byName['production']![1]).toBe(`\`${hexOf(prodCandidate).slice(0, 12)}\``);
    expect(byName['production']![3]).toBe('2 upgraded, 1 downgraded, 1 added, 1 removed, 1 rehashed, 2 unchanged');
    expect(md).toMatch(/<details><summary>Package diff: production → this candidate/);
    // The table inside the production <details>, not the main diff table before it. Production
    // runs the base lock here, so its package diff is the same as the lock diff, row for row.
    const prodTable = tableRows(md.slice(md.indexOf('<details><summary>Package diff: production')), 'Package');
    expect(prodTable).toHaveLength(6);
    expect(prodTable).toEqual(tableRows(md, 'Package'));
  });

  it('says when there is no base lock and when nothing changed', () => {
    const { head } = fixture();
    const noBase = renderMarkdown(buildReport({ head })).markdown;
    expect(noBase).toContain('no base lock to compare with');
    expect(noBase).not.toContain('#### Lock diff');
    const same = renderMarkdown(buildReport({ head, base: head, baseLabel: 'main' })).markdown;
    expect(same).toContain('none: same lock as the base');
  });

  it('fits a 10,000-package diff into one comment: folded, truncated with a note, never too long', () => {
    const n = 10_000;
    const names = Array.from({ length: n }, (_, i) => `package-number-${String(i).padStart(5, '0')}`);
    const base = Lock.create(names.map((x) => pkg(x, '1.0.0')));
    const head = Lock.create(names.map((x, i) => pkg(x, i % 3 === 0 ? '0.9.0' : '1.1.0')));
    const report = buildReport({ head, base, candidate: { digest: CANDIDATE, existed: false }, store: 'oci-layout:./store' });
    const comment = renderMarkdown(report, {
      marker: reportMarker(),
      limit: COMMENT_LIMIT,
      fullReportHint: 'The full diff is in the job summary.',
    });
    expect(comment.truncated).toBe(true);
    expect(Buffer.byteLength(comment.markdown)).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(comment.markdown.length).toBeGreaterThan(COMMENT_LIMIT * 0.8);
    expect(comment.markdown).toMatch(/<details><summary>10,000 changed packages<\/summary>/);
    expect(comment.markdown).toMatch(
      new RegExp(`and ${comment.omittedRows.toLocaleString('en-US')} more changed packages not shown.*The full diff is in the job summary`),
    );
    const shown = tableRows(comment.markdown, 'Package').length;
    expect(shown + comment.omittedRows).toBe(n);
    // Downgrades come first, so what is cut is upgrades.
    expect(tableRows(comment.markdown, 'Package').every((r) => r[1]!.includes('downgraded'))).toBe(true);
    // The reproduce section survives the cut.
    expect(comment.markdown).toContain('karoo build --lock pylock.toml --store oci-layout:./store');

    const summary = renderMarkdown(report, { limit: SUMMARY_LIMIT });
    expect(summary.truncated).toBe(false);
    expect(tableRows(summary.markdown, 'Package')).toHaveLength(n);
  });

  it('cuts even a tiny limit without splitting characters', () => {
    const { base, head } = fixture();
    const r = renderMarkdown(buildReport({ head, base, candidate: { digest: CANDIDATE } }), { limit: 400 });
    expect(Buffer.byteLength(r.markdown)).toBeLessThanOrEqual(400);
    expect(r.markdown).not.toContain('\uFFFD');
    expect(r.truncated).toBe(true);
  });

  it('escapes environment names and refuses a bad report key', () => {
    const { head } = fixture();
    const md = renderMarkdown(buildReport({ head, environments: [{ name: 'a|b<script>' }] })).markdown;
    expect(md).toContain('a\\|b&lt;script&gt;');
    expect(() => reportMarker('x -->')).toThrow(/report key/);
    expect(reportMarker('cam')).toBe('<!-- karoo:report key=cam -->');
  });
});

describe('signatures in the report', () => {
  const KEYID = 'SHA256:' + 'k'.repeat(43);
  const head = () => fixture().head;
  const att = (o: Partial<import('@karoo/report').AttestationInfo>): import('@karoo/report').AttestationInfo => ({
    digest: sha256Of(JSON.stringify(o)),
    kind: 'provenance',
    signing: 'key',
    verified: true,
    ...o,
  });
  const facts = (attestations?: readonly import('@karoo/report').AttestationInfo[]) =>
    renderMarkdown(buildReport({ head: head(), candidate: { digest: CANDIDATE }, attestations }))
      .markdown.split('\n')
      .filter((l) => /^\| \*\*(Provenance|Evidence signatures|Other attestations)\*\*/.test(l));

  it('says for provenance and evidence whether each is signed, by whom, and whether it verified here', () => {
    expect(
      facts([
        att({ signer: KEYID }),
        att({
          kind: 'test-result',
          signing: 'keyless',
          verified: false,
          checked: false,
          signer: 'acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main',
          environment: 'integration',
          result: 'PASSED',
          reason: 'no trusted root is configured',
        }),
        att({
          kind: 'test-result',
          signer: KEYID,
          environment: 'qualification',
          result: 'FAILED',
          verified: false,
          reason: 'the signature does not verify with any trusted key',
        }),
      ]),
    ).toEqual([
      `| **Provenance** | ✅ signed with key \`${KEYID.slice(0, 16)}…\`, verified |`,
      '| **Evidence signatures** | integration passed: 🔏 signed (keyless) by `acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main`, not verified here' +
        `<br>qualification failed: ❌ signed with key \`${KEYID.slice(0, 16)}…\`, does not verify: the signature does not verify with any trusted key |`,
    ]);
  });

  it('calls a keyless bundle verified or bad only when it was checked against a trusted root', () => {
    const who = 'acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main';
    expect(facts([att({ signing: 'keyless', signer: who })])[0]).toBe(`| **Provenance** | ✅ signed (keyless) by \`${who}\`, verified |`);
    expect(
      facts([att({ signing: 'keyless', signer: who, verified: false, reason: 'certificate not issued by the trusted Fulcio CA' })])[0],
    ).toBe(`| **Provenance** | ❌ signed (keyless) by \`${who}\`, does not verify: certificate not issued by the trusted Fulcio CA |`);
  });

  it('says "not signed" when the store holds no attestation, and nothing when none were looked up', () => {
    expect(facts([])).toEqual(['| **Provenance** | ⚠️ not signed |', '| **Evidence signatures** | no signed test result |']);
    expect(facts(undefined)).toEqual([]);
    // A report file cannot vouch for signatures: parsing one drops them.
    const r = buildReport({ head: head(), candidate: { digest: CANDIDATE }, attestations: [att({ signer: KEYID })] });
    expect(JSON.parse(renderJson(r)).attestations).toHaveLength(1);
    expect(parseReport(JSON.parse(renderJson(r)), 'report.json').attestations).toBeUndefined();
  });

  it('escapes what a statement names, so a forged identity cannot inject markup', () => {
    const [, line] = facts([
      att({ kind: 'test-result', signing: 'keyless', verified: false, checked: false, signer: 'x` | <img src=x>', environment: 'a|b' }),
    ]);
    // Inside a code span (fence longer than any backtick run in it) markup is text, and the table's pipes are escaped.
    expect(line).toBe('| **Evidence signatures** | a\\|b: 🔏 signed (keyless) by ``x` \\| <img src=x>``, not verified here |');
  });
});
