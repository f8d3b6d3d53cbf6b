/**
 * Issue 11 §5: `karoo import` of a crafted OCI layout tar. Bad digests, too many bytes and too
 * many entries are refused, and nothing reaches the target store: no manifest is written
 * there before it was verified in the staging layout.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { canonicalJson, hexOf, sha256Of } from '@karoo/common';
import { importTar, LayoutStore, MEDIA_TYPES } from '@karoo/oci';
import { pack } from 'tar-stream';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-import-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function tar(name: string, entries: Array<{ name: string; body: string | Buffer }>): Promise<string> {
  const p = pack();
  for (const e of entries) p.entry({ name: e.name, mtime: new Date(0) }, e.body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  const file = join(work, name);
  await writeFile(file, Buffer.concat(chunks));
  return file;
}

/** A layout tar holding one manifest (with the given config descriptor) and a real layer. */
function layoutEntries(config: { mediaType: string; digest: string; size: number }): Array<{ name: string; body: string }> {
  const layer = 'a real layer\n';
  const manifest = canonicalJson({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.imageManifest,
    artifactType: 'application/vnd.karoo.candidate.v1',
    config,
    layers: [{ mediaType: 'application/octet-stream', digest: sha256Of(layer), size: Buffer.byteLength(layer) }],
  });
  const digest = sha256Of(manifest);
  return [
    { name: 'oci-layout', body: canonicalJson({ imageLayoutVersion: '1.0.0' }) },
    { name: `blobs/sha256/${hexOf(sha256Of(layer))}`, body: layer },
    { name: `blobs/sha256/${hexOf(digest)}`, body: manifest },
    {
      name: 'index.json',
      body: canonicalJson({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.imageIndex,
        manifests: [{ mediaType: MEDIA_TYPES.imageManifest, digest, size: Buffer.byteLength(manifest) }],
      }),
    },
  ];
}

/** What the target layout holds: manifests listed in its index.json and blob files. */
async function contents(store: LayoutStore): Promise<{ manifests: unknown[]; blobs: string[] }> {
  const index = existsSync(join(store.path, 'index.json'))
    ? (JSON.parse(await readFile(join(store.path, 'index.json'), 'utf8')) as { manifests: unknown[] })
    : { manifests: [] };
  const blobs = existsSync(join(store.path, 'blobs', 'sha256')) ? await readdir(join(store.path, 'blobs', 'sha256')) : [];
  return { manifests: index.manifests, blobs };
}

describe('importing a crafted layout tar', () => {
  it('refuses a manifest whose config digest is a path, and writes no manifest to the store', async () => {
    const victim = 'a file that happens to be where the crafted digest points\n';
    // The target store's blobs/sha256/../../../victim is work/victim.
    await writeFile(join(work, 'victim'), victim);
    const file = await tar(
      'crafted.tar',
      layoutEntries({
        mediaType: 'application/vnd.karoo.candidate.config.v1+json',
        digest: 'sha256:../../../victim',
        size: Buffer.byteLength(victim),
      }),
    );
    const store = new LayoutStore(join(work, 'target'));
    await store.init();

    const err = await importTar(file, store).then(
      () => undefined,
      (e: unknown) => e as Error & { kind?: string },
    );
    expect(await contents(store)).toEqual({ manifests: [], blobs: [] });
    expect(err?.kind).toBe('integrity');
    expect(err!.message).toMatch(/config: digest "sha256:\.\.\/\.\.\/\.\.\/victim" is not sha256:<64 lowercase hex>/);
    expect(await readFile(join(work, 'victim'), 'utf8')).toBe(victim);
  });

  it('refuses an index.json that lists a digest that is not one', async () => {
    const entries = layoutEntries({ mediaType: MEDIA_TYPES.empty, digest: sha256Of('{}'), size: 2 });
    entries.push({ name: `blobs/sha256/${hexOf(sha256Of('{}'))}`, body: '{}' });
    const index = entries.find((e) => e.name === 'index.json')!;
    index.body = canonicalJson({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.imageIndex,
      manifests: [{ mediaType: MEDIA_TYPES.imageManifest, digest: 'sha256:../../oci-layout', size: 30 }],
    });
    const store = new LayoutStore(join(work, 'target'));
    await expect(importTar(await tar('bad-index.tar', entries), store)).rejects.toThrow(
      /index\.json: manifests\[0\]: digest "sha256:\.\.\/\.\.\/oci-layout" is not sha256:<64 lowercase hex>/,
    );
    expect(await contents(store)).toEqual({ manifests: [], blobs: [] });
  });

  it('refuses a tar larger than the limit, and one with too many entries, with nothing written', async () => {
    const entries = layoutEntries({ mediaType: MEDIA_TYPES.empty, digest: sha256Of('{}'), size: 2 });
    entries.push({ name: `blobs/sha256/${hexOf(sha256Of('{}'))}`, body: '{}' });
    const file = await tar('fine.tar', entries);

    const big = new LayoutStore(join(work, 'big'));
    await expect(importTar(file, big, { limits: { maxBytes: 300 } })).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringMatching(/holds more than 300 bytes; refused \(import limit\)/),
    });
    expect(await contents(big)).toEqual({ manifests: [], blobs: [] });

    const many = new LayoutStore(join(work, 'many'));
    await expect(importTar(file, many, { limits: { maxEntries: 3 } })).rejects.toMatchObject({
      kind: 'input',
      message: expect.stringMatching(/holds more than 3 entries; refused/),
    });
    expect(await contents(many)).toEqual({ manifests: [], blobs: [] });

    // Within the limits the same tar imports, and verifies.
    const ok = new LayoutStore(join(work, 'ok'));
    const r = await importTar(file, ok, { limits: { maxEntries: 5, maxBytes: 10_000 } });
    expect(r.roots).toHaveLength(1);
    expect((await contents(ok)).manifests).toHaveLength(1);
  });
});
