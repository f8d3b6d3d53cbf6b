/**
 * The bundled provision action inside a (stand-in) GitHub Actions job: its step process runs
 * under a process named `Runner.Worker`, as on a runner. The environment it makes is owned by
 * that job process, not by the step (which ends right after provisioning): it outlives the
 * step, and goes the moment the job is killed, before any TTL and without a post step.
 * One real nspawn machine. Needs root, systemd-nspawn and karoo's machine image.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { buildImage, destroyEnvironment, envDir, isAlive, loadState, procRef, resourcesOf } from '@karoo/machines';
import { startFakeRunnerJob, type FakeRunnerJob } from '../support/fake-runner.js';
import { ROOT } from '../support/cli.js';

let work: string;
const envs: string[] = [];
const jobs: FakeRunnerJob[] = [];

beforeAll(async () => {
  await buildImage();
  work = mkdtempSync(join(tmpdir(), 'karoo-provision-job-'));
}, 20 * 60_000);

afterAll(async () => {
  for (const j of jobs) j.killAll();
  for (const e of envs) await destroyEnvironment({ environmentId: e }).catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GITHUB_OUTPUT / GITHUB_STATE records (name<<delimiter … delimiter). */
function records(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}

describe('provision action in a job', () => {
  test('the environment outlives its step, and its watchdog removes it as soon as the job process is killed', async () => {
    const text = readFileSync(join(ROOT, 'examples/cam/karoo.yml'), 'utf8');
    const nodes = text.slice(text.indexOf('\nnodes:'), text.indexOf('\n# Service commands'));
    const config = join(work, 'karoo.yml');
    writeFileSync(config, text.replace(nodes, '\nnodes:\n  - { name: store-1, role: store }\n'));
    const files = { state: join(work, 'state'), output: join(work, 'output'), summary: join(work, 'summary'), log: join(work, 'step.log') };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const job = await startFakeRunnerJob('Runner.Worker', {
      argv: [process.execPath, join(ROOT, 'dist/provision/index.js')],
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/root',
        INPUT_CONFIG: config,
        INPUT_PROVIDER: 'nspawn',
        INPUT_TTL: '1h',
        INPUT_KEEP: 'false',
        'INPUT_PREPARE-RUNNER': 'false',
        GITHUB_STATE: files.state,
        GITHUB_OUTPUT: files.output,
        GITHUB_STEP_SUMMARY: files.summary,
        RUNNER_TEMP: work,
      },
      log: files.log,
    });
    jobs.push(job);
    const worker = (await procRef(job.worker))!;
    // The step ends once the machines are ready; the job goes on.
    await until(
      'the provision step to end',
      async () => !(await isAlive({ pid: job.step, startTime: (await procRef(job.step))?.startTime ?? -1 })),
      180_000,
    );
    const log = readFileSync(files.log, 'utf8');
    expect(log).not.toContain('::error::');
    const env = records(files.output)['environment-id']!;
    expect(env).toMatch(/^karoo-[0-9a-f]{8}$/);
    envs.push(env);
    expect(log).toContain(`the machines live as long as this job (runner process ${job.worker})`);
    const state = (await loadState(env))!;
    expect(state.lifetime).toBe('owner');
    expect({ pid: state.owner.pid, startTime: state.owner.startTime }).toEqual(worker);
    // The step is gone and nothing removed the environment: its machine still runs.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await resourcesOf(env)).not.toEqual([]);
    expect(existsSync(envDir(env))).toBe(true);

    process.kill(job.worker, 'SIGKILL'); // the job is cancelled, or its runner dies
    await until(
      'the watchdog to remove the environment',
      async () => (await resourcesOf(env)).length === 0 && !existsSync(envDir(env)),
      60_000,
    );
    expect(await resourcesOf(env)).toEqual([]);
  }, 300_000);
});
