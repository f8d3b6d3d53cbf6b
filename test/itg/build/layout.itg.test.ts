import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import { candidateFor } from '@karoo/candidate';
import { Lock } from '@karoo/lock';
import { exportTar, importTar, LayoutStore, verifyManifest } from '@karoo/oci';
import { pack } from 'tar-stream';
import { makeWheels, serveFiles, type FileServer, type Wheels } from '../../support/wheels.js';

let work: string;
let wheels: Wheels;
let files: FileServer;
const specs = Array.from({ length: 12 }, (_, i) => ({
  name: `pkg-${String(i).padStart(2, '0')}`,
  version: `1.${i}`,
  size: 10_000 + i * 7_919,
}));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-layout-itg-'));
  wheels = await makeWheels(join(work, 'files'), specs);
  files = await serveFiles(wheels.dir);
}, 30_000);
afterAll(async () => {
  await files?.stop();
  await rm(work, { recursive: true, force: true });
});

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
let n = 0;
const fresh = () => new LayoutStore(join(work, `store-${n++}`));

describe('build into an OCI image layout', () => {
  test('writes a valid layout; rebuilding reports existed: true and fetches nothing', async () => {
    const s = fresh();
    const lock = wheels.lock(files.url);
    const r = await build({ lock, store: s, system: 'cam' });
    expect(r.existed).toBe(false);
    expect(JSON.parse(await readFile(join(s.path, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await readFile(join(s.path, 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([
      expect.objectContaining({ digest: r.candidate, mediaType: 'application/vnd.oci.image.manifest.v1+json' }),
    ]);
    expect((await readdir(join(s.path, 'blobs/sha256'))).sort()).toHaveLength(specs.length + 4);
    expect(await readdir(s.path)).toEqual(['blobs', 'index.json', 'oci-layout']); // no staging left behind
    const before = files.requests.length;
    expect(await build({ lock, store: s, system: 'cam' })).toMatchObject({ existed: true, pushedBytes: 0, downloadedBytes: 0 });
    expect(files.requests.length).toBe(before);
  });

  test('a hash mismatch stops the build before the candidate reaches the store, and the bad file never does', async () => {
    const s = fresh();
    await s.init();
    const good = wheels.lock(files.url);
    const target = good.packages[5]!;
    const bad = Lock.create(
      good.packages.map((p) => (p === target ? { ...p, files: [{ ...p.files[0]!, sha256: 'ab'.repeat(32) }] } : p)),
      good.meta,
    );
    await expect(build({ lock: bad, store: s, system: 'cam' })).rejects.toMatchObject({
      kind: 'integrity',
      message: expect.stringMatching(
        new RegExp(`^${target.name} ${target.version} .*expected sha256:${'ab'.repeat(32)} .*got sha256:${target.files[0]!.sha256} `),
      ),
    });
    // Files that matched may already be in (uploads overlap downloads), each under its own hash;
    // the mismatching one never, and no manifest: nothing is visible.
    const blobs = await readdir(join(s.path, 'blobs/sha256'));
    expect(blobs).not.toContain('ab'.repeat(32));
    for (const hex of blobs)
      expect(
        createHash('sha256')
          .update(await readFile(join(s.path, 'blobs/sha256', hex)))
          .digest('hex'),
      ).toBe(hex);
    expect(JSON.parse(await readFile(join(s.path, 'index.json'), 'utf8')).manifests).toEqual([]);
  });

  test('the same store content whatever the download order and parallelism', async () => {
    const lock = wheels.lock(files.url);
    const a = fresh();
    const b = fresh();
    await build({ lock, store: a, system: 'cam', concurrency: 1 });
    // Reverse the completion order: the first files answer last.
    specs.forEach((s, i) => files.delays.set(wheels.fileName(s), (specs.length - i) * 15));
    try {
      await build({ lock, store: b, system: 'cam', concurrency: 12 });
    } finally {
      files.delays.clear();
    }
    const d = candidateFor(lock, { system: 'cam' }).digest;
    await exportTar(a, d, join(work, 'a.tar'));
    await exportTar(b, d, join(work, 'b.tar'));
    expect(sha(join(work, 'a.tar'))).toBe(sha(join(work, 'b.tar')));
    expect(await readFile(join(a.path, 'index.json'), 'utf8')).toBe(await readFile(join(b.path, 'index.json'), 'utf8'));
  });

  test('two builds into the same directory at once both succeed and list the candidate once', async () => {
    const s = fresh();
    const lock = wheels.lock(files.url);
    const [x, y] = await Promise.all([build({ lock, store: s, system: 'cam' }), build({ lock, store: s, system: 'cam' })]);
    expect(x.candidate).toBe(y.candidate);
    expect(JSON.parse(await readFile(join(s.path, 'index.json'), 'utf8')).manifests).toHaveLength(1);
    await verifyManifest(s, x.candidate);
  });

  test('verify names the first bad blob, and a missing one', async () => {
    const s = fresh();
    const lock = wheels.lock(files.url);
    const r = await build({ lock, store: s, system: 'cam' });
    const [third, seventh] = [specs[2]!, specs[6]!].map((x) => wheels.fileName(x));
    for (const f of [third!, seventh!]) {
      const p = s.blobPath(`sha256:${wheels.hashes[f]}` as never);
      const b = await readFile(p);
      b[0] = b[0]! ^ 1;
      await rm(p);
      await writeFile(p, b);
    }
    await expect(verifyManifest(s, r.candidate)).rejects.toThrow(
      new RegExp(`^layer 3 "${third}" sha256:${wheels.hashes[third!]} of ${r.candidate} is damaged`),
    );
    await rm(s.blobPath(`sha256:${wheels.hashes[wheels.fileName(specs[0]!)]}` as never));
    await expect(verifyManifest(s, r.candidate)).rejects.toThrow(/^layer 1 ".*" sha256:[0-9a-f]+ of sha256:[0-9a-f]+ is missing/);
  });

  test('export is deterministic; import into another layout verifies; a tampered or foreign tar is refused', async () => {
    const s = fresh();
    const lock = wheels.lock(files.url);
    const r = await build({ lock, store: s, system: 'cam', provenance: { builtAt: '2025-01-01T00:00:00Z', builder: 'test' } });
    const t1 = join(work, 'e1.tar');
    const t2 = join(work, 'e2.tar');
    await exportTar(s, r.candidate, t1);
    await exportTar(s, r.candidate, t2);
    expect(sha(t1)).toBe(sha(t2));
    const raw = readFileSync(t1);
    expect(raw.includes(Buffer.from('PaxHeader'))).toBe(false);

    const dst = fresh();
    const imp = await importTar(t1, dst);
    expect(imp.roots).toEqual([r.candidate]);
    expect(imp.manifests).toBe(2);
    expect((await dst.referrers(r.candidate)).map((d) => d.digest)).toEqual([r.provenance]);
    // Export of the imported store is the same tar again.
    await exportTar(dst, r.candidate, join(work, 'e3.tar'));
    expect(sha(join(work, 'e3.tar'))).toBe(sha(t1));

    // Flip a byte inside the first wheel's data: the entry no longer matches its name.
    const firstHex = wheels.hashes[wheels.fileName(specs[0]!)]!;
    const at = raw.indexOf(Buffer.from(`blobs/sha256/${firstHex}`)) + 512 + 10;
    const tampered = Buffer.from(raw);
    tampered[at] = tampered[at]! ^ 0xff;
    await writeFile(join(work, 'tampered.tar'), tampered);
    await expect(importTar(join(work, 'tampered.tar'), fresh())).rejects.toThrow(
      /entry blobs\/sha256\/[0-9a-f]{64} holds sha256:[0-9a-f]{64}, not the blob its name says/,
    );

    const foreign = pack();
    foreign.entry({ name: '../evil', size: 1 }, 'x');
    foreign.finalize();
    const chunks: Buffer[] = [];
    for await (const c of foreign) chunks.push(c as Buffer);
    await writeFile(join(work, 'foreign.tar'), Buffer.concat(chunks));
    await expect(importTar(join(work, 'foreign.tar'), fresh())).rejects.toThrow(/unexpected entry "\.\.\/evil"/);
  });
});
