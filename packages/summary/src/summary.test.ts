import { describe, expect, it } from '@jest/globals';
import {
  acceptSummary,
  buildSummary,
  bytes,
  cell,
  changeCounts,
  code,
  count,
  deploySummary,
  duration,
  promoteSummary,
  renderStepSummary,
  resolveSummary,
  testCounts,
} from '@karoo/summary';

describe('markdown pieces', () => {
  it('groups digits as en-US does, for every integer and beyond', () => {
    for (const n of [0, 7, 999, 1000, 12345, 999999, 1000000, -1234, -999, 2 ** 53 - 1, 1234.5, 1e21, NaN])
      expect(count(n)).toBe(n.toLocaleString('en-US'));
  });
  it('keeps table cells and inline code intact whatever the text holds', () => {
    expect(cell('a|b\n<c>')).toBe('a\\|b &lt;c&gt;');
    expect(code('x`y')).toBe('``x`y``');
    expect(code('`edge`')).toBe('`` `edge` ``');
    expect(duration(850)).toBe('850 ms');
    expect(duration(5_250)).toBe('5.3 s');
    expect(duration(185_000)).toBe('3 min 5 s');
    expect(duration(3_720_000)).toBe('1 h 2 min');
    expect(bytes(1_500_000)).toBe('1.50 MB');
    expect(changeCounts({ upgraded: 2, added: 0, unchanged: 5 })).toBe('2 upgraded, 5 unchanged');
  });

  it('folds long tables and leaves out empty facts', () => {
    const md = renderStepSummary({
      title: 'karoo x',
      facts: [
        ['Shown', '1'],
        ['Hidden', ''],
      ],
      tables: [{ caption: 'Rows', header: ['n'], rows: Array.from({ length: 30 }, (_, i) => [String(i)]), foldAfter: 25 }],
    });
    expect(md).toContain('| **Shown** | 1 |');
    expect(md).not.toContain('Hidden');
    expect(md).toContain('<details><summary>Rows (30 rows)</summary>');
    expect(md.match(/^\| \d+ \|$/gm)).toHaveLength(30);
  });
});

describe('step summaries', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  it('resolve: lock digest, leaves and what moved', () => {
    const md = resolveSummary({
      lockDigest: digest,
      packages: 42,
      leaves: [
        { name: 'katcp', version: '1.10', old: '1.2' },
        { name: 'cam', version: '2.0', old: '2.0' },
      ],
      changes: { upgraded: 1, unchanged: 41 },
    });
    expect(md).toContain(`Lock \`${digest}\``);
    expect(md).toContain('| `katcp` | `1.10` | `1.2` |');
    expect(md).toContain('| `cam` | `2.0` | unchanged |');
    expect(md).toContain('1 upgraded, 41 unchanged');
  });
  it('build: new or existed, reuse', () => {
    expect(buildSummary({ candidate: digest, existed: true })).toContain('already in the store, nothing built');
    const md = buildSummary({ candidate: digest, existed: false, blobsReused: 9, blobsUploaded: 1, pushedBytes: 2_000_000 });
    expect(md).toContain('— new');
    expect(md).toContain('| **Blobs reused** | 9 |');
    expect(md).toContain('| **Pushed** | 2.00 MB |');
  });
  it('deploy: per-node results and a verdict', () => {
    const md = deploySummary({
      environment: 'integration',
      candidate: digest,
      systemId: digest,
      nodes: [
        { name: 'm1', role: 'proxy', result: 'success', changed: false },
        { name: 'm2', result: 'failed', detail: 'ssh: timeout' },
      ],
    });
    expect(md).toContain('❌ 1 of 2 node(s) failed');
    expect(md).toContain('| `m2` |  | ❌ failed |  |  | ssh: timeout |');
    expect(md).toContain('no (converged)');
  });
  it('accept and promote', () => {
    expect(acceptSummary({ environment: 'ephemeral', result: 'passed', passed: 10, failed: 0, skipped: 2, durationMs: 61_000 })).toContain(
      '✅ passed: 10 passed, 0 failed, 2 skipped in 1 min 1 s',
    );
    // A run whose counts nobody knows says so instead of claiming zero tests.
    const unknown = acceptSummary({
      environment: 'ephemeral',
      result: 'passed',
      passed: 0,
      failed: 0,
      skipped: 0,
      countsUnknown: true,
      durationMs: 61_000,
    });
    expect(unknown).toContain('✅ passed: counts unknown in 1 min 1 s');
    expect(unknown).not.toContain('0 passed');
    expect(testCounts({ passed: 1234, failed: 1, skipped: 0 })).toBe('1,234 passed, 1 failed, 0 skipped');
    expect(testCounts({ passed: 0, failed: 0, skipped: 0, countsUnknown: true })).toBe('counts unknown');
    const md = promoteSummary({
      candidate: digest,
      to: 'production',
      previous: `sha256:${'cd'.repeat(32)}`,
      gate: [{ environment: 'qualification', requirement: 'passing evidence', met: true }],
    });
    expect(md).toContain('`abababababab` replaces `cdcdcdcdcdcd` in production');
    expect(md).toContain('| qualification | passing evidence | ✅ |  |');
  });
});
