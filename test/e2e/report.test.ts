import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { attestationReferrer, keyIdOf, pushAttestation, signerFor, signStatement, TEST_RESULT, testResultStatement } from '@karoo/attest';
import { build } from '@karoo/build';
import { hexOf, sha256Of } from '@karoo/common';
import { loadGitHubDescription, READ_ONLY, startGitHubStandin, type GitHubDescription, type GitHubStandin } from '@karoo/github-standin';
import { Lock, writePylock, type LockedPackage } from '@karoo/lock';
import { LayoutStore } from '@karoo/oci';
import { type BundleRun, runBundle } from '../support/bundle.js';
import { json, karoo, ROOT } from '../support/cli.js';
import { startTestProxy } from '../support/http-proxy.js';
import { makeWheels } from '../support/wheels.js';

const BUNDLE = join(ROOT, 'dist/report/index.js');
const CANDIDATE = sha256Of('candidate from the head lock');

let description: GitHubDescription;
let standin: GitHubStandin | undefined;
let work: string;
let repoDir: string;
let baseSha: string;

function pkg(name: string, version: string): LockedPackage {
  const file = `${name.replace(/-/g, '_')}-${version}-py3-none-any.whl`;
  return { name, version, files: [{ name: file, url: `https://pypi.example/${file}`, sha256: hexOf(sha256Of(file)), size: 100 }] };
}

const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=ci@example.invalid', '-c', 'user.name=ci', '-c', 'init.defaultBranch=main', ...args], {
    cwd: repoDir,
    encoding: 'utf8',
  }).trim();

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npx tsc -b && node scripts/bundle.mjs report`);
  description = await loadGitHubDescription();
  work = await mkdtemp(join(tmpdir(), 'karoo-report-e2e-'));
  repoDir = join(work, 'repo');
  await mkdir(join(repoDir, 'system'), { recursive: true });
  git('init', '-q');
  const base = Lock.create([pkg('katcp', '1.2.0'), pkg('numpy', '1.26.4'), pkg('tornado', '6.4'), pkg('old-thing', '0.3')], {
    leaves: { katcp: '1.2.0' },
  });
  await writeFile(join(repoDir, 'system/pylock.toml'), writePylock(base));
  git('add', '.');
  git('commit', '-qm', 'base');
  baseSha = git('rev-parse', 'HEAD');
  git('checkout', '-qb', 'topic');
  const head = Lock.create([pkg('katcp', '1.10.0'), pkg('numpy', '1.26.4'), pkg('tornado', '6.3.3'), pkg('cam-proxy', '1.0.0')], {
    leaves: { katcp: '1.10.0', 'cam-proxy': '1.0.0' },
  });
  await writeFile(join(repoDir, 'system/pylock.toml'), writePylock(head));
  git('commit', '-qam', 'move katcp');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

const EXPECTED = {
  katcp: ['upgraded', '1.2.0', '1.10.0'],
  tornado: ['downgraded', '6.4', '6.3.3'],
  'cam-proxy': ['added', undefined, '1.0.0'],
  'old-thing': ['removed', '0.3', undefined],
};

describe('karoo report (CLI)', () => {
  it('prints JSON with each changed package, reading the base lock from git', async () => {
    const r = await karoo(
      [
        'report',
        '--head',
        'system/pylock.toml',
        '--base-ref',
        'main',
        '--candidate',
        CANDIDATE,
        '--store',
        'oci-layout:./store',
        '--format',
        'json',
      ],
      { cwd: repoDir },
    );
    expect(r.stderr).toBe('');
    const out = json<{
      diff: { changes: Array<{ name: string; change: string; old?: string; new?: string }> };
      candidate: { digest: string };
      reproduce: { command: string };
    }>(r);
    expect(Object.fromEntries(out.diff.changes.map((c) => [c.name, [c.change, c.old, c.new]]))).toEqual(EXPECTED);
    expect(out.candidate.digest).toBe(CANDIDATE);
    expect(out.reproduce.command).toBe('karoo build --lock system/pylock.toml --store oci-layout:./store');
  });

  it('prints the same report as markdown', async () => {
    const r = await karoo(['report', '--head', 'system/pylock.toml', '--base-ref', baseSha, '--candidate', CANDIDATE], { cwd: repoDir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`### karoo: candidate \`${hexOf(CANDIDATE).slice(0, 12)}\``);
    expect(r.stdout).toContain('| `tornado` | ⬇️ downgraded | `6.4` | `6.3.3` |');
    expect(r.stdout).toContain('| `katcp` (leaf) | ⬆️ upgraded | `1.2.0` | `1.10.0` |');
  });

  it('fails in one line on an unknown base ref or a bad candidate', async () => {
    const r = await karoo(['report', '--head', 'system/pylock.toml', '--base-ref', 'no-such-branch'], { cwd: repoDir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/base ref "no-such-branch" does not name a commit .*fetch it first/);
    const bad = await karoo(['report', '--head', 'system/pylock.toml', '--candidate', 'sha256:nope'], { cwd: repoDir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/candidate "sha256:nope" is not a sha256 digest/);
  });
});

