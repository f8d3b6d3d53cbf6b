#!/usr/bin/env node
// Reads every lock and requirements file of the real-world corpus with readLockFile, several
// times, and prints the elapsed time per run. Target (issue 2): the whole corpus in under 1 s.
// Side by side: the floor of the same work — reading the bytes and parsing the TOML files with
// smol-toml, no validation or lock building — so the ratio shows what karoo's parsing adds.
//
//   npx tsc -b && node bench/parse-corpus.mjs [RUNS] [CORPUS_DIR]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readLockFile } from '@karoo/lock';
import { parse } from 'smol-toml';

const runs = Number(process.argv[2] ?? 7);
const root = resolve(process.argv[3] ?? process.env.KAROO_REALWORLD ?? new URL('../../shared/realworld', import.meta.url).pathname);
const SKIP = [/(^|\/)[A-Z]+\.md$/, /\.md$/, /^resolver-cases\//, /(^|\/)pyproject\.toml$/, /(^|\/)setup\.cfg$/];

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

const files = walk(root).filter((p) => !SKIP.some((re) => re.test(relative(root, p))));
const bytes = files.reduce((n, f) => n + statSync(f).size, 0);

async function karoo() {
  let packages = 0;
  let rejected = 0;
  for (const f of files) {
    try {
      packages += (await readLockFile(f, { env: {} })).lock.packages.length;
    } catch (e) {
      if (e?.name !== 'FileError') throw e;
      rejected++;
    }
  }
  return { packages, rejected };
}

function floor() {
  let n = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (f.endsWith('.toml') || f.endsWith('.lock')) {
      try {
        n += Object.keys(parse(text)).length;
      } catch {
        n++;
      }
    } else n += text.split('\n').length;
  }
  return n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ours = [];
const base = [];
let summary;
for (let i = 0; i < runs; i++) {
  let t = performance.now();
  summary = await karoo();
  ours.push(performance.now() - t);
  t = performance.now();
  floor();
  base.push(performance.now() - t);
}
const fmt = (ms) => `${ms.toFixed(1)} ms`;
console.log(`corpus: ${root}`);
console.log(
  `${files.length} lock/requirements files, ${(bytes / 1e6).toFixed(2)} MB; ${summary.packages} locked packages, ${summary.rejected} files rejected (malformed by design)`,
);
console.log(`karoo readLockFile, all files: ${ours.map(fmt).join(', ')}`);
console.log(`  first run ${fmt(ours[0])} (cold JIT), median ${fmt(median(ours))}, min ${fmt(Math.min(...ours))}`);
console.log(`floor (read + smol-toml parse only): median ${fmt(median(base))}`);
console.log(`ratio karoo / floor (median): ${(median(ours) / median(base)).toFixed(2)}x`);
console.log(
  `target < 1000 ms for the whole corpus: ${Math.max(...ours) < 1000 ? 'met' : 'NOT met'} (slowest run ${fmt(Math.max(...ours))})`,
);
