import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { getOctokit } from '@actions/github';
import {
  faults,
  loadGitHubDescription,
  READ_ONLY,
  startGitHubStandin,
  type GitHubDescription,
  type GitHubStandin,
} from '@karoo/github-standin';

let description: GitHubDescription;
let standin: GitHubStandin | undefined;

beforeAll(async () => {
  description = await loadGitHubDescription();
});

afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

async function start(options: Parameters<typeof startGitHubStandin>[0] = {}) {
  standin = await startGitHubStandin({ description, ...options });
  standin.addRepo('acme/cam');
  standin.addPullRequest('acme/cam', { number: 7, headRepo: 'acme/cam' });
  return standin;
}

const client = (s: GitHubStandin, token = 'tok') => getOctokit(token, { baseUrl: s.url });
const repo = { owner: 'acme', repo: 'cam' };

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as { status: number }).status;
  }
}

describe('GitHub stand-in', () => {
  it('keeps issue comments through create, list, get, update and delete, with valid responses', async () => {
    const s = await start();
    const gh = client(s);
    const created = await gh.rest.issues.createComment({ ...repo, issue_number: 7, body: 'hello' });
    expect(created.status).toBe(201);
    expect(created.data.body).toBe('hello');
    expect(created.data.user?.login).toBe('github-actions[bot]');
    expect(created.headers.location).toBe(created.data.url);
    const listed = await gh.rest.issues.listComments({ ...repo, issue_number: 7 });
    expect(listed.data.map((c) => c.id)).toEqual([created.data.id]);
    const updated = await gh.rest.issues.updateComment({ ...repo, comment_id: created.data.id, body: 'again' });
    expect(updated.data.id).toBe(created.data.id);
    expect(updated.data.updated_at > updated.data.created_at).toBe(true);
    expect((await gh.rest.issues.getComment({ ...repo, comment_id: created.data.id })).data.body).toBe('again');
    await gh.rest.issues.deleteComment({ ...repo, comment_id: created.data.id });
    expect(await status(gh.rest.issues.getComment({ ...repo, comment_id: created.data.id }))).toBe(404);
    expect(s.comments('acme/cam', 7)).toEqual([]);
    expect(s.calls('issues/update-comment')[0]!.body).toEqual({ body: 'again' });
    expect(s.violations).toEqual([]);
  });

  it('answers pulls, repositories, deployments and statuses with bodies that match the response schemas', async () => {
    const s = await start();
    s.addPullRequest('acme/cam', { number: 8, headRepo: 'someone/cam-fork', headSha: 'a'.repeat(40) });
    const gh = client(s);
    const pr = await gh.rest.pulls.get({ ...repo, pull_number: 8 });
    expect(pr.data.head.repo?.full_name).toBe('someone/cam-fork');
    expect(pr.data.head.sha).toBe('a'.repeat(40));
    expect(pr.data.base.repo.full_name).toBe('acme/cam');
    expect((await gh.rest.repos.get(repo)).data.default_branch).toBe('main');
    const d1 = await gh.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      environment: 'integration',
      auto_merge: false,
      required_contexts: [],
      payload: { candidate: 'sha256:1' },
    });
    expect(d1.status).toBe(201);
    const id1 = (d1.data as { id: number }).id;
    await gh.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: id1,
      state: 'success',
      environment_url: 'https://example.invalid/',
    });
    const d2 = await gh.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      environment: 'integration',
      auto_merge: false,
      required_contexts: [],
    });
    const id2 = (d2.data as { id: number }).id;
    await gh.rest.repos.createDeploymentStatus({ ...repo, deployment_id: id2, state: 'success' });
    // GitHub marks the earlier successful deployment to the same environment inactive.
    expect(s.deployments('acme/cam').find((d) => d.id === id1)!.statuses).toEqual(['success', 'inactive']);
    const listed = await gh.rest.repos.listDeployments({ ...repo, environment: 'integration' });
    expect(listed.data.map((d) => d.id)).toEqual([id2, id1]);
    expect(listed.data[1]!.payload).toEqual({ candidate: 'sha256:1' });
    const statuses = await gh.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: id1 });
    expect(statuses.data.map((x) => x.state)).toEqual(['inactive', 'success']);
    await gh.rest.repos.createCommitStatus({
      ...repo,
      sha: 'b'.repeat(40),
      state: 'success',
      context: 'karoo/candidate',
      description: 'sha256:abc',
    });
    expect(s.commitStatuses('acme/cam')).toEqual([
      { sha: 'b'.repeat(40), state: 'success', context: 'karoo/candidate', description: 'sha256:abc' },
    ]);
    expect(await status(gh.rest.repos.createDeployment({ ...repo, ref: 'no-such-branch' }))).toBe(422);
    expect(s.violations).toEqual([]);
  });

  it('paginates like GitHub, with Link headers that Octokit follows', async () => {
    const s = await start();
    for (let i = 0; i < 205; i++) s.seedComment('acme/cam', 7, `c${i}`);
    const all = await client(s).paginate(client(s).rest.issues.listComments, { ...repo, issue_number: 7, per_page: 100 });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 205 }, (_, i) => `c${i}`));
    expect(s.calls('issues/list-comments').map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
  });

  it('rejects a misspelled body field that GitHub itself would silently ignore', async () => {
    const s = await start();
    const gh = client(s);
    const code = await status(
      gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...repo, issue_number: 7, body: 'x', bdoy: 'typo' }),
    );
    expect(code).toBe(400);
    const v = s.takeViolations();
    expect(v).toHaveLength(1);
    expect(v[0]).toContain('unknown property "bdoy"');
    expect(s.comments('acme/cam', 7)).toEqual([]);
  });

  it('rejects paths, methods, parameters, enum values and missing auth the description does not allow', async () => {
    const s = await start();
    const gh = client(s);
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => gh.request('GET /repos/{owner}/{repo}/issue/{n}/comments', { ...repo, n: 7 }), 'no path'],
      [
        () => gh.request('PUT /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...repo, comment_id: 1, body: 'x' }),
        'has no PUT operation',
      ],
      [
        // @ts-expect-error -- deliberately outside GitHub's description: the stand-in must refuse it
        () => gh.request('GET /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...repo, comment_id: 'abc' }),
        'path parameter "comment_id"',
      ],
      [
        () => gh.request('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...repo, issue_number: 7, perpage: 10 }),
        'query parameter "perpage" is not in issues/list-comments',
      ],
      [
        // @ts-expect-error -- deliberately outside GitHub's description: the stand-in must refuse it
        () => gh.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { ...repo, deployment_id: 1, state: 'done' }),
        'must be one of',
      ],
      [
        // @ts-expect-error -- deliberately outside GitHub's description: the stand-in must refuse it
        () => gh.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...repo, issue_number: 7 }),
        'requires a request body',
      ],
      [
        // @ts-expect-error -- deliberately outside GitHub's description: the stand-in must refuse it
        () => gh.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...repo, comment_id: 1, title: 'x' }),
        "must have required property 'body'",
      ],
      [() => fetch(`${s.url}/repos/acme/cam`).then((r) => Promise.reject({ status: r.status })), 'no Authorization header'],
    ];
    for (const [p, why] of cases) {
      expect(await status(p())).toBe(400);
      const v = s.takeViolations();
      expect(v).toHaveLength(1);
      expect(v[0]).toContain(why);
    }
  });

  it('makes close() fail when a violation was not taken', async () => {
    const s = await startGitHubStandin({ description });
    await status(client(s).request('GET /no/such/path'));
    await expect(s.close()).rejects.toThrow(/would not accept[\s\S]*no path in GitHub's REST description matches \/no\/such\/path/);
  });

  it('injects secondary rate limits, 403 and 404, and applies token permissions', async () => {
    const s = await start({ tokens: { rw: {}, ro: { permissions: READ_ONLY } } });
    const rw = client(s, 'rw');
    s.inject(faults.secondaryRateLimit('issues/create-comment', { retryAfter: 7, status: 429 }));
    try {
      await rw.rest.issues.createComment({ ...repo, issue_number: 7, body: 'x' });
      throw new Error('expected a failure');
    } catch (e) {
      const err = e as { status: number; response: { headers: Record<string, string>; data: { message: string } } };
      expect(err.status).toBe(429);
      expect(err.response.headers['retry-after']).toBe('7');
      expect(err.response.data.message).toMatch(/secondary rate limit/);
    }
    expect((await rw.rest.issues.createComment({ ...repo, issue_number: 7, body: 'x' })).status).toBe(201);
    s.inject(faults.notFound('repos/get'));
    expect(await status(rw.rest.repos.get(repo))).toBe(404);
    expect(await status(rw.rest.repos.get(repo))).toBe(200);
    // A read-only token (a fork's GITHUB_TOKEN) may read but not write.
    const ro = client(s, 'ro');
    expect((await ro.rest.issues.listComments({ ...repo, issue_number: 7 })).data).toHaveLength(1);
    expect(await status(ro.rest.issues.createComment({ ...repo, issue_number: 7, body: 'y' }))).toBe(403);
    expect(await status(client(s, 'unknown').rest.repos.get(repo))).toBe(401);
    expect(() => s.inject(faults.forbidden('issues/no-such-op'))).toThrow(/no operation/);
  });

  it('refuses comment bodies over 65,536 characters as GitHub does', async () => {
    const s = await start();
    const gh = client(s);
    expect(await status(gh.rest.issues.createComment({ ...repo, issue_number: 7, body: 'x'.repeat(65537) }))).toBe(422);
    expect(await status(gh.rest.issues.createComment({ ...repo, issue_number: 7, body: 'x'.repeat(65536) }))).toBe(200);
  });

  it('holds requests at a gate until enough have arrived', async () => {
    const s = await start();
    const gh = client(s);
    s.gate('issues/list-comments', 2);
    const first = gh.rest.issues.listComments({ ...repo, issue_number: 7 });
    let done = false;
    void first.then(() => (done = true));
    await gh.rest.repos.get(repo);
    expect(done).toBe(false);
    await gh.rest.issues.createComment({ ...repo, issue_number: 7, body: 'between' });
    const second = await gh.rest.issues.listComments({ ...repo, issue_number: 7 });
    // The first list was held until the second arrived, so both see the comment made between them.
    expect((await first).data).toHaveLength(1);
    expect(second.data).toHaveLength(1);
  });

  it('creates a git ref once (the second creation is 422), pointing at a tag object, with contents: write only', async () => {
    const s = await start({ tokens: { rw: {}, ro: { permissions: READ_ONLY } } });
    const gh = client(s, 'rw');
    const tag = await gh.rest.git.createTag({
      ...repo,
      tag: 'karoo/live/1',
      message: 'record: sha256:abc\n',
      object: 'c'.repeat(40),
      type: 'commit',
    });
    expect(tag.status).toBe(201);
    expect((await gh.rest.git.getTag({ ...repo, tag_sha: tag.data.sha })).data).toMatchObject({
      message: 'record: sha256:abc\n',
      object: { sha: 'c'.repeat(40), type: 'commit' },
    });
    const [a, b] = await Promise.all(
      [1, 2].map(() => status(gh.rest.git.createRef({ ...repo, ref: 'refs/karoo/live/1', sha: tag.data.sha }))),
    );
    expect([a, b].sort()).toEqual([200, 422]);
    expect((await gh.rest.git.getRef({ ...repo, ref: 'karoo/live/1' })).data.object).toMatchObject({ type: 'tag', sha: tag.data.sha });
    expect(await status(gh.rest.git.getRef({ ...repo, ref: 'karoo/live/2' }))).toBe(404);
    expect(await status(client(s, 'ro').rest.git.createRef({ ...repo, ref: 'refs/karoo/live/2', sha: tag.data.sha }))).toBe(403);
    expect(s.gitRefs('acme/cam')).toEqual([{ ref: 'refs/karoo/live/1', sha: tag.data.sha, type: 'tag', message: 'record: sha256:abc\n' }]);
  });

  it('answers a fault only for the repository it names', async () => {
    const s = await start();
    s.addRepo('acme/other');
    s.inject({ ...faults.secondaryRateLimit('repos/get', { retryAfter: 0 }), repo: 'acme/other' });
    const gh = client(s);
    expect(await status(gh.rest.repos.get(repo))).toBe(200);
    expect(
      await status(getOctokit('tok', { baseUrl: s.url, retry: { enabled: false } }).rest.repos.get({ owner: 'acme', repo: 'other' })),
    ).toBe(403);
  });
});
