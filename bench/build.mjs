// Build benchmarks (issue 3), side by side in one run:
//  1. `karoo build` of a generated ~100-wheel / ~200 MB candidate (into an OCI layout, and into
//     Debian's docker-registry on 127.0.0.1) vs bare `curl` (8 parallel) + `sha256sum -c` of the
//     same files from the same server (target ≤ 1.3×), with hyperfine;
//  2. rebuilding an existing candidate (target ≤ 0.3 s, zero bytes fetched or pushed);
//  3. a candidate differing by one wheel: bytes that reached the registry's storage vs the minimum
//     (that wheel + lock files + config + manifest) (target ≤ 1.05×);
//  4. peak RSS of build (target < 150 MB), from /usr/bin/time.
// Usage: npx tsc -b && bash scripts/ensure-deps.sh && node bench/build.mjs [--runs N] [--files N] [--mb N]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidateFor } from '@karoo/candidate';
import { Lock, writePylock } from '@karoo/lock';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = arg('--runs', '5');
const nFiles = Number(arg('--files', '100'));
const totalMb = Number(arg('--mb', '200'));
const root = new URL('..', import.meta.url).pathname;
const karoo = join(root, 'packages/cli/bin/karoo.js');
const work = mkdtempSync(join(tmpdir(), 'karoo-bench-build-'));
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

function seeded(seed, size) {
  const key = createHash('sha256').update(`key:${seed}`).digest();
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(size));
}

// 1. Files: sizes spread around the mean so the total is ~totalMb.
const filesDir = join(work, 'files');
mkdirSync(filesDir);
const mean = (totalMb * 1024 * 1024) / nFiles;
const entries = [];
for (let i = 0; i < nFiles; i++) {
  const size = Math.round(mean * (0.5 + (i % 11) / 10));
  const name = `pkg${String(i).padStart(3, '0')}`;
  const file = `${name}-1.0.${i}-py3-none-any.whl`;
  const data = seeded(file, size);
  writeFileSync(join(filesDir, file), data);
  entries.push({ name, version: `1.0.${i}`, file, size, sha256: createHash('sha256').update(data).digest('hex') });
}
const totalBytes = entries.reduce((n, e) => n + e.size, 0);

// A static file server in its own process (so neither side shares an event loop with it).
const port = await freePort();
const server = spawn(
  process.execPath,
  [
    '-e',
    `
  const http = require('http'), fs = require('fs'), path = require('path');
  let served = 0;
  http.createServer((req, res) => {
    if (req.url === '/_served') { res.end(String(served)); return; }
    const p = path.join(${JSON.stringify(filesDir)}, decodeURIComponent(req.url.slice(1)));
    fs.stat(p, (e, st) => {
      if (e) { res.writeHead(404).end(); return; }
      served += st.size;
      res.writeHead(200, { 'content-length': st.size });
      fs.createReadStream(p, { highWaterMark: 1 << 20 }).pipe(res);
    });
  }).listen(${port}, '127.0.0.1');
`,
  ],
  { stdio: 'ignore' },
);
const base = `http://127.0.0.1:${port}/`;
await waitHttp(`${base}_served`);
const served = () =>
  new Promise((resolve, reject) =>
    get(`${base}_served`, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(Number(body)));
    }).on('error', reject),
  );

const lockOf = (list) =>
  Lock.create(
    list.map((e) => ({
      name: e.name,
      version: e.version,
      files: [{ name: e.file, url: `${base}${e.file}`, sha256: e.sha256, size: e.size }],
    })),
    {
      target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' },
      leaves: { pkg000: '1.0.0' },
    },
  );
const lock = lockOf(entries);
const lockPath = join(work, 'pylock.toml');
writeFileSync(lockPath, writePylock(lock));
writeFileSync(join(work, 'urls.txt'), entries.map((e) => `${base}${e.file}\n`).join(''));
writeFileSync(join(work, 'SHA256SUMS'), entries.map((e) => `${e.sha256}  ${e.file}\n`).join(''));