/** Runs the bundled action as the runner would: INPUT_* variables and GITHUB_* files. */
async function runAction(s: GitHubStandin, inputs: Record<string, string>, event: { name: string; payload: unknown }): Promise<BundleRun> {
  return runBundle(BUNDLE, {
    cwd: repoDir,
    under: work,
    inputs: { token: 'rw', comment: 'true', lock: 'system/pylock.toml', ...inputs },
    event,
    env: { GITHUB_REPOSITORY: 'acme/cam', GITHUB_API_URL: s.url, GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '4242' },
  });
}

function prEvent(number: number, headRepo: string) {
  return {
    name: 'pull_request',
    payload: {
      action: 'synchronize',
      number,
      pull_request: {
        number,
        head: { ref: 'topic', sha: 'f'.repeat(40), repo: { full_name: headRepo } },
        base: { ref: 'main', sha: baseSha, repo: { full_name: 'acme/cam' } },
      },
      repository: { full_name: 'acme/cam', name: 'cam', owner: { login: 'acme' } },
    },
  };
}

async function startStandin() {
  standin = await startGitHubStandin({ description, tokens: { rw: {}, ro: { permissions: READ_ONLY } } });
  standin.addRepo('acme/cam');
  standin.addPullRequest('acme/cam', { number: 7 });
  standin.addPullRequest('acme/cam', { number: 8, headRepo: 'outsider/cam' });
  return standin;
}

