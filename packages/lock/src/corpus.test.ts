/**
 * Every lock and requirements file in the real-world corpus (../shared/realworld, see its
 * SOURCES.md): read, checked against counts verified by hand (grep over the files), and
 * round-tripped through karoo's writers. Files of other kinds are skipped by an explicit rule;
 * a file no rule covers fails the test, so new corpus files are never silently ignored.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isFileError } from '@karoo/common';
import { stringify } from 'smol-toml';
import { parse as parseTomlText } from 'smol-toml';
import { type Lock } from './model.js';
import { writePylock } from './pylock.js';
import { readLockFile, readLockText, type ReadLockResult } from './read.js';
import { writeRequirements } from './requirements-lock.js';

const ROOT = process.env.KAROO_REALWORLD ?? resolve(process.cwd(), '../shared/realworld');

/** Files that are not locks or requirements, and why they are skipped. */
const SKIP: Array<[RegExp, string]> = [
  [/(^|\/)(README|SOURCES|ERRORS)\.md$/, 'corpus documentation'],
  [/^requirements-edge-cases\.md$/, 'prose summary of pip test cases (covered by requirements.test.ts)'],
  [/^resolver-cases\//, 'resolver fixtures (YAML/JSON index snapshots), not lock files'],
  [/(^|\/)pyproject\.toml$/, 'project metadata: declares dependencies, pins nothing'],
  [/(^|\/)setup\.cfg$/, 'project metadata: declares dependencies, pins nothing'],
];

/** Files that must be rejected: where, and why. */
const REJECTED: Record<string, { file: string; line: number; reason: string }> = {
  'ska-observatory/skampi-2023-02/tests/SUT_requirements.txt': {
    file: 'ska-observatory/skampi-2023-02/tests/SUT_requirements.txt',
    line: 2,
    reason: "invalid requirement 'ska-oso-oet=5.0.0': '=' is not a valid operator; did you mean '=='?",
  },
  // Includes the malformed file above with -r: the error points into the included file.
  'ska-observatory/skampi-2023-02/tests/requirements.txt': {
    file: 'ska-observatory/skampi-2023-02/tests/SUT_requirements.txt',
    line: 2,
    reason: "'=' is not a valid operator",
  },
  // uv's fixture marks it "Disallowed (missing whitespace before hash)".
  'parser-testdata/uv-requirements-txt/hash.txt': {
    file: 'parser-testdata/uv-requirements-txt/hash.txt',
    line: 2,
    reason: "'#' right after a path is not a comment",
  },
  // uv's fixture marks it "Disallowed (missing whitespace before colon)".
  'parser-testdata/uv-requirements-txt/semicolon.txt': {
    file: 'parser-testdata/uv-requirements-txt/semicolon.txt',
    line: 2,
    reason: "a marker after a path needs whitespace before ';'",
  },
  // pip's test expects "Invalid pylock file": lock-version is missing.
  'pylock/pip-tests-lockfiles/pylock.invalid.toml': {
    file: 'pylock/pip-tests-lockfiles/pylock.invalid.toml',
    line: 1,
    reason: 'missing required key "lock-version"',
  },
};

/**
 * What each accepted file holds. `packages` = locked packages, `files` = sha256-identified
 * files, `unpinned` = entries a lock cannot hold. Counts cross-checked by hand with grep
 * (pinned lines `^name==`, `--hash=sha256:` lines, `[[packages]]`/`name =` headers).
 */
const EXPECTED: Record<string, { packages: number; files: number; unpinned: number; format?: ReadLockResult['format'] }> = {
  'compiled-requirements/flask-celery-example/requirements.txt': { packages: 21, files: 0, unpinned: 0 },
  'compiled-requirements/sigstore-python/install/requirements.in': { packages: 1, files: 0, unpinned: 0 },
  'compiled-requirements/sigstore-python/install/requirements.txt': { packages: 32, files: 426, unpinned: 0 },
  'compiled-requirements/uv-docs-2024-07/docs/requirements-insiders.in': { packages: 0, files: 0, unpinned: 8 },
  'compiled-requirements/uv-docs-2024-07/docs/requirements-insiders.txt': { packages: 41, files: 0, unpinned: 1 },
  'compiled-requirements/uv-docs-2024-07/docs/requirements.in': { packages: 0, files: 0, unpinned: 7 },
  'compiled-requirements/uv-docs-2024-07/docs/requirements.txt': { packages: 43, files: 0, unpinned: 0 },
  'compiled-requirements/vscode-black-formatter/requirements.in': { packages: 0, files: 0, unpinned: 3 },
  'compiled-requirements/vscode-black-formatter/requirements.txt': { packages: 15, files: 140, unpinned: 0 },
  'compiled-requirements/vscode-black-formatter/src/test/python_tests/requirements.in': { packages: 2, files: 0, unpinned: 5 },
  'compiled-requirements/vscode-black-formatter/src/test/python_tests/requirements.txt': { packages: 20, files: 258, unpinned: 0 },
  'compiled-requirements/warehouse/requirements/deploy.in': { packages: 0, files: 0, unpinned: 2 },
  'compiled-requirements/warehouse/requirements/deploy.txt': { packages: 8, files: 155, unpinned: 0 },
  'compiled-requirements/warehouse/requirements/main.in': { packages: 0, files: 0, unpinned: 79 },
  'compiled-requirements/warehouse/requirements/main.txt': { packages: 184, files: 2089, unpinned: 0 },
  'compiled-requirements/warehouse/requirements/tests.in': { packages: 0, files: 0, unpinned: 16 },
  'compiled-requirements/warehouse/requirements/tests.txt': { packages: 48, files: 417, unpinned: 0 },
  'parser-testdata/pip-reqfiles/supported_options2.txt': { packages: 0, files: 0, unpinned: 0 },
  'parser-testdata/uv-requirements-txt/bare-url.txt': { packages: 0, files: 0, unpinned: 6 },
  'parser-testdata/uv-requirements-txt/basic.txt': { packages: 6, files: 0, unpinned: 0 },
  'parser-testdata/uv-requirements-txt/constraints-a.txt': { packages: 0, files: 0, unpinned: 1 },
  'parser-testdata/uv-requirements-txt/constraints-b.txt': { packages: 2, files: 0, unpinned: 0 },
  'parser-testdata/uv-requirements-txt/editable.txt': { packages: 0, files: 0, unpinned: 8 },
  'parser-testdata/uv-requirements-txt/empty.txt': { packages: 0, files: 0, unpinned: 0 },
  'parser-testdata/uv-requirements-txt/for-poetry.txt': { packages: 2, files: 0, unpinned: 2 },
  'parser-testdata/uv-requirements-txt/include-a.txt': { packages: 1, files: 0, unpinned: 1 },
  'parser-testdata/uv-requirements-txt/include-b.txt': { packages: 0, files: 0, unpinned: 1 },
  'parser-testdata/uv-requirements-txt/poetry-with-hashes.txt': { packages: 5, files: 9, unpinned: 0 },
  'parser-testdata/uv-requirements-txt/small.txt': { packages: 2, files: 0, unpinned: 0 },
  'parser-testdata/uv-requirements-txt/whitespace.txt': { packages: 0, files: 0, unpinned: 2 },
  'pylock/h11-pdm/pylock.toml': { packages: 21, files: 196, unpinned: 0 },
  'pylock/packaging-spec-example/pylock.spec-example.toml': { packages: 3, files: 4, unpinned: 0 },
  'pylock/pip-build-project/pylock.toml': { packages: 4, files: 4, unpinned: 0 },
  'pylock/pip-tests-lockfiles/pylock.certifi-with-upload_time.toml': { packages: 1, files: 2, unpinned: 0 },
  'pylock/pip-tests-lockfiles/pylock.certifi-without-upload_time.toml': { packages: 1, files: 2, unpinned: 0 },
  'pylock/pip-tests-lockfiles/pylock.directory.toml': { packages: 0, files: 0, unpinned: 2 },
  // Well-formed; the wrong hash only shows against the file's bytes, which are not in the corpus.
  'pylock/pip-tests-lockfiles/pylock.invalidhash.toml': { packages: 1, files: 1, unpinned: 0 },
  'pylock/pip-tests-lockfiles/pylock.mixed.toml': { packages: 1, files: 1, unpinned: 1 },
  // Well-formed; pip refuses to install it on Python 3.7+ (requires-python ==3.6.*), which is an installer's choice.
  'pylock/pip-tests-lockfiles/pylock.oldpython.toml': { packages: 1, files: 1, unpinned: 0 },
  'pylock/pip-tests-lockfiles/pylock.onearchive.toml': { packages: 1, files: 1, unpinned: 0 },
  'pylock/pip-tests-lockfiles/pylock.onesdist.toml': { packages: 1, files: 1, unpinned: 0 },
  'pylock/pip-tests-lockfiles/pylock.onewheel.toml': { packages: 1, files: 1, unpinned: 0 },
  'pylock/pip-tests-lockfiles/pylock.prerelease-archive.toml': { packages: 1, files: 1, unpinned: 0 },
  'pylock/pip-tests-lockfiles/pylock.prerelease-wheel.toml': { packages: 1, files: 1, unpinned: 0 },
  'pylock/pip-tests-lockfiles/pylock.toml': { packages: 3, files: 3, unpinned: 0 },
  'pylock/spectree-uv/pylock.toml': { packages: 69, files: 562, unpinned: 0 },
  'sarao-meerkat/aiokatcp/doc-requirements.txt': { packages: 30, files: 0, unpinned: 0 },
  'sarao-meerkat/aiokatcp/requirements.in': { packages: 0, files: 0, unpinned: 11 },
  'sarao-meerkat/aiokatcp/requirements.txt': { packages: 27, files: 0, unpinned: 0 },
  'sarao-meerkat/katcp-codec/requirements.txt': { packages: 23, files: 0, unpinned: 0 },
  'sarao-meerkat/katdal/doc-requirements.txt': { packages: 0, files: 0, unpinned: 24 },
  'sarao-meerkat/katdal/requirements.txt': { packages: 0, files: 0, unpinned: 11 },
  'sarao-meerkat/katdal/test-requirements.txt': { packages: 3, files: 0, unpinned: 5 },
  'sarao-meerkat/katgpucbf/qualification/requirements.in': { packages: 0, files: 0, unpinned: 1 },
  'sarao-meerkat/katgpucbf/qualification/requirements.txt': { packages: 87, files: 0, unpinned: 0 },
  'sarao-meerkat/katgpucbf/requirements-dev.in': { packages: 0, files: 0, unpinned: 8 },
  'sarao-meerkat/katgpucbf/requirements-dev.txt': { packages: 139, files: 0, unpinned: 0 },
  'sarao-meerkat/katgpucbf/requirements.in': { packages: 0, files: 0, unpinned: 2 },
  'sarao-meerkat/katgpucbf/requirements.txt': { packages: 72, files: 0, unpinned: 0 },
  'sarao-meerkat/katpoint/test-requirements.txt': { packages: 0, files: 0, unpinned: 7 },
  'sarao-meerkat/katportalclient/docs/docs_requirements.txt': { packages: 0, files: 0, unpinned: 4 },
  'sarao-meerkat/katsdpcontroller/requirements.txt': { packages: 103, files: 0, unpinned: 0 },
  'sarao-meerkat/katsdpcontroller/test-requirements.in': { packages: 0, files: 0, unpinned: 14 },
  'sarao-meerkat/katsdpcontroller/test-requirements.txt': { packages: 32, files: 0, unpinned: 0 },
  'sarao-meerkat/katsdpcontroller-2024-02/requirements.txt': { packages: 32, files: 0, unpinned: 18 },
  'sarao-meerkat/katsdpdockerbase/docker-base-build/base-requirements.txt': { packages: 119, files: 0, unpinned: 0 },
  'sarao-meerkat/katsdpdockerbase/docker-base-build/pre-requirements.txt': { packages: 10, files: 0, unpinned: 0 },
  'sarao-meerkat/katsdpdockerbase/docker-base-gpu-build/requirements.txt': { packages: 4, files: 0, unpinned: 6 },
  'sarao-meerkat/katsdpimager/requirements.txt': { packages: 5, files: 0, unpinned: 18 },
  'sarao-meerkat/katsdpimager/rtd-requirements.txt': { packages: 0, files: 0, unpinned: 10 },
  'sarao-meerkat/katsdpimager/simulation-requirements.in': { packages: 0, files: 0, unpinned: 7 },
  'sarao-meerkat/katsdpimager/simulation-requirements.txt': { packages: 115, files: 0, unpinned: 3 },
  'sarao-meerkat/katsdpimager-2020-12/simulation-requirements.in': { packages: 1, files: 0, unpinned: 5 },
  'sarao-meerkat/katsdpimager-2020-12/simulation-requirements.txt': { packages: 115, files: 0, unpinned: 1 },
  'sarao-meerkat/katsdpingest/requirements.txt': { packages: 0, files: 0, unpinned: 11 },
  'sarao-meerkat/katsdpingest-2018/katsdpbfingest/requirements.txt': { packages: 4, files: 0, unpinned: 26 },
  'sarao-meerkat/katsdpmodels/test-requirements.txt': { packages: 4, files: 0, unpinned: 4 },
  'sarao-meerkat/katsdptelstate/requirements.txt': { packages: 0, files: 0, unpinned: 5 },
  'sarao-meerkat/katsdptelstate/test-requirements.txt': { packages: 2, files: 0, unpinned: 6 },
  'sarao-meerkat/spead2/requirements-readthedocs.in': { packages: 27, files: 0, unpinned: 6 },
  'sarao-meerkat/spead2/requirements-readthedocs.txt': { packages: 39, files: 0, unpinned: 0 },
  'sarao-meerkat/spead2/requirements.in': { packages: 0, files: 0, unpinned: 1 },
  'sarao-meerkat/spead2/requirements.txt': { packages: 27, files: 0, unpinned: 0 },
  'ska-observatory/katpoint/poetry.lock': { packages: 100, files: 1012, unpinned: 0, format: 'poetry-lock' },
  'ska-observatory/katpoint-2023-11/gitlab-ci-requirements.txt': { packages: 0, files: 0, unpinned: 24 },
  'ska-observatory/katpoint-2023-11/requirements.txt': { packages: 2, files: 0, unpinned: 1 },
  'ska-observatory/ska-tango-base-2023-07/docs/requirements.txt': { packages: 4, files: 0, unpinned: 6 },
  'ska-observatory/ska-tango-testing/poetry.lock': { packages: 66, files: 518, unpinned: 0, format: 'poetry-lock' },
  'ska-observatory/skampi-2021-05/post-deployment/SUT_requirements.txt': { packages: 1, files: 0, unpinned: 0 },
  'ska-observatory/skampi-2021-05/post-deployment/test_requirements.txt': { packages: 1, files: 0, unpinned: 28 },
  'ska-observatory/skampi-2021-08/post-deployment/SUT_requirements.txt': { packages: 1, files: 0, unpinned: 0 },
  'ska-observatory/skampi-2022-07/tests/SUT_requirements.txt': { packages: 1, files: 0, unpinned: 0 },
  'ska-observatory/skampi-2022-07/tests/requirements.txt': { packages: 11, files: 0, unpinned: 9 },
  // The editable project itself is the one unpinned entry of each uv.lock.
  'uv-lock/flask/uv.lock': { packages: 82, files: 904, unpinned: 1, format: 'uv-lock' },
  'uv-lock/uv-benchmark/uv.lock': { packages: 76, files: 481, unpinned: 1, format: 'uv-lock' },
  'uv-lock/uv-built-by-uv/uv.lock': { packages: 8, files: 16, unpinned: 1, format: 'uv-lock' },
};

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

const present = existsSync(ROOT);
const all = present ? walk(ROOT).map((p) => relative(ROOT, p)) : [];
const lockFiles = all.filter((f) => !SKIP.some(([re]) => re.test(f)));
const rel = (p: string) => relative(ROOT, p);
const env = {}; // no ${VAR} expansion from the machine running the tests

async function read(f: string): Promise<ReadLockResult> {
  return readLockFile(join(ROOT, f), { env });
}

function fileSet(lock: Lock) {
  return lock
    .files()
    .map(
      ({ pkg, file }) =>
        `${pkg.name}|${pkg.version}|${pkg.marker ?? ''}|${file.sha256}|${file.name}|${file.url ?? ''}|${file.size ?? ''}|${pkg.index ?? ''}`,
    )
    .sort();
}

describe('real-world corpus', () => {
  it('is present (set KAROO_REALWORLD if it lives elsewhere)', () => {
    expect(present).toBe(true);
    expect(all.length).toBeGreaterThan(150);
  });

  it('classifies every file: a lock/requirements file, or skipped by a named rule', () => {
    for (const f of lockFiles) {
      const isLockName = /\.(txt|in)$/.test(f) || /(^|\/)pylock\.([^./]+\.)?toml$/.test(f) || /(^|\/)(uv|poetry)\.lock$/.test(f);
      expect({ f, isLockName }).toEqual({ f, isLockName: true });
    }
    expect(new Set(lockFiles)).toEqual(new Set([...Object.keys(EXPECTED), ...Object.keys(REJECTED)]));
  });

  it.each(Object.entries(REJECTED))('rejects %s with file, line and reason', async (f, want) => {
    let err: unknown;
    try {
      await read(f);
    } catch (e) {
      err = e;
    }
    expect(isFileError(err)).toBe(true);
    const e = err as { file: string; line?: number; reason: string; message: string };
    expect({ file: rel(e.file), line: e.line }).toEqual({ file: want.file, line: want.line });
    expect(e.reason).toContain(want.reason);
    expect(e.message.startsWith(`${join(ROOT, want.file)}:${want.line}: `)).toBe(true);
  });

  it.each(Object.entries(EXPECTED))('reads %s', async (f, want) => {
    const r = await read(f);
    expect({
      packages: r.lock.packages.length,
      files: r.lock.files().length,
      unpinned: r.unpinned.length,
      format: r.format,
    }).toEqual({ ...want, format: want.format ?? (f.endsWith('.toml') ? 'pylock' : 'requirements') });
    // Every file has a sha256; every unpinned entry is also a warning with its line.
    for (const { file } of r.lock.files()) expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const u of r.unpinned) expect(r.warnings).toContain(`${u.file}:${u.line}: ${u.name ?? u.text}: ${u.reason}`);
    expect(r.complete).toBe(r.unpinned.length === 0 && r.lock.incompleteEntries().length === 0);
  });

  describe('round trips through karoo writers are stable', () => {
    const withPackages = Object.entries(EXPECTED).filter(([, w]) => w.packages > 0);

    it.each(withPackages)('%s → requirements.txt → same lock, same bytes', async (f) => {
      const { lock } = await read(f);
      const text = writeRequirements(lock);
      expect(writeRequirements(lock)).toBe(text);
      const back = readLockText(text, '/tmp/out/requirements.txt', { env });
      expect(back.lock.digest).toBe(lock.digest);
      expect(fileSet(back.lock)).toEqual(fileSet(lock));
      expect(back.lock.meta).toEqual(lock.meta);
      expect(back.warnings).toEqual([]);
      expect(writeRequirements(back.lock)).toBe(text);
    });

    it.each(withPackages)('%s → pylock.toml → same lock, same bytes (or a clear refusal without URLs)', async (f) => {
      const { lock } = await read(f);
      const fileless = lock.packages.find((p) => p.files.length === 0);
      const urlless = lock.files().find(({ file }) => file.url === undefined && !file.name);
      if (fileless || urlless) {
        expect(() => writePylock(lock)).toThrow(/cannot write pylock\.toml: .* has no (URL|files)/);
        return;
      }
      const text = writePylock(lock);
      expect(writePylock(lock)).toBe(text);
      const back = readLockText(text, '/tmp/out/pylock.toml');
      expect(back.format).toBe('pylock');
      expect(back.lock.digest).toBe(lock.digest);
      expect(fileSet(back.lock)).toEqual(fileSet(lock));
      expect(back.warnings).toEqual([]);
      expect(writePylock(back.lock)).toBe(text);
      // Across formats: pylock → requirements → pylock gives the same bytes.
      expect(writePylock(readLockText(writeRequirements(back.lock), '/tmp/out/requirements.txt').lock)).toBe(text);
    });
  });
});

