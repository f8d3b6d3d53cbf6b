/**
 * readVerifiedBlob, the one bounded, digest-checked read of small blobs (configs, payloads,
 * bundles, evidence): a layout whose blob file was altered or grown after it was written, and a
 * descriptor claiming a huge size, are refused as integrity errors naming the blob and the store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Of } from '@karoo/common';
import { bufferSource, LayoutStore, readVerifiedBlob } from '@karoo/oci';

let dir: string;
let store: LayoutStore;
const bytes = Buffer.from('{"schema":"karoo.test/v1"}');
const d = { mediaType: 'application/json', digest: sha256Of(bytes), size: bytes.length };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-verify-'));
  store = new LayoutStore(join(dir, 'store'));
  await store.putBlob(d, bufferSource(bytes));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('readVerifiedBlob', () => {
  it('returns the bytes of a blob that matches its descriptor', async () => {
    expect((await readVerifiedBlob(store, d, 'payload', 1024)).equals(bytes)).toBe(true);
  });

  it('refuses a descriptor that claims more than the limit, before reading', async () => {
    const huge = { ...d, size: 2 ** 40 };
    await expect(readVerifiedBlob(store, huge, 'payload', 1 << 20)).rejects.toMatchObject({
      kind: 'integrity',
      message: expect.stringMatching(/^payload: sha256:\S+ in oci-layout:\S+ claims 1099511627776 bytes, more than the 1048576/),
    });
  });

  it('refuses a blob whose bytes were altered in place', async () => {
    const other = Buffer.from('{"schema":"karoo.test/v2"}');
    const d2 = { ...d, digest: sha256Of(other), size: other.length };
    await store.putBlob(d2, bufferSource(other));
    await writeFile(store.blobPath(d2.digest), Buffer.from('{"schema":"karoo.evil/v2"}'));
    await expect(readVerifiedBlob(store, d2, 'payload', 1024)).rejects.toMatchObject({
      kind: 'integrity',
      message: expect.stringMatching(/^payload is damaged in oci-layout:\S+: it holds sha256:[0-9a-f]{64} \(26 bytes\), expected/),
    });
  });

  it('stops reading a blob that grew past its descriptor', async () => {
    const third = Buffer.from('{"schema":"karoo.test/v3"}');
    const d3 = { ...d, digest: sha256Of(third), size: third.length };
    await store.putBlob(d3, bufferSource(third));
    await appendFile(store.blobPath(d3.digest), Buffer.alloc(1 << 20));
    await expect(readVerifiedBlob(store, d3, 'payload', 1 << 30)).rejects.toMatchObject({
      kind: 'integrity',
      message: expect.stringMatching(/^payload is damaged: more than the expected 26 bytes/),
    });
  });
});