describe('actions/report bundle', () => {
  it('posts one comment on a pull request, then updates it in place, with the job summary and the markdown file', async () => {
    const s = await startStandin();
    const inputs = { candidate: CANDIDATE, 'candidate-existed': 'false', store: 'ghcr.io/acme/cam' };
    const first = await runAction(s, inputs, prEvent(7, 'acme/cam'));
    expect(first.log).not.toContain('::error::');
    expect(first.code).toBe(0);
    const comments = s.comments('acme/cam', 7);
    expect(comments).toHaveLength(1);
    expect(first.outputs['comment-id']).toBe(String(comments[0]!.id));
    expect(first.outputs['comment-url']).toBe(`https://github.com/acme/cam/pull/7#issuecomment-${comments[0]!.id}`);
    const body = comments[0]!.body;
    expect(body.startsWith('<!-- karoo:report -->\n')).toBe(true);
    expect(body).toContain(`\`ghcr.io/acme/cam@${CANDIDATE}\``);
    // The base lock was read from the event's base SHA with git.
    expect(body).toContain(`#### Lock diff against \`${baseSha}\``);
    for (const [name, [change, from, to]] of Object.entries(EXPECTED)) {
      expect(body).toContain(
        `| \`${name}\`${name === 'katcp' || name === 'cam-proxy' ? ' (leaf)' : ''} | ${{ upgraded: '⬆️', downgraded: '⬇️', added: '➕', removed: '➖' }[change!]} ${change} | ${from ? `\`${from}\`` : '—'} | ${to ? `\`${to}\`` : '—'} |`,
      );
    }
    expect(first.summary).toContain('#### Lock diff against');
    expect(first.summary).not.toContain('<!-- karoo:report -->');
    const md = await readFile(first.outputs['markdown-path']!, 'utf8');
    expect(md).toContain('karoo build --lock system/pylock.toml --store ghcr.io/acme/cam');
    expect(JSON.parse(await readFile(first.outputs['markdown-path']!.replace(/report\.md$/, 'report.json'), 'utf8')).schema).toBe(
      'karoo.report/v1',
    );

    const second = await runAction(s, { ...inputs, 'candidate-existed': 'true' }, prEvent(7, 'acme/cam'));
    expect(second.code).toBe(0);
    expect(second.outputs['comment-id']).toBe(first.outputs['comment-id']);
    expect(s.comments('acme/cam', 7)).toHaveLength(1);
    expect(s.comments('acme/cam', 7)[0]!.body).toContain('already in the store');
    expect(s.calls('issues/update-comment')).toHaveLength(1);
  });

  it('on a fork pull request with a read-only token: warns, writes the summary, exits 0, posts nothing', async () => {
    const s = await startStandin();
    const r = await runAction(s, { token: 'ro', candidate: CANDIDATE }, prEvent(8, 'outsider/cam'));
    expect(r.code).toBe(0);
    expect(r.log).toMatch(/::warning::pull request acme\/cam#8 comes from a fork, whose token is read-only/);
    expect(r.log).not.toContain('::error::');
    expect(r.summary).toContain(hexOf(CANDIDATE).slice(0, 12));
    expect(r.outputs['comment-id']).toBe('');
    expect(existsSync(r.outputs['markdown-path']!)).toBe(true);
    expect(s.comments('acme/cam', 8)).toEqual([]);
  });

  it('fails with the missing permission named when a same-repository token may not write', async () => {
    const s = await startStandin();
    const r = await runAction(s, { token: 'ro' }, prEvent(7, 'acme/cam'));
    expect(r.code).not.toBe(0);
    expect(r.log).toMatch(
      /::error::GitHub refused to create the report comment on acme\/cam#7 \(403 Resource not accessible by integration\): the token lacks `pull-requests: write`/,
    );
    // The summary is written before any API call, so the report is not lost.
    expect(r.summary).toContain('#### Reproduce');
  });

  it('posts a report made by a fork run from a workflow_run workflow, and refuses a tampered one', async () => {
    const s = await startStandin();
    const fork = await runAction(s, { token: 'ro', candidate: CANDIDATE, comment: 'false' }, prEvent(8, 'outsider/cam'));
    const reportJson = fork.outputs['markdown-path']!.replace(/report\.md$/, 'report.json');
    const workflowRun = { name: 'workflow_run', payload: { action: 'completed', workflow_run: { id: 1, pull_requests: [] } } };
    const posted = await runAction(s, { 'report-json': reportJson, 'pull-request': '8' }, workflowRun);
    expect(posted.code).toBe(0);
    expect(s.comments('acme/cam', 8)).toHaveLength(1);
    expect(s.comments('acme/cam', 8)[0]!.body).toContain('| `tornado` | ⬇️ downgraded | `6.4` | `6.3.3` |');

    const tampered = JSON.parse(await readFile(reportJson, 'utf8')) as { diff: { changes: Array<{ name: string }> } };
    tampered.diff.changes[0]!.name = 'evil` | <img src=x onerror=alert(1)>';
    const bad = join(work, 'tampered.json');
    await writeFile(bad, JSON.stringify(tampered));
    const refused = await runAction(s, { 'report-json': bad, 'pull-request': '8' }, workflowRun);
    expect(refused.code).not.toBe(0);
    expect(refused.log).toMatch(/::error::.*tampered\.json: diff\.changes\[0\]\.name: not a normalised package name/);
    expect(s.comments('acme/cam', 8)).toHaveLength(1);
  });

  it('with attestations: true, says whether the provenance and each test result are signed, by whom, and whether they verified with karoo.yml keys', async () => {
    const trusted = generateKeyPairSync('ed25519');
    const stranger = generateKeyPairSync('ed25519');
    const dir = join(work, 'attested');
    const store = new LayoutStore(join(dir, 'store'));
    const wheels = await makeWheels(join(dir, 'wheels'), [{ name: 'acme-cam', version: '1.0.0', size: 900 }]);
    const { candidate } = await build({ lock: wheels.lock(), store, system: 'cam', attest: signerFor(trusted.privateKey) });
    const descriptor = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: candidate,
      size: (await store.getManifest(candidate)).bytes.length,
    };
    const forged = testResultStatement({
      candidate: { name: 'cam', digest: candidate },
      environment: 'integration',
      systemId: sha256Of('s'),
      configDigest: sha256Of('c'),
      result: 'passed',
    });
    await pushAttestation(store, attestationReferrer(descriptor, signStatement(forged, signerFor(stranger.privateKey)), TEST_RESULT));
    await writeFile(join(dir, 'trusted.pub'), trusted.publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(
      join(dir, 'karoo.yml'),
      'system: cam\nleaves: [acme-cam]\nindexes: [{ url: ./index }]\nattestations:\n  keys: [trusted.pub]\n',
    );
    const s = await startStandin();
    const inputs = { candidate, store: `oci-layout:${join(dir, 'store')}`, config: join(dir, 'karoo.yml'), attestations: 'true' };
    const r = await runAction(s, inputs, prEvent(7, 'acme/cam'));
    expect(r.code).toBe(0);
    const body = s.comments('acme/cam', 7)[0]!.body;
    expect(body).toContain(`| **Provenance** | ✅ signed with key \`${keyIdOf(trusted.publicKey).slice(0, 16)}…\`, verified |`);
    const evidenceLine = body.split('\n').find((l) => l.startsWith('| **Evidence signatures** |'));
    expect(
      evidenceLine?.startsWith(
        `| **Evidence signatures** | ❌ signed with key \`${keyIdOf(stranger.publicKey).slice(0, 16)}…\`, does not verify: `,
      ),
    ).toBe(true);
    expect(r.summary).toContain('| **Provenance** | ✅ signed with key');
    // Without the input nothing is looked up (the other tests' store is ghcr.io, never reached).
    const plain = await runAction(s, { candidate, store: inputs.store }, prEvent(7, 'acme/cam'));
    expect(plain.code).toBe(0);
    expect(s.comments('acme/cam', 7)[0]!.body).not.toContain('**Provenance**');
  });

  it('reaches the GitHub API through the runner’s proxy (a self-hosted runner behind a company gateway)', async () => {
    // api.github.test is known to no DNS: the proxy resolves it, so the comment lands only by way of it.
    const s = await startStandin();
    const proxy = await startTestProxy({ login: { user: 'runner', pass: 'gate-pass' } });
    try {
      const api = s.url.replace('127.0.0.1', 'api.github.test');
      const r = await runBundle(BUNDLE, {
        cwd: repoDir,
        under: work,
        inputs: { token: 'rw', comment: 'true', lock: 'system/pylock.toml', candidate: CANDIDATE },
        event: prEvent(7, 'acme/cam'),
        env: {
          GITHUB_REPOSITORY: 'acme/cam',
          GITHUB_API_URL: api,
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_RUN_ID: '4242',
          HTTP_PROXY: proxy.url.replace('//', '//runner:gate-pass@'),
        },
      });
      expect(r.log).not.toContain('::error::');
      expect(r.code).toBe(0);
      expect(s.comments('acme/cam', 7)).toHaveLength(1);
      expect(proxy.calls.length).toBeGreaterThan(0);
      for (const c of proxy.calls) {
        expect(c.authority).toBe(new URL(api).host);
        expect(c.proxyAuthorization).toBe(`Basic ${Buffer.from('runner:gate-pass').toString('base64')}`);
      }
    } finally {
      await proxy.close();
    }
  });

  it('writes only the job summary outside pull requests', async () => {
    const s = await startStandin();
    const r = await runAction(s, { 'base-lock': 'system/pylock.toml' }, { name: 'push', payload: { ref: 'refs/heads/main' } });
    expect(r.code).toBe(0);
    expect(r.log).toContain('push is not a pull request event');
    expect(r.summary).toContain('none: same lock as the base');
    expect(s.requests).toEqual([]);
  });
});
