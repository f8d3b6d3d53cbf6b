// Bundles every action entry (actions/<step>/lib/{main,post}.js, compiled by `tsc -b`) with
// ncc into dist/<step>/index.js and dist/<step>/post/index.js. Deterministic: no cache, no
// source maps, entries in sorted order, stale bundles removed.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ncc from '@vercel/ncc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const steps = (await readdir(join(root, 'actions'), { withFileTypes: true }))
  .filter((d) => d.isDirectory() && existsSync(join(root, 'actions', d.name, 'action.yml')))
  .map((d) => d.name)
  .sort();

const jobs = [];
for (const step of steps) {
  if (only.length && !only.includes(step)) continue;
  for (const entry of ['main', 'post']) {
    const input = join(root, 'actions', step, 'lib', `${entry}.js`);
    if (!existsSync(input)) continue;
    jobs.push({ step, entry, input, out: entry === 'main' ? join(root, 'dist', step) : join(root, 'dist', step, 'post') });
  }
}

if (!only.length && existsSync(join(root, 'dist'))) {
  for (const d of await readdir(join(root, 'dist'))) {
    if (!steps.includes(d)) await rm(join(root, 'dist', d), { recursive: true, force: true });
  }
}

async function bundle(job) {
  const started = Date.now();
  const { code, assets } = await ncc(job.input, { cache: false, minify: false, sourceMap: false, quiet: true, target: 'es2022' });
  await rm(job.out, { recursive: true, force: true });
  await mkdir(job.out, { recursive: true });
  await writeFile(join(job.out, 'index.js'), code);
  for (const [name, asset] of Object.entries(assets).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const p = join(job.out, name);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, asset.source);
    if (asset.permissions) await chmod(p, asset.permissions & 0o755);
  }
  process.stderr.write(
    `bundled ${job.step}/${job.entry} (${(code.length / 1024).toFixed(0)} KiB, ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
}

// Post bundles live inside dist/<step>/, so each step's main goes first.
const byStep = new Map();
for (const j of jobs) byStep.set(j.step, [...(byStep.get(j.step) ?? []), j]);
const queue = [...byStep.values()];
const workers = Array.from({ length: 2 }, async () => {
  for (let next = queue.shift(); next; next = queue.shift()) for (const j of next) await bundle(j);
});
await Promise.all(workers);
