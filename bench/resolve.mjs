// Resolve benchmarks (issue 2), measured side by side with hyperfine in one run:
//  1. `karoo resolve --force` on the example system vs the bare pip command it runs (target ≤ 1.2×);
//  2. `karoo resolve` when the previous lock is current: no resolution at all (target ≤ 0.2 s);
//  3. `karoo resolve --force --as-of leaves` vs `--force`: what the upload-time cutoff costs (issue 15 §2).
// Usage: npx tsc -b && node bench/resolve.mjs [--runs N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@karoo/config';
import { pipBackend } from '@karoo/resolve';

const runs = process.argv.includes('--runs') ? process.argv[process.argv.indexOf('--runs') + 1] : '10';
const root = new URL('..', import.meta.url).pathname;
const configPath = join(root, 'examples/cam/karoo.yml');
const karoo = join(root, 'packages/cli/bin/karoo.js');
const work = mkdtempSync(join(tmpdir(), 'karoo-bench-resolve-'));
const out = join(work, 'lock');

const first = JSON.parse(
  execFileSync(process.execPath, [karoo, 'resolve', '--config', configPath, '--out', out, '--json'], { encoding: 'utf8' }),
);
const config = await loadConfig(configPath);
const pipDir = join(work, 'pip');
execFileSync('mkdir', ['-p', pipDir]);
const requirements = Object.entries(first.leaves).map(([name, version]) => ({
  name,
  version,
  extras: config.leaves.find((l) => l.key === name)?.extras ?? [],
}));
const backend = await pipBackend();
const req = { requirements, constraints: config.constraints, indexes: config.indexes, target: config.target, workDir: pipDir };
writeFileSync(
  join(pipDir, 'requirements.in'),
  requirements.map((r) => `${r.name}${r.extras.length ? `[${r.extras.join(',')}]` : ''}==${r.version}\n`).join(''),
);
const { command, args, env } = await backend.commandLine(req);
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
const envPrefix = `env -i ${Object.entries(env)
  .filter(([k]) =>
    ['PATH', 'HOME', 'PIP_CONFIG_FILE', 'PIP_DISABLE_PIP_VERSION_CHECK', 'PIP_NO_INPUT', 'PYTHONDONTWRITEBYTECODE'].includes(k),
  )
  .map(([k, v]) => `${k}=${q(v)}`)
  .join(' ')}`;
const bare = `${envPrefix} ${q(command)} ${args.map(q).join(' ')}`;
const ours = `${q(process.execPath)} ${q(karoo)} resolve --config ${q(configPath)} --out ${q(out)} --force --json`;
const noop = `${q(process.execPath)} ${q(karoo)} resolve --config ${q(configPath)} --out ${q(out)} --json`;
const cut = `${q(process.execPath)} ${q(karoo)} resolve --config ${q(configPath)} --out ${q(join(work, 'cut'))} --force --as-of leaves --json`;

const results = join(work, 'hyperfine.json');
execFileSync(
  'hyperfine',
  [
    '--warmup',
    '2',
    '--runs',
    runs,
    '--export-json',
    results,
    '-n',
    'bare pip',
    bare,
    '-n',
    'karoo resolve --force',
    ours,
    '-n',
    'karoo resolve (no-op)',
    noop,
    '-n',
    'karoo resolve --force --as-of leaves',
    cut,
  ],
  {
    stdio: 'inherit',
  },
);
const r = JSON.parse(readFileSync(results, 'utf8')).results;
const [pip, full, nothing, cutoff] = r;
console.log(`\npackages: ${first.packages}; python: ${command}`);
console.log(`karoo resolve / bare pip = ${(full.mean / pip.mean).toFixed(3)} (target ≤ 1.2)`);
console.log(`no-op resolve mean = ${nothing.mean.toFixed(3)} s (target ≤ 0.2 s)`);
console.log(
  `resolve --as-of leaves / resolve = ${(cutoff.mean / full.mean).toFixed(3)} (${cutoff.mean.toFixed(3)} s vs ${full.mean.toFixed(3)} s)`,
);
