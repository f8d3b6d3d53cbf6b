import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { canonicalJson, type Digest, sha256Of } from '@karoo/common';
import { EMPTY_CONFIG, inlineBlob, OCI, type Descriptor } from '@karoo/candidate';
import { bufferSource, LayoutStore } from '@karoo/oci';
import {
  countJunit,
  EVIDENCE_ARTIFACT_TYPE,
  type EvidenceInput,
  evidenceFor,
  latestPassing,
  listEvidence,
  pushEvidence,
  readEvidence,
  readJunit,
  scanEvidence,
} from '@karoo/evidence';

const JUNIT = `<?xml version='1.0' encoding='utf-8'?>
<testsuite name="cam-acceptance" tests="4" failures="1" errors="0" skipped="1" time="1.5">
<testcase classname="a" name="t1" time="0.1" /><testcase classname="a" name="t2" time="0.1"><failure message="x">boom</failure></testcase>
<testcase classname="a" name="t3" time="0.1"><skipped message="no lock" /></testcase><testcase classname="a" name="t4" time="0.1" />
</testsuite>`;

let dir: string;
let store: LayoutStore;
let candidate: Descriptor;
let other: Descriptor;

async function putManifest(title: string): Promise<Descriptor> {
  const layer = inlineBlob('application/octet-stream', `payload ${title}`, title);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI.imageManifest,
    artifactType: 'application/vnd.karoo.candidate.v1',
    config: EMPTY_CONFIG.descriptor,
    layers: [layer.descriptor],
  };
  for (const b of [EMPTY_CONFIG, layer])
    if (!(await store.hasBlob(b.descriptor.digest))) await store.putBlob(b.descriptor, bufferSource(b.bytes));
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  return store.putManifest(bytes, OCI.imageManifest);
}

