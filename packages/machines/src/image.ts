import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { canonicalJson, hexOf, KarooError, sha256File, sha256Of, silentProgress, type Progress } from '@karoo/common';
import { drain, transport } from '@karoo/transport';
import { ASSETS } from './generated/assets.js';
import { imagesRoot } from './paths.js';
import { isAlive, procRef, sleep } from './proc.js';
import { requireTools, run } from './run.js';

/** Packages of karoo's machine image, on top of Debian's minbase. */
export const IMAGE_PACKAGES = [
  'systemd-sysv',
  'udev',
  'kmod',
  'openssh-server',
  'python3',
  'python3-venv',
  'iproute2',
  'iputils-ping',
  'netbase',
  'procps',
] as const;

export const IMAGE_SUITE = 'bookworm';
/** Virtual size of the QEMU root disk; the qcow2 stores only what is written. */
const DISK_SIZE = '4G';

/** A built karoo image in the cache. */
export interface KarooImage {
  kind: 'karoo';
  /** 16 hex digits of the recipe hash. */
  id: string;
  dir: string;
  /** Root file system directory: the lower layer of every nspawn machine. */
  rootfs: string;
  /** qcow2 base disk for QEMU. */
  disk: string;
  /** Uncompressed kernel (ELF, booted directly) and the small initrd. */
  kernel: string;
  initrd: string;
  kernelVersion: string;
  builtAt: string;
  buildSeconds: number;
}

/** The recipe, whose hash names the cached image: suite, packages and the scripts. */
export function imageRecipe(): { suite: string; variant: string; packages: string[]; diskSize: string; scripts: Record<string, string> } {
  const scripts: Record<string, string> = {};
  for (const [k, v] of Object.entries(ASSETS)) if (k.startsWith('image/')) scripts[k] = sha256Of(v);
  return { suite: IMAGE_SUITE, variant: 'minbase', packages: [...IMAGE_PACKAGES].sort(), diskSize: DISK_SIZE, scripts };
}

export function imageId(): string {
  return sha256Of(canonicalJson(imageRecipe())).slice('sha256:'.length, 'sha256:'.length + 16);
}

/** The cached image for the current recipe, if built. */
export async function findImage(): Promise<KarooImage | undefined> {
  const dir = join(imagesRoot(), imageId());
  try {
    const meta = JSON.parse(await readFile(join(dir, 'image.json'), 'utf8')) as KarooImage;
    return {
      ...meta,
      dir,
      rootfs: join(dir, 'rootfs'),
      disk: join(dir, 'disk.qcow2'),
      kernel: join(dir, 'vmlinux'),
      initrd: join(dir, 'initrd.img'),
    };
  } catch {
    return undefined;
  }
}

/** The Debian mirror of this machine (its deb822 source file) when it has one, else mmdebstrap's default. */
function mirrorArgs(): string[] {
  if (process.env.KAROO_DEBIAN_MIRROR) return [process.env.KAROO_DEBIAN_MIRROR];
  const f = '/etc/apt/sources.list.d/debian.sources';
  return existsSync(f) ? [f] : [];
}

