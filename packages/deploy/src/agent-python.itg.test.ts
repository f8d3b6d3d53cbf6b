import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

// The node agent's own Python tests (agent/tests: protocol and error kinds, the command table,
// blobs, release bookkeeping, the wheel installer, installed-tree archives, the modules as one
// file), run with the machine's python3 so that `npm test` fails when they fail.
const agentDir = fileURLToPath(new URL('../agent/', import.meta.url));

describe('agent/tests (python3 -m unittest)', () => {
  it('pass', () => {
    const r = spawnSync('python3', ['-W', 'error::ResourceWarning', '-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
      cwd: agentDir,
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 300_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    if (r.status !== 0) throw new Error(`python3 -m unittest failed (exit ${r.status}):\n${out.slice(-4000)}`);
    const ran = /Ran (\d+) tests?/.exec(out);
    expect(Number(ran?.[1] ?? 0)).toBeGreaterThanOrEqual(70);
    expect(out).toMatch(/\nOK/);
  }, 300_000);
});
