import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { formatCounts } from '@karoo/evidence';
import { countsFromOutput, Tail } from './counts.js';

// Real output of the test runners where they are on this machine (unittest always is), and
// pytest's summary lines as pytest prints them.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'karoo-counts-test-'));
  writeFileSync(
    join(dir, 'test_mixed.py'),
    [
      'import unittest',
      'class T(unittest.TestCase):',
      '    def test_ok(self): pass',
      '    def test_ok2(self): pass',
      '    def test_fails(self): self.assertEqual(1, 2)',
      '    def test_errors(self): raise RuntimeError("boom")',
      '    @unittest.skip("not here")',
      '    def test_skipped(self): pass',
      '    @unittest.expectedFailure',
      '    def test_xfail(self): self.assertEqual(1, 2)',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'test_green.py'),
    'import unittest\nclass T(unittest.TestCase):\n    def test_a(self): pass\n    def test_b(self): pass\n    @unittest.skip("x")\n    def test_c(self): pass\n',
  );
  writeFileSync(join(dir, 'test_empty.py'), 'import unittest\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The system interpreter when there is one (a pyenv shim costs a second per start); pytest wherever it is installed.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function python(args: string[], interpreter = PYTHON): string {
  const r = spawnSync(interpreter, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  return `${r.stdout}${r.stderr}`;
}

describe('countsFromOutput', () => {
  test("unittest's real summary: Ran N tests, then FAILED (failures, errors, skipped, expected failures)", () => {
    const out = python(['-m', 'unittest', '-v', 'test_mixed']);
    expect(out).toMatch(/^FAILED \(failures=1, errors=1, skipped=1, expected failures=1\)$/m);
    expect(countsFromOutput(out)).toEqual({ tests: 6, passed: 2, failed: 1, errors: 1, skipped: 2, source: 'output' });
  });

  test("unittest's real summary: OK (skipped=1)", () => {
    const out = python(['-m', 'unittest', 'test_green']);
    expect(out).toMatch(/^OK \(skipped=1\)$/m);
    expect(countsFromOutput(out)).toEqual({ tests: 3, passed: 2, failed: 0, errors: 0, skipped: 1, source: 'output' });
  });

  test('unittest running no test is zero tests, not unknown', () => {
    const out = python(['-m', 'unittest', 'test_empty']);
    expect(out).toMatch(/^Ran 0 tests in /m);
    expect(countsFromOutput(out)).toMatchObject({ tests: 0, source: 'output' });
    expect(countsFromOutput('Ran 0 tests in 0.000s\n\nNO TESTS RAN\n')).toMatchObject({ tests: 0, source: 'output' });
  });

  test("pytest's summary lines, with and without the rule", () => {
    expect(countsFromOutput('collected 6 items\n\n=== 3 passed, 1 failed, 2 skipped in 0.12s ===\n')).toEqual({
      tests: 6,
      passed: 3,
      failed: 1,
      errors: 0,
      skipped: 2,
      source: 'output',
    });
    expect(countsFromOutput('FAILED test_x.py::T::test_b - AssertionError\n2 failed, 1 passed, 1 skipped, 1 xfailed in 3.67s\n')).toEqual({
      tests: 5,
      passed: 1,
      failed: 2,
      errors: 0,
      skipped: 2,
      source: 'output',
    });
    expect(countsFromOutput('========== 1 failed, 4 passed, 2 errors, 3 warnings in 61.02s (0:01:01) ==========')).toEqual({
      tests: 7,
      passed: 4,
      failed: 1,
      errors: 2,
      skipped: 0,
      source: 'output',
    });
    expect(countsFromOutput('\x1b[32m\x1b[1m12 passed\x1b[0m\x1b[32m in 0.50s\x1b[0m\n')).toMatchObject({ tests: 12, passed: 12 });
    expect(countsFromOutput('============================ no tests ran in 0.01s =============================')).toMatchObject({
      tests: 0,
      source: 'output',
    });
  });

  const pytest = spawnSync('python3', ['-c', 'import pytest'], { encoding: 'utf8' }).status === 0;
  (pytest ? test : test.skip)("pytest's real output (where pytest is installed)", () => {
    const out = python(['-m', 'pytest', '-p', 'no:cacheprovider', 'test_mixed.py'], 'python3');
    // pytest counts an exception in a test as failed (errors are for fixtures and collection) and an expected failure as xfailed.
    expect(out).toMatch(/=+ 2 failed, 2 passed, 1 skipped, 1 xfailed in [0-9.]+s =+/);
    expect(countsFromOutput(out)).toEqual({ tests: 6, passed: 2, failed: 2, errors: 0, skipped: 2, source: 'output' });
  });

  test("karoo's plain closing line, the last summary wins, and output without one has unknown counts", () => {
    expect(countsFromOutput('test a ... ok\n4 passed, 0 failed\n')).toEqual({
      tests: 4,
      passed: 4,
      failed: 0,
      errors: 0,
      skipped: 0,
      source: 'output',
    });
    expect(countsFromOutput('1 passed, 1 failed, 2 skipped\n')).toEqual({
      tests: 4,
      passed: 1,
      failed: 1,
      errors: 0,
      skipped: 2,
      source: 'output',
    });
    expect(countsFromOutput('3 passed, 1 failed\nretrying\n4 passed, 0 failed\ndone\n')).toMatchObject({ passed: 4, failed: 0 });
    for (const none of ['', 'all good\n', 'passed\n', '3 apples, 2 pears\n', '2 skipped\n']) expect(countsFromOutput(none)).toBeUndefined();
  });

  test('formatCounts says "counts unknown" rather than zeros', () => {
    expect(formatCounts({ tests: 0, passed: 0, failed: 0, errors: 0, skipped: 0, source: 'unknown' })).toBe('counts unknown');
    expect(formatCounts({ tests: 5, passed: 3, failed: 1, errors: 1, skipped: 0, source: 'output' })).toBe('3 passed, 2 failed, 0 skipped');
  });
});

describe('Tail', () => {
  test('keeps the end of a long output, so the closing summary is found', () => {
    const t = new Tail(1024);
    for (let i = 0; i < 500; i++) t.push(Buffer.from(`line ${i} of chatter\n`));
    t.push(Buffer.from('7 passed, 0 failed\n'));
    expect(t.toString().length).toBeLessThanOrEqual(1024);
    expect(countsFromOutput(t.toString())).toMatchObject({ passed: 7 });
  });
});