async function withLock<T>(lockPath: string, progress: Progress, fn: () => Promise<T>): Promise<T> {
  await mkdir(join(lockPath, '..'), { recursive: true });
  let said = false;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      const me = await procRef(process.pid);
      await fh.writeFile(JSON.stringify(me));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: { pid: number; startTime: number } | undefined;
      try {
        holder = JSON.parse(await readFile(lockPath, 'utf8'));
      } catch {
        holder = undefined;
      }
      if (holder && !(await isAlive(holder))) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (!said) progress.info('another process is building the image; waiting for it');
      said = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

/**
 * Builds karoo's machine image (Debian bookworm minbase + systemd, openssh-server, python3,
 * tuned for fast boots) into the cache, unless an image of the same recipe is there already.
 * Output: a root file system directory for nspawn, a qcow2 disk, an uncompressed kernel and a
 * ~5 MB initrd for QEMU's direct kernel boot.
 */
export async function buildImage(opts: { force?: boolean; progress?: Progress } = {}): Promise<KarooImage> {
  const progress = opts.progress ?? silentProgress;
  if (!opts.force) {
    const found = await findImage();
    if (found) return found;
  }
  if (process.getuid?.() !== 0)
    throw new KarooError('refused', 'building the machine image needs root (mmdebstrap, mkfs); run as root or with sudo');
  await requireTools(['mmdebstrap', 'mkfs.ext4', 'qemu-img', 'xz']);
  const id = imageId();
  const finalDir = join(imagesRoot(), id);
  return withLock(join(imagesRoot(), `${id}.lock`), progress, async () => {
    if (!opts.force) {
      const found = await findImage();
      if (found) return found;
    }
    const started = Date.now();
    const tmp = join(imagesRoot(), `.${id}.${randomBytes(4).toString('hex')}.tmp`);
    const recipeDir = join(tmp, 'recipe');
    const boot = join(tmp, 'boot');
    try {
      await mkdir(recipeDir, { recursive: true });
      await mkdir(boot, { recursive: true });
      for (const [k, v] of Object.entries(ASSETS)) {
        if (!k.startsWith('image/')) continue;
        const p = join(recipeDir, k.slice('image/'.length));
        await writeFile(p, v);
        await chmod(p, 0o755);
      }
      progress.info(`building machine image ${id} (Debian ${IMAGE_SUITE} with mmdebstrap; about a minute)`);
      await run(
        'mmdebstrap',
        [
          '--variant=minbase',
          `--include=${IMAGE_PACKAGES.join(',')}`,
          '--aptopt=Acquire::Check-Valid-Until "false"',
          '--customize-hook=sh "$KAROO_RECIPE/customize.sh" "$1"',
          IMAGE_SUITE,
          join(tmp, 'rootfs'),
          ...mirrorArgs(),
        ],
        { env: { ...process.env, KAROO_BOOT: boot, KAROO_RECIPE: recipeDir }, timeoutMs: 30 * 60_000 },
      );
      progress.info('making the QEMU disk and kernel');
      const raw = join(tmp, 'disk.raw');
      await run('truncate', ['-s', DISK_SIZE, raw]);
      await run('mkfs.ext4', ['-q', '-F', '-L', 'karoo-root', '-d', join(tmp, 'rootfs'), raw]);
      await run('qemu-img', ['convert', '-O', 'qcow2', raw, join(tmp, 'disk.qcow2')]);
      await rm(raw);
      await extractVmlinux(join(boot, 'vmlinuz'), join(tmp, 'vmlinux'));
      await rename(join(boot, 'initrd.img'), join(tmp, 'initrd.img'));
      const kernelVersion = (await readFile(join(boot, 'kernel-version'), 'utf8')).trim();
      await rm(boot, { recursive: true });
      await rm(recipeDir, { recursive: true });
      const meta = {
        kind: 'karoo' as const,
        id,
        recipe: imageRecipe(),
        kernelVersion,
        builtAt: new Date().toISOString(),
        buildSeconds: Math.round((Date.now() - started) / 100) / 10,
      };
      await writeFile(join(tmp, 'image.json'), `${JSON.stringify(meta, null, 2)}\n`);
      await rm(finalDir, { recursive: true, force: true });
      await rename(tmp, finalDir);
      progress.info(`machine image ${id} built in ${meta.buildSeconds} s (${finalDir})`);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    const img = await findImage();
    if (!img) throw new KarooError('internal', `image ${id} was built but cannot be read back from ${finalDir}`);
    return img;
  });
}

/** Takes the ELF vmlinux out of a bzImage (its xz payload), so QEMU boots it directly without the slow decompressor. */
async function extractVmlinux(bzImage: string, out: string): Promise<void> {
  const data = await readFile(bzImage);
  const at = data.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) throw new KarooError('internal', `${bzImage} holds no xz-compressed kernel`);
  // xz complains about the bytes after the stream; the ELF is complete, which is what we check.
  const r = await new Promise<Buffer>((resolve, reject) => {
    const p = spawn('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => chunks.push(d));
    p.on('error', reject);
    p.on('close', () => resolve(Buffer.concat(chunks)));
    p.stdin.on('error', () => {});
    p.stdin.end(data.subarray(at));
  });
  if (r.subarray(0, 4).toString('latin1') !== '\x7fELF')
    throw new KarooError('internal', `could not extract an ELF kernel from ${bzImage}`);
  await writeFile(out, r);
}

/** A cloud image given by URL and sha256, verified and cached by its hash. */
export interface CloudImage {
  kind: 'cloud';
  id: string;
  sha256: string;
  /** The verified file (qcow2 or raw) in the cache. */
  disk: string;
  format: 'qcow2' | 'raw';
}

/**
 * Fetches a cloud image (http(s):// or file://) once into the cache, keyed by its sha256.
 * The hash is checked on every use of a cached file too; a mismatch refuses the image.
 */
export async function fetchCloudImage(url: string, sha256: string | undefined, progress: Progress = silentProgress): Promise<CloudImage> {
  if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new KarooError(
      'input',
      `image ${url} has no sha256; set provision.image-sha256 (64 hex digits) so karoo can verify it before booting`,
    );
  }
  const dir = join(imagesRoot(), 'cloud');
  await mkdir(dir, { recursive: true });
  const cached = join(dir, `${sha256}.img`);
  if (!existsSync(cached)) {
    const tmp = `${cached}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      progress.info(`fetching ${url}`);
      let source: Readable;
      if (url.startsWith('file://')) source = createReadStream(fileURLToPath(url));
      else if (/^https?:\/\//.test(url)) {
        const res = await transport.request({ method: 'GET', url });
        if (res.status !== 200) {
          await drain(res);
          throw new KarooError('unavailable', `image ${url} could not be downloaded (HTTP ${res.status})`);
        }
        source = res.body;
      } else if (url.startsWith('/')) source = createReadStream(url);
      else throw new KarooError('input', `image "${url}" is not an http(s):// or file:// URL`);
      await pipeline(source, createWriteStream(tmp));
      await rename(tmp, cached);
    } catch (e) {
      await rm(tmp, { force: true });
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new KarooError('input', `image ${url} does not exist`);
      throw e;
    }
  }
  const { digest, size } = await sha256File(cached);
  const actual = hexOf(digest);
  if (actual !== sha256) {
    await rm(cached, { force: true });
    throw new KarooError(
      'integrity',
      `image ${url} has sha256 ${actual}, not the expected ${sha256}; refusing to boot it (check provision.image-sha256)`,
    );
  }
  const head = Buffer.alloc(4);
  const fh = await open(cached, 'r');
  await fh.read(head, 0, 4, 0);
  await fh.close();
  if (size === 0) throw new KarooError('input', `image ${url} is empty`);
  return { kind: 'cloud', id: sha256.slice(0, 16), sha256, disk: cached, format: head.toString('latin1') === 'QFI\xfb' ? 'qcow2' : 'raw' };
}
