import { describe, expect, it } from '@jest/globals';
import { isFileError } from '@karoo/common';
import { decodeText } from './files.js';
import { parseRequirements, type RequirementsFile } from './requirements.js';
import { requirementsToLock } from './requirements-lock.js';

const H1 = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
const H2 = '486ea46224d1bb4fb680f34f7c9ad96a8f24ec88be73ea8e5a6c65260e9cb8a7';
const H384 = '59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f';

function parse(text: string, files: Record<string, string> = {}, env: Record<string, string> = {}): RequirementsFile {
  return parseRequirements(text, '/v/requirements.txt', {
    env,
    readText: (p) => {
      const t = files[p];
      if (t === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return t;
    },
  });
}

function fails(text: string, files: Record<string, string> = {}): { file: string; line: number | undefined; reason: string } {
  try {
    parse(text, files);
  } catch (e) {
    if (isFileError(e)) return { file: e.file, line: e.line, reason: e.reason };
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

const names = (r: RequirementsFile) => r.entries.map((e) => [e.line, e.name ?? e.url ?? e.path]);

describe('physical lines, continuations and comments (pip join_lines / ignore_comments)', () => {
  it('a comment line ends a continuation; the backslash at the end of a comment does not continue it', () => {
    expect(names(parse('req1 \\\n# comment \\\nreq2\n'))).toEqual([
      [1, 'req1'],
      [3, 'req2'],
    ]);
    expect(names(parse('req1\\\n# comment'))).toEqual([[1, 'req1']]);
  });

  it('joined lines take the number of their first physical line', () => {
    const r = parse('a\nb==1 \\\n  --hash=sha256:' + H1 + '\nc \\\n ; python_version \\\n >= "3"\nd');
    expect(names(r)).toEqual([
      [1, 'a'],
      [2, 'b'],
      [4, 'c'],
      [7, 'd'],
    ]);
    expect(r.entries[1]!.hashes).toEqual([{ algorithm: 'sha256', digest: H1 }]);
    expect(r.entries[2]!.marker).toBe('python_version  >= "3"');
  });

  it('accepts a dangling continuation on the last line and a lone backslash line', () => {
    expect(names(parse('line1\nline2 \\'))).toEqual([
      [1, 'line1'],
      [2, 'line2'],
    ]);
    expect(names(parse('\\\n\nfoo'))).toEqual([[3, 'foo']]);
  });

  it('needs whitespace before # for a comment; otherwise # is a URL fragment', () => {
    expect(parse('req # comment').entries[0]!.name).toBe('req');
    const u = parse('https://example.com/foo.tar.gz#egg=wat').entries[0]!;
    expect(u).toMatchObject({ kind: 'url', name: 'wat', url: 'https://example.com/foo.tar.gz#egg=wat' });
    expect(parse('https://example.com/foo.tar.gz # Comment ').entries[0]!.url).toBe('https://example.com/foo.tar.gz');
    expect(parse('# Comment ').entries).toEqual([]);
  });

  it('continuations join option lines; appending options accumulate', () => {
    expect(parse('--extra-index-url url1 \\\n--extra-index-url url2').options.extraIndexUrls).toEqual(['url1', 'url2']);
    expect(parse('--extra-index-url url1 \n--extra-index-url url2 ').options.extraIndexUrls).toEqual(['url1', 'url2']);
  });
});

describe('requirement lines', () => {
  it('parses specifiers with spaces, extras, markers and direct references', () => {
    const r = parse(
      [
        'SomeProject >= 2',
        'pkg [ ext1, ext2 ] @ https://example.com/',
        "pkg2 [ext] == 1.0; python_version<='3.6'",
        'pkg-all.allowed_chars0 [ext] ~= 2.0',
        'foo @ git+http://foo.com@ref#egg=foo',
        'semicolon; os_name == "a; b"',
        'mock3 ; python_version >= "3" ',
      ].join('\n'),
    ).entries;
    expect(r[0]).toMatchObject({ name: 'SomeProject', specifier: [{ operator: '>=', version: '2' }] });
    expect(r[1]).toMatchObject({ name: 'pkg', extras: ['ext1', 'ext2'], url: 'https://example.com/', kind: 'url' });
    expect(r[2]).toMatchObject({
      name: 'pkg2',
      extras: ['ext'],
      specifier: [{ operator: '==', version: '1.0' }],
      marker: "python_version<='3.6'",
    });
    expect(r[3]).toMatchObject({ name: 'pkg-all.allowed_chars0', specifier: [{ operator: '~=', version: '2.0' }] });
    expect(r[4]).toMatchObject({ name: 'foo', kind: 'vcs', url: 'git+http://foo.com@ref#egg=foo' });
    expect(r[5]).toMatchObject({ name: 'semicolon', marker: 'os_name == "a; b"' });
    expect(r[6]).toMatchObject({ name: 'mock3', marker: 'python_version >= "3"' });
  });

  it('for URLs only "; " starts a marker, and the query keeps its semicolons', () => {
    const url = 'http://foo.com/?p=bar.git;a=snapshot;h=v0.1;sf=tgz';
    expect(parse(`${url}; python_version >= "3"`).entries[0]).toMatchObject({ url, marker: 'python_version >= "3"' });
    // Without whitespace the ';...' belongs to the URL (pip), which then holds spaces: rejected.
    expect(parse(`${url};python_version>="3"`).entries[0]).toMatchObject({ url: `${url};python_version>="3"`, marker: undefined });
    expect(fails(`${url};python_version >= "3"`).reason).toContain('a URL cannot contain whitespace');
  });

  it('bare VCS URLs, wheel files, paths and editables', () => {
    const r = parse(
      [
        'git+ssh://git@github.com/ska-sa/katsdpdata#egg=katsdpfilewriter&subdirectory=katsdpfilewriter',
        'simple-0.1-py2.py3-none-any.whl [ext]',
        'https://what@whatever.com/test-0.4-py2.py3-bogus-any.whl',
        '-e git+https://url#egg=SomeProject',
        '-e ./editable[d,dev] ; python_version >= "3.9" and os_name == "posix"',
        './test/packages/black editable # comment',
        '-e foo[extra] @ svn+http://foo ; os_name == "nt"',
      ].join('\n'),
    ).entries;
    expect(r[0]).toMatchObject({ kind: 'vcs', name: 'katsdpfilewriter' });
    expect(r[1]).toMatchObject({ kind: 'path', name: 'simple', specifier: [{ operator: '==', version: '0.1' }], extras: ['ext'] });
    expect(r[2]).toMatchObject({ kind: 'url', name: 'test', specifier: [{ operator: '==', version: '0.4' }] });
    expect(r[3]).toMatchObject({ kind: 'vcs', name: 'SomeProject', editable: true });
    expect(r[4]).toMatchObject({
      kind: 'path',
      path: './editable',
      extras: ['d', 'dev'],
      editable: true,
      marker: 'python_version >= "3.9" and os_name == "posix"',
    });
    expect(r[5]).toMatchObject({ kind: 'path', path: './test/packages/black editable' });
    expect(r[6]).toMatchObject({ name: 'foo', extras: ['extra'], url: 'svn+http://foo', editable: true, marker: 'os_name == "nt"' });
  });

  it('groups per-requirement hashes in order, of several algorithms, and reads config settings', () => {
    const e = parse(`SomeProject --hash=sha256:${H1} --hash=sha384:${H384} --hash sha256:${H2}`).entries[0]!;
    expect(e.hashes).toEqual([
      { algorithm: 'sha256', digest: H1 },
      { algorithm: 'sha384', digest: H384 },
      { algorithm: 'sha256', digest: H2 },
    ]);
    expect(parse('SomeProject --config-settings="yo3=yo4" --config-settings "yo1=yo2"').entries[0]!.configSettings).toEqual({
      yo3: 'yo4',
      yo1: 'yo2',
    });
  });

  it('reads a marker before the --hash option (poetry export style)', () => {
    const e = parse(`werkzeug==2.2.3 ; python_version >= "3.8" and python_version < "4.0" --hash=sha256:${H1}`).entries[0]!;
    expect(e).toMatchObject({
      name: 'werkzeug',
      marker: 'python_version >= "3.8" and python_version < "4.0"',
      hashes: [{ algorithm: 'sha256', digest: H1 }],
    });
  });
});

describe('malformed lines are rejected with file, line and reason', () => {
  it.each([
    ['a\nb\nmy-package=1.0', 3, "'=' is not a valid operator; did you mean '=='?"],
    ['req1 req2', 1, 'one requirement per line'],
    ['-', 1, "invalid requirement '-'"],
    ['name; python_version == "1"; python_version == "2"', 1, 'invalid marker'],
    ['name; pythn_version == "1"', 1, "unknown marker variable 'pythn_version'"],
    ['pkg==1.0.0 --hash=somehash', 1, 'not ALGORITHM:HEXDIGEST'],
    ['pkg==1.0.0 --hash=sha256:somehash', 1, 'not a sha256 digest'],
    ['pkg==1.0.0 --hash=md5:d41d8cd98f00b204e9800998ecf8427e', 1, 'pip accepts sha256, sha384 and sha512'],
    ['--bogus', 1, 'unknown option --bogus'],
    ["--'data", 1, 'unknown option'],
    ['-i "unbalanced', 1, 'unbalanced quote'],
    ['--use-feature=resolvelib', 1, 'not a feature pip accepts'],
    ['invalid.whl', 1, 'not a valid wheel file name'],
    ['pkg --index-url=https://x/simple', 1, 'cannot follow a requirement'],
    ['--hash=sha256:' + H1, 1, 'must follow a requirement'],
    ['SomeProject --install-option=yo1', 1, 'no longer accepts --install-option'],
    ['\n\n-e ./editable# comment', 3, "'#' right after a path is not a comment"],
    ['-e ./editable;python_version >= "3.9"', 1, "needs whitespace before ';'"],
    ['pkg >= 1.0 ,, <2', 1, 'does not start with a version operator'],
    ['pkg ~= 2', 1, "'~=' needs a version with at least two components"],
    ['pkg == 1.0 extra', 1, 'whitespace inside the version'],
    ['-r', 1, 'requires a value'],
  ])('%j → line %i: %s', (text, line, reason) => {
    const f = fails(text);
    expect(f.file).toBe('/v/requirements.txt');
    expect(f.line).toBe(line);
    expect(f.reason).toContain(reason);
  });
});

describe('global options', () => {
  it('reads index options in every spelling, accumulating as pip does', () => {
    for (const t of ['-i url', "-i 'url'", '--index-url=url', '--index-url url', "--index-url='url'", '-iurl', '--index=url']) {
      expect(parse(t).options.indexUrl).toBe('url');
    }
    const o = parse(
      '--extra-index-url=u2\n--no-index\n--find-links=rel_path\n--trusted-host=host1 --trusted-host=host2:8080\n--pre\n--no-binary fred\n--only-binary wilma,barney\n--prefer-binary\n--require-hashes\n--use-feature=fast-deps\n--all-releases pkg1,pkg2\n--only-final :all:',
    ).options;
    expect(o).toMatchObject({
      extraIndexUrls: ['u2'],
      noIndex: true,
      findLinks: ['/v/rel_path'],
      trustedHosts: ['host1', 'host2:8080'],
      pre: true,
      noBinary: ['fred'],
      onlyBinary: ['wilma', 'barney'],
      preferBinary: true,
      requireHashes: true,
      useFeatures: ['fast-deps'],
      allReleases: ['pkg1', 'pkg2'],
      onlyFinal: [':all:'],
    });
  });

  it('records the non-pip -d directive with a warning instead of failing', () => {
    const r = parse('# TODO\n-d https://example.org/base-requirements.txt\nfoo');
    expect(r.includes).toEqual([
      { kind: 'defaults', target: 'https://example.org/base-requirements.txt', file: '/v/requirements.txt', line: 2, remote: true },
    ]);
    expect(r.warnings.join()).toContain('not a pip option');
  });

  it('expands ${VAR} only when set and non-empty; $VAR and %VAR% never', () => {
    const r = parse(
      'https://${GITHUB_TOKEN}:x-oauth-basic@github.com/user/${DO_12_FACTOR}/archive/master.zip#egg=a\nhttps://${NON_EXISTENT_VARIABLE}:$WRONG_FORMAT@%WINDOWS_FORMAT%github.com/user/repo/archive/master.zip#egg=b',
      {},
      { GITHUB_TOKEN: 'tok', DO_12_FACTOR: 'repo', NON_EXISTENT_VARIABLE: '' },
    );
    expect(r.entries[0]!.url).toBe('https://tok:x-oauth-basic@github.com/user/repo/archive/master.zip#egg=a');
    expect(r.entries[1]!.url).toBe(
      'https://${NON_EXISTENT_VARIABLE}:$WRONG_FORMAT@%WINDOWS_FORMAT%github.com/user/repo/archive/master.zip#egg=b',
    );
  });
});

describe('includes', () => {
  it('resolves -r and -c relative to the including file; constraints are marked', () => {
    const r = parse('-r parent/reqs.txt\n-c parent/cons.txt', {
      '/v/parent/reqs.txt': 'hello\n-r ../more.txt',
      '/v/more.txt': 'more==1.0',
      '/v/parent/cons.txt': 'hello==2.0\n-r deep.txt',
      '/v/parent/deep.txt': 'deep<3',
    });
    expect(r.entries.map((e) => [e.file, e.line, e.name, e.constraint])).toEqual([
      ['/v/parent/reqs.txt', 1, 'hello', false],
      ['/v/more.txt', 1, 'more', false],
      ['/v/parent/cons.txt', 1, 'hello', true],
      ['/v/parent/deep.txt', 1, 'deep', true],
    ]);
    // Constraints pin nothing by themselves; 'hello' is an unpinned requirement.
    const l = requirementsToLock(r);
    expect(l.lock.packages.map((p) => `${p.name}==${p.version}`)).toEqual(['more==1.0']);
    expect(l.unpinned.map((u) => u.name)).toEqual(['hello']);
  });

  it('allows including one file twice, but detects cycles with the chain', () => {
    const files = { '/v/a.txt': 'requests', '/v/b.txt': '-r a.txt' };
    expect(parse('-r a.txt\n-r b.txt', files).entries.map((e) => e.name)).toEqual(['requests', 'requests']);
    const f = fails('-r 1.txt', { '/v/1.txt': '-r 2.txt', '/v/2.txt': '\n-r 3.txt', '/v/3.txt': '-r requirements.txt' });
    expect(f).toMatchObject({ file: '/v/3.txt', line: 1 });
    expect(f.reason).toContain(
      'includes itself recursively (/v/requirements.txt:1 -> /v/1.txt:1 -> /v/2.txt:2 -> /v/3.txt:1 -> /v/requirements.txt)',
    );
    // The cycle names the whole chain: no "(included by …)" added at each level on the way out.
    expect(f.reason).not.toContain('included by');
    const g = fails('-r nest/level_1.txt', {
      '/v/nest/level_1.txt': '-r nest/level_2.txt',
      '/v/nest/nest/level_2.txt': '-r ../../requirements.txt',
    });
    expect(g.reason).toContain('includes itself recursively');
  });

  it('reports a missing include at the including line, and errors inside an include name the include', () => {
    expect(fails('foo\n-c nothere.txt')).toMatchObject({
      line: 2,
      reason: expect.stringContaining('cannot open constraint file "nothere.txt"'),
    });
    const f = fails('-r sut.txt', { '/v/sut.txt': '--extra-index-url https://x\ntoto=42' });
    expect(f).toMatchObject({ file: '/v/sut.txt', line: 2 });
    expect(f.reason).toContain('(included by -r at /v/requirements.txt:1)');
  });

  it('records URL includes without fetching them; a remote -r makes the lock incomplete', () => {
    const r = parse('-c https://example.org/c.txt\n-r https://example.org/r.txt\nfoo==1');
    expect(r.includes.map((i) => [i.kind, i.remote])).toEqual([
      ['constraint', true],
      ['requirement', true],
    ]);
    expect(requirementsToLock(r).unpinned.map((u) => u.text)).toEqual(['-r https://example.org/r.txt']);
  });

  it('rejects editables in constraint files', () => {
    expect(fails('-c c.txt', { '/v/c.txt': '-e git+https://url#egg=SomeProject' }).reason).toContain(
      'editable requirements are not allowed as constraints',
    );
  });
});

describe('requirements to lock', () => {
  it('turns pins with hashes into packages and reports the rest', () => {
    const r = requirementsToLock(parse(`a==1.0 --hash=sha256:${H1}\nb>=2\nc @ git+https://x/c\nB==2.1\n-e ./local\nd===weird`));
    expect(r.lock.packages.map((p) => [p.name, p.version, p.files.map((f) => f.sha256)])).toEqual([
      ['a', '1.0', [H1]],
      ['b', '2.1', []],
      ['d', 'weird', []],
    ]);
    // 'b>=2' is satisfied by the pin 'B==2.1' and not reported.
    expect(r.unpinned.map((u) => [u.line, u.name ?? u.text])).toEqual([
      [3, 'c'],
      [5, './local'],
    ]);
  });

  it('rejects contradictory pins at the second one', () => {
    expect(() => requirementsToLock(parse('x==1\ny\nx==2'))).toThrow(
      '/v/requirements.txt:3: "x" is pinned to 2 here and to 1 at /v/requirements.txt:1',
    );
    // The same name under different markers is a fork, not a contradiction.
    const f = requirementsToLock(parse("x==1 ; python_version < '3.10'\nx==2 ; python_version >= '3.10'"));
    expect(f.lock.packages.map((p) => [p.version, p.marker])).toEqual([
      ['1', 'python_version < "3.10"'],
      ['2', 'python_version >= "3.10"'],
    ]);
  });

  it('a hashed direct URL to a wheel is a locked file with its URL (credentials dropped)', () => {
    const r = requirementsToLock(parse(`pkg @ https://u:pw@files.example/pkg-1.0-py3-none-any.whl --hash=sha256:${H2}`));
    expect(r.lock.packages[0]).toMatchObject({
      name: 'pkg',
      version: '1.0',
      files: [{ name: 'pkg-1.0-py3-none-any.whl', url: 'https://files.example/pkg-1.0-py3-none-any.whl', sha256: H2 }],
    });
  });
});

describe('encodings (pip decodes BOMs, PEP 263 coding lines, then UTF-8 or latin-1)', () => {
  const utf16 = (s: string, le: boolean) => {
    const b = Buffer.alloc(2 + s.length * 2);
    b.writeUInt16BE(le ? 0xfffe : 0xfeff, 0);
    for (let i = 0; i < s.length; i++) {
      if (le) b.writeUInt16LE(s.charCodeAt(i), 2 + 2 * i);
      else b.writeUInt16BE(s.charCodeAt(i), 2 + 2 * i);
    }
    return b;
  };
  const utf32 = (s: string) => {
    const b = Buffer.alloc(4 + s.length * 4);
    b.writeUInt32LE(0xfeff, 0);
    for (let i = 0; i < s.length; i++) b.writeUInt32LE(s.charCodeAt(i), 4 + 4 * i);
    return b;
  };
  it.each([
    ['UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Django==1.4.2')])],
    ['UTF-16-LE BOM', utf16('Django==1.4.2', true)],
    ['UTF-16-BE BOM', utf16('Django==1.4.2', false)],
    ['UTF-32-LE BOM', utf32('Django==1.4.2')],
    ['latin-1 coding line', Buffer.from('# coding=latin1\nDjango==1.4.2 # Pas trop de caf\xe9', 'latin1')],
  ])('%s', (_, bytes) => {
    const { text, warning } = decodeText(bytes);
    expect(warning).toBeUndefined();
    const e = parseRequirements(text, 'r.txt', { env: {} }).entries;
    expect(e.map((x) => [x.name, x.specifier])).toEqual([['Django', [{ operator: '==', version: '1.4.2' }]]]);
  });

  it('falls back to latin-1 with a warning for bytes that are not UTF-8', () => {
    const { text, warning } = decodeText(Buffer.from('pip<=24.0 # some comment\xff', 'latin1'));
    expect(warning).toContain('latin-1');
    expect(parseRequirements(text, 'r.txt', { env: {} }).entries[0]!.specifier).toEqual([{ operator: '<=', version: '24.0' }]);
  });
});
