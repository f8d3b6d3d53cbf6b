// The report's lock diff from a checkout of one commit, as actions/checkout makes by default: the
// base commit is not in the clone, so its lock comes from the contents API (the stand-in answers
// from a real git repository, checked against GitHub's description).
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexOf, sha256Of } from '@karoo/common';
import { loadGitHubDescription, startGitHubStandin, type GitHubDescription, type GitHubStandin } from '@karoo/github-standin';
import { Lock, type LockedPackage, writePylock } from '@karoo/lock';
import { createGitHubClient, fileAtRef, renderMarkdown, reportFromFiles } from '@karoo/report';

function pkg(name: string, version: string): LockedPackage {
  const file = `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`;
  return { name, version, files: [{ name: file, url: `https://pypi.example/${file}`, sha256: hexOf(sha256Of(file)), size: 1 }] };
}

let description: GitHubDescription;
let standin: GitHubStandin | undefined;
let dir: string;
let origin: string;
let clone: string;
let baseSha: string;
const big = 'x'.repeat(1024 * 1024 + 17) + '\n';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

beforeAll(async () => {
  description = await loadGitHubDescription();
  dir = mkdtempSync(join(tmpdir(), 'karoo-base-lock-'));
  origin = join(dir, 'origin');
  mkdirSync(join(origin, 'system'), { recursive: true });
  git(origin, 'init', '-q', '-b', 'main');
  writeFileSync(join(origin, 'system', 'pylock.toml'), writePylock(Lock.create([pkg('katcp', '1.2.0'), pkg('tornado', '6.4')])));
  writeFileSync(join(origin, 'big.txt'), big);
  git(origin, 'add', '.');
  git(origin, 'commit', '-q', '-m', 'base');
  baseSha = git(origin, 'rev-parse', 'HEAD');
  writeFileSync(join(origin, 'system', 'pylock.toml'), writePylock(Lock.create([pkg('katcp', '1.3.0'), pkg('tornado', '6.4')])));
  // A second system whose lock this change commits for the first time.
  mkdirSync(join(origin, 'added'));
  writeFileSync(join(origin, 'added', 'pylock.toml'), writePylock(Lock.create([pkg('attrs', '24.2.0'), pkg('six', '1.16.0')])));
  git(origin, 'add', '.');
  git(origin, 'commit', '-q', '-m', 'head');
  // One commit, as actions/checkout fetches by default.
  clone = join(dir, 'clone');
  execFileSync('git', ['clone', '-q', '--depth', '1', `file://${origin}`, clone]);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

async function start(): Promise<GitHubStandin> {
  standin = await startGitHubStandin({ description });
  standin.addRepo('acme/cam', { git: origin, private: true });
  return standin;
}
const client = (s: GitHubStandin, token = 'tok') => createGitHubClient({ token, baseUrl: s.url });
const at = (path: string, ref: string) => ({ owner: 'acme', repo: 'cam', path, ref });

describe('the base lock of a checkout of one commit', () => {
  it('is not in the clone: without the API the diff is refused, with it the diff is against the base commit', async () => {
    const s = await start();
    const head = join(clone, 'system', 'pylock.toml');
    await expect(reportFromFiles({ head, baseRef: baseSha })).rejects.toThrow(/does not name a commit.*fetch-depth: 0/);

    const gh = client(s);
    const report = await reportFromFiles({ head, baseRef: baseSha, readAtRef: (ref, path) => fileAtRef(gh, at(path, ref)) });
    expect(report.base?.label).toBe(baseSha);
    expect(report.diff.changes).toEqual([expect.objectContaining({ name: 'katcp', change: 'upgraded', old: '1.2.0', new: '1.3.0' })]);
    expect(s.calls('repos/get-content').map((c) => [decodeURIComponent(c.path), c.query.ref, c.status])).toEqual([
      ['/repos/acme/cam/contents/system/pylock.toml', baseSha, 200],
    ]);
  });

  it('is absent at the base: every package added for a lock this change commits; no base for a lock the run wrote and nobody commits', async () => {
    const s = await start();
    const gh = client(s);
    const readAtRef = (ref: string, path: string) => fileAtRef(gh, at(path, ref));
    const warnings: string[] = [];
    const added = await reportFromFiles({ head: join(clone, 'added', 'pylock.toml'), baseRef: baseSha, readAtRef }, (m) =>
      warnings.push(m),
    );
    expect(added.base?.label).toBe(baseSha);
    expect(added.diff.counts.added).toBe(2);
    expect(warnings).toEqual([
      expect.stringMatching(/added\/pylock.toml does not exist at [0-9a-f]{40}: every package is reported as added$/),
    ]);

    // As karoo's candidate workflow writes it when the repository commits no lock: untracked.
    mkdirSync(join(clone, 'written'));
    writeFileSync(join(clone, 'written', 'pylock.toml'), writePylock(Lock.create([pkg('katcp', '1.3.0')])));
    warnings.length = 0;
    const written = await reportFromFiles({ head: join(clone, 'written', 'pylock.toml'), baseRef: baseSha, readAtRef }, (m) =>
      warnings.push(m),
    );
    expect(written.base).toBeNull();
    expect(warnings).toEqual([]);
    const md = renderMarkdown(written).markdown;
    expect(md).toContain('| **Changes** | no base lock to compare with |');
    expect(md).not.toContain('#### Lock diff');
    expect(renderMarkdown(added).markdown).toContain('| **Changes** | 2 added |');
  });

  it('reads a file over 1 MB through its blob, byte for byte; a missing file is undefined', async () => {
    const s = await start();
    const gh = client(s);
    expect(await fileAtRef(gh, at('big.txt', baseSha))).toBe(big);
    expect(s.calls('git/get-blob').map((c) => c.status)).toEqual([200]);
    expect(await fileAtRef(gh, at('system/absent.toml', 'main'))).toBeUndefined();
  });

  it('says which: an unknown ref, a directory, a token that may not read the repository', async () => {
    const s = await start();
    const gh = client(s);
    await expect(fileAtRef(gh, at('system/pylock.toml', 'f'.repeat(40)))).rejects.toThrow(
      `cannot read system/pylock.toml at ${'f'.repeat(40)} in acme/cam: GitHub knows no commit`,
    );
    await expect(fileAtRef(gh, at('system', 'main'))).rejects.toThrow('system at main in acme/cam is a directory, not a lock file');
    s.addToken('no-contents', { permissions: { pull_requests: 'write' } });
    await expect(fileAtRef(client(s, 'no-contents'), at('system/pylock.toml', 'main'))).rejects.toMatchObject({
      name: 'GitHubAccessError',
      permission: 'contents: read',
      message: expect.stringMatching(/refused to read system\/pylock.toml at main in acme\/cam \(403 .*permissions: \{ contents: read \}/),
    });
  });
});
