import { describe, expect, it } from '@jest/globals';
import { canonicalJson } from './canonical-json.js';
import { parseDigest, sha256Of, shortDigest } from './digest.js';
import { exitCodeOf, FileError, isKarooError, KarooError, networkCause } from './errors.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined members and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: 'x' }, e: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"z":1}]},"b":1}',
    );
  });

  it('is independent of insertion order, so equal values hash equally', () => {
    expect(sha256Of(canonicalJson({ x: 1, y: [1, 2] }))).toBe(sha256Of(canonicalJson({ y: [1, 2], x: 1 })));
  });

  it('writes numbers as ECMAScript does (RFC 8785) and dates as ISO strings', () => {
    expect(canonicalJson([0.5, 500, 1e21, -0, 1.0])).toBe('[0.5,500,1e+21,0,1]');
    expect(canonicalJson({ t: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) })).toBe('{"t":"2026-01-02T03:04:05.000Z"}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow('canonical JSON cannot hold the number NaN');
    expect(() => canonicalJson({ f: () => 1 })).toThrow('canonical JSON cannot hold a function');
  });
});

describe('digests and errors', () => {
  it('accepts sha256:<hex> and bare hex, and refuses anything else with the value', () => {
    const d = sha256Of('x');
    expect(parseDigest(d.slice(7))).toBe(d);
    expect(parseDigest(d.toUpperCase().replace('SHA256', 'sha256'))).toBe(d);
    expect(shortDigest(d)).toHaveLength(12);
    expect(() => parseDigest('sha256:abc', 'candidate')).toThrow('candidate "sha256:abc" is not a sha256 digest');
  });

  it('maps error kinds to exit codes, and FileError to FILE:LINE: reason', () => {
    const e = new FileError('karoo.yml', 7, 'leaves[0]: unknown key');
    expect(e.message).toBe('karoo.yml:7: leaves[0]: unknown key');
    expect(isKarooError(e)).toBe(true);
    expect(exitCodeOf(e)).toBe(2);
    expect(exitCodeOf(new KarooError('integrity', 'x'))).toBe(3);
    expect(exitCodeOf(new KarooError('refused', 'x'))).toBe(6);
    expect(exitCodeOf(new Error('bug'))).toBe(1);
  });

  it('finds the most specific cause of a network failure', () => {
    const err = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    expect(networkCause(err)).toBe('ECONNREFUSED');
    expect(networkCause(new TypeError('fetch failed', { cause: new Error('bad port') }))).toBe('bad port');
  });
});

describe('writing files atomically', () => {
  it('writes all the files or none: a failure leaves the targets as they were and no temp files', async () => {
    const { mkdtemp, readFile, readdir, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeFilesAtomic } = await import('./fs.js');
    const dir = await mkdtemp(join(tmpdir(), 'karoo-atomic-'));
    await writeFile(join(dir, 'pylock.toml'), 'old lock');
    await writeFile(join(dir, 'blocker'), 'a file where a directory should be');
    await expect(
      writeFilesAtomic([
        { path: join(dir, 'pylock.toml'), data: 'new lock' },
        { path: join(dir, 'blocker', 'requirements.txt'), data: 'new requirements' },
      ]),
    ).rejects.toThrow();
    expect(await readFile(join(dir, 'pylock.toml'), 'utf8')).toBe('old lock');
    expect((await readdir(dir)).sort()).toEqual(['blocker', 'pylock.toml']);
    await writeFilesAtomic([
      { path: join(dir, 'pylock.toml'), data: 'new lock' },
      { path: join(dir, 'sub', 'requirements.txt'), data: 'new requirements' },
    ]);
    expect(await readFile(join(dir, 'pylock.toml'), 'utf8')).toBe('new lock');
    expect(await readFile(join(dir, 'sub', 'requirements.txt'), 'utf8')).toBe('new requirements');
  });
});
