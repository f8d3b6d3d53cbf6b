import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { hexOf, sha256Of } from '@karoo/common';
import {
  faults,
  loadGitHubDescription,
  READ_ONLY,
  startGitHubStandin,
  type GitHubDescription,
  type GitHubStandin,
} from '@karoo/github-standin';
import { Lock, type LockedPackage } from '@karoo/lock';
import {
  buildReport,
  COMMENT_LIMIT,
  createGitHubClient,
  publishReport,
  renderMarkdown,
  reportMarker,
  upsertStickyComment,
  type ClientOptions,
} from '@karoo/report';

let description: GitHubDescription;
let standin: GitHubStandin | undefined;
const MARKER = reportMarker();
const target = { owner: 'acme', repo: 'cam', number: 7 };
const body = (text: string) => `${MARKER}\n${text}`;

beforeAll(async () => {
  description = await loadGitHubDescription();
});

afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

async function start(tokens?: NonNullable<Parameters<typeof startGitHubStandin>[0]>['tokens']) {
  standin = await startGitHubStandin({ description, ...(tokens ? { tokens } : {}) });
  standin.addRepo('acme/cam');
  standin.addPullRequest('acme/cam', { number: 7 });
  return standin;
}

const waits: number[] = [];
const warnings: string[] = [];
function client(s: GitHubStandin, options: Partial<ClientOptions> = {}) {
  waits.length = 0;
  warnings.length = 0;
  return createGitHubClient({
    token: 'tok',
    baseUrl: s.url,
    // A second of GitHub's Retry-After lasts 1 ms here; the waits are read from what the client announces.
    secondMs: 1,
    progress: {
      info: () => {},
      warn: (m) => {
        warnings.push(m);
        const wait = /retrying in (\d+) s/.exec(m);
        if (wait) waits.push(Number(wait[1]) * 1000);
      },
    },
    ...options,
  });
}

