import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGitHubDescription, startGitHubStandin } from '@karoo/github-standin';
import { copyExample, GOOD_VERSIONS, MOVED, publishNewLeaves } from '../support/bisect.js';
import { json, karoo } from '../support/cli.js';

// `karoo bisect` with the built CLI on real nspawn machines: the example's private index gets
// newer builds of four leaves; cam-store 2.1.0 moves the store's write route, so the proxies'
// cross-node writes fail. Bisect must name cam-store, each step stored as usual, and a second
// bisection must reuse every verdict without a machine.
let dir: string;
let config: string;
let store: string;

interface BisectJson {
  headline: string;
  moved: Array<{ name: string; from: string; to: string }>;
  culprits: Array<{ name: string; from: string; to: string }>;
  steps: Array<{ moved: string[]; result: string; reused: boolean; candidate?: string; evidence?: string }>;
  runs: number;
  reused: number;
  unresolvable: number;
  good: { candidate: string };
  bad: { candidate: string };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-e2e-bisect-'));
  config = await copyExample(join(dir, 'cam'));
  store = `oci-layout:${join(dir, 'store')}`;
  expect((await karoo(['resolve', '--config', config, '--out', join(dir, 'good'), '--json'])).code).toBe(0);
  await publishNewLeaves(join(dir, 'cam'));
  expect((await karoo(['resolve', '--config', config, '--out', join(dir, 'bad'), '--json'])).code).toBe(0);
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('karoo bisect', () => {
  it('names the leaf whose service breaks a cross-node call, in at most ⌈log2 n⌉ + 1 intermediate runs, and reuses every verdict the second time', async () => {
    const summary = join(dir, 'summary.md');
    const locks = join(dir, 'locks');
    const r = await karoo([
      'bisect',
      '--config',
      config,
      '--store',
      store,
      '--good',
      join(dir, 'good/pylock.toml'),
      '--bad',
      join(dir, 'bad/pylock.toml'),
      '--environment',
      'integration',
      '--out',
      locks,
      '--markdown',
      summary,
      '--json',
    ]);
    const o = json<BisectJson>(r);
    if (r.code !== 0) process.stderr.write(`${r.stdout}\n${r.stderr.slice(-6000)}\n`);
    expect(r.code).toBe(0);
    expect(o.moved.map((m) => m.name)).toEqual(MOVED.map((m) => m.name));
    expect(o.culprits).toEqual([{ name: 'cam-store', from: GOOD_VERSIONS['cam-store'], to: '2.1.0' }]);
    const intermediate = o.steps.filter((s) => s.moved.length > 0 && s.moved.length < o.moved.length && s.result !== 'unresolvable');
    expect(intermediate.length).toBeLessThanOrEqual(Math.ceil(Math.log2(o.moved.length)) + 1);
    // The ends really pass and fail on machines, and cam-store's move alone fails.
    expect(o.steps[0]).toMatchObject({ moved: [], result: 'passed', reused: false });
    expect(o.steps[1]).toMatchObject({ result: 'failed', reused: false });
    expect(o.steps).toContainEqual(expect.objectContaining({ moved: ['cam-store'], result: 'failed' }));
    expect(o).toMatchObject({ runs: o.steps.length, reused: 0, unresolvable: 0 });
    expect(o.headline).toBe(`acceptance fails since cam-store 2.0.0 → 2.1.0 (${o.runs} acceptance runs, 0 reused)`);
    expect(await readFile(summary, 'utf8')).toContain(
      `**acceptance fails since \`cam-store\` 2.0.0 → 2.1.0 (${o.runs} acceptance runs, 0 reused)**`,
    );

    // Every step is stored as usual: its evidence is the candidate's, as `karoo evidence` lists it.
    for (const s of o.steps) {
      const ev = json<Array<{ digest: string; result: string }>>(await karoo(['evidence', '--store', store, s.candidate!, '--json']));
      expect(ev).toContainEqual(expect.objectContaining({ digest: s.evidence, result: s.result }));
    }

    // Again from the candidates: the same steps, every verdict reused, no resolver run for the kept
    // locks; the report goes to the pull request as one comment (the GitHub stand-in checks the requests).
    const standin = await startGitHubStandin({ description: await loadGitHubDescription(), tokens: { rw: {} } });
    standin.addRepo('acme/cam');
    standin.addPullRequest('acme/cam', { number: 7 });
    const env = { GITHUB_REPOSITORY: 'acme/cam', GITHUB_API_URL: standin.url, GITHUB_TOKEN: 'rw' };
    const again = await karoo(
      [
        'bisect',
        '--config',
        config,
        '--store',
        store,
        '--good',
        o.good.candidate,
        '--bad',
        o.bad.candidate,
        '--environment',
        'integration',
        '--out',
        locks,
        '--comment',
        '7',
      ],
      { env },
    );
    await standin.close();
    expect(again.code).toBe(0);
    const comments = standin.comments('acme/cam', 7);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(
      `**acceptance fails since \`cam-store\` 2.0.0 → 2.1.0 (${o.runs} acceptance runs, ${o.runs} reused)**`,
    );
    expect(again.stdout.split('\n')[0]).toBe(
      `acceptance fails since cam-store 2.0.0 → 2.1.0 (${o.runs} acceptance runs, ${o.runs} reused)`,
    );
    expect(again.stderr).not.toMatch(/up: provisioning/);
    expect(again.stderr.match(/is current: leaves and index pages unchanged, nothing to resolve/g)).toHaveLength(intermediate.length);
  }, 900_000);

  it('bad input is one line and exit 2, and nothing is built', async () => {
    const good = join(dir, 'good/pylock.toml');
    const fresh = `oci-layout:${join(dir, 'untouched')}`;
    const cases: Array<[string[], string]> = [
      [['--good', good, '--bad', good], `karoo: error: --good and --bad are the same lock (`],
      [['--good', config, '--bad', good], `karoo: error: --good: ${config}: a .yml file is not a lock or requirements file`],
      [['--good', `sha256:${'1'.repeat(64)}`, '--bad', good], `karoo: error: --good sha256:${'1'.repeat(64)} is not in ${fresh}`],
      [
        ['--good', good, '--bad', join(dir, 'nothing-here')],
        `karoo: error: --bad ${join(dir, 'nothing-here')} is neither a candidate digest`,
      ],
      [
        ['--good', good, '--bad', good, '--comment', 'seven'],
        'karoo: error: --comment "seven" is not a pull request number; pass e.g. --comment 42',
      ],
    ];
    for (const [args, line] of cases) {
      const r = await karoo(['bisect', '--config', config, '--store', fresh, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim().startsWith(line)).toBe(true);
    }
    await expect(readFile(join(dir, 'untouched', 'index.json'))).rejects.toThrow();
  }, 120_000);
});
