/**
 * Two promotions to one environment at once, with the delays that broke the timed claim: one
 * registry write answered 503 with `Retry-After: 2` (through the registry test proxy, after up
 * to 1.5 s) and one GitHub call waiting out a secondary rate limit (through the stand-in). The
 * issue's case first, alone, then races side by side with random places and lengths, each in
 * its own repository of the store and of GitHub, on top of a first promotion. Every race must
 * end with exactly one success and a conflict for the other, one linear history, and no
 * Deployment marked success for a promotion that is not the environment's.
 *
 * The seed is in the describe title; KAROO_RACE_SEED=<n> replays one run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '@karoo/build';
import { type Digest, isKarooError } from '@karoo/common';
import { type KarooConfig, parseConfig } from '@karoo/config';
import { faults, startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { copyArtifact, LayoutStore, openStore, type Store } from '@karoo/oci';
import { githubDeployments, history, promote, type PromoteOptions, type PromoteResult } from '@karoo/promote';
import { startProxy, startRegistry, type RunningProxy, type RunningRegistry } from '../../../test/support/registry.js';
import { makeWheels } from '../../../test/support/wheels.js';

const SEED = Number(process.env.KAROO_RACE_SEED ?? Date.now() % 1_000_000);
const RACES = 9;
const COMMIT = 'c'.repeat(40);

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let work: string;
let registry: RunningRegistry;
let proxy: RunningProxy;
let github: GitHubStandin;
let config: KarooConfig;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-race-'));
  config = parseConfig(
    `system: cam\nleaves: [acme-cam]\nindexes: [{ url: ./index }]\nenvironments:\n  - name: live\n    requires: []\n`,
    join(work, 'karoo.yml'),
  );
  registry = await startRegistry();
  proxy = await startProxy(registry.host);
  github = await startGitHubStandin({ tokens: { rw: {} } });
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await github?.close();
  await rm(work, { recursive: true, force: true });
});

/** Answers nobody until `n` promotions asked: both have read the environment before either records. */
function together(n: number): NonNullable<PromoteOptions['evidence']> {
  const waiting: Array<() => void> = [];
  return async () => {
    await new Promise<void>((r) => {
      waiting.push(r);
      if (waiting.length >= n) for (const w of waiting.splice(0)) w();
    });
    return [];
  };
}

interface Race {
  readonly name: string;
  readonly store: Store;
  readonly candidates: Digest[];
}

/** Three candidates, built once into a layout and copied straight into each race's repository (the promotions go through the proxy). */
async function prepare(count: number): Promise<Race[]> {
  const built = new LayoutStore(join(work, 'built'));
  const candidates: Digest[] = [];
  for (const version of ['1.0.0', '2.0.0', '3.0.0']) {
    const wheels = await makeWheels(join(work, `w-${version}`), [{ name: 'acme-cam', version, size: 500 }]);
    candidates.push((await build({ lock: wheels.lock(), store: built, system: 'cam' })).candidate);
  }
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `acme/race-${i}`;
      github.addRepo(name);
      for (const c of candidates) await copyArtifact(built, openStore(`${registry.host}/${name}`), c);
      return { name, store: openStore(`${proxy.host}/${name}`), candidates };
    }),
  );
}

