/**
 * The layout lock on a real file system: critical sections never overlap, also when many
 * contenders find the same stale lock at once, and a lock is never broken by time.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKarooError } from '@karoo/common';
import { withLock } from './lock.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A read-modify-write of a counter file that loses updates unless its sections are exclusive. */
async function increment(file: string, inside: { now: number; most: number }): Promise<void> {
  inside.now++;
  inside.most = Math.max(inside.most, inside.now);
  const v = Number(await readFile(file, 'utf8'));
  await pause(Math.random() * 3);
  await writeFile(file, String(v + 1));
  inside.now--;
}

describe('withLock', () => {
  it('makes read-modify-write sections exclusive: 20 contenders, no lost update', async () => {
    const file = join(dir, 'counter');
    await writeFile(file, '0');
    const inside = { now: 0, most: 0 };
    await Promise.all(
      Array.from({ length: 20 }, () => withLock(join(dir, 'locks'), 'env', 'a test', () => increment(file, inside), { waitMs: 30_000 })),
    );
    expect(Number(await readFile(file, 'utf8'))).toBe(20);
    expect(inside.most).toBe(1);
    expect(await readdir(join(dir, 'locks'))).toEqual([]);
  }, 40_000);

  it('breaks a stale lock of this host; sections stay exclusive when many find it at once', async () => {
    const file = join(dir, 'counter2');
    await writeFile(file, '0');
    await mkdir(join(dir, 'stale'), { recursive: true });
    await writeFile(
      join(dir, 'stale', 'env.lock'),
      JSON.stringify({ pid: 2 ** 22 + 11, host: hostname(), since: '2020-01-01T00:00:00Z', nonce: 'dead', what: 'a crashed promotion' }),
    );
    const inside = { now: 0, most: 0 };
    await Promise.all(
      Array.from({ length: 20 }, () => withLock(join(dir, 'stale'), 'env', 'a test', () => increment(file, inside), { waitMs: 30_000 })),
    );
    expect(Number(await readFile(file, 'utf8'))).toBe(20);
    expect(inside.most).toBe(1);
  }, 40_000);

  it('never breaks a lock by its age: a live holder of this host is waited for, then named', async () => {
    await mkdir(join(dir, 'live'), { recursive: true });
    const lock = join(dir, 'live', 'env.lock');
    // This very process holds it: alive, whatever the recorded time says.
    await writeFile(
      lock,
      JSON.stringify({ pid: process.pid, host: hostname(), since: '1999-01-01T00:00:00Z', nonce: 'alive', what: 'promotion of Y to env' }),
    );
    let ran = false;
    const e = await withLock(join(dir, 'live'), 'env', 'a test', async () => void (ran = true), { waitMs: 150 }).catch((x: unknown) => x);
    expect(ran).toBe(false);
    expect(isKarooError(e) && e.kind).toBe('conflict');
    expect((e as Error).message).toBe(
      `${lock} is held by promotion of Y to env (pid ${process.pid} on ${hostname()}, since 1999-01-01T00:00:00Z); wait for it to finish and run this again — if no karoo runs there any more, remove ${lock} (and ${lock}.break if present)`,
    );
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ nonce: 'alive' });
  });
});
