/**
 * `karoo up` killed at each phase leaves nothing behind: with `kill -9` a plain `karoo reap`
 * removes the environment (its owner is gone), and so does its own watchdog without any reap;
 * with SIGINT the teardown runs by itself. "Nothing" is checked on this machine: no process,
 * mount, interface, network namespace, cgroup, temporary directory or state directory of the
 * environment. Also: the evidence of a command that prints `4 passed, 0 failed` records 4.
 * Real nspawn machines, the CAM example cut down to one node (cheap: every run provisions).
 * Needs root, systemd-nspawn and karoo's machine image (built once, cached). ~2–3 minutes.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { buildImage, destroyEnvironment, envDir, listProcesses, loadState, OWNER_FILE, processesUsing, resourcesOf } from '@karoo/machines';
import { json, karoo, KAROO, ROOT } from '../support/cli.js';

jest.setTimeout(180_000);

let work: string;
const running: ChildProcess[] = [];
let store: string;
let candidate: string;
const envs: string[] = [];

beforeAll(async () => {
  await buildImage();
  work = mkdtempSync(join(tmpdir(), 'karoo-kill-e2e-'));
  const cam = join(work, 'cam');
  cpSync(join(ROOT, 'examples', 'cam'), cam, { recursive: true, filter: (p) => !p.includes('/.karoo') && !p.includes('/reports') });
  const built = json<{ candidate: string; store: string }>(await karoo(['demo', '--example', cam, '--no-accept', '--json']));
  candidate = built.candidate;
  store = built.store;
  const text = readFileSync(join(cam, 'karoo.yml'), 'utf8');
  const nodes = text.slice(text.indexOf('\nnodes:'), text.indexOf('\n# Service commands'));
  const acceptance = text.slice(text.indexOf('\nacceptance:'), text.indexOf('\nprovision:'));
  const one = text.replace(nodes, '\nnodes:\n  - { name: store-1, role: store }\n');
  // A test run that lasts (killed while accepting), and one whose only result is its closing line.
  writeFileSync(
    join(cam, 'slow.yml'),
    one.replace(
      acceptance,
      `\nacceptance:\n  command: [python3, -c, "import time; print('tests start', flush=True); time.sleep(300)"]\n  timeout: 10m\n`,
    ),
  );
  writeFileSync(
    join(cam, 'four.yml'),
    one.replace(acceptance, `\nacceptance:\n  command: [python3, -c, "print('4 passed, 0 failed')"]\n  timeout: 2m\n`),
  );
}, 10 * 60_000);

afterEach(() => {
  // A failed test leaves no karoo up running into the next one.
  for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

afterAll(async () => {
  for (const e of envs) await destroyEnvironment({ environmentId: e }).catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

interface Run {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | string>;
  /** Resolves with the stderr so far once it matches. */
  waitFor(re: RegExp): Promise<string>;
}

function startUp(config: string): Run {
  const child = spawn(process.execPath, [KAROO, 'up', '--config', join(work, 'cam', config), '--store', store, '--candidate', candidate], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const waiters: Array<{ re: RegExp; resolve: (s: string) => void }> = [];
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
    for (const w of waiters.splice(0)) {
      if (w.re.test(err)) w.resolve(err);
      else waiters.push(w);
    }
  });
  child.stdout!.resume();
  running.push(child);
  const exit = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    stderr: () => err,
    exit,
    waitFor: (re) =>
      new Promise<string>((resolve, reject) => {
        if (re.test(err)) return resolve(err);
        waiters.push({ re, resolve });
        void exit.then(() => reject(new Error(`karoo up ended before ${re}:\n${err}`)));
      }),
  };
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function environmentOf(run: Run): Promise<string> {
  const env = /environment (karoo-[0-9a-f]{8}):/.exec(await run.waitFor(/environment karoo-[0-9a-f]{8}:/))![1]!;
  envs.push(env);
  return env;
}

