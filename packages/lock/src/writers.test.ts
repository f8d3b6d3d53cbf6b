import { describe, expect, it } from '@jest/globals';
import { isFileError } from '@karoo/common';
import { parse as parseToml } from 'smol-toml';
import { Lock, type LockedPackage } from './model.js';
import { parsePylock, targetEnvironment, writePylock } from './pylock.js';
import { readLockText } from './read.js';
import { writeRequirements } from './requirements-lock.js';

const h = (c: string) => c.repeat(64);

const PACKAGES: LockedPackage[] = [
  {
    name: 'Kat_Core',
    version: '2.0.0.dev3',
    index: 'https://ci:s3cret@pypi.example.org/private/simple',
    files: [
      {
        name: 'kat_core-2.0.0.dev3-py3-none-any.whl',
        url: 'https://ci:s3cret@pypi.example.org/private/files/kat_core-2.0.0.dev3-py3-none-any.whl',
        sha256: h('b'),
        size: 2048,
      },
    ],
  },
  {
    name: 'numpy',
    version: '1.26.4',
    marker: "python_version >= '3.10'",
    index: 'https://pypi.example.org/simple',
    files: [
      { name: 'numpy-1.26.4.tar.gz', url: 'https://files.example.org/numpy-1.26.4.tar.gz', sha256: h('c'), size: 15_000_000 },
      {
        name: 'numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
        url: 'https://files.example.org/n/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
        sha256: h('a'),
        size: 18_000_000,
      },
    ],
  },
  {
    name: 'six',
    version: '1.16.0',
    files: [
      {
        name: 'six-1.16.0-py2.py3-none-any.whl',
        url: 'https://files.example.org/six-1.16.0-py2.py3-none-any.whl',
        sha256: h('d'),
        size: 11053,
      },
    ],
  },
];

const META = {
  target: { python: '3.11', platforms: ['manylinux_2_28_x86_64', 'manylinux_2_17_x86_64'], implementation: 'cp' },
  leaves: { 'kat-core': '2.0.0.dev3' },
  inputsDigest: `sha256:${h('e')}`,
};

const lock = Lock.create(PACKAGES, META);

function fileError(f: () => unknown): { line: number | undefined; reason: string } {
  try {
    f();
  } catch (e) {
    if (isFileError(e)) return { line: e.line, reason: e.reason };
    throw e;
  }
  throw new Error('expected a FileError');
}

