import { describe, expect, it, jest } from '@jest/globals';
import { main } from './main.js';

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    return { code: await main(args), stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('numeric options', () => {
  // Each used to become its default (`Number(x) || 8`) or NaN without a word.
  it.each([
    [
      ['deploy', '--inventory', 'i.json', '--candidate', 'sha256:x', '--wait', 'soon'],
      "option '--wait <seconds>' argument 'soon'",
      'seconds from 1 to 86400',
    ],
    [
      ['deploy', '--inventory', 'i.json', '--candidate', 'sha256:x', '--wait', '0'],
      "option '--wait <seconds>' argument '0'",
      'seconds from 1 to 86400',
    ],
    [
      ['deploy', '--inventory', 'i.json', '--candidate', 'sha256:x', '--parallel', '-3'],
      "option '--parallel <n>' argument '-3'",
      'nodes from 1 to 1000',
    ],
    [['rollback', '--inventory', 'i.json', '--parallel', '2.5'], "option '--parallel <n>' argument '2.5'", 'nodes from 1 to 1000'],
    [['build', '--concurrency', 'many'], "option '--concurrency <n>' argument 'many'", 'transfers from 1 to 64'],
    [['rebuild', 'sha256:x', '--concurrency', '0x10'], "option '--concurrency <n>' argument '0x10'", 'transfers from 1 to 64'],
    [['provision', '--boot-timeout', '1e3'], "option '--boot-timeout <seconds>' argument '1e3'", 'seconds from 1 to 86400'],
    [['history', 'production', '--limit', '-1'], "option '--limit <n>' argument '-1'", 'records from 1'],
  ])('karoo %j is a usage error naming the option and the value, before anything runs', async (args, names, wants) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    // One line that says it all; commander's usage hint after it, as for every usage error.
    const [line, ...rest] = r.stderr.trim().split('\n');
    expect(rest).toEqual(['(run with --help for usage)']);
    expect(line).toContain(names);
    expect(line).toContain(`Give a whole number of ${wants}.`);
  });
});
