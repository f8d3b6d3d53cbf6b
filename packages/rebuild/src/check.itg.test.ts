/**
 * The rebuild check of what environments run, and its ONE issue, against the GitHub stand-in
 * (every request checked against GitHub's OpenAPI description) and an index on 127.0.0.1 that
 * changes between runs.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import type { IndexConfig } from '@karoo/config';
import { buildWheel, type BuiltWheel, type IndexServer, serveIndex, wheelFile, writeIndex } from '@karoo/example';
import { GitHubStandin } from '@karoo/github-standin';
import { Lock } from '@karoo/lock';
import { LayoutStore } from '@karoo/oci';
import { createGitHubClient } from '@karoo/report';
import { publishRebuildIssue, REBUILD_ISSUE_LABEL, REBUILD_ISSUE_MARKER, rebuildCheck } from './index.js';

let work: string;
let wheels: BuiltWheel[];
let server: IndexServer;
let standin: GitHubStandin;
let store: LayoutStore;
let digest: string;
let index: IndexConfig;
const REPO = { owner: 'acme', repo: 'cam' };

const wheel = (name: string, body = 'original') =>
  buildWheel({ name, version: '1.0.0', files: { [`${name.replace(/-/g, '_')}/x.py`]: `# ${body}\n` } });
const publish = (change: (w: BuiltWheel) => { wheel: BuiltWheel; yanked?: string } | undefined = (w) => ({ wheel: w })) =>
  writeIndex(
    join(work, 'index'),
    wheels.flatMap((w) => {
      const c = change(w);
      return c ? [{ name: w.name, files: [wheelFile(c.wheel, { yanked: c.yanked })] }] : [];
    }),
  );

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-rebuild-check-'));
  wheels = [wheel('cam-core'), wheel('cam-store')];
  await publish();
  server = await serveIndex(join(work, 'index'));
  index = { name: 'private', url: server.urlFor('simple/'), private: true };
  const lock = Lock.create(
    wheels.map((w) => ({
      name: w.name,
      version: w.version,
      files: [{ name: w.filename, url: server.urlFor(`files/${w.filename}`), sha256: w.sha256, size: w.size }],
    })),
    {
      target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'] },
      leaves: { 'cam-core': '1.0.0' },
    },
  );
  store = new LayoutStore(join(work, 'store'));
  digest = (await build({ lock, store, system: 'cam' })).candidate;
  standin = await GitHubStandin.start();
  standin.addRepo('acme/cam');
}, 60_000);

afterAll(async () => {
  await server?.close();
  await standin?.close();
  await rm(work, { recursive: true, force: true });
});

describe('rebuild check and its one issue', () => {
  const gh = () => createGitHubClient({ token: 'test-token', baseUrl: standin.url });
  const running = () => [
    { environment: 'qualification', candidate: digest },
    { environment: 'production', candidate: digest },
  ];

  test('opened when a file was replaced, updated (not duplicated) when another is deleted, closed once all is rebuildable again', async () => {
    const [core, camStore] = wheels as [BuiltWheel, BuiltWheel];
    await publish((w) => ({ wheel: w === core ? wheel('cam-core', 'replaced') : w }));
    const first = await rebuildCheck(running(), { store, indexes: [index] });
    // One candidate run by two environments is rebuilt once.
    expect(first.checked).toEqual([expect.objectContaining({ candidate: digest, environments: ['qualification', 'production'] })]);
    expect(first.ok).toBe(false);
    const opened = await publishRebuildIssue(gh(), REPO, first, { runUrl: 'https://github.com/acme/cam/actions/runs/7' });
    expect(opened.action).toBe('created');
    let issues = standin.issues('acme/cam');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      state: 'open',
      labels: [REBUILD_ISSUE_LABEL],
      title: 'karoo: a running candidate can no longer be rebuilt',
    });
    expect(issues[0]!.body.startsWith(`${REBUILD_ISSUE_MARKER}\n`)).toBe(true);
    expect(issues[0]!.body).toContain(`### qualification, production: \`${digest}\` — not rebuildable`);
    expect(issues[0]!.body).toMatch(new RegExp(`\\| \`${core.filename}\` \\| changed \\| replaced: `));

    const again = await publishRebuildIssue(gh(), REPO, first, { runUrl: 'https://github.com/acme/cam/actions/runs/7' });
    expect(again.action).toBe('unchanged');

    await publish((w) => (w === camStore ? undefined : { wheel: w }));
    const second = await rebuildCheck(running(), { store, indexes: [index] });
    const updated = await publishRebuildIssue(gh(), REPO, second);
    expect(updated).toMatchObject({ action: 'updated', number: opened.number });
    issues = standin.issues('acme/cam');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.body).toMatch(new RegExp(`\\| \`${camStore.filename}\` \\| missing \\| deleted: `));
    expect(issues[0]!.body).not.toContain(`${core.filename}\` | changed`);

    await publish();
    const fixed = await rebuildCheck(running(), { store, indexes: [index] });
    expect(fixed.ok).toBe(true);
    expect(await publishRebuildIssue(gh(), REPO, fixed)).toMatchObject({ action: 'closed', number: opened.number });
    expect(standin.issues('acme/cam')).toEqual([
      expect.objectContaining({ state: 'closed', body: expect.stringContaining('Every running candidate can still be rebuilt') }),
    ]);

    // All well and no open issue: nothing is created.
    expect(await publishRebuildIssue(gh(), REPO, fixed)).toMatchObject({ action: 'none' });
    expect(standin.issues('acme/cam')).toHaveLength(1);
    // A new failure opens a new issue (the closed one stays closed).
    await publish((w) => ({ wheel: w, yanked: w === core ? 'bad' : undefined }));
    const yanked = await rebuildCheck(running(), { store, indexes: [index] });
    expect(yanked.ok).toBe(false);
    expect((await publishRebuildIssue(gh(), REPO, yanked)).action).toBe('created');
    expect(standin.issues('acme/cam').map((i) => i.state)).toEqual(['closed', 'open']);
    expect(standin.issues('acme/cam')[1]!.body).toContain('rebuildable, but yanked files');
  }, 60_000);

  test('a candidate that cannot be read is reported in the check, not thrown', async () => {
    const missing = `sha256:${'d'.repeat(64)}`;
    const r = await rebuildCheck([{ environment: 'production', candidate: missing }], { store, indexes: [index] });
    expect(r).toMatchObject({ ok: false, checked: [{ candidate: missing, error: expect.stringContaining('is not in oci-layout:') }] });
  });
});