describe('pylock.toml writer', () => {
  const text = writePylock(lock);

  it('writes PEP 751 with karoo metadata, no timestamps and no credentials', () => {
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('ci:');
    expect(text).not.toMatch(/upload-time|\d{4}-\d\d-\d\dT/);
    const doc = parseToml(text) as Record<string, any>;
    expect(doc['lock-version']).toBe('1.0');
    expect(doc['created-by']).toBe('karoo');
    expect(doc['requires-python']).toBe('==3.11.*');
    expect(doc.environments).toEqual(['python_version == "3.11" and sys_platform == "linux" and platform_machine == "x86_64"']);
    expect(doc.packages.map((p: any) => p.name)).toEqual(['kat-core', 'numpy', 'six']);
    const numpy = doc.packages[1];
    expect(numpy).toMatchObject({ version: '1.26.4', marker: 'python_version >= "3.10"', index: 'https://pypi.example.org/simple' });
    expect(numpy.sdist).toEqual({
      name: 'numpy-1.26.4.tar.gz',
      url: 'https://files.example.org/numpy-1.26.4.tar.gz',
      size: 15_000_000,
      hashes: { sha256: h('c') },
    });
    expect(numpy.wheels).toHaveLength(1);
    expect(doc.packages[0].index).toBe('https://pypi.example.org/private/simple');
    expect(doc.tool.karoo).toEqual({
      'lock-digest': lock.digest,
      'inputs-digest': META.inputsDigest,
      leaves: { 'kat-core': '2.0.0.dev3' },
      target: { python: '3.11', implementation: 'cp', platforms: ['manylinux_2_28_x86_64', 'manylinux_2_17_x86_64'] },
    });
  });

  it('reads back the same lock: digest, files, URLs, sizes, index and metadata', () => {
    const back = parsePylock(text, 'pylock.toml');
    expect(back.warnings).toEqual([]);
    expect(back.lock.digest).toBe(lock.digest);
    expect(back.lock.packages).toEqual(
      lock.packages.map((p) => ({
        ...p,
        index: p.index?.replace('ci:s3cret@', ''),
        files: p.files.map((f) => ({ ...f, url: f.url?.replace('ci:s3cret@', '') })),
      })),
    );
    expect(back.lock.meta).toEqual({ ...META, requiresPython: '==3.11.*' });
    expect(writePylock(back.lock)).toBe(text);
  });

  it('is the same bytes for the same packages given in another order', () => {
    const shuffled = Lock.create(
      [...PACKAGES].reverse().map((p) => ({ ...p, files: [...p.files].reverse() })),
      META,
    );
    expect(writePylock(shuffled)).toBe(text);
  });

  it('refuses what PEP 751 cannot say', () => {
    expect(() => writePylock(Lock.create([{ name: 'x', version: '1', files: [{ name: '', sha256: h('a') }] }]))).toThrow('has no URL');
    // A file with a name but no URL sits beside the lock (as in a candidate): written as a path.
    expect(writePylock(Lock.create([{ name: 'x', version: '1', files: [{ name: 'x-1-py3-none-any.whl', sha256: h('a') }] }]))).toContain(
      'path = "x-1-py3-none-any.whl"',
    );
    expect(() => writePylock(Lock.create([{ name: 'x', version: '1', files: [] }]))).toThrow('has no files');
    expect(() =>
      writePylock(
        Lock.create([
          {
            name: 'x',
            version: '1',
            files: [
              { name: 'x-1.tar.gz', url: 'https://f/x-1.tar.gz', sha256: h('a') },
              { name: 'x-1.zip', url: 'https://f/x-1.zip', sha256: h('b') },
            ],
          },
        ]),
      ),
    ).toThrow('PEP 751 allows one');
  });

  it('derives environments from the target only when its platform tags agree', () => {
    expect(targetEnvironment({ python: '3.12', platforms: ['win_amd64'] })).toBe(
      'python_version == "3.12" and sys_platform == "win32" and platform_machine == "AMD64"',
    );
    expect(targetEnvironment({ python: '3.11', platforms: ['manylinux_2_28_x86_64', 'manylinux_2_28_aarch64'] })).toBe(
      'python_version == "3.11" and sys_platform == "linux"',
    );
    expect(targetEnvironment({ python: '3.11', platforms: ['any'] })).toBe('python_version == "3.11"');
  });
});

