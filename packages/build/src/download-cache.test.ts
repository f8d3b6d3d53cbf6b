import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDigest } from '@karoo/common';
import { Lock } from '@karoo/lock';
import { LayoutStore, bufferSource } from '@karoo/oci';
import { fillDownloadDir, pruneDownloadDir, wheelCacheKeys } from './download-cache.js';

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

  it('is filled from the store for the default branch: each file checked against the lock, those present left, a damaged one refused', async () => {
    const root = await mkdtemp(join(tmpdir(), 'karoo-fill-'));
    try {
      const store = new LayoutStore(join(root, 'store'));
      await store.init();
      const files = ['alpha', 'beta', 'gamma'].map((n) => {
        const bytes = Buffer.from(`${n} wheel bytes`);
        return { n, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
      });
      for (const f of files) {
        const blob = { digest: parseDigest(`sha256:${f.sha256}`), size: f.bytes.length };
        await store.putBlob(blob, bufferSource(f.bytes));
      }
      const real = Lock.create(
        files.map((f) => ({
          name: f.n,
          version: '1.0',
          files: [{ name: `${f.n}-1.0-py3-none-any.whl`, url: `https://x/${f.n}.whl`, sha256: f.sha256, size: f.bytes.length }],
        })),
      );
      const dir = join(root, 'files');
      await mkdir(dir);
      await writeFile(join(dir, files[0]!.sha256), files[0]!.bytes);
      expect(await fillDownloadDir(store, real, dir)).toEqual({ files: 2, bytes: files[1]!.bytes.length + files[2]!.bytes.length });
      expect((await readdir(dir)).sort()).toEqual(files.map((f) => f.sha256).sort());
      for (const f of files) expect(await readFile(join(dir, f.sha256))).toEqual(f.bytes);
      expect(await fillDownloadDir(store, real, dir)).toEqual({ files: 0, bytes: 0 });

      // A store whose blob does not hold the lock's bytes: refused, nothing left behind for it.
      await rm(join(dir, files[1]!.sha256));
      await writeFile(store.blobPath(parseDigest(`sha256:${files[1]!.sha256}`)), 'not the wheel');
      await expect(fillDownloadDir(store, real, dir)).rejects.toThrow(`beta-1.0-py3-none-any.whl in ${store.ref} holds sha256:`);
      expect((await readdir(dir)).sort()).toEqual([files[0]!.sha256, files[2]!.sha256].sort());
      // A blob the store lacks: its integrity error, nothing written.
      await expect(fillDownloadDir(store, lock, dir)).rejects.toThrow('is missing from');
      expect((await readdir(dir)).some((n) => n.includes('.part'))).toBe(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
