// A cloud image fetched over HTTP through karoo's one transport: a real server on 127.0.0.1 that
// answers 503 once, then redirects to the file; the image is verified by sha256 before use.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchCloudImage } from './image.js';

const IMAGE = Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(64 * 1024, 7)]);
const SHA = createHash('sha256').update(IMAGE).digest('hex');
let server: Server;
let base: string;
let cache: string;
const seen: string[] = [];
const savedCache = process.env.KAROO_CACHE_DIR;

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), 'karoo-cloud-image-'));
  process.env.KAROO_CACHE_DIR = cache;
  let first = true;
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['user-agent']}`);
    if (req.url === '/busy/disk.qcow2' && first) {
      first = false;
      return void res.writeHead(503, { 'retry-after': '0' }).end();
    }
    if (req.url === '/busy/disk.qcow2') return void res.writeHead(302, { location: '/files/disk.qcow2' }).end();
    if (req.url === '/files/disk.qcow2') return void res.writeHead(200, { 'content-length': String(IMAGE.length) }).end(IMAGE);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (savedCache === undefined) delete process.env.KAROO_CACHE_DIR;
  else process.env.KAROO_CACHE_DIR = savedCache;
  await new Promise((r) => server.close(r));
  await rm(cache, { recursive: true, force: true });
});

describe('cloud images over HTTP', () => {
  it('waits out a 503, follows the redirect, verifies the sha256 and caches the image', async () => {
    const img = await fetchCloudImage(`${base}/busy/disk.qcow2`, SHA);
    expect(img).toMatchObject({ kind: 'cloud', sha256: SHA, format: 'qcow2' });
    expect(existsSync(img.disk)).toBe(true);
    expect(seen.slice(0, 3)).toEqual([
      expect.stringMatching(/^GET \/busy\/disk\.qcow2 karoo\/\d/),
      expect.stringMatching(/^GET \/busy\/disk\.qcow2 /),
      expect.stringMatching(/^GET \/files\/disk\.qcow2 /),
    ]);
    // Cached by its hash: no second request.
    const before = seen.length;
    await fetchCloudImage(`${base}/busy/disk.qcow2`, SHA);
    expect(seen.length).toBe(before);
  });

  it('refuses an image whose bytes do not have the sha256, and names a missing one as unavailable', async () => {
    await expect(fetchCloudImage(`${base}/files/disk.qcow2`, 'ab'.repeat(32))).rejects.toMatchObject({ kind: 'integrity' });
    await expect(fetchCloudImage(`${base}/nothing.qcow2`, 'cd'.repeat(32))).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/could not be downloaded \(HTTP 404\)/),
    });
  });
});
