import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { imageId, imagesRoot } from '@karoo/machines';
import { core } from '@karoo/kit';
import { cachePath } from '@karoo/kit/cache';

/** What to keep in the Actions cache for the base image this run boots, keyed by its hash. */
export interface ImageCacheEntry {
  key: string;
  path: string;
  /** A cloud image (one file) rather than karoo's own (a directory with its build record). */
  cloud: boolean;
  /** Whether the image was already on the runner (or restored): nothing to save afterwards. */
  present: boolean;
}

/**
 * The cache key of karoo's own image: its recipe hash and the runner's architecture (the
 * recipe does not name one: mmdebstrap builds for the machine it runs on).
 */
export function imageCacheKey(recipeId: string, arch: string = process.arch): string {
  return `karoo-machine-image-${arch}-${recipeId}`;
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/**
 * Whether the image is complete on the runner: a cloud image's file, karoo's image with its
 * build record (written last; a directory without it is an interrupted build or restore).
 */
function complete(entry: ImageCacheEntry): boolean {
  return existsSync(entry.cloud ? entry.path : join(entry.path, 'image.json'));
}

/** The cache entry of the base image: karoo's own by its recipe hash, a cloud image by its sha256; `present` when the runner has it complete. */
export function imageCacheEntry(cloudSha256: string | undefined): ImageCacheEntry {
  const entry: ImageCacheEntry = cloudSha256
    ? { key: `karoo-cloud-image-${cloudSha256}`, path: join(imagesRoot(), 'cloud', `${cloudSha256}.img`), cloud: true, present: false }
    : { key: imageCacheKey(imageId()), path: join(imagesRoot(), imageId()), cloud: false, present: false };
  entry.present = complete(entry);
  return entry;
}

/**
 * Restores the base image from the Actions cache when the runner lacks it: karoo's own image
 * by its recipe hash, a cloud image by its sha256. Only an accelerator: without the cache
 * feature the image is built or downloaded as usual.
 */
export async function restoreImage(cloudSha256: string | undefined): Promise<ImageCacheEntry> {
  const entry = imageCacheEntry(cloudSha256);
  if (entry.present) return entry;
  try {
    const cache = await import('@actions/cache');
    if (!cache.isFeatureAvailable()) return entry;
    const started = Date.now();
    const hit = await cache.restoreCache([cachePath(entry.path)], entry.key);
    if (hit) {
      entry.present = complete(entry);
      if (entry.present) core.info(`restored the machine image from the Actions cache (${hit}) in ${seconds(started)}`);
      else core.warning(`the Actions cache entry ${hit} did not hold a complete machine image; building or downloading it instead`);
    }
  } catch (e) {
    core.warning(`image cache restore failed (${(e as Error).message}); building or downloading it instead`);
  }
  return entry;
}

/**
 * Saves the image this run had to build or download, so that the next run restores it (the
 * post step does, once the machines are gone: acceptance does not wait for the upload).
 * Nothing when the run had it from the start, or never got a complete one.
 */
export async function saveImage(entry: ImageCacheEntry): Promise<void> {
  if (entry.present || !complete(entry)) return;
  try {
    const cache = await import('@actions/cache');
    if (!cache.isFeatureAvailable()) return;
    const started = Date.now();
    // -1: not saved, for a reason @actions/cache has just logged (another job saving the same
    // key, a write the cache service denied, a failed upload); it throws only for bad paths.
    const id = await cache.saveCache([cachePath(entry.path)], entry.key);
    if (id === -1)
      core.info(
        `the machine image was not saved in the Actions cache as ${entry.key} (see above); the next run builds or downloads it again unless another job saved it`,
      );
    else core.info(`saved the machine image in the Actions cache as ${entry.key} in ${seconds(started)}`);
  } catch (e) {
    core.warning(`image cache save failed (${(e as Error).message}); the next run builds or downloads it again`);
  }
}
