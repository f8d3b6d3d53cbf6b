import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KarooError } from '@karoo/common';
import { writeIndex, type IndexFileInput, type IndexProjectInput, type IndexTree } from './tree.js';

/**
 * Publishes more files to an index tree written by writeIndex, as an index receives uploads:
 * every file already there is kept with its bytes, metadata, yanked state and upload time, the
 * new ones are added, and the tree is rewritten (swapped in whole, so a reader never sees half).
 * Tests use it to make "tomorrow's" index from today's.
 */
export async function publishToIndex(dir: string, projects: readonly IndexProjectInput[]): Promise<IndexTree> {
  const simple = join(dir, 'simple');
  const names = (
    await readdir(simple, { withFileTypes: true }).catch(() => {
      throw new KarooError('input', `${dir} is not an index tree (no simple/); write it with writeIndex first`);
    })
  )
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const existing: IndexProjectInput[] = [];
  for (const name of names) {
    const page = JSON.parse(await readFile(join(simple, name, 'index.json'), 'utf8')) as { files: Array<Record<string, unknown>> };
    const files: IndexFileInput[] = [];
    for (const f of page.files) {
      const path = join(simple, name, decodeURIComponent(String(f.url)));
      const yanked = f.yanked === false || f.yanked === undefined ? undefined : f.yanked === '' ? true : (f.yanked as string | boolean);
      files.push({
        filename: String(f.filename),
        data: await readFile(path),
        metadata: await readFile(`${path}.metadata`),
        ...(typeof f['requires-python'] === 'string' ? { requiresPython: f['requires-python'] } : {}),
        ...(yanked !== undefined ? { yanked } : {}),
        ...(typeof f['upload-time'] === 'string' ? { uploadTime: f['upload-time'] } : {}),
      });
    }
    existing.push({ name, files });
  }
  return writeIndex(dir, [...existing, ...projects]);
}
