/**
 * Issue 11 §5: no store builds a path or a URL from a string that is not a digest, even one cast
 * to Digest. The registry checks before any request (port 9 on 127.0.0.1: nothing is sent).
 */
import { describe, expect, it } from '@jest/globals';
import type { Digest } from '@karoo/common';
import { bufferSource, RegistryStore } from '@karoo/oci';

const crafted = 'sha256:../../../v2/other/blobs/x' as Digest;

describe('the registry store', () => {
  const store = new RegistryStore({ registry: '127.0.0.1:9', repository: 'acme/cam', scheme: 'http', retry: { attempts: 1 } });
  it.each([
    ['hasBlob', () => store.hasBlob(crafted)],
    ['getBlob', () => store.getBlob(crafted)],
    ['putBlob', () => store.putBlob({ digest: crafted, size: 1 }, bufferSource(Buffer.from('x')))],
    ['referrers', () => store.referrers(crafted)],
  ])('%s refuses a digest that is not one before any request', async (_name, call) => {
    await expect(call()).rejects.toMatchObject({
      kind: 'integrity',
      message: expect.stringMatching(/is not a sha256 digest; refusing to build a file path from it/),
    });
  });
});
