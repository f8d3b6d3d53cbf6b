import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Lock, type LockedPackage } from '@karoo/lock';
import { candidateDigest, candidateFor, KAROO } from './index.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const pkgs = (uploadTime?: string): LockedPackage[] => [
  {
    name: 'acme-cam',
    version: '2.1.0',
    files: [
      {
        name: 'acme_cam-2.1.0-py3-none-any.whl',
        url: 'https://pypi.acme.test/files/acme_cam-2.1.0-py3-none-any.whl',
        sha256: hex('cam'),
        size: 12345,
        ...(uploadTime ? { uploadTime } : {}),
      },
    ],
  },
];
const META = { target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' }, leaves: { 'acme-cam': '2.1.0' } };

describe('upload times and the cutoff stay out of the candidate', () => {
  test('the same files with or without upload times, under any cutoff, are the same candidate', () => {
    const plain = Lock.create(pkgs(), META);
    const timed = Lock.create(pkgs('2026-01-02T03:04:05.678Z'), {
      ...META,
      asOf: { policy: 'leaves', time: '2026-01-02T03:04:05.678Z', notApplied: [] },
    });
    const mirrored = Lock.create(pkgs('2026-03-01T00:00:00Z'), {
      ...META,
      asOf: { policy: 'time', time: '2026-03-01T00:00:00.000Z', notApplied: ['acme-cam'] },
    });
    expect(candidateDigest(timed, { system: 'cam' })).toBe(candidateDigest(plain, { system: 'cam' }));
    expect(candidateDigest(mirrored, { system: 'cam' })).toBe(candidateDigest(plain, { system: 'cam' }));
    const embedded = candidateFor(timed, { system: 'cam' }).inline.find((b) => b.descriptor.mediaType === KAROO.pylock)!;
    expect(Buffer.from(embedded.bytes).toString('utf8')).not.toMatch(/upload-time|as-of|2026-/);
  });
});
