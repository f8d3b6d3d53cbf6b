import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { imageId, imagesRoot } from '@karoo/machines';
import { core } from '@karoo/kit';

/** What to keep in the Actions cache for the base image this run boots, keyed by its hash. */
export interface ImageCacheEntry {
  key: string;
  path: string;
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

/**
 * Restores the base image from the Actions cache when the runner lacks it: karoo's own image
 * by its recipe hash, a cloud image by its sha256. Only an accelerator: without the cache
 * feature the image is built or downloaded as usual.
 */
export async function restoreImage(cloudSha256: string | undefined): Promise<ImageCacheEntry> {
  const entry: ImageCacheEntry = cloudSha256
    ? { key: `karoo-cloud-image-${cloudSha256}`, path: join(imagesRoot(), 'cloud', `${cloudSha256}.img`), present: false }
    : { key: imageCacheKey(imageId()), path: join(imagesRoot(), imageId()), present: false };
  entry.present = existsSync(entry.path);
  if (entry.present) return entry;
  try {
    const cache = await import('@actions/cache');
    if (!cache.isFeatureAvailable()) return entry;
    const hit = await cache.restoreCache([entry.path], entry.key);
    if (hit) {
      core.info(`restored the machine image from the Actions cache (${hit})`);
      entry.present = existsSync(entry.path);
    }
  } catch (e) {
    core.warning(`image cache restore failed (${(e as Error).message}); building or downloading it instead`);
  }
  return entry;
}

export async function saveImage(entry: ImageCacheEntry): Promise<void> {
  if (entry.present || !existsSync(entry.path)) return;
  try {
    const cache = await import('@actions/cache');
    if (!cache.isFeatureAvailable()) return;
    await cache.saveCache([entry.path], entry.key);
    core.info(`saved the machine image in the Actions cache as ${entry.key}`);
  } catch (e) {
    core.warning(`image cache save failed (${(e as Error).message}); the next run builds or downloads it again`);
  }
}