describe('requirements.txt writer', () => {
  const text = writeRequirements(lock);

  it('is plain pip syntax with hashes, plus karoo-file comments pip ignores', () => {
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '# This file was generated by karoo from a resolved lock. Do not edit it by hand.',
      '# Install with: pip install --require-hashes --no-deps -r requirements.txt',
      `# lock digest: ${lock.digest}`,
    ]);
    expect(text).toContain('# target: python 3.11 (cp), platforms manylinux_2_28_x86_64 manylinux_2_17_x86_64');
    expect(text).toContain(
      [
        'numpy==1.26.4 ; python_version >= "3.10" \\',
        `    --hash=sha256:${h('a')} \\`,
        `    --hash=sha256:${h('c')}`,
        `    # karoo-file: numpy==1.26.4 numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl sha256=${h('a')} size=18000000 url=https://files.example.org/n/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`,
        `    # karoo-file: numpy==1.26.4 numpy-1.26.4.tar.gz sha256=${h('c')} size=15000000 url=https://files.example.org/numpy-1.26.4.tar.gz`,
        '    # karoo-index: numpy==1.26.4 https://pypi.example.org/simple',
      ].join('\n'),
    );
    expect(text).not.toContain('s3cret');
    expect(text.endsWith('\n')).toBe(true);
  });

  it("names the indexes as pip-compile does, without credentials: the leaves' index first", () => {
    const lines = text.split('\n');
    const at = lines.indexOf('--index-url https://pypi.example.org/private/simple');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at, at + 3)).toEqual([
      '--index-url https://pypi.example.org/private/simple',
      '--extra-index-url https://pypi.example.org/simple',
      '',
    ]);
    expect(lines.slice(0, at).every((l) => l === '' || l.startsWith('#'))).toBe(true);
    // The leaves' index leads even where another sorts first; a lock without indexes names none (pip's default).
    const other = Lock.create(
      [
        { ...PACKAGES[0]!, index: 'https://z.example.org/simple' },
        { ...PACKAGES[1]!, index: 'https://a.example.org/simple' },
      ],
      META,
    );
    expect(writeRequirements(other)).toContain(
      '--index-url https://z.example.org/simple\n--extra-index-url https://a.example.org/simple\n',
    );
    const bare = Lock.create(
      PACKAGES.map((p) => ({ ...p, index: undefined })),
      META,
    );
    expect(writeRequirements(bare)).not.toMatch(/^--/m);
  });

  it('reads back the same lock as the pylock.toml: digest, URLs, sizes, index, metadata', () => {
    const fromReq = readLockText(text, 'out/requirements.txt');
    const fromPylock = readLockText(writePylock(lock), 'out/pylock.toml');
    expect(fromReq.warnings).toEqual([]);
    expect(fromReq.complete).toBe(true);
    expect(fromReq.lock.digest).toBe(lock.digest);
    expect(fromReq.lock.packages).toEqual(fromPylock.lock.packages);
    expect(fromReq.lock.meta).toEqual(lock.meta);
    expect(writeRequirements(fromReq.lock)).toBe(text);
  });

  it('the digest ignores URLs, sizes and file names but not hashes, versions or markers', () => {
    const plain = Lock.create(
      PACKAGES.map((p) => ({ ...p, index: undefined, files: p.files.map((f) => ({ name: '', sha256: f.sha256 })) })),
    );
    expect(plain.digest).toBe(lock.digest);
    const bump = Lock.create(PACKAGES.map((p) => (p.name === 'six' ? { ...p, version: '1.16.1' } : p)));
    const rehash = Lock.create(PACKAGES.map((p) => (p.name === 'six' ? { ...p, files: [{ ...p.files[0]!, sha256: h('f') }] } : p)));
    const marker = Lock.create(PACKAGES.map((p) => (p.name === 'six' ? { ...p, marker: 'os_name == "nt"' } : p)));
    expect(new Set([lock.digest, bump.digest, rehash.digest, marker.digest]).size).toBe(4);
  });

  it('notices a hand edit: changed pins keep reading, with a warning that the recorded digest is stale', () => {
    const edited = text.replace('six==1.16.0', 'six==1.16.1').replace(/karoo-file: six==1\.16\.0/, 'karoo-file: six==1.16.1');
    const r = readLockText(edited, 'requirements.txt');
    expect(r.lock.get('six')!.version).toBe('1.16.1');
    expect(r.warnings.join('\n')).toContain(`the recorded lock digest ${lock.digest} does not match`);
  });

  it('rejects karoo-file comments that contradict the requirements, with their line', () => {
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes('karoo-file: six==')) + 1;
    expect(fileError(() => readLockText(text.replace(`sha256=${h('d')}`, `sha256=${h('9')}`), 'r.txt'))).toEqual({
      line: at,
      reason: `karoo-file comment gives sha256 ${h('9')}, which is not a --hash of six==1.16.0`,
    });
    expect(fileError(() => readLockText(text.replace('karoo-file: six==1.16.0', 'karoo-file: sox==1.16.0'), 'r.txt')).reason).toContain(
      'which no requirement in the file pins',
    );
    expect(
      fileError(() => readLockText(text.replace('url=https://files.example.org/six', 'url=https://u:p@files.example.org/six'), 'r.txt'))
        .reason,
    ).toContain('credentials');
    expect(fileError(() => readLockText(text.replace(' size=11053', ' size=big'), 'r.txt')).reason).toContain('not a whole number');
  });
});

