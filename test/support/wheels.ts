/**
 * Locked files for candidate tests: seeded pseudo-random bytes (same seed, same bytes, on any
 * machine), a Lock over them, and a small HTTP file server on 127.0.0.1 that logs requests and
 * can delay answers (to scramble download order).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Lock, type LockedPackage, type LockMeta } from '@karoo/lock';

/** Writes `size` bytes derived from `seed` (AES-256-CTR keystream), returning their sha256. */
export async function writeSeeded(path: string, seed: string, size: number): Promise<string> {
  const key = createHash('sha256').update(`key:${seed}`).digest();
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  const zeros = Buffer.alloc(1 << 20);
  for (let left = size; left > 0;) {
    const n = Math.min(left, zeros.length);
    const chunk = cipher.update(zeros.subarray(0, n));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    left -= n;
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return hash.digest('hex');
}

export interface WheelSpec {
  readonly name: string;
  readonly version: string;
  readonly size: number;
  /** Default: `${name}-${version}`. */
  readonly seed?: string;
}

export interface Wheels {
  readonly dir: string;
  readonly specs: readonly WheelSpec[];
  /** File name → sha256 hex. */
  readonly hashes: Record<string, string>;
  fileName(spec: WheelSpec): string;
  /** A Lock over the files, with URLs under `baseUrl` (file:// of `dir` by default). */
  lock(baseUrl?: string, meta?: LockMeta): Lock;
}

export const TEST_META: LockMeta = {
  target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' },
  leaves: { 'acme-cam': '' },
};

/** Generates one wheel-named file per spec in `dir`. */
export async function makeWheels(dir: string, specs: readonly WheelSpec[]): Promise<Wheels> {
  await mkdir(dir, { recursive: true });
  const hashes: Record<string, string> = {};
  const fileName = (s: WheelSpec) => `${s.name.replace(/-/g, '_')}-${s.version}-py3-none-any.whl`;
  for (const s of specs) hashes[fileName(s)] = await writeSeeded(join(dir, fileName(s)), s.seed ?? `${s.name}-${s.version}`, s.size);
  return {
    dir,
    specs,
    hashes,
    fileName,
    lock(baseUrl = pathToFileURL(dir).href, meta = TEST_META) {
      const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
      const pkgs: LockedPackage[] = specs.map((s) => ({
        name: s.name,
        version: s.version,
        files: [{ name: fileName(s), url: `${base}${fileName(s)}`, sha256: hashes[fileName(s)]!, size: s.size }],
      }));
      const leaves = meta.leaves
        ? Object.fromEntries(
            Object.keys(meta.leaves)
              .filter((l) => specs.some((s) => s.name === l))
              .map((l) => [l, specs.find((s) => s.name === l)!.version]),
          )
        : undefined;
      return Lock.create(pkgs, { ...meta, leaves });
    },
  };
}

export interface FileServer {
  readonly url: string;
  /** Paths requested, in arrival order. */
  readonly requests: string[];
  /** Milliseconds to wait before answering a file name (scrambles completion order). */
  readonly delays: Map<string, number>;
  stop(): Promise<void>;
}

/** Serves the files of `dir` on 127.0.0.1. */
export async function serveFiles(dir: string): Promise<FileServer> {
  const requests: string[] = [];
  const delays = new Map<string, number>();
  const server: Server = createServer(async (req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    requests.push(name);
    const delay = delays.get(name);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const p = join(dir, name);
    if (
      name.includes('/') ||
      !(await stat(p).then(
        (s) => s.isFile(),
        () => false,
      ))
    ) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String((await stat(p)).size) });
    createReadStream(p).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    delays,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
