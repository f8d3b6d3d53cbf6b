import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { canonicalJson, sha256Of } from '@karoo/common';
import { Lock, type LockedPackage, readLockText, writePylock, writeRequirements } from '@karoo/lock';
import { candidateDigest, candidateFor, defaultLockRenderers, KAROO, OCI, provenanceFor } from './index.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

function pkgs(): LockedPackage[] {
  return [
    {
      name: 'acme-cam',
      version: '2.1.0.dev3',
      files: [
        {
          name: 'acme_cam-2.1.0.dev3-py3-none-any.whl',
          url: 'https://pypi.acme.test/files/acme_cam-2.1.0.dev3-py3-none-any.whl',
          sha256: hex('cam'),
          size: 12345,
        },
      ],
    },
    {
      name: 'numpy',
      version: '1.26.4',
      files: [
        {
          name: 'numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl',
          url: 'https://files.test/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl',
          sha256: hex('np-x86'),
          size: 18_000_000,
        },
        {
          name: 'numpy-1.26.4-cp311-cp311-manylinux_2_17_aarch64.whl',
          url: 'https://files.test/numpy-1.26.4-cp311-cp311-manylinux_2_17_aarch64.whl',
          sha256: hex('np-arm'),
          size: 14_000_000,
        },
      ],
    },
    {
      name: 'Katcp_Codec',
      version: '0.1',
      files: [{ name: 'katcp_codec-0.1.tar.gz', url: 'https://files.test/katcp_codec-0.1.tar.gz', sha256: hex('katcp'), size: 777 }],
    },
  ];
}
const META = {
  target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' },
  leaves: { 'acme-cam': '2.1.0.dev3' },
};
const lock = () => Lock.create(pkgs(), META);
// What a candidate embeds: the same lock with its files named by path (they are the candidate's layers).
const located = () =>
  Lock.create(
    pkgs().map((p) => ({ ...p, files: p.files.map((f) => ({ ...f, url: undefined })) })),
    META,
  );
const input = { system: 'cam' };