describe('pylock.toml validation', () => {
  const ok = 'lock-version = "1.0"\ncreated-by = "t"\n';
  const wheel = (name: string, extra = '') =>
    `[[packages.wheels]]\nname = "${name}"\nurl = "https://f/${name}"\n${extra}hashes = { sha256 = "${h('a')}" }\n`;

  it.each([
    ['lock-version = "1.0"\n[[packages]]\nname = "a"\n', 1, 'missing required key "created-by"'],
    ['lock-version = "2.0"\ncreated-by = "t"\npackages = []\n', 1, 'lock-version "2.0" is not supported'],
    [`${ok}packages = []\nenvironments = ["python_version >= 3"]\n`, 4, 'invalid marker'],
    [`${ok}packages = []\nrequires-python = ">=3.x"\n`, 4, 'not a version specifier'],
    [`${ok}\n[[packages]]\nname = "a"\nversion = "1"\n`, 4, 'has none of vcs, directory, archive, sdist or wheels'],
    [
      `${ok}\n[[packages]]\nname = "ok"\nversion = "1"\n${wheel('ok-1-py3-none-any.whl')}\n[[packages]]\nname = "a b"\n`,
      12,
      'is not a valid project name',
    ],
    [
      `${ok}\n[[packages]]\nname = "a"\nversion = "1"\ndirectory = { path = "." }\n${wheel('a-1-py3-none-any.whl')}`,
      4,
      'directory and wheels are mutually exclusive',
    ],
    [
      `${ok}\n[[packages]]\nname = "a"\nversion = "1"\n[[packages.wheels]]\nurl = "https://f/a-1-py3-none-any.whl"\n`,
      4,
      'wheels[0].hashes is required',
    ],
    [`${ok}\n[[packages]]\nname = "a"\nversion = "1"\n${wheel('b-1-py3-none-any.whl')}`, 4, 'is a file of "b", not of "a"'],
    [
      `${ok}\n[[packages]]\nname = "a"\nversion = "2"\n${wheel('a-1-py3-none-any.whl')}`,
      4,
      'a file is version 1 but the package says version 2',
    ],
    [`${ok}\n[[packages]]\nname = "a"\nversion = "1"\n${wheel('a-1-py3-none-any.whl', 'size = -1\n')}`, 4, 'size must be a whole number'],
    [
      `${ok}\n[[packages]]\nname = "a"\nversion = "1"\nsdist = { url = "https://f/a-1.tar.gz", hashes = { sha256 = "abc" } }\n`,
      4,
      'is not 64 hex digits',
    ],
    [`${ok}\n[[packages]]\nname = "a"\nversion = "1"\nvcs = { type = "git", url = "https://g/a" }\n`, 4, 'vcs.commit-id is required'],
    [`${ok}\n[[packages]]\nname = "a"\nversion = "1"\nmarker = "python_version >"\n${wheel('a-1-py3-none-any.whl')}`, 4, 'invalid marker'],
    [
      `${ok}packages = [\n  { name = "ok", version = "1", wheels = [{ url = "https://f/ok-1-py3-none-any.whl", hashes = { sha256 = "${h('a')}" } }] },\n  { name = "bad", version = "1" },\n]\n`,
      5,
      'packages[1] (bad)',
    ],
    [`${ok}packages = [\n  { name = "a",, },\n]\n`, 4, 'invalid TOML'],
  ])('%#: rejected: %j', (text, line, reason) => {
    const e = fileError(() => parsePylock(text as string, 'pylock.toml'));
    expect(e.reason).toContain(reason);
    expect(e.line).toBe(line);
  });

  it('accepts VCS and directory packages but reports them as not lockable', () => {
    const r = parsePylock(
      `${ok}\n[[packages]]\nname = "src"\ndirectory = { path = "../src", editable = true }\n\n[[packages]]\nname = "g"\nvcs = { type = "git", url = "https://u:p@g.example/g", commit-id = "abc" }\n`,
      'pylock.toml',
    );
    expect(r.lock.packages).toEqual([]);
    expect(r.unpinned.map((u) => [u.line, u.name])).toEqual([
      [4, 'src'],
      [8, 'g'],
    ]);
    expect(r.warnings.join()).not.toContain('u:p@');
  });
});
