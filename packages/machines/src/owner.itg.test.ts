/**
 * The owner of an environment made by a GitHub Actions step: the job's `Runner.Worker`, found by
 * walking up from the step's node process through real processes.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { startFakeRunnerJob, type FakeRunnerJob } from '../../../test/support/fake-runner.js';
import { provision } from './environment.js';
import { findJobProcess, ownerOf } from './owner.js';
import { bootId, procRef } from './proc.js';

const jobs: FakeRunnerJob[] = [];
afterEach(() => {
  for (const j of jobs.splice(0)) j.killAll();
});

describe('findJobProcess', () => {
  test("finds the step's Runner.Worker ancestor through the processes between them", async () => {
    const job = await startFakeRunnerJob();
    jobs.push(job);
    const found = await findJobProcess(job.step);
    expect(found).toEqual(await procRef(job.worker));
    // From the shell between them too; never the process itself.
    expect((await findJobProcess(job.shell))?.pid).toBe(job.worker);
  });

  test('is undefined when no ancestor is the job process (outside a runner: the action keeps its TTL)', async () => {
    const job = await startFakeRunnerJob('Runner.Listener');
    jobs.push(job);
    expect(await findJobProcess(job.step, 'No.Such.Process')).toBeUndefined();
    // Whatever this test runs under (nothing here; the CI job's own Runner.Worker in GitHub Actions), never the fake.
    expect(await findJobProcess(job.step)).toEqual(await findJobProcess(process.pid));
    // The name it matched is the one asked for, not any name.
    expect((await findJobProcess(job.step, 'Runner.Listener'))?.pid).toBe(job.worker);
  });

  test('is undefined for a pid that does not exist', async () => {
    expect(await findJobProcess(2 ** 22 + 1)).toBeUndefined();
  });
});

describe('ownerOf', () => {
  test("records another live process's pid, start time and boot", async () => {
    const job = await startFakeRunnerJob();
    jobs.push(job);
    expect(await ownerOf(job.worker)).toEqual({ ...(await procRef(job.worker))!, bootId: await bootId() });
  });

  test('refuses a process that is not running, naming it', async () => {
    await expect(ownerOf(2 ** 22 + 1)).rejects.toMatchObject({
      kind: 'input',
      message: `owner process ${2 ** 22 + 1} is not running; pass the pid of a live process the environment should live as long as`,
    });
  });
});

describe('provision ownerPid', () => {
  // Both refusals come before any image, network or state exists.
  test('refuses an owner process with a TTL lifetime', async () => {
    await expect(provision({ nodes: [{ name: 'a', role: 'r' }], ownerPid: process.pid, reapFirst: false })).rejects.toThrow(
      /needs lifetime 'owner'/,
    );
  });

  test('refuses an owner process that is not running', async () => {
    await expect(
      provision({ nodes: [{ name: 'a', role: 'r' }], lifetime: 'owner', ownerPid: 2 ** 22 + 1, reapFirst: false }),
    ).rejects.toThrow(/is not running/);
  });
});
