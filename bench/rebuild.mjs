// Rebuild benchmark (issue 15 §1): `karoo rebuild` of a stored ~100-wheel / ~200 MB candidate
// (every file downloaded again from a server on 127.0.0.1, checked, built into a scratch layout,
// digest compared) beside `karoo build` of the same lock into a fresh layout, with hyperfine; and
// `karoo challenge` of the candidate between two layouts (every blob re-hashed in both).
// Usage: npx tsc -b && node bench/rebuild.mjs [--runs N] [--files N] [--mb N]
import { execFileSync, spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lock, writePylock } from '@karoo/lock';

const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const runs = arg('--runs', '3');
const nFiles = Number(arg('--files', '100'));
const totalMb = Number(arg('--mb', '200'));
const root = new URL('..', import.meta.url).pathname;
const karoo = join(root, 'packages/cli/bin/karoo.js');
const work = mkdtempSync(join(tmpdir(), 'karoo-bench-rebuild-'));
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

const filesDir = join(work, 'files');
mkdirSync(filesDir);
const mean = (totalMb * 1024 * 1024) / nFiles;
const entries = [];
for (let i = 0; i < nFiles; i++) {
  const size = Math.round(mean * (0.5 + (i % 11) / 10));
  const name = `pkg${String(i).padStart(3, '0')}`;
  const file = `${name}-1.0.${i}-py3-none-any.whl`;
  const key = createHash('sha256').update(`key:${file}`).digest();
  const iv = createHash('sha256').update(`iv:${file}`).digest().subarray(0, 16);
  const data = createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(size));
  writeFileSync(join(filesDir, file), data);
  entries.push({ name, version: `1.0.${i}`, file, size, sha256: createHash('sha256').update(data).digest('hex') });
}
const totalBytes = entries.reduce((n, e) => n + e.size, 0);

// A static file server in its own process.
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const server = spawn(
  process.execPath,
  [
    '-e',
    `
  const http = require('http'), fs = require('fs'), path = require('path');
  http.createServer((req, res) => {
    if (req.url === '/_up') { res.end('ok'); return; }
    const p = path.join(${JSON.stringify(filesDir)}, decodeURIComponent(req.url.slice(1)));
    fs.stat(p, (e, st) => {
      if (e) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-length': st.size });
      fs.createReadStream(p, { highWaterMark: 1 << 20 }).pipe(res);
    });
  }).listen(${port}, '127.0.0.1');
`,
  ],
  { stdio: 'ignore' },
);
const base = `http://127.0.0.1:${port}/`;
for (let i = 0; ; i++) {
  const ok = await new Promise((resolve) => get(`${base}_up`, (r) => resolve(r.statusCode === 200)).on('error', () => resolve(false)));
  if (ok) break;
  if (i > 100) throw new Error('file server did not start');
  await new Promise((r) => setTimeout(r, 50));
}

const lock = Lock.create(
  entries.map((e) => ({
    name: e.name,
    version: e.version,
    files: [{ name: e.file, url: `${base}${e.file}`, sha256: e.sha256, size: e.size }],
  })),
  {
    target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' },
    leaves: { pkg000: '1.0.0' },
  },
);
const lockPath = join(work, 'pylock.toml');
writeFileSync(lockPath, writePylock(lock));

try {
  const stored = join(work, 'stored');
  const built = JSON.parse(
    execFileSync(process.execPath, [
      karoo,
      'build',
      '--lock',
      lockPath,
      '--system',
      'bench',
      '--store',
      `oci-layout:${stored}`,
      '--json',
    ]).toString(),
  );
  const digest = built.candidate;
  const copy = join(work, 'copy');
  execFileSync(process.execPath, [karoo, 'export', digest, '--store', `oci-layout:${stored}`, '--out', join(work, 'c.tar')], {
    stdio: 'ignore',
  });
  execFileSync(process.execPath, [karoo, 'import', join(work, 'c.tar'), '--store', `oci-layout:${copy}`], { stdio: 'ignore' });

  const fresh = join(work, 'fresh');
  const build = `rm -rf ${q(fresh)} && ${q(process.execPath)} ${q(karoo)} build --lock ${q(lockPath)} --system bench --store oci-layout:${q(fresh)} --quiet`;
  const rebuild = `${q(process.execPath)} ${q(karoo)} rebuild ${digest} --store oci-layout:${q(stored)} --lock ${q(lockPath)} --quiet`;
  const challenge = `${q(process.execPath)} ${q(karoo)} challenge ${digest} --store oci-layout:${q(stored)} --store oci-layout:${q(copy)} --quiet > /dev/null`;
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
      'karoo build → fresh layout',
      build,
      '-n',
      'karoo rebuild (download, check, build, compare)',
      rebuild,
      '-n',
      'karoo challenge (2 layouts)',
      challenge,
    ],
    { stdio: 'inherit' },
  );
  const results = JSON.parse(readFileSync(hf, 'utf8')).results;
  console.log(`\n${nFiles} files, ${(totalBytes / 1048576).toFixed(0)} MiB; medians:`);
  for (const r of results) console.log(`  ${r.command.padEnd(48)} ${r.median.toFixed(2)} s`);
  console.log(`  rebuild / build: ${(results[1].median / results[0].median).toFixed(2)}×`);
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