function input(c: Descriptor, over: Partial<EvidenceInput> = {}): EvidenceInput {
  return {
    candidate: c.digest,
    system: 'cam',
    systemId: sha256Of(`system ${c.digest}`),
    configDigest: sha256Of('config'),
    environment: 'integration',
    result: 'passed',
    counts: { tests: 3, passed: 3, failed: 0, errors: 0, skipped: 0 },
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    durationMs: 60_000.4,
    exitCode: 0,
    timedOut: false,
    command: ['python3', 'tests/acceptance/run.py'],
    nodes: [{ name: 'store-1', role: 'store' }],
    provider: 'nspawn',
    ...over,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-evidence-'));
  store = new LayoutStore(join(dir, 'store'));
  candidate = await putManifest('candidate-a');
  other = await putManifest('candidate-b');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('evidence', () => {
  it('is pushed as a referrer of the candidate and listed back, oldest first, with its JUnit', async () => {
    const later = evidenceFor(candidate, input(candidate, { environment: 'qualification', finishedAt: '2025-01-02T00:00:00.000Z' }));
    const failed = evidenceFor(
      candidate,
      input(candidate, { result: 'failed', counts: countJunit(JUNIT), finishedAt: '2025-01-01T12:00:00.000Z', exitCode: 1 }),
      JUNIT,
    );
    const first = evidenceFor(candidate, input(candidate));
    for (const a of [later, failed, first]) await pushEvidence(store, a);
    await pushEvidence(store, evidenceFor(other, input(other)));

    expect(first.manifest.subject?.digest).toBe(candidate.digest);
    expect(first.manifest.artifactType).toBe(EVIDENCE_ARTIFACT_TYPE);

    const all = await listEvidence(store, candidate.digest);
    expect(all.map((r) => r.digest)).toEqual([first.digest, failed.digest, later.digest]);
    expect(all[0]!.evidence.durationMs).toBe(60_000);
    expect(all[1]!.evidence.counts).toEqual({ tests: 4, passed: 2, failed: 1, errors: 0, skipped: 1 });
    expect(await readJunit(store, all[1]!)).toBe(JUNIT);
    expect(await readJunit(store, all[0]!)).toBeUndefined();

    expect((await listEvidence(store, candidate.digest, { environment: 'integration' })).map((r) => r.digest)).toEqual([
      first.digest,
      failed.digest,
    ]);
    expect((await listEvidence(store, candidate.digest, { result: 'failed' })).map((r) => r.digest)).toEqual([failed.digest]);
    expect(latestPassing(all, 'integration')?.digest).toBe(first.digest);
    expect(latestPassing(all, 'qualification')?.digest).toBe(later.digest);
    expect(latestPassing(all, 'production')).toBeUndefined();

    const theirs = await listEvidence(store, other.digest);
    expect(theirs).toHaveLength(1);
    expect(theirs[0]!.evidence.candidate).toBe(other.digest);
  });

  it('refuses evidence that claims passed with failures, and a record whose blob was altered', async () => {
    expect(() => evidenceFor(candidate, input(candidate, { counts: { tests: 1, passed: 0, failed: 1, errors: 0, skipped: 0 } }))).toThrow(
      /passed but tests failed/,
    );

    const a = evidenceFor(candidate, input(candidate, { environment: 'tampered' }));
    await pushEvidence(store, a);
    const layer = a.manifest.layers[0]!;
    const path = join(dir, 'store', 'blobs', 'sha256', layer.digest.slice(7));
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"passed"', '"failed"'));
    await expect(readEvidence(store, a.digest)).rejects.toMatchObject({ kind: 'integrity' });
    // Listed as invalid and skipped: it never counts, and it blocks nothing.
    const scan = await scanEvidence(store, candidate.digest);
    expect(scan.invalid).toEqual([{ digest: a.digest, reason: expect.stringMatching(/damaged/) }]);
    expect(scan.records.map((r) => r.digest)).not.toContain(a.digest);
    expect(scan.records.length).toBeGreaterThan(0);
  });

  it('lists malformed referrers as invalid and skips them; the others are still read (one bad push blocks nothing)', async () => {
    const dir2 = join(dir, 'malformed');
    const s = new LayoutStore(dir2);
    const c = await (async () => {
      const layer = inlineBlob('application/octet-stream', 'payload c', 'c');
      for (const b of [EMPTY_CONFIG, layer]) await s.putBlob(b.descriptor, bufferSource(b.bytes));
      return s.putManifest(
        new TextEncoder().encode(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI.imageManifest,
            artifactType: 'application/vnd.karoo.candidate.v1',
            config: EMPTY_CONFIG.descriptor,
            layers: [layer.descriptor],
          }),
        ),
        OCI.imageManifest,
      );
    })();
    const good = evidenceFor(c, input(c));
    await pushEvidence(s, good);
    const subject = { mediaType: c.mediaType, digest: c.digest, size: c.size };
    await s.putBlob(EMPTY_CONFIG.descriptor, bufferSource(EMPTY_CONFIG.bytes));
    // 1. evidence.json that is not evidence (fields missing).
    const notEvidence = inlineBlob(EVIDENCE_ARTIFACT_TYPE, '{"schema":"karoo.evidence/v1","result":"passed"}');
    await s.putBlob(notEvidence.descriptor, bufferSource(notEvidence.bytes));
    const bad1 = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI.imageManifest,
      artifactType: EVIDENCE_ARTIFACT_TYPE,
      config: EMPTY_CONFIG.descriptor,
      layers: [notEvidence.descriptor],
      subject,
    });
    await s.putManifest(new TextEncoder().encode(bad1), OCI.imageManifest);
    // 2. evidence whose layer is missing from the store.
    const missing = inlineBlob(EVIDENCE_ARTIFACT_TYPE, canonicalJson({ ...input(c), schema: 'karoo.evidence/v1', environment: 'gone' }));
    const bad2 = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI.imageManifest,
      artifactType: EVIDENCE_ARTIFACT_TYPE,
      config: EMPTY_CONFIG.descriptor,
      layers: [missing.descriptor],
      subject,
    });
    await s.putBlob(missing.descriptor, bufferSource(missing.bytes));
    await s.putManifest(new TextEncoder().encode(bad2), OCI.imageManifest);
    await rm(s.blobPath(missing.descriptor.digest));
    // 3. a manifest whose layer descriptor is crafted (written past putManifest, which refuses it).
    const crafted = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI.imageManifest,
      artifactType: EVIDENCE_ARTIFACT_TYPE,
      config: EMPTY_CONFIG.descriptor,
      layers: [{ mediaType: EVIDENCE_ARTIFACT_TYPE, digest: 'sha256:../../oci-layout', size: 30 }],
      subject,
    });
    await writeFile(join(dir2, 'blobs', 'sha256', sha256Of(crafted).slice(7)), crafted);
    const index = JSON.parse(await readFile(join(dir2, 'index.json'), 'utf8')) as { manifests: unknown[] };
    index.manifests.push({
      mediaType: OCI.imageManifest,
      digest: sha256Of(crafted),
      size: Buffer.byteLength(crafted),
      artifactType: EVIDENCE_ARTIFACT_TYPE,
    });
    await writeFile(join(dir2, 'index.json'), JSON.stringify(index));

    const seen: string[] = [];
    const records = await listEvidence(s, c.digest, { onInvalid: (i) => seen.push(i.digest) });
    expect(records.map((r) => r.digest)).toEqual([good.digest]);
    const scan = await scanEvidence(s, c.digest);
    expect(scan.invalid.map((i) => i.digest).sort()).toEqual([sha256Of(bad1), sha256Of(bad2), sha256Of(crafted)].sort());
    expect(seen.sort()).toEqual(scan.invalid.map((i) => i.digest).sort());
    const reasons = Object.fromEntries(scan.invalid.map((i) => [i.digest, i.reason]));
    expect(reasons[sha256Of(bad1)]).toMatch(/environment is missing|counts|candidate is not a sha256 digest/);
    expect(reasons[sha256Of(bad2)]).toMatch(/missing/);
    expect(reasons[sha256Of(crafted)]).toMatch(/digest "sha256:\.\.\/\.\.\/oci-layout" is not sha256:<64 lowercase hex>/);
  });

  it('counts JUnit suites by attributes or by test cases', () => {
    expect(countJunit(JUNIT)).toEqual({ tests: 4, passed: 2, failed: 1, errors: 0, skipped: 1 });
    const cases =
      '<testsuites><testsuite name="a"><testcase name="x"/><testcase name="y"><error>e</error></testcase></testsuite><testsuite name="b" tests="2" failures="0" errors="0" skipped="0"></testsuite></testsuites>';
    expect(countJunit(cases)).toEqual({ tests: 4, passed: 3, failed: 0, errors: 1, skipped: 0 });
    expect(() => countJunit('<html/>')).toThrow(/no <testsuite>/);
  });

  it('rejects a digest that is not one', async () => {
    await expect(listEvidence(store, 'latest' as Digest)).rejects.toThrow(/not a sha256 digest/);
  });
});
