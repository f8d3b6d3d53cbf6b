/**
 * The built CLI: `karoo rebuild` against an index on 127.0.0.1 that changes after the candidate
 * was built (a file replaced, deleted, yanked), `--mirror`, and `karoo challenge` between a store
 * and an air-gapped copy (`karoo export` + `karoo import`). Run `npx tsc -b` first.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWheel, type BuiltWheel, type IndexServer, serveIndex, wheelFile, writeIndex } from '@karoo/example';
import { type Digest, sha256Of } from '@karoo/common';
import { parseConfig } from '@karoo/config';
import { evidenceFor, pushEvidence } from '@karoo/evidence';
import { GitHubStandin } from '@karoo/github-standin';
import { Lock, writePylock } from '@karoo/lock';
import { LayoutStore } from '@karoo/oci';
import { promote, verifyCandidate } from '@karoo/promote';
import { runBundle } from '../support/bundle.js';
import { json, karoo, ROOT } from '../support/cli.js';

jest.setTimeout(120_000);

let work: string;
let wheels: BuiltWheel[];
let server: IndexServer;
let digest: Digest;
const store = () => `oci-layout:${join(work, 'store')}`;

const wheel = (name: string, version: string, body = 'original') =>
  buildWheel({ name, version, files: { [`${name.replace(/-/g, '_')}/__init__.py`]: `# ${body}\n${'y = 2\n'.repeat(300)}` } });

async function publish(
  dir: string,
  change: (w: BuiltWheel) => { wheel: BuiltWheel; yanked?: string } | undefined = (w) => ({ wheel: w }),
): Promise<void> {
  await writeIndex(
    dir,
    wheels.flatMap((w) => {
      const c = change(w);
      return c ? [{ name: w.name, files: [wheelFile(c.wheel, { yanked: c.yanked })] }] : [];
    }),
  );
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-rebuild-e2e-'));
  wheels = [wheel('acme-cam', '2.0.0'), wheel('katcp', '0.9.3'), wheel('tornado-lite', '6.0')];
  await publish(join(work, 'index'));
  server = await serveIndex(join(work, 'index'));
  const lock = Lock.create(
    wheels.map((w) => ({
      name: w.name,
      version: w.version,
      files: [{ name: w.filename, url: server.urlFor(`files/${w.filename}`), sha256: w.sha256, size: w.size }],
    })),
    { target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'] }, leaves: { 'acme-cam': '2.0.0' } },
  );
  await writeFile(join(work, 'built-from.toml'), writePylock(lock));
  await writeFile(
    join(work, 'karoo.yml'),
    `system: cam\nleaves: [acme-cam]\nindexes:\n  - name: private\n    url: ${server.urlFor('simple/')}\nstore: oci-layout:store\n`,
  );
  const built = await karoo(['build', '--config', 'karoo.yml', '--lock', 'built-from.toml', '--json'], { cwd: work });
  digest = json<{ candidate: Digest }>(built).candidate;
}, 60_000);

afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

interface Rebuilt {
  rebuildable: boolean;
  rebuilt?: string;
  kind?: string;
  files: Array<{ name: string; status: string; yanked?: boolean; reason?: string }>;
  problems: string[];
}

describe('karoo rebuild', () => {
  test('unchanged: exit 0, "rebuildable", the same digest (karoo.yml indexes and store)', async () => {
    await publish(join(work, 'index'));
    const human = await karoo(['rebuild', digest, '--config', 'karoo.yml'], { cwd: work });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`rebuildable: ${digest}`);
    expect(human.stderr).toContain(`karoo: rebuild ${digest}: 3 files`);
    const r = json<Rebuilt>(await karoo(['rebuild', digest, '--config', 'karoo.yml', '--json', '--quiet'], { cwd: work }));
    expect(r).toMatchObject({ rebuildable: true, rebuilt: digest, problems: [] });
  });

  test('replaced, deleted and yanked after the build: each file named, exit 3', async () => {
    const [cam, katcp, tornado] = wheels as [BuiltWheel, BuiltWheel, BuiltWheel];
    await publish(join(work, 'index'), (w) =>
      w === tornado ? undefined : w === katcp ? { wheel: wheel('katcp', '0.9.3', 'replaced') } : { wheel: w, yanked: 'withdrawn' },
    );
    const human = await karoo(['rebuild', digest, '--store', store(), '--config', 'karoo.yml'], { cwd: work });
    expect(human.code).toBe(3);
    expect(human.stdout).toContain(`not rebuildable: ${digest}`);
    for (const w of wheels) expect(human.stdout).toContain(w.filename);
    const r = json<Rebuilt>(await karoo(['rebuild', digest, '--config', 'karoo.yml', '--json'], { cwd: work }));
    expect(r.kind).toBe('integrity');
    expect(Object.fromEntries(r.files.map((f) => [f.name, f.status]))).toEqual({
      [cam.filename]: 'same',
      [katcp.filename]: 'changed',
      [tornado.filename]: 'missing',
    });
    expect(r.files.find((f) => f.name === cam.filename)!.yanked).toBe(true);
  });

  test("deleted only: exit 4, the lock's URL answered 404; yanked only: exit 5", async () => {
    const tornado = wheels[2]!;
    await publish(join(work, 'index'), (w) => (w === tornado ? undefined : { wheel: w }));
    const deleted = await karoo(['rebuild', digest, '--config', 'karoo.yml', '--lock', 'built-from.toml', '--json'], { cwd: work });
    expect(deleted.code).toBe(4);
    expect(json<Rebuilt>(deleted).files.find((f) => f.name === tornado.filename)!.reason).toBe(
      `deleted: ${server.urlFor(`files/${tornado.filename}`)} answered 404`,
    );

    await publish(join(work, 'index'), (w) => ({ wheel: w, yanked: w === tornado ? 'security' : undefined }));
    const yanked = await karoo(['rebuild', digest, '--config', 'karoo.yml', '--json'], { cwd: work });
    expect(yanked.code).toBe(5);
    expect(json<Rebuilt>(yanked)).toMatchObject({
      rebuildable: true,
      rebuilt: digest,
      problems: [`${tornado.filename}: yanked on private (still downloadable, same bytes)`],
    });
  });

  test('--mirror: the origin lost every file, a mirror index has them: exit 0', async () => {
    await publish(join(work, 'index'), () => undefined);
    await publish(join(work, 'mirror'));
    const mirror = await serveIndex(join(work, 'mirror'));
    try {
      const origin = await karoo(['rebuild', digest, '--config', 'karoo.yml', '--json'], { cwd: work });
      expect(origin.code).toBe(4);
      const r = await karoo(['rebuild', digest, '--store', store(), '--mirror', mirror.urlFor('simple/'), '--json'], { cwd: work });
      expect(r.code).toBe(0);
      expect(json<Rebuilt>(r)).toMatchObject({ rebuildable: true, rebuilt: digest, source: 'mirror' });
      expect(mirror.count('/files/')).toBe(3);
    } finally {
      await mirror.close();
      await publish(join(work, 'index'));
    }
  });

  test('bad input: one line, exit 2', async () => {
    const nowhere = await karoo(['rebuild', digest, '--store', store()], { cwd: tmpdir() });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr.trim().split('\n').at(-1)).toMatch(
      /^karoo: error: candidate sha256:[0-9a-f]{64} names no file URLs .*--mirror INDEX_URL/,
    );
    const badMirror = await karoo(['rebuild', digest, '--store', store(), '--mirror', 'not a url'], { cwd: work });
    expect(badMirror.code).toBe(2);
    expect(badMirror.stderr).toContain('--mirror "not a url" is not a URL');
  });
});

describe('karoo challenge', () => {
  test('an air-gapped copy: identical exits 0; one corrupted blob is named, exit 3', async () => {
    const tar = join(work, 'cam.tar');
    expect((await karoo(['export', digest, '--store', store(), '--out', tar])).code).toBe(0);
    const airgap = `oci-layout:${join(work, 'airgap')}`;
    expect((await karoo(['import', tar, '--store', airgap])).code).toBe(0);

    const same = await karoo(['challenge', digest, '--store', store(), '--store', airgap]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain(`identical: every blob of ${digest} is the same`);

    const katcp = wheels[1]!;
    const blob = join(work, 'airgap', 'blobs', 'sha256', katcp.sha256);
    const bytes = Buffer.from(katcp.data);
    bytes[bytes.length - 10]! ^= 0xff;
    await writeFile(blob, bytes);
    const bad = await karoo(['challenge', digest, '--store', store(), '--store', airgap, '--json']);
    expect(bad.code).toBe(3);
    const r = json<{
      identical: boolean;
      differences: number;
      blobs: Array<{ title?: string; same: boolean; copies: Array<{ status: string }> }>;
    }>(bad);
    expect(r).toMatchObject({ identical: false, differences: 1 });
    expect(r.blobs.filter((b) => !b.same)).toEqual([
      expect.objectContaining({
        title: katcp.filename,
        copies: [expect.objectContaining({ status: 'ok' }), expect.objectContaining({ status: 'damaged' })],
      }),
    ]);
    const human = await karoo(['challenge', digest, '--store', store(), '--store', airgap]);
    expect(human.stdout).toMatch(new RegExp(`layer "${katcp.filename}" sha256:${katcp.sha256}: damaged in ${airgap}`));
  });

  test('one store only: one line, exit 2', async () => {
    const r = await karoo(['challenge', digest, '--store', store()]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('karoo: error: challenge compares two stores; pass --store twice (got 1)');
  });
});

describe('the bundled rebuild action (node scripts/bundle.mjs rebuild)', () => {
  const systemId = async (c: Digest, env: { name: string }) => sha256Of(`${c} ${env.name}`);

  test('checks what qualification and production run; one issue opened when a file was replaced, closed when it is back', async () => {
    if (!existsSync(join(ROOT, 'dist/rebuild/index.js')))
      throw new Error('dist/rebuild is missing: run npx tsc -b && node scripts/bundle.mjs rebuild');
    await publish(join(work, 'index'));
    // qualification and production run the candidate: promotion records in the store, as karoo promote writes them.
    const dir = join(work, 'consumer');
    await mkdir(dir, { recursive: true });
    const yml = `system: cam\nleaves: [acme-cam]\nindexes:\n  - name: private\n    url: ${server.urlFor('simple/')}\nstore: oci-layout:${join(work, 'store')}\nenvironments:\n  - name: qualification\n  - name: production\n`;
    await writeFile(join(dir, 'karoo.yml'), yml);
    const config = parseConfig(yml, join(dir, 'karoo.yml'));
    const layout = new LayoutStore(join(work, 'store'));
    const d = await verifyCandidate(layout, digest);
    const at = new Date().toISOString();
    await pushEvidence(
      layout,
      evidenceFor(d, {
        candidate: digest,
        system: 'cam',
        systemId: await systemId(digest as Digest, { name: 'qualification' }),
        configDigest: sha256Of('qualification'),
        environment: 'qualification',
        result: 'passed',
        counts: { tests: 1, passed: 1, failed: 0, errors: 0, skipped: 0 },
        startedAt: at,
        finishedAt: at,
        durationMs: 1,
        exitCode: 0,
        timedOut: false,
        command: ['true'],
        nodes: [],
      }),
    );
    for (const environment of ['qualification', 'production'])
      await promote({ store: layout, config, candidate: digest, environment, actor: 'alice', systemId });

    const github = await GitHubStandin.start();
    github.addRepo('acme/cam');
    try {
      const run = () =>
        runBundle(join(ROOT, 'dist/rebuild/index.js'), {
          cwd: dir,
          under: work,
          inputs: {
            config: 'karoo.yml',
            environments: 'qualification production',
            issue: 'true',
            fail: 'true',
            'issue-title': 'karoo: a running candidate can no longer be rebuilt',
            'github-token': 'test-token',
          },
          env: { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/cam', GITHUB_RUN_ID: '77' },
        });
      const katcp = wheels[1]!;
      await publish(join(work, 'index'), (w) => ({ wheel: w === katcp ? wheel('katcp', '0.9.3', 'replaced upstream') : w }));
      const bad = await run();
      expect(bad.code).toBe(1);
      expect(bad.log).toMatch(/::error::cannot rebuild what qualification, production \(sha256:[0-9a-f]{64}\) runs/);
      expect(bad.outputs.rebuildable).toBe('false');
      expect(bad.summary).toContain(`| \`${katcp.filename}\` | changed | replaced: `);
      let issues = github.issues('acme/cam');
      expect(issues).toEqual([expect.objectContaining({ state: 'open', labels: ['karoo-rebuild'] })]);
      expect(issues[0]!.body).toContain(`### qualification, production: \`${digest}\` — not rebuildable`);
      expect(issues[0]!.body).toContain('Checked by https://github.com/acme/cam/actions/runs/77.');
      expect(bad.outputs['issue-url']).toBe(`https://github.com/acme/cam/issues/${issues[0]!.number}`);

      expect((await run()).code).toBe(1);
      expect(github.issues('acme/cam')).toHaveLength(1);

      await publish(join(work, 'index'));
      const good = await run();
      expect(good.log).not.toContain('::error::');
      expect(good.code).toBe(0);
      expect(good.outputs.rebuildable).toBe('true');
      issues = github.issues('acme/cam');
      expect(issues).toEqual([expect.objectContaining({ state: 'closed' })]);
    } finally {
      await github.close();
    }
  });
});