/** The run's karoo-up-* directory: the one whose owner file names the karoo up process. */
function upDirOf(pid: number): string | undefined {
  for (const base of new Set([tmpdir(), '/tmp'])) {
    for (const name of readdirSync(base)) {
      if (!name.startsWith('karoo-up-')) continue;
      try {
        if ((JSON.parse(readFileSync(join(base, name, OWNER_FILE), 'utf8')) as { pid: number }).pid === pid) return join(base, name);
      } catch {
        // not ours, or going away
      }
    }
  }
  return undefined;
}

/** Everything of the environment still on this machine. */
async function leftovers(env: string, upDir: string | undefined, pids: number[]): Promise<string[]> {
  const out = await resourcesOf(env); // namespaces, mounts, cgroups, karoo's kinds of process, the state directory
  for (const p of await listProcesses())
    if (p.argv.some((a) => a.includes(env)) || pids.includes(p.pid)) out.push(`process ${p.pid}: ${p.argv.join(' ')}`);
  if (upDir) {
    for (const p of await processesUsing([upDir])) out.push(`process ${p.pid} using ${upDir}`);
    if (existsSync(upDir)) out.push(`directory ${upDir}`);
  }
  if (existsSync(envDir(env))) out.push(`directory ${envDir(env)}`);
  if (readFileSync('/proc/mounts', 'utf8').includes(env)) out.push('a mount in /proc/mounts');
  if (execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(env)) out.push('a network namespace');
  if (execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes(env)) out.push('an interface');
  return [...new Set(out)];
}

/** The acceptance command of slow.yml (and the interpreter shims that start it), found by its command line. */
async function acceptanceProcesses(): Promise<number[]> {
  return (await listProcesses()).filter((p) => p.argv.some((a) => a.includes('time.sleep(300)'))).map((p) => p.pid);
}

type Phase = 'provisioning' | 'deploying' | 'accepting';

/** Starts karoo up and returns once it is well inside `phase`, with what exists of it then. */
async function upUntil(phase: Phase): Promise<{ run: Run; env: string; upDir: string; pids: number[] }> {
  const run = startUp('slow.yml');
  const env = await environmentOf(run);
  const pid = run.child.pid!;
  if (phase === 'provisioning') {
    // A container of the environment exists, and the environment is not ready yet.
    await until('a container', async () =>
      (await listProcesses()).some((p) => p.argv[0]?.endsWith('systemd-nspawn') && p.argv.some((a) => a.includes(env))),
    );
    expect(run.stderr()).not.toMatch(/ready in/);
  } else if (phase === 'deploying') {
    await run.waitFor(/up: deploying to/);
    // SSH masters run, and the staged candidate and the control sockets are inside the run's directory.
    await until('an SSH master', async () =>
      (await listProcesses()).some(
        (p) => p.argv[0] === 'ssh' && p.argv.includes('ControlMaster=yes') && p.argv.some((a) => a.includes(env)),
      ),
    );
    const dir = upDirOf(pid)!;
    expect(readdirSync(dir).some((n) => n.startsWith('karoo-ssh-'))).toBe(true);
    expect(run.stderr()).not.toMatch(/up: accepting/);
  } else {
    // "tests start" is also in karoo's own "accept: running …" line, printed just before the
    // command starts: wait for the command itself.
    await run.waitFor(/tests start/);
    await until('the acceptance command', async () => (await acceptanceProcesses()).length > 0);
  }
  const upDir = upDirOf(pid)!;
  expect(upDir).toBeDefined();
  const pids = [pid, ...(phase === 'accepting' ? await acceptanceProcesses() : [])];
  if (phase === 'accepting') expect(pids.length).toBeGreaterThan(1); // the acceptance command
  return { run, env, upDir, pids };
}

