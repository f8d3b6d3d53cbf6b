/**
 * The environment's watchdog (helpers/forward.py) as the real Python process, without machines:
 * it acts the moment its owner process is gone (killed, or its pid reused), not before, and not
 * at all once the owner is cleared (an environment handed on); and `reap` decides the same from
 * the stamp alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { ASSETS } from './generated/assets.js';
import { OWNER_FILE } from './paths.js';
import { bootId, isAlive, ownerRef, procRef, sleep, type ProcRef } from './proc.js';
import type { EnvState } from './state.js';
import { destroyEnvironment, reapReason, reapTempDirs } from './teardown.js';
import { findJobProcess, ownerOf } from './owner.js';
import { startFakeRunnerJob } from '../../../test/support/fake-runner.js';

let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'karoo-watchdog-test-'));
  writeFileSync(join(dir, 'forward.py'), ASSETS['helpers/forward.py']!);
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: 'ignore' });
  children.push(c);
  return c;
}

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(25);
  }
  return check();
}

/** A watchdog whose "removal" writes a marker file; returns it with its config path and marker. */
async function watchdog(
  name: string,
  owner: ProcRef | null,
  opts: { env?: string; removal?: (marker: string) => string } = {},
): Promise<{ proc: ChildProcess; ref: ProcRef; config: string; marker: string }> {
  const config = join(dir, `${name}.json`);
  const marker = join(dir, `${name}.removed`);
  const readyFile = join(dir, `${name}.ready`);
  const cfg = {
    netnsPath: '/nonexistent',
    portsFile: join(dir, `${name}.ports`),
    readyFile,
    expiresAt: Date.now() / 1000 + 3600,
    // The marker appears whole (renamed into place): a reader never sees it half-written.
    onExpire: ['/bin/sh', '-c', `${opts.removal?.(`${marker}.tmp`) ?? `echo removed > ${marker}.tmp`} && mv ${marker}.tmp ${marker}`],
    owner,
    nodes: [],
  };
  writeFileSync(config, JSON.stringify(cfg));
  const proc = start('/usr/bin/python3', ['-I', '-S', join(dir, 'forward.py'), opts.env ?? 'karoo-00000000', config]);
  expect(await until(() => existsSync(readyFile), 10_000)).toBe(true);
  return { proc, ref: (await procRef(proc.pid!))!, config, marker };
}

describe('watchdog', () => {
  test('removes the environment within moments of its owner being killed, and exits', async () => {
    const owner = start('sleep', ['600']);
    const w = await watchdog('killed', (await procRef(owner.pid!))!);
    await sleep(300);
    expect(existsSync(w.marker)).toBe(false);
    owner.kill('SIGKILL');
    expect(await until(() => existsSync(w.marker), 3000)).toBe(true);
    expect(readFileSync(w.marker, 'utf8')).toBe('removed\n');
    expect(await until(async () => !(await isAlive(w.ref)), 3000)).toBe(true);
  });

  test('treats a pid whose start time differs (reused) as gone', async () => {
    const other = start('sleep', ['600']);
    const ref = (await procRef(other.pid!))!;
    const w = await watchdog('reused', { pid: ref.pid, startTime: ref.startTime + 1 });
    expect(await until(() => existsSync(w.marker), 3000)).toBe(true);
  });

  test('an owner cleared through its config (handed on) no longer ends the environment', async () => {
    const owner = start('sleep', ['600']);
    const w = await watchdog('handed-on', (await procRef(owner.pid!))!);
    const cfg = JSON.parse(readFileSync(w.config, 'utf8')) as Record<string, unknown>;
    // As karoo writes it: a new file renamed over the old one (never half a file).
    writeFileSync(`${w.config}.tmp`, JSON.stringify({ ...cfg, owner: null }));
    renameSync(`${w.config}.tmp`, w.config);
    process.kill(w.proc.pid!, 'SIGUSR1');
    await sleep(300);
    owner.kill('SIGKILL');
    await sleep(1500);
    expect(existsSync(w.marker)).toBe(false);
    expect(await isAlive(w.ref)).toBe(true);
  });
});