describe('candidate manifest', () => {
  test('golden digest: the candidate of a fixed lock never changes unnoticed', () => {
    // If this moves, every stored candidate's digest moved: bump CANDIDATE_CONFIG_SCHEMA
    // or the media types on purpose, or find what made the manifest non-deterministic.
    expect(candidateDigest(lock(), input)).toBe('sha256:3141c53f3b4254474ac157f21d8eba291d6368b879587978721e50202cbf0596');
  });

  test('is an OCI image manifest with our artifactType, one layer per locked file, then the lock files', () => {
    const c = candidateFor(lock(), input);
    const m = JSON.parse(Buffer.from(c.manifestBytes).toString('utf8'));
    expect(m.schemaVersion).toBe(2);
    expect(m.mediaType).toBe(OCI.imageManifest);
    expect(m.artifactType).toBe(KAROO.candidate);
    expect(m.config.mediaType).toBe(KAROO.candidateConfig);
    const titles = m.layers.map((l: { annotations: Record<string, string> }) => l.annotations['org.opencontainers.image.title']);
    expect(titles).toEqual([
      'acme_cam-2.1.0.dev3-py3-none-any.whl',
      'katcp_codec-0.1.tar.gz',
      'numpy-1.26.4-cp311-cp311-manylinux_2_17_aarch64.whl',
      'numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl',
      'pylock.toml',
      'requirements.txt',
    ]);
    expect(m.layers[0]).toMatchObject({ digest: `sha256:${hex('cam')}`, size: 12345, mediaType: KAROO.wheel });
    expect(m.layers[1].mediaType).toBe(KAROO.sdist);
    expect(m.layers[3]).toMatchObject({ digest: `sha256:${hex('np-x86')}`, size: 18_000_000 });
    // The manifest bytes are canonical JSON and the digest is theirs.
    expect(Buffer.from(c.manifestBytes).toString('utf8')).toBe(canonicalJson(m));
    expect(c.digest).toBe(sha256Of(c.manifestBytes));
    // Lock-file layers hold exactly what the lock writers produce; config is canonical JSON.
    const [config, pylock, reqs] = c.inline;
    expect(Buffer.from(pylock!.bytes).toString('utf8')).toBe(writePylock(located()));
    expect(Buffer.from(pylock!.bytes).toString('utf8')).toContain('path = "acme_cam-2.1.0.dev3-py3-none-any.whl"');
    expect(Buffer.from(pylock!.bytes).toString('utf8')).not.toContain('https://');
    expect(Buffer.from(reqs!.bytes).toString('utf8')).toBe(writeRequirements(located()));
    expect(readLockText(Buffer.from(pylock!.bytes).toString('utf8'), 'pylock.toml').lock.digest).toBe(lock().digest);
    expect(m.layers[4].digest).toBe(pylock!.descriptor.digest);
    expect(m.config.digest).toBe(sha256Of(config!.bytes));
    expect(JSON.parse(Buffer.from(config!.bytes).toString('utf8'))).toEqual({
      schema: 'karoo.candidate.config/v1',
      system: 'cam',
      target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' },
      leaves: [{ name: 'acme-cam', version: '2.1.0.dev3' }],
      lockDigest: lock().digest,
      packages: 3,
    });
    expect(c.totalSize).toBe(
      c.manifestBytes.length + config!.bytes.length + pylock!.bytes.length + reqs!.bytes.length + 12345 + 777 + 18_000_000 + 14_000_000,
    );
  });

  test('holds no time, host, user or run information', () => {
    const c = candidateFor(lock(), input);
    const all = [c.manifestBytes, ...c.inline.map((b) => b.bytes)].map((b) => Buffer.from(b).toString('utf8')).join('\n');
    expect(all).not.toContain(hostname());
    expect(all).not.toContain(`${userInfo().username}@`);
    expect(all).not.toContain(process.cwd());
    expect(all).not.toMatch(/20\d\d-\d\d-\d\dT/);
    expect(all).not.toContain('org.opencontainers.image.created');
  });

  test('does not depend on the order of packages or files, nor on name spelling', () => {
    const shuffled = pkgs()
      .reverse()
      .map((p) => ({ ...p, name: p.name.toUpperCase().replace('-', '_'), files: [...p.files].reverse() }));
    expect(candidateDigest(Lock.create(shuffled, META), input)).toBe(candidateDigest(lock(), input));
  });

  test('is the same from pylock.toml and requirements.txt, however their entries are ordered or formatted', () => {
    const want = candidateDigest(lock(), input);
    const pylock = writePylock(lock());
    expect(candidateDigest(readLockText(pylock, 'pylock.toml').lock, input)).toBe(want);
    expect(candidateDigest(readLockText(writeRequirements(lock()), 'requirements.txt').lock, input)).toBe(want);
    // Reorder the [[packages]] tables and reformat: comments, blank lines, spacing.
    const [head, ...tables] = pylock.split('\n[[packages]]\n');
    const last = tables.pop()!;
    const [lastPkg, tool] = [last.slice(0, last.indexOf('\n[tool.karoo]')), last.slice(last.indexOf('\n[tool.karoo]'))];
    const reordered =
      `# reordered by hand\n${head}\n\n\n[[packages]]\n${lastPkg}\n[[packages]]\n${[...tables].reverse().join('\n[[packages]]\n')}\n${tool}`.replace(
        / = /g,
        '   =   ',
      );
    expect(reordered).not.toBe(pylock);
    expect(candidateDigest(readLockText(reordered, 'pylock.toml').lock, input)).toBe(want);
  });

  test('changes with anything that changes what is deployed', () => {
    const base = candidateDigest(lock(), input);
    const other = pkgs();
    other[2] = { ...other[2]!, files: [{ ...other[2]!.files[0]!, sha256: hex('katcp2') }] };
    expect(candidateDigest(Lock.create(other, META), input)).not.toBe(base);
    const bigger = pkgs();
    bigger[2] = { ...bigger[2]!, files: [{ ...bigger[2]!.files[0]!, size: 778 }] };
    expect(candidateDigest(Lock.create(bigger, META), input)).not.toBe(base);
    expect(candidateDigest(lock(), { system: 'cam2' })).not.toBe(base);
    expect(candidateDigest(Lock.create(pkgs(), { ...META, leaves: { numpy: '1.26.4' } }), input)).not.toBe(base);
  });

  test('ignores the inputs digest (what resolve read), which does not change the locked files', () => {
    const a = candidateDigest(Lock.create(pkgs(), { ...META, inputsDigest: 'sha256:' + hex('index-a') }), input);
    const b = candidateDigest(Lock.create(pkgs(), { ...META, inputsDigest: 'sha256:' + hex('index-b') }), input);
    expect(a).toBe(b);
    expect(a).toBe(candidateDigest(lock(), input));
  });

  test('a lock without sizes cannot give a digest: the error names the entries and says how to get a complete lock', () => {
    const noSize = pkgs().map((p) =>
      p.name === 'numpy' || p.name === 'Katcp_Codec' ? { ...p, files: p.files.map((f) => ({ ...f, size: undefined })) } : p,
    );
    expect(() => candidateDigest(Lock.create(noSize, META), input)).toThrow(
      /2 entries lack a hash or size: katcp-codec 0.1 \(no size for katcp_codec-0.1.tar.gz\), numpy 1.26.4 .*karoo resolve/,
    );
    const noHash = [...pkgs(), { name: 'six', version: '1.16.0', files: [] }];
    expect(() => candidateDigest(Lock.create(noHash, META), input)).toThrow(/six 1.16.0 \(no sha256 hash\)/);
  });

  test('a leaf missing from the lock and a bad system name are refused with what to do', () => {
    expect(() => candidateDigest(Lock.create(pkgs(), { ...META, leaves: { ghost: '1' } }), input)).toThrow(
      /leaf "ghost" is not in the lock/,
    );
    expect(() => candidateDigest(lock(), { system: 'Bad Name' })).toThrow(/system name "Bad Name" is not valid/);
  });

  test('leaves come from the configuration when the lock does not list them; versions always from the lock', () => {
    const bare = Lock.create(pkgs(), { target: META.target });
    const c = candidateFor(bare, { system: 'cam', leaves: ['Acme_Cam'] });
    expect(c.config.leaves).toEqual([{ name: 'acme-cam', version: '2.1.0.dev3' }]);
  });

  test('provenance is a separate artifact whose subject is the candidate; the candidate is unchanged', () => {
    const c = candidateFor(lock(), input);
    const p = provenanceFor(c.descriptor, {
      builtAt: '2025-01-02T03:04:05Z',
      builder: 'karoo 0.1.0',
      lockDigest: lock().digest,
      commit: 'abc123',
      runId: '42',
    });
    expect(p.manifest.subject).toEqual({ mediaType: OCI.imageManifest, digest: c.digest, size: c.manifestBytes.length });
    expect(p.manifest.artifactType).toBe(KAROO.provenance);
    expect(p.manifest.config.mediaType).toBe(OCI.empty);
    expect(JSON.parse(Buffer.from(p.blobs[1]!.bytes).toString('utf8'))).toMatchObject({
      commit: 'abc123',
      runId: '42',
      builtAt: '2025-01-02T03:04:05Z',
    });
    expect(candidateFor(lock(), input).digest).toBe(c.digest);
    expect(p.digest).not.toBe(
      provenanceFor(c.descriptor, { builtAt: '2025-01-02T03:04:06Z', builder: 'karoo 0.1.0', lockDigest: lock().digest }).digest,
    );
  });

  test('the same files from another index or mirror give the same candidate', () => {
    const mirrored = Lock.create(
      pkgs().map((p) => ({
        ...p,
        index: 'file:///elsewhere/simple/',
        files: p.files.map((f) => ({ ...f, url: `file:///elsewhere/files/${f.name}` })),
      })),
      META,
    );
    expect(candidateDigest(mirrored, input)).toBe(candidateDigest(lock(), input));
  });

  test('default renderers are the lock writers, and a lock read back from its own file renders the same', () => {
    expect(defaultLockRenderers.pylock(lock())).toBe(writePylock(located()));
    const back = readLockText(writePylock(lock()), 'pylock.toml').lock;
    expect(defaultLockRenderers.requirements(back)).toBe(defaultLockRenderers.requirements(lock()));
  });
});