describe('karoo up killed with -9, then a plain karoo reap', () => {
  for (const phase of ['provisioning', 'deploying', 'accepting'] as const) {
    test(`while ${phase}: reap removes everything`, async () => {
      const { run, env, upDir, pids } = await upUntil(phase);
      expect(await leftovers(env, upDir, pids)).not.toEqual([]);
      // The watchdog is killed too, so that reap alone is seen doing it.
      const watchdog = (await loadState(env))!.forwarder!;
      pids.push(watchdog.pid);
      process.kill(watchdog.pid, 'SIGKILL');
      run.child.kill('SIGKILL');
      expect(await run.exit).toBe('SIGKILL');
      const r = await karoo(['reap', '--json']);
      expect(r.code).toBe(0);
      const reaped = json<{ reaped: Array<{ environmentId: string; reason: string; leftovers: string[] }> }>(r).reaped.find(
        (x) => x.environmentId === env,
      );
      expect(reaped).toEqual({ environmentId: env, reason: `its owner process ${run.child.pid} is gone`, leftovers: [] });
      expect(await leftovers(env, upDir, pids)).toEqual([]);
    });
  }
});

describe('karoo up ended otherwise', () => {
  test('killed with -9 while deploying, no reap: its watchdog removes everything', async () => {
    const { run, env, upDir, pids } = await upUntil('deploying');
    run.child.kill('SIGKILL');
    expect(await run.exit).toBe('SIGKILL');
    await until('the watchdog to remove the environment', async () => (await leftovers(env, upDir, pids)).length === 0, 60_000);
    expect(await leftovers(env, upDir, pids)).toEqual([]);
  });

  for (const phase of ['provisioning', 'accepting'] as const) {
    test(`SIGINT while ${phase}: the teardown runs by itself, exit 130`, async () => {
      const { run, env, upDir, pids } = await upUntil(phase);
      const watchdog = (await loadState(env))!.forwarder!;
      run.child.kill('SIGINT');
      expect(await run.exit).toBe(130);
      expect(run.stderr()).toMatch(/SIGINT: stopping up and tearing down/);
      expect(run.stderr()).toContain(`environment ${env} destroyed`);
      // Nothing left the moment it exits: not the watchdog's doing (it went with the environment).
      expect(await leftovers(env, upDir, [...pids, watchdog.pid])).toEqual([]);
    });
  }
});

describe('karoo up --keep, and acceptance counts', () => {
  // One run for both (every run provisions): a kept environment, and a command whose only result is its closing line.
  test('--keep hands the environment over to its TTL (reap and the watchdog leave it, destroy removes it); "4 passed, 0 failed" is evidence of 4 tests', async () => {
    const r = await karoo([
      'up',
      '--config',
      join(work, 'cam', 'four.yml'),
      '--store',
      store,
      '--candidate',
      candidate,
      '--keep',
      '--json',
    ]);
    const u = json<{
      result: string;
      evidence: string;
      environmentId: string;
      inventory: string;
      kept: boolean;
      counts: Record<string, unknown>;
    }>(r);
    envs.push(u.environmentId);
    expect(r.code).toBe(0);
    expect(u.result).toBe('passed');
    expect(u.counts).toEqual({ tests: 4, passed: 4, failed: 0, errors: 0, skipped: 0, source: 'output' });
    const ev = json<Array<{ digest: string; counts: Record<string, unknown> }>>(
      await karoo(['evidence', '--store', store, candidate, '--json']),
    );
    expect(ev.find((e) => e.digest === u.evidence)?.counts).toEqual({
      tests: 4,
      passed: 4,
      failed: 0,
      errors: 0,
      skipped: 0,
      source: 'output',
    });

    expect(u.kept).toBe(true);
    expect(await loadState(u.environmentId)).toMatchObject({ lifetime: 'ttl', phase: 'ready' });
    // Its owner is gone, yet nothing removes it before its TTL.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const reap = json<{ reaped: Array<{ environmentId: string }> }>(await karoo(['reap', '--json']));
    expect(reap.reaped.map((x) => x.environmentId)).not.toContain(u.environmentId);
    expect(existsSync(u.inventory)).toBe(true);
    expect(await resourcesOf(u.environmentId)).not.toEqual([]);
    const d = await karoo(['destroy', '--inventory', u.inventory, '--json']);
    expect(d.code).toBe(0);
    expect(await leftovers(u.environmentId, undefined, [])).toEqual([]);
    expect(existsSync(u.inventory)).toBe(false); // the run's directory went with the environment
  });
});