describe('watchdog of an environment owned by a GitHub Actions job', () => {
  test("keeps the environment when the step that made it ends, removes it the moment the job's Runner.Worker is killed", async () => {
    const job = await startFakeRunnerJob();
    try {
      // What the provision action does: the owner is the job, found from the step's process.
      const worker = await findJobProcess(job.step);
      expect(worker?.pid).toBe(job.worker);
      const w = await watchdog('runner-job', await ownerOf(worker!.pid));
      process.kill(job.step, 'SIGKILL'); // the step ends; the job goes on
      await sleep(1500);
      expect(existsSync(w.marker)).toBe(false);
      const ownerState = { ...(await ownerOf(job.worker)) };
      process.kill(job.worker, 'SIGKILL'); // the job is cancelled or its runner dies
      expect(await until(() => existsSync(w.marker), 3000)).toBe(true);
      expect(await until(async () => !(await isAlive(w.ref)), 3000)).toBe(true);
      // A plain reap decides the same from the stamp.
      expect(await until(async () => !(await isAlive(ownerState)), 3000)).toBe(true);
      const stamp = {
        environmentId: 'karoo-0000abce',
        lifetime: 'owner',
        owner: ownerState,
        phase: 'ready',
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
        createdAt: new Date().toISOString(),
        machines: [],
      } as unknown as EnvState;
      expect(await reapReason(stamp.environmentId, stamp, {})).toBe(`its owner process ${job.worker} is gone`);
    } finally {
      job.killAll();
    }
  });
});

describe('watchdog release', () => {
  test("a release that arrives together with the owner's exit (karoo provision hands on, then ends) is honoured", async () => {
    const owner = start('sleep', ['600']);
    const w = await watchdog('released-at-exit', (await procRef(owner.pid!))!);
    // Both events wait for one round of its loop: stopped, it is released and loses its owner.
    process.kill(w.proc.pid!, 'SIGSTOP');
    const cfg = JSON.parse(readFileSync(w.config, 'utf8')) as Record<string, unknown>;
    writeFileSync(`${w.config}.tmp`, JSON.stringify({ ...cfg, owner: null }));
    renameSync(`${w.config}.tmp`, w.config);
    process.kill(w.proc.pid!, 'SIGUSR1');
    owner.kill('SIGKILL');
    await until(async () => !(await isAlive((await procRef(owner.pid!)) ?? undefined)), 3000);
    process.kill(w.proc.pid!, 'SIGCONT');
    await sleep(1500);
    expect(existsSync(w.marker)).toBe(false);
    expect(await isAlive(w.ref)).toBe(true);
  });

  test('the config on disk decides: a release whose signal never came is still honoured when the owner ends', async () => {
    const owner = start('sleep', ['600']);
    const w = await watchdog('released-unsignalled', (await procRef(owner.pid!))!);
    const cfg = JSON.parse(readFileSync(w.config, 'utf8')) as Record<string, unknown>;
    writeFileSync(`${w.config}.tmp`, JSON.stringify({ ...cfg, owner: null }));
    renameSync(`${w.config}.tmp`, w.config);
    owner.kill('SIGKILL');
    await sleep(1500);
    expect(existsSync(w.marker)).toBe(false);
    expect(await isAlive(w.ref)).toBe(true);
  });
});

describe('teardown lock', () => {
  test("a teardown that starts while the watchdog's own runs waits for it: when it returns, the other has finished", async () => {
    const env = 'karoo-0000abcf';
    const owner = start('sleep', ['600']);
    const started = join(dir, 'locked.started');
    // The watchdog's teardown takes a while (longer than a sweep), and says whether it was told the lock is held for it.
    const w = await watchdog('locked', (await procRef(owner.pid!))!, {
      env,
      removal: (marker) => `echo > ${started}; sleep 4; echo "$KAROO_TEARDOWN_LOCK" > ${marker}`,
    });
    owner.kill('SIGKILL');
    expect(await until(() => existsSync(started), 3000)).toBe(true);
    const report = await destroyEnvironment({ environmentId: env });
    expect(readFileSync(w.marker, 'utf8')).toBe(`${env}\n`);
    expect(report.leftovers).toEqual([]);
    expect(await until(async () => !(await isAlive(w.ref)), 3000)).toBe(true);
  });
});