describe('sticky report comment', () => {
  it('creates the comment, then updates the same one, then leaves it alone when nothing changed', async () => {
    const s = await start();
    const gh = client(s);
    const first = await upsertStickyComment(gh, target, MARKER, body('one'));
    expect(first.action).toBe('created');
    expect(first.url).toMatch(/#issuecomment-\d+$/);
    const second = await upsertStickyComment(gh, target, MARKER, body('two'));
    expect(second).toMatchObject({ id: first.id, action: 'updated', deleted: [] });
    const third = await upsertStickyComment(gh, target, MARKER, body('two'));
    expect(third).toMatchObject({ id: first.id, action: 'unchanged' });
    expect(s.comments('acme/cam', 7)).toEqual([{ id: first.id, body: body('two'), login: 'github-actions[bot]' }]);
    expect(s.calls('issues/create-comment')).toHaveLength(1);
    expect(s.calls('issues/update-comment')).toHaveLength(1);
  });

  it('keeps exactly one comment when two runs race to create it', async () => {
    const s = await start();
    // Both runs list before either creates: each sees no comment and creates one.
    s.gate('issues/list-comments', 2);
    const [a, b] = await Promise.all([
      upsertStickyComment(client(s), target, MARKER, body('run A')),
      upsertStickyComment(client(s), target, MARKER, body('run B')),
    ]);
    expect(s.calls('issues/create-comment')).toHaveLength(2);
    const left = s.comments('acme/cam', 7);
    expect(left).toHaveLength(1);
    expect(a.id).toBe(left[0]!.id);
    expect(b.id).toBe(left[0]!.id);
    expect([body('run A'), body('run B')]).toContain(left[0]!.body);
    expect(s.calls('issues/delete-comment').length).toBeGreaterThanOrEqual(1);
  });

  it('keeps exactly one comment when two runs race to update it', async () => {
    const s = await start();
    const id = s.seedComment('acme/cam', 7, body('old'));
    s.gate('issues/list-comments', 2);
    const results = await Promise.all(['A', 'B'].map((r) => upsertStickyComment(client(s), target, MARKER, body(`run ${r}`))));
    expect(results.map((r) => r.id)).toEqual([id, id]);
    const left = s.comments('acme/cam', 7);
    expect(left.map((c) => c.id)).toEqual([id]);
    expect([body('run A'), body('run B')]).toContain(left[0]!.body);
  });

  it('finds its comment on a later page, ignores quotes of the marker, and removes duplicates left by earlier races', async () => {
    const s = await start();
    for (let i = 0; i < 230; i++) s.seedComment('acme/cam', 7, `chatter ${i}`, 'someone');
    const keep = s.seedComment('acme/cam', 7, body('first'));
    const quote = s.seedComment('acme/cam', 7, `> ${MARKER}\n> quoted by a reviewer`, 'reviewer');
    const dup = s.seedComment('acme/cam', 7, body('duplicate'));
    const other = s.seedComment('acme/cam', 7, `${reportMarker('other-system')}\nanother system's report`);
    const r = await upsertStickyComment(client(s), target, MARKER, body('fresh'));
    expect(r).toMatchObject({ id: keep, action: 'updated', deleted: [dup] });
    const ids = s.comments('acme/cam', 7).map((c) => c.id);
    expect(ids).toContain(quote);
    expect(ids).toContain(other);
    expect(ids).not.toContain(dup);
    expect(s.calls('issues/list-comments').map((c) => c.query.page ?? '1')).toEqual(['1', '2', '3']);
    expect(s.calls('issues/create-comment')).toHaveLength(0);
  });

  it('posts a 10,000-package diff: truncated under the limit that the stand-in enforces like GitHub', async () => {
    const s = await start();
    const pkg = (name: string, version: string): LockedPackage => {
      const file = `${name}-${version}-py3-none-any.whl`;
      return { name, version, files: [{ name: file, url: `https://pypi.example/${file}`, sha256: hexOf(sha256Of(file)), size: 1 }] };
    };
    const names = Array.from({ length: 10_000 }, (_, i) => `pkg-${i}`);
    const base = Lock.create(names.map((n) => pkg(n, '1.0')));
    const head = Lock.create(names.map((n) => pkg(n, '2.0')));
    const report = buildReport({ head, base, candidate: { digest: sha256Of('c'), existed: false } });
    const untruncated = renderMarkdown(report, { marker: MARKER }).markdown;
    expect(untruncated.length).toBeGreaterThan(COMMENT_LIMIT);
    // Without the budget GitHub (and the stand-in) refuses the comment.
    await expect(upsertStickyComment(client(s), target, MARKER, untruncated)).rejects.toThrow(/422/);
    const { markdown, truncated } = renderMarkdown(report, { marker: MARKER, limit: COMMENT_LIMIT });
    expect(truncated).toBe(true);
    const r = await publishReport(client(s), target, MARKER, markdown, { fork: false });
    expect(r.posted).toBe(true);
    const stored = s.comments('acme/cam', 7);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.body).toBe(markdown);
    expect(stored[0]!.body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(stored[0]!.body).toContain('more changed packages not shown');
  });

  it('waits out secondary rate limits (403 and 429 with retry-after) and retries', async () => {
    const s = await start();
    s.inject(faults.secondaryRateLimit('issues/list-comments', { status: 429, retryAfter: 3 }));
    s.inject(faults.secondaryRateLimit('issues/create-comment', { status: 403, retryAfter: 2 }));
    const gh = client(s);
    const r = await upsertStickyComment(gh, target, MARKER, body('x'));
    expect(r.action).toBe('created');
    expect(waits).toEqual([3000, 2000]);
    expect(warnings.join('\n')).toMatch(
      /rate-limited POST \/repos\/\{owner\}\/\{repo\}\/issues\/\{issue_number\}\/comments; retrying in 2 s/,
    );
    expect(s.calls('issues/create-comment').map((c) => c.status)).toEqual([403, 201]);
    expect(s.comments('acme/cam', 7)).toHaveLength(1);
  });

  it('gives up after the retries with an error that says GitHub rate-limited it', async () => {
    const s = await start();
    s.inject(faults.secondaryRateLimit('issues/list-comments', { retryAfter: 1, times: 4 }));
    await expect(upsertStickyComment(client(s, { maxRetries: 3 }), target, MARKER, body('x'))).rejects.toThrow(
      /GitHub answered 403 \(You have exceeded a secondary rate limit/,
    );
    expect(waits).toEqual([1000, 1000, 1000]);
  });

  it('on a fork pull request (read-only token) reports instead of failing, and writes nothing', async () => {
    const s = await start({ ro: { permissions: READ_ONLY } });
    s.addPullRequest('acme/cam', { number: 9, headRepo: 'outsider/cam' });
    const r = await publishReport(client(s, { token: 'ro' }), { ...target, number: 9 }, MARKER, body('x'), { fork: true });
    expect(r.posted).toBe(false);
    if (!r.posted) {
      expect(r.reason).toBe('read-only-token');
      expect(r.message).toMatch(/from a fork.*read-only \(Resource not accessible by integration\).*workflow_run/);
    }
    expect(s.comments('acme/cam', 9)).toEqual([]);
    expect(s.calls('issues/create-comment').map((c) => c.status)).toEqual([403]);
  });

  it('names the missing permission when a same-repository token may not write', async () => {
    const s = await start({ ro: { permissions: READ_ONLY } });
    const err = await publishReport(client(s, { token: 'ro' }), target, MARKER, body('x'), { fork: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'GitHubAccessError', status: 403, permission: 'pull-requests: write', kind: 'input' });
    expect((err as Error).message).toBe(
      'GitHub refused to create the report comment on acme/cam#7 (403 Resource not accessible by integration): the token lacks `pull-requests: write`; add `permissions: { pull-requests: write }` (or `issues: write`) to the job, or pass a token that has it in the `github-token` input',
    );
  });

  it('explains a 404 (no such pull request, or a token that cannot see the repository)', async () => {
    const s = await start();
    const err = await upsertStickyComment(client(s), { ...target, number: 404 }, MARKER, body('x')).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'GitHubAccessError', status: 404 });
    expect((err as Error).message).toMatch(
      /^GitHub answered 404 \(Not Found\) when trying to list the pull request comments on acme\/cam#404: .*`pull-request` input.*`pull-requests: write`/,
    );
    s.inject(faults.forbidden('issues/update-comment'));
    s.seedComment('acme/cam', 7, body('old'));
    await expect(upsertStickyComment(client(s), target, MARKER, body('new'))).rejects.toThrow(
      /refused to update the report comment.*pull-requests: write/,
    );
  });
});
