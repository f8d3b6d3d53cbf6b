import { describe, expect, it } from '@jest/globals';
import { installPlan } from './deploy.js';

const bookworm = {
  implementation: 'cpython',
  python: '3.11.2',
  executable: '/usr/bin/python3',
  soabi: 'cpython-311-x86_64-linux-gnu',
  platform: 'linux-x86_64',
  machine: 'x86_64',
  libc: 'glibc 2.36',
};

describe('installPlan: once per distinct target', () => {
  it('one target: the first node installs, every other node receives its tree', () => {
    const names = ['control-1', 'control-2', 'monitor-1', 'store-1'];
    const answers = new Map(names.map((n) => [n, { target: { ...bookworm } }]));
    expect(installPlan(names, answers)).toEqual([
      {
        key: expect.any(String),
        label: 'cpython 3.11.2 linux-x86_64 glibc 2.36 /usr/bin/python3',
        builder: 'control-1',
        receivers: ['control-2', 'monitor-1', 'store-1'],
      },
    ]);
  });

  it('a node whose Python, libc or interpreter path differs installs on its own; nodes sharing a target still share', () => {
    const answers = new Map([
      ['a-1', { target: bookworm }],
      ['a-2', { target: { ...bookworm } }],
      ['b-1', { target: { ...bookworm, python: '3.11.9' } }],
      ['c-1', { target: { ...bookworm, libc: 'glibc 2.31' } }],
      ['d-1', { target: { ...bookworm, executable: '/usr/local/bin/python3' } }],
      ['a-3', { target: { ...bookworm } }],
    ]);
    const plan = installPlan([...answers.keys()], answers);
    expect(plan.map((g) => [g.builder, g.receivers])).toEqual([
      ['a-1', ['a-2', 'a-3']],
      ['b-1', []],
      ['c-1', []],
      ['d-1', []],
    ]);
    expect(new Set(plan.map((g) => g.key)).size).toBe(4);
  });
});