describe('reapReason', () => {
  const base = async (over: Partial<EnvState>): Promise<EnvState> => ({
    version: 1,
    environmentId: 'karoo-0000abcd',
    provider: 'nspawn',
    phase: 'ready',
    createdAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    ttlSeconds: 3600,
    owner: await ownerRef(),
    keep: false,
    netns: 'karoo-0000abcd',
    cidr: '10.64.0.0/24',
    dir: '/nonexistent',
    outDir: '/nonexistent',
    image: { id: 'x', kind: 'karoo' },
    machines: [],
    timings: {},
    ...over,
  });

  test('an environment owned by a live process is kept; by a dead one it is reaped at once, in any phase', async () => {
    const owner = start('sleep', ['600']);
    const ref = { ...(await procRef(owner.pid!))!, bootId: await bootId() };
    const ready = await base({ lifetime: 'owner', owner: ref });
    expect(await reapReason(ready.environmentId, ready, {})).toBeUndefined();
    owner.kill('SIGKILL');
    await until(async () => !(await isAlive(ref)), 3000);
    expect(await reapReason(ready.environmentId, ready, {})).toBe(`its owner process ${ref.pid} is gone`);
    // A handed-on environment (karoo provision) keeps its TTL whoever made it.
    const handedOn = await base({ lifetime: 'ttl', owner: ref });
    expect(await reapReason(handedOn.environmentId, handedOn, {})).toBeUndefined();
  });

  test('an owner of another boot is gone even if its pid and start time match a live process', async () => {
    const me = await ownerRef();
    const s = await base({ lifetime: 'owner', owner: { ...me, bootId: '00000000-0000-0000-0000-000000000000' } });
    expect(await reapReason(s.environmentId, s, {})).toBe(`its owner process ${me.pid} is gone`);
    const stale = await base({ lifetime: 'ttl', owner: { ...me, bootId: '00000000-0000-0000-0000-000000000000' } });
    expect(await reapReason(stale.environmentId, stale, {})).toBe('made before this machine last started');
  });
});

describe('reapTempDirs', () => {
  test("removes a karoo temporary directory whose owner is gone, with the processes pointed into it; keeps a live owner's and anything unmarked", async () => {
    const make = (name: string, owner?: object) => {
      const d = join(tmpdir(), name);
      mkdirSync(d);
      if (owner) writeFileSync(join(d, OWNER_FILE), JSON.stringify(owner));
      return d;
    };
    const suffix = Math.random().toString(36).slice(2, 8).padEnd(6, 'x');
    const owner = start('sleep', ['600']);
    const deadOwner = { ...(await procRef(owner.pid!))!, bootId: await bootId() };
    const orphan = make(`karoo-up-a${suffix}`, deadOwner);
    const live = make(`karoo-up-b${suffix}`, await ownerRef());
    const unmarked = make(`karoo-up-c${suffix}`);
    // The acceptance command of a killed karoo up: its KAROO_* variables point into the orphan.
    const helper = spawn('sleep', ['600'], {
      stdio: 'ignore',
      env: { ...process.env, KAROO_INVENTORY: join(orphan, 'acceptance', 'inventory.json') },
    });
    children.push(helper);
    const helperRef = (await procRef(helper.pid!))!;
    try {
      expect(await reapTempDirs()).not.toContain(orphan); // its owner still runs
      owner.kill('SIGKILL');
      await until(async () => !(await isAlive(deadOwner)), 3000);
      expect(await reapTempDirs()).toContain(orphan);
      expect(existsSync(orphan)).toBe(false);
      expect(await until(async () => !(await isAlive(helperRef)), 3000)).toBe(true);
      expect(existsSync(live)).toBe(true);
      expect(existsSync(unmarked)).toBe(true);
    } finally {
      for (const d of [orphan, live, unmarked]) rmSync(d, { recursive: true, force: true });
    }
  });
});