describe(`two promotions at once, delayed by a registry 503 and a GitHub rate limit (seed ${SEED})`, () => {
  const rnd = random(SEED);
  let races: Race[];

  beforeAll(async () => {
    races = await prepare(RACES);
    // A first promotion everywhere, without faults: the races build on an existing history.
    await Promise.all(races.map((r) => promote(options(r, r.candidates[0]!, async () => []))));
  }, 120_000);

  const options = (r: Race, candidate: Digest, evidence: PromoteOptions['evidence'], actor = 'release-manager'): PromoteOptions => ({
    store: r.store,
    config,
    candidate,
    environment: 'live',
    actor,
    evidence,
    github: { tracker: githubDeployments({ token: 'rw', repository: r.name, baseUrl: github.url }), ref: COMMIT },
  });

  it(`${RACES} races: exactly one success each, one linear history, no orphaned Deployment marked success`, async () => {
    // First alone, the case as measured on a loaded machine: a slow 503 (1.5 s, then
    // Retry-After: 2) and a 20 s rate limit on the Deployment of whoever goes on first. Then the
    // others side by side, drawing where the rate limit falls and how long both delays are.
    const fixed = { r: races[0]!, op: 'repos/create-deployment', wait: 20, slow: 1500, first: rnd() < 0.5 };
    const drawn = races.slice(1).map((r) => ({
      r,
      op: rnd() < 0.7 ? 'repos/create-deployment' : rnd() < 0.5 ? 'git/create-ref' : 'git/create-tag',
      wait: 2 + Math.floor(rnd() * 13),
      slow: Math.floor(rnd() * 1500),
      first: rnd() < 0.5,
    }));
    for (const plans of [[fixed], drawn]) {
      const outcomes = await Promise.all(
        plans.map(async ({ r, op, wait, slow, first }) => {
          const before = await history(openStore(`${registry.host}/${r.name}`), 'live');
          const deploymentsBefore = new Set(github.deployments(r.name).map((d) => d.id));
          // The first manifest write in this repository waits out a 503; one GitHub call a rate limit.
          proxy.fault({ method: 'PUT', path: new RegExp(`^/v2/${r.name}/manifests/`), fault: '503', retryAfter: 2, delayMs: slow });
          github.inject({ ...faults.secondaryRateLimit(op, { retryAfter: wait, status: rnd() < 0.5 ? 403 : 429 }), repo: r.name });
          const [x, y] = first ? [r.candidates[1]!, r.candidates[2]!] : [r.candidates[2]!, r.candidates[1]!];
          const barrier = together(2);
          const settled = await Promise.allSettled([promote(options(r, x, barrier, 'alice')), promote(options(r, y, barrier, 'bob'))]);
          return { r, plan: `${r.name}: 503 after ${slow} ms, rate limit on ${op} for ${wait} s`, before, deploymentsBefore, settled };
        }),
      );

      for (const { r, plan, before, deploymentsBefore, settled } of outcomes) {
        const won = settled.filter((s): s is PromiseFulfilledResult<PromoteResult> => s.status === 'fulfilled').map((s) => s.value);
        const lost = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown);
        expect({ plan, successes: won.length }).toEqual({ plan, successes: 1 });
        expect({ plan, loser: lost.map((e) => (isKarooError(e) ? e.kind : String(e))) }).toEqual({ plan, loser: ['conflict'] });
        const winner = won[0]!;

        // One linear history: the winner follows the head both started from, and is the head.
        const direct = openStore(`${registry.host}/${r.name}`);
        const after = await history(direct, 'live');
        expect({ plan, chain: after.map((h) => h.digest) }).toEqual({ plan, chain: [winner.record, ...before.map((h) => h.digest)] });
        expect((await direct.hasManifest('env-live'))?.digest).toBe(winner.candidate);
        // No place of the history is taken twice.
        const places = (await direct.listTags()).map((t) => /^env-live\.record-(\d+)-/.exec(t)?.[1]).filter((p): p is string => !!p);
        expect({ plan, places: places.length }).toEqual({ plan, places: new Set(places).size });

        // The only Deployment of the race that ever said success is the winner's.
        const fresh = github.deployments(r.name).filter((d) => !deploymentsBefore.has(d.id));
        const succeeded = fresh.filter((d) => d.statuses.includes('success'));
        expect({ plan, succeeded: succeeded.map((d) => d.id) }).toEqual({ plan, succeeded: [winner.deployment!.id] });
        expect((succeeded[0]!.payload as { candidate?: string }).candidate).toBe(winner.candidate);
      }
    }
    // The faults really happened: 503s answered by the proxy, rate limits by the stand-in.
    expect(proxy.log.filter((l) => / 503$/.test(l)).length).toBeGreaterThanOrEqual(RACES);
    expect(github.requests.filter((q) => q.status === 403 || q.status === 429).length).toBeGreaterThan(0);
  }, 150_000);
});
