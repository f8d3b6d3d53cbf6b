/**
 * Issue 11 §5: digests inside manifests become file paths. A candidate manifest in an OCI
 * layout whose config descriptor names `sha256:aaaa/../../../../victim` must not make deploy's
 * stager or verify read or delete a file outside the store or the staging directory.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { canonicalJson, type Digest, hexOf, sha256Of } from '@karoo/common';
import { EMPTY_CONFIG, KAROO, OCI } from '@karoo/candidate';
import { LayoutStore, verifyManifest } from '@karoo/oci';
import { stageCandidate } from '@karoo/deploy';

let work: string;
const SECRET = 'the runner keeps a secret here\n';
const SENTINEL = 'a file deploy must leave alone\n';

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-crafted-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * Writes a candidate manifest straight into a layout (as an attacker with write access to the
 * store, or a crafted export, would): index.json lists it under its true digest, and its config
 * descriptor points four directories up from `blobs/sha256/`.
 */
async function craftedLayout(): Promise<{ store: LayoutStore; candidate: Digest }> {
  const dir = join(work, 'store');
  const store = new LayoutStore(dir);
  await store.init();
  const manifest = canonicalJson({
    schemaVersion: 2,
    mediaType: OCI.imageManifest,
    artifactType: KAROO.candidate,
    config: { mediaType: KAROO.candidateConfig, digest: 'sha256:aaaa/../../../../victim', size: Buffer.byteLength(SECRET) },
    layers: [EMPTY_CONFIG.descriptor],
  });
  const digest = sha256Of(manifest);
  await writeFile(join(dir, 'blobs', 'sha256', hexOf(digest)), manifest);
  const index = {
    schemaVersion: 2,
    mediaType: OCI.imageIndex,
    manifests: [{ mediaType: OCI.imageManifest, digest, size: Buffer.byteLength(manifest) }],
  };
  await writeFile(join(dir, 'index.json'), canonicalJson(index));
  return { store, candidate: digest };
}

describe('a crafted digest in a stored manifest', () => {
  it('cannot make the deploy stager read a file outside the store or delete one outside its directory', async () => {
    const { store, candidate } = await craftedLayout();
    // store/blobs/sha256/aaaa/../../../../victim is work/victim; stage/x/blobs/aaaa/../../../../victim.part is work/victim.part.
    await writeFile(join(work, 'victim'), SECRET);
    await writeFile(join(work, 'victim.part'), SENTINEL);
    const staging = join(work, 'stage', 'x');
    await mkdir(staging, { recursive: true });

    const err = await stageCandidate(store, candidate, staging).then(
      () => undefined,
      (e: unknown) => e as Error & { kind?: string },
    );
    // Nothing outside was touched or read (the error would name the victim's hash).
    expect(await readFile(join(work, 'victim.part'), 'utf8').catch(() => 'deleted')).toBe(SENTINEL);
    expect(await readFile(join(work, 'victim'), 'utf8')).toBe(SECRET);
    expect(err).toBeDefined();
    expect(err!.message).not.toContain(sha256Of(SECRET));
    expect(err!.kind).toBe('integrity');
    expect(err!.message).toMatch(/config: digest "sha256:aaaa\/\.\.\/\.\.\/\.\.\/\.\.\/victim" is not sha256:<64 lowercase hex>/);
  });

  it('cannot make verify read a file outside the store', async () => {
    const { store, candidate } = await craftedLayout();
    await writeFile(join(work, 'victim'), SECRET);
    const err = await verifyManifest(store, candidate).then(
      () => undefined,
      (e: unknown) => e as Error & { kind?: string },
    );
    expect(err?.kind).toBe('integrity');
    expect(err!.message).toMatch(/is not sha256:<64 lowercase hex>/);
    expect(err!.message).not.toContain(sha256Of(SECRET));
  });

  it('is refused by every path builder, even when cast to Digest', async () => {
    const store = new LayoutStore(join(work, 'store'));
    expect(() => store.blobPath('sha256:aaaa/../../../../victim' as Digest)).toThrow(
      /is not a sha256 digest; refusing to build a file path/,
    );
    await expect(store.getBlob('sha256:../x' as Digest)).rejects.toThrow(/refusing to build a file path/);
    await expect(store.hasBlob(`sha256:${'A'.repeat(64)}` as Digest)).rejects.toThrow(/refusing to build a file path/);
  });
});
