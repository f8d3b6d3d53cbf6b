import { PassThrough, type Readable } from 'node:stream';
import { type Digest, type Progress, silentProgress } from '@karoo/common';
import { LayoutStore } from './layout.js';
import type { BlobSource, ByteRange, Store } from './types.js';
import { blobsOf, fileSource, manifestMediaType, parseManifestInfo } from './util.js';

export interface CopyOptions {
  /** Copy the manifests that refer to it (and theirs), too. Default true. */
  readonly referrers?: boolean | undefined;
  /** The source is a layout whose blobs were checked already (lets a layout destination link them). */
  readonly sourceVerified?: boolean | undefined;
  readonly progress?: Progress | undefined;
}

export interface CopyResult {
  readonly manifests: Digest[];
  readonly uploadedBlobs: number;
  readonly uploadedBytes: number;
  readonly reusedBlobs: number;
}

/** A source whose stream comes from an async open (a blob of another store). */
export function lazySource(open: (range?: ByteRange) => Promise<Readable>): BlobSource {
  return {
    open(range) {
      const out = new PassThrough({ highWaterMark: 1 << 20 });
      open(range).then(
        (s) => {
          s.on('error', (e) => out.destroy(e));
          s.pipe(out);
        },
        (e) => out.destroy(e as Error),
      );
      return out;
    },
  };
}

/** Copies a manifest, every blob it references (only those missing) and its referrers from one store to another. */
export async function copyArtifact(src: Store, dst: Store, digest: Digest, options: CopyOptions = {}): Promise<CopyResult> {
  const progress = options.progress ?? silentProgress;
  const result = { manifests: [] as Digest[], uploadedBlobs: 0, uploadedBytes: 0, reusedBlobs: 0 };
  const seen = new Set<string>();
  const visit = async (d: Digest): Promise<void> => {
    if (seen.has(d)) return;
    seen.add(d);
    const m = await src.getManifest(d);
    const info = parseManifestInfo(m.bytes, `manifest ${d}`);
    if (!(await dst.hasManifest(d))) {
      for (const child of info.manifests ?? []) await visit(child.digest);
      for (const b of blobsOf(info)) {
        if (await dst.hasBlob(b.digest)) {
          result.reusedBlobs++;
          continue;
        }
        const source =
          src instanceof LayoutStore && options.sourceVerified
            ? fileSource(src.blobPath(b.digest), true)
            : lazySource((range) => src.getBlob(b.digest, range));
        const r = await dst.putBlob({ digest: b.digest, size: b.size }, source);
        result.uploadedBlobs++;
        result.uploadedBytes += r.bytes;
      }
      await dst.putManifest(m.bytes, manifestMediaType(info));
      result.uploadedBytes += m.bytes.length;
      progress.info(`copied ${d} to ${dst.ref}`);
    }
    result.manifests.push(d);
    if (options.referrers ?? true) for (const r of await src.referrers(d)) await visit(r.digest);
  };
  await visit(digest);
  return result;
}