// The registry: Debian's docker-registry on 127.0.0.1 with storage in the bench dir.
const registryBin = [
  process.env.KAROO_REGISTRY_BIN,
  '/var/cache/karoo/tools/docker-registry/usr/bin/docker-registry',
  join(homedir(), '.cache/karoo/tools/docker-registry/usr/bin/docker-registry'),
].find((p) => p && existsSync(p));
if (!registryBin) throw new Error('docker-registry is not unpacked; run scripts/ensure-deps.sh');
const regPort = await freePort();
const regData = join(work, 'registry');
writeFileSync(
  join(work, 'registry.yml'),
  `version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: ${regData}}, delete: {enabled: true}, maintenance: {uploadpurging: {enabled: false}}}
http: {addr: 127.0.0.1:${regPort}, secret: bench}
`,
);
const registry = spawn(registryBin, ['serve', join(work, 'registry.yml')], { stdio: 'ignore' });
await waitHttp(`http://127.0.0.1:${regPort}/v2/`);
const reg = `127.0.0.1:${regPort}`;

try {
  // 2. Side by side: bare download + sha256sum vs karoo build (layout and registry), fresh each run.
  const dl = join(work, 'dl');
  const bare = `rm -rf ${q(dl)} && mkdir ${q(dl)} && cd ${q(dl)} && xargs -P 8 -n 1 curl -sSfO < ${q(join(work, 'urls.txt'))} && sha256sum --quiet -c ${q(join(work, 'SHA256SUMS'))}`;
  const layoutStore = join(work, 'layout');
  const intoLayout = `rm -rf ${q(layoutStore)} && ${q(process.execPath)} ${q(karoo)} build --lock ${q(lockPath)} --system bench --store oci-layout:${q(layoutStore)} --quiet`;
  const intoRegistry = `${q(process.execPath)} ${q(karoo)} build --lock ${q(lockPath)} --system bench --store ${reg}/bench/run-$(date +%s%N) --quiet`;
  const existing = join(work, 'existing');
  execFileSync(process.execPath, [karoo, 'build', '--lock', lockPath, '--system', 'bench', '--store', `oci-layout:${existing}`, '--quiet']);
  const rebuild = `${q(process.execPath)} ${q(karoo)} build --lock ${q(lockPath)} --system bench --store oci-layout:${q(existing)} --quiet`;
  const hf = join(work, 'hyperfine.json');
  execFileSync(
    'hyperfine',
    [
      '--warmup',
      '1',
      '--runs',
      runs,
      '--export-json',
      hf,
      '-n',
      'curl -P8 + sha256sum',
      bare,
      '-n',
      'karoo build → oci-layout',
      intoLayout,
      '-n',
      'karoo build → registry',
      intoRegistry,
      '-n',
      'karoo build (existing)',
      rebuild,
    ],
    { stdio: 'inherit' },
  );
  const results = Object.fromEntries(JSON.parse(readFileSync(hf, 'utf8')).results.map((r) => [r.command, r]));
  const t = (n) => results[n].median;

  // Rebuild: zero bytes. The server's byte counter and the registry store must not move.
  const before = await served();
  const again = JSON.parse(
    execFileSync(
      process.execPath,
      [karoo, 'build', '--lock', lockPath, '--system', 'bench', '--store', `oci-layout:${existing}`, '--json'],
      { encoding: 'utf8' },
    ),
  );
  const rebuildFetched = (await served()) - before;

  // 3. One wheel changed, into the registry: bytes that reached its storage vs the minimum.
  const repo = `${reg}/bench/onechange`;
  execFileSync(process.execPath, [karoo, 'build', '--lock', lockPath, '--system', 'bench', '--store', repo, '--quiet']);
  // The 43rd wheel (the last one of a smaller --files run).
  const k = Math.min(42, nFiles - 1);
  const changed = entries.map((e, i) =>
    i === k ? { ...e, version: `${e.version}.post1`, file: `${e.name}-${e.version}.post1-py3-none-any.whl` } : e,
  );
  const data = seeded('changed', entries[k].size);
  writeFileSync(join(filesDir, changed[k].file), data);
  changed[k].sha256 = createHash('sha256').update(data).digest('hex');
  const lock2 = lockOf(changed);
  const lock2Path = join(work, 'pylock2.toml');
  writeFileSync(lock2Path, writePylock(lock2));
  const blobsBefore = blobSizes(regData);
  const rss2 = timed(['build', '--lock', lock2Path, '--system', 'bench', '--store', repo, '--json']);
  const oneChange = JSON.parse(rss2.stdout);
  const newBlobs = [...blobSizes(regData)].filter(([k]) => !blobsBefore.has(k));
  const stored = newBlobs.reduce((n, [, s]) => n + s, 0);
  const c2 = candidateFor(lock2, { system: 'bench' });
  const minimal = data.length + c2.inline.reduce((n, b) => n + b.bytes.length, 0) + c2.manifestBytes.length;

  // 4. Peak memory of full builds (fresh stores).
  const rssLayout = timed([
    'build',
    '--lock',
    lockPath,
    '--system',
    'bench',
    '--store',
    `oci-layout:${join(work, 'rss-layout')}`,
    '--quiet',
  ]);
  const rssRegistry = timed(['build', '--lock', lockPath, '--system', 'bench', '--store', `${reg}/bench/rss`, '--quiet']);

  const rows = [
    ['files / bytes', `${nFiles} / ${(totalBytes / 1048576).toFixed(0)} MiB`, ''],
    ['bare curl -P8 + sha256sum (median)', `${t('curl -P8 + sha256sum').toFixed(2)} s`, ''],
    [
      'karoo build → oci-layout (median)',
      `${t('karoo build → oci-layout').toFixed(2)} s = ${(t('karoo build → oci-layout') / t('curl -P8 + sha256sum')).toFixed(2)}×`,
      '≤ 1.3×',
    ],
    [
      'karoo build → registry (median)',
      `${t('karoo build → registry').toFixed(2)} s = ${(t('karoo build → registry') / t('curl -P8 + sha256sum')).toFixed(2)}×`,
      '≤ 1.3×',
    ],
    [
      'rebuild existing (median)',
      `${t('karoo build (existing)').toFixed(3)} s; fetched ${rebuildFetched} B, pushed ${again.pushedBytes} B, existed ${again.existed}`,
      '≤ 0.3 s, 0 B',
    ],
    [
      'one wheel changed → registry',
      `stored ${stored} B in ${newBlobs.length} new blobs (reported ${oneChange.pushedBytes} B) vs minimal ${minimal} B = ${(stored / minimal).toFixed(4)}×`,
      '≤ 1.05×',
    ],
    ['peak RSS build → oci-layout', `${(rssLayout.maxRssKb / 1024).toFixed(0)} MiB`, '< 150 MB'],
    ['peak RSS build → registry', `${(rssRegistry.maxRssKb / 1024).toFixed(0)} MiB`, '< 150 MB'],
    ['peak RSS one-wheel build', `${(rss2.maxRssKb / 1024).toFixed(0)} MiB`, '< 150 MB'],
  ];
  console.log(`\n${rows.map((r) => `${r[0].padEnd(38)} ${r[1].padEnd(80)} ${r[2]}`).join('\n')}`);
} finally {
  server.kill();
  registry.kill();
  rmSync(work, { recursive: true, force: true });
}

/** Runs the CLI under GNU time: its stdout and its peak resident set size. */
function timed(args) {
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, karoo, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`karoo ${args.join(' ')} failed: ${r.stderr}`);
  return { stdout: r.stdout, maxRssKb: Number(/maxrss=(\d+)/.exec(r.stderr)[1]) };
}
function blobSizes(dir) {
  const m = new Map();
  const blobs = join(dir, 'docker/registry/v2/blobs/sha256');
  if (!existsSync(blobs)) return m;
  for (const pre of readdirSync(blobs))
    for (const hex of readdirSync(join(blobs, pre))) {
      const p = join(blobs, pre, hex, 'data');
      if (existsSync(p)) m.set(hex, statSync(p).size);
    }
  return m;
}
async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise((r) => s.close(r));
  return p;
}
async function waitHttp(url) {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not answer`);
}
