import { describe, expect, it } from '@jest/globals';
import { type BisectReportInput, bisectHeadline, renderBisectMarkdown } from './bisect.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const store = { name: 'cam-store', from: '2.0.0', to: '2.1.0' };
const proxy = { name: 'cam-proxy', from: '2.2.0.dev3', to: '2.2.0' };

const input: BisectReportInput = {
  system: 'cam',
  environment: 'integration',
  moved: [store, proxy],
  culprits: [store],
  inseparable: [],
  steps: [
    { moved: [], result: 'passed', reused: true, candidate: D('a'), evidence: D('1') },
    { moved: ['cam-store', 'cam-proxy'], result: 'failed', reused: true, candidate: D('b'), evidence: D('2') },
    { moved: ['cam-store'], result: 'failed', reused: false, candidate: D('c'), evidence: D('3') },
  ],
  runs: 3,
  reused: 2,
  unresolvable: 0,
};

describe('bisect report', () => {
  it('says which leaf broke it in one line, as the issue words it', () => {
    expect(bisectHeadline(input)).toBe('acceptance fails since `cam-store` 2.0.0 → 2.1.0 (3 acceptance runs, 2 reused)');
    expect(bisectHeadline(input, true)).toBe('acceptance fails since cam-store 2.0.0 → 2.1.0 (3 acceptance runs, 2 reused)');
    expect(bisectHeadline({ culprits: [proxy, store], runs: 1, reused: 0, unresolvable: 2 }, true)).toBe(
      'acceptance fails since cam-proxy 2.2.0.dev3 → 2.2.0 and cam-store 2.0.0 → 2.1.0 together (1 acceptance run, 0 reused, 2 intermediate locks could not be resolved)',
    );
  });

  it('renders the headline, the moves and every step for a job summary or comment', () => {
    const md = renderBisectMarkdown(input, { marker: '<!-- karoo-bisect -->' });
    expect(
      md.startsWith(
        '<!-- karoo-bisect -->\n\n### 🔎 Which leaf broke it? cam (integration)\n\n**acceptance fails since `cam-store` 2.0.0 → 2.1.0 (3 acceptance runs, 2 reused)**',
      ),
    ).toBe(true);
    expect(md).toContain('2 leaves moved: `cam-store` 2.0.0 → 2.1.0, `cam-proxy` 2.2.0.dev3 → 2.2.0.');
    expect(md).toContain('| 1 | none (good) | `aaaaaaaaaaaa` | ✅ passed (reused) |');
    expect(md).toContain('| 2 | all 2 (bad) | `bbbbbbbbbbbb` | ❌ failed (reused) |');
    expect(md).toContain('| 3 | `cam-store` 2.1.0 | `cccccccccccc` | ❌ failed |');
  });

  it('keeps a resolver message from breaking the table', () => {
    const md = renderBisectMarkdown({
      ...input,
      steps: [
        ...input.steps,
        { moved: ['cam-proxy'], result: 'unresolvable', reused: false, reason: 'conflicting requirements | a <b>\nnext line' },
      ],
      inseparable: [[store, proxy]],
      unresolvable: 1,
    });
    expect(md).toContain('| 4 | `cam-proxy` 2.2.0 | — | ⚠️ cannot be resolved: conflicting requirements \\| a &lt;b&gt; next line |');
    expect(md).toContain('⚠️ `cam-store`, `cam-proxy` could not be tried apart');
  });
});
