import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lock } from '@karoo/lock';
import { pruneDownloadDir, wheelCacheKeys } from './download-cache.js';

const hex = (c: string) => c.repeat(64);
const lock = Lock.create([
  { name: 'a', version: '1.0', files: [{ name: 'a-1.0-py3-none-any.whl', url: 'https://x/a.whl', sha256: hex('a'), size: 1 }] },
  { name: 'b', version: '2.0', files: [{ name: 'b-2.0-py3-none-any.whl', url: 'https://x/b.whl', sha256: hex('b'), size: 1 }] },
]);

describe('the downloaded-wheels cache', () => {
  it('is keyed by the lock digest and restored by the system prefix', () => {
    const k = wheelCacheKeys('cam', lock.digest);
    expect(k.key).toBe(`karoo-wheels-cam-${lock.digest.slice(7)}`);
    expect(k.restoreKeys).toEqual(['karoo-wheels-cam-']);
    expect(k.key.startsWith(k.restoreKeys[0]!)).toBe(true);
  });

  it('is pruned to the files the lock references before it is saved', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'karoo-prune-'));
    try {
      for (const n of [hex('a'), hex('b'), hex('c'), `${hex('a')}.1234.part`]) await writeFile(join(dir, n), 'x');
      expect((await pruneDownloadDir(dir, lock)).sort()).toEqual([`${hex('a')}.1234.part`, hex('c')]);
      expect((await readdir(dir)).sort()).toEqual([hex('a'), hex('b')]);
      expect(await pruneDownloadDir(join(dir, 'missing'), lock)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
