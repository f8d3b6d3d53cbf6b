/**
 * The candidate digest and the exported bytes are a pure function of the lock: the built CLI,
 * run as separate processes on Node 20 and Node 24 with different TZ, LANG, umask, working
 * directory and lock-file order, gives the same digest and byte-identical export tars.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePylock } from '@karoo/lock';
import { makeWheels, type Wheels } from '../../support/wheels.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const cli = join(root, 'packages/cli/bin/karoo.js');
let work: string;
let wheels: Wheels;

beforeAll(async () => {
  if (!existsSync(join(root, 'packages/cli/lib/main.js')))
    throw new Error('the CLI is not built; run `npx tsc -b` first (scripts/test.sh does)');
  work = await mkdtemp(join(tmpdir(), 'karoo-determinism-'));
  wheels = await makeWheels(
    join(work, 'files'),
    Array.from({ length: 6 }, (_, i) => ({ name: `dep-${i}`, version: `2.${i}`, size: 3_000 + i * 1_000 })),
  );
  await mkdir(join(work, 'lock'));
  const text = writePylock(wheels.lock());
  await writeFile(join(work, 'lock/pylock.toml'), text);
  // The same lock with its [[packages]] tables in reverse order and other spacing.
  const [head, ...rest] = text.split('\n[[packages]]\n');
  const last = rest.pop()!;
  const cut = last.indexOf('\n[tool.karoo]');
  const reordered = [head, last.slice(0, cut), ...rest.reverse()].join('\n\n[[packages]]\n') + '\n' + last.slice(cut);
  await writeFile(join(work, 'lock/pylock.reordered.toml'), `# hand-edited\n${reordered.replace(/\n\n/g, '\n\n\n')}`);
}, 60_000);
afterAll(async () => rm(work, { recursive: true, force: true }));

function node24(): string {
  const r = spawnSync('npx', ['-y', '-p', 'node@24', 'node', '-e', 'process.stdout.write(process.execPath)'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0 || !r.stdout) throw new Error(`cannot get Node 24 through npx: ${r.stderr}`);
  return r.stdout;
}

interface Run {
  node: string;
  tz: string;
  lang: string;
  umask: string;
  cwd: string;
  lock: string;
}

function karoo(run: Run, args: string[]): string {
  const r = spawnSync('sh', ['-c', `umask ${run.umask}; exec "$0" "$@"`, run.node, cli, ...args], {
    cwd: run.cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TZ: run.tz, LANG: run.lang, LC_ALL: run.lang },
  });
  if (r.status !== 0) throw new Error(`karoo ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

test('same lock, same candidate digest and export bytes across Node versions, TZ, LANG, umask, cwd and lock order', async () => {
  const n24 = node24();
  // The machine's own Node (20 here), whichever Node runs jest.
  const own = spawnSync('node', ['-e', 'process.stdout.write(process.execPath)'], { encoding: 'utf8' }).stdout;
  const runs: Run[] = [
    { node: own, tz: 'UTC', lang: 'C', umask: '022', cwd: work, lock: join(work, 'lock/pylock.toml') },
    { node: own, tz: 'Pacific/Kiritimati', lang: 'de_DE.UTF-8', umask: '077', cwd: join(work, 'lock'), lock: 'pylock.toml' },
    {
      node: n24,
      tz: 'America/St_Johns',
      lang: 'ja_JP.UTF-8',
      umask: '002',
      cwd: join(work, 'files'),
      lock: relative(join(work, 'files'), join(work, 'lock/pylock.reordered.toml')),
    },
    { node: n24, tz: 'Asia/Kathmandu', lang: 'tr_TR.UTF-8', umask: '027', cwd: '/', lock: join(work, 'lock/pylock.reordered.toml') },
  ];
  const versions = new Set<string>();
  const seen: Array<{ digest: string; built: string; tar: string }> = [];
  for (const [i, run] of runs.entries()) {
    versions.add(spawnSync(run.node, ['--version'], { encoding: 'utf8' }).stdout.trim());
    const store = `oci-layout:${join(work, `store-${i}`)}`;
    const digest = karoo(run, ['digest', '--lock', run.lock, '--system', 'cam']).trim();
    const built = JSON.parse(
      karoo(run, ['build', '--lock', run.lock, '--system', 'cam', '--store', store, '--concurrency', String(1 + i * 3), '--json']),
    ).candidate as string;
    const out = join(work, `export-${i}.tar`);
    karoo(run, ['export', '--store', store, built, '--out', out]);
    seen.push({ digest, built, tar: createHash('sha256').update(readFileSync(out)).digest('hex') });
  }
  expect([...versions].some((v) => v.startsWith('v24.'))).toBe(true);
  if (!spawnSync(own, ['--version'], { encoding: 'utf8' }).stdout.startsWith('v24.')) expect(versions.size).toBe(2);
  expect(seen[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  for (const s of seen) expect(s).toEqual({ digest: seen[0]!.digest, built: seen[0]!.digest, tar: seen[0]!.tar });
}, 300_000);