describe('what the corpus files say, checked by hand', () => {
  const pins = (r: ReadLockResult) =>
    Object.fromEntries(r.lock.packages.map((p) => [`${p.name}${p.marker ? ` ; ${p.marker}` : ''}`, p.version]));

  it('warehouse main.txt: a pip-compile --generate-hashes file, every package with ≥1 sha256', async () => {
    const r = await read('compiled-requirements/warehouse/requirements/main.txt');
    expect(r.lock.packages.every((p) => p.files.length >= 1)).toBe(true);
    expect(r.lock.get('alembic')).toMatchObject({
      version: '1.18.5',
      files: [
        { sha256: '06d8ba9d04558022f5395e9317de03d270f3dced49cee01f89fe7a13c26f14bc' },
        { sha256: '1554982221dd17e9a749b53902407578eb305e453f71999e8c7f0a48389fff8e' },
      ],
    });
    // Complete needs sizes too, which a pip-compile file cannot carry.
    expect(r.complete).toBe(false);
    expect(r.lock.incompleteEntries()[0]!.reason).toMatch(/^no size/);
  });

  it('uv --universal: the same name pinned under complementary markers', async () => {
    const r = await read('compiled-requirements/vscode-black-formatter/src/test/python_tests/requirements.txt');
    expect(pins(r)).toMatchObject({
      'cattrs ; python_full_version < "3.10"': '25.3.0',
      'cattrs ; python_full_version >= "3.10"': '26.1.0',
    });
    const s = await read('sarao-meerkat/spead2/requirements.txt');
    expect(pins(s)).toMatchObject({ 'numpy ; python_full_version < "3.10"': '2.0.2', 'numpy ; python_full_version == "3.10.*"': '2.2.6' });
  });

  it('extras on pins, non-normalised names and trailing comments', async () => {
    expect(pins(await read('compiled-requirements/flask-celery-example/requirements.txt'))).toMatchObject({ celery: '5.2.7' });
    expect(pins(await read('sarao-meerkat/aiokatcp/requirements.txt'))).toMatchObject({ coverage: '7.6.1' });
    const base = pins(await read('sarao-meerkat/katsdpdockerbase/docker-base-build/base-requirements.txt'));
    expect(base).toMatchObject({ babel: '2.9.1', dask: '2.27', bokeh: '2.3.2', astropy: '4.2' });
  });

  it('skampi 2022-07: -r include, index options and poetry-export markers', async () => {
    const r = await read('ska-observatory/skampi-2022-07/tests/requirements.txt');
    expect(pins(r)).toMatchObject({ 'ska-oso-oet': '4.0.3', 'pytest ; python_version >= "3.6"': '6.2.5', assertpy: '1.1' });
    expect(r.unpinned.map((u) => u.name)).toEqual([
      'pylint',
      'pyyaml',
      'pytest-ordering',
      'pytest-timeout',
      'kubernetes',
      'docopts',
      'requests',
      'coverage',
      'atlassian-python-api',
    ]);
  });

  it('pylock from uv keeps sizes and URLs; from pip, hashes and URLs without sizes', async () => {
    const u = await read('pylock/spectree-uv/pylock.toml');
    expect(u.complete).toBe(true);
    expect(u.lock.get('aiofiles')!.files.map((f) => [f.name, f.size])).toEqual(
      expect.arrayContaining([
        ['aiofiles-24.1.0.tar.gz', 30247],
        ['aiofiles-24.1.0-py3-none-any.whl', 15896],
      ]),
    );
    expect(u.lock.meta.requiresPython).toBe('>=3.10.18');
    const p = await read('pylock/pip-build-project/pylock.toml');
    expect(p.lock.get('flit-core')).toMatchObject({ version: '4.0.2', files: [{ name: 'flit_core-4.0.2-py3-none-any.whl' }] });
    expect(p.lock.get('flit-core')!.files[0]!.size).toBeUndefined();
    // Archives without a version take it from the file name.
    expect((await read('pylock/pip-tests-lockfiles/pylock.prerelease-archive.toml')).lock.get('pkg-prerelease')!.version).toBe('1.0a1');
  });

  it('uv.lock forks and poetry.lock sources', async () => {
    const u = await read('uv-lock/flask/uv.lock');
    expect(u.lock.packages.filter((p) => p.name === 'sphinx').map((p) => [p.version, p.marker])).toEqual([
      ['8.2.3', '(python_full_version >= "3.12") or (python_full_version == "3.11.*")'],
      ['8.1.3', 'python_full_version < "3.11"'],
    ]);
    expect(u.unpinned.map((x) => x.name)).toEqual(['flask']);
    const p = await read('ska-observatory/ska-tango-testing/poetry.lock');
    expect(p.lock.get('ska-ser-sphinx-theme')).toMatchObject({
      version: '0.1.3',
      index: 'https://artefact.skao.int/repository/pypi-internal/simple',
    });
    expect(p.lock.get('alabaster')!.index).toBe('https://pypi.org/simple');
  });

  it('a pylock.toml and a requirements.txt that pin the same files give the same lock digest', async () => {
    const pylock = await read('pylock/pip-tests-lockfiles/pylock.certifi-without-upload_time.toml');
    // The same two certifi files, as pinned by warehouse's pip-compile output.
    const tests = readFileSync(join(ROOT, 'compiled-requirements/warehouse/requirements/tests.txt'), 'utf8');
    const block = /^certifi==[\s\S]*?(?=\n\s*#)/m.exec(tests)![0];
    const req = readLockText(block, '/tmp/requirements.txt');
    expect(req.lock.digest).toBe(pylock.lock.digest);
    // And the upload-time variant is the same lock.
    expect((await read('pylock/pip-tests-lockfiles/pylock.certifi-with-upload_time.toml')).lock.digest).toBe(pylock.lock.digest);
  });

  it('reordered entries and other formatting give the same digest', async () => {
    const f = 'compiled-requirements/warehouse/requirements/deploy.txt';
    const original = await read(f);
    const text = readFileSync(join(ROOT, f), 'utf8');
    // Each requirement block starts at a line without leading space; reverse the blocks,
    // put every requirement on one line with its hashes reversed, and upper-case names.
    const blocks = text
      .split(/\n(?=[A-Za-z])/)
      .filter((b) => /==/.test(b))
      .map((b) => {
        const [head, ...rest] = b.split('\n');
        const hashes = rest.filter((l) => l.includes('--hash')).map((l) => l.replace(/\\$/, '').trim());
        return `${head!
          .replace(/\s*\\$/, '')
          .toUpperCase()
          .replace('==', ' == ')}   ${hashes.reverse().join('   ')}   # moved`;
      })
      .reverse();
    const shuffled = readLockText(`--require-hashes\n\n${blocks.join('\n\n')}\n`, '/tmp/reordered.txt');
    expect(shuffled.lock.digest).toBe(original.lock.digest);

    const p = 'pylock/spectree-uv/pylock.toml';
    const doc = parseTomlText(readFileSync(join(ROOT, p), 'utf8')) as { packages: Array<Record<string, unknown>> };
    doc.packages.reverse();
    for (const pkg of doc.packages) if (Array.isArray(pkg.wheels)) pkg.wheels.reverse();
    const again = readLockText(stringify(doc), '/tmp/pylock.toml');
    expect(again.lock.digest).toBe((await read(p)).lock.digest);
  });
});
