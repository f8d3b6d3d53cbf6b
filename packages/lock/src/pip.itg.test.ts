// The requirements.txt karoo writes, consumed by the real pip: `pip install --require-hashes -r`.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { buildWheel } from '@karoo/example';
import { Lock, type LockedPackage } from './model.js';
import { readLockText } from './read.js';
import { writeRequirements } from './requirements-lock.js';

jest.setTimeout(120_000);
const run = promisify(execFile);
let tmp: string;
let py: string;

async function findPython(): Promise<string> {
  if (process.env.KAROO_PYTHON) return process.env.KAROO_PYTHON;
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  const { stdout } = await run('python3', ['-c', 'import sys; print(sys.executable)']);
  return stdout.trim();
}

/** No pip configuration of this machine may leak in (PIP_FIND_LINKS and friends). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_')) env[k] = v;
  return { ...env, PIP_DISABLE_PIP_VERSION_CHECK: '1' };
}

async function pipInstall(reqFile: string, wheels: string, target: string): Promise<{ code: number; out: string }> {
  const args = [
    '-m',
    'pip',
    '--isolated',
    'install',
    '--require-hashes',
    '--no-deps',
    '--no-index',
    '--find-links',
    wheels,
    '--target',
    target,
    '-r',
    reqFile,
  ];
  try {
    const r = await run(py, args, { env: cleanEnv() });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

async function lockOf(specs: Array<{ name: string; version: string; marker?: string; body: string }>, dir: string): Promise<Lock> {
  const pkgs: LockedPackage[] = [];
  for (const s of specs) {
    const w = buildWheel({ name: s.name, version: s.version, files: { [`${s.name}/__init__.py`]: s.body } });
    const path = join(dir, w.filename);
    await writeFile(path, w.data);
    pkgs.push({
      name: s.name,
      version: w.version,
      marker: s.marker,
      files: [{ name: w.filename, url: pathToFileURL(path).href, sha256: w.sha256, size: w.size }],
    });
  }
  return Lock.create(pkgs, {
    target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' },
    leaves: { alpha: '1.0' },
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'karoo-lock-pip-'));
  py = await findPython();
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('requirements.txt written by karoo, installed by pip', () => {
  it('installs with --require-hashes, honours markers, and reads back as the same lock', async () => {
    const wheels = join(tmp, 'wheels');
    await mkdir(wheels);
    const lock = await lockOf(
      [
        { name: 'alpha', version: '1.0', body: 'A = 1\n' },
        { name: 'beta-two', version: '2.0.post1', body: 'B = 2\n' },
        { name: 'gamma', version: '3.0', marker: 'sys_platform == "nonexistent-os"', body: 'G = 3\n' },
      ],
      wheels,
    );
    const reqFile = join(tmp, 'requirements.txt');
    const text = writeRequirements(lock);
    await writeFile(reqFile, text);
    const target = join(tmp, 'site');
    const r = await pipInstall(reqFile, wheels, target);
    expect(r.out).not.toContain('ERROR');
    expect(r.code).toBe(0);
    const installed = readdirSync(target)
      .filter((d) => d.endsWith('.dist-info'))
      .sort();
    expect(installed).toEqual(['alpha-1.0.dist-info', 'beta_two-2.0.post1.dist-info']);
    expect(readLockText(text, reqFile).lock.digest).toBe(lock.digest);
  });

  it('refuses bytes that do not match the locked hash', async () => {
    const wheels = join(tmp, 'tampered');
    await mkdir(wheels);
    const lock = await lockOf([{ name: 'alpha', version: '1.0', body: 'A = 1\n' }], wheels);
    // Same file name, other bytes: what a compromised or rebuilt index would serve.
    const other = buildWheel({ name: 'alpha', version: '1.0', files: { 'alpha/__init__.py': 'A = 666\n' } });
    await writeFile(join(wheels, other.filename), other.data);
    const reqFile = join(tmp, 'tampered.txt');
    await writeFile(reqFile, writeRequirements(lock));
    const r = await pipInstall(reqFile, wheels, join(tmp, 'site2'));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('THESE PACKAGES DO NOT MATCH THE HASHES');
  });
});
