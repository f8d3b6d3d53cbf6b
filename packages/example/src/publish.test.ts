import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishToIndex } from './publish.js';
import { wheelFile, writeIndex } from './tree.js';
import { buildWheel } from './wheel.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'karoo-publish-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const w = (name: string, version: string) => buildWheel({ name, version, requiresPython: '>=3.8', files: { [`${name}/__init__.py`]: '' } });

async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name), `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, (await readFile(join(d, e.name))).toString('base64'));
    }
  };
  await walk(dir, '');
  return out;
}

describe('upload times in an index tree, and publishing to it', () => {
  it('writes PEP 700 upload-time in JSON pages only, and publishing keeps every file as it was', async () => {
    const dir = join(tmp, 'ix');
    await writeIndex(dir, [
      {
        name: 'tinyproto',
        files: [
          { ...wheelFile(w('tinyproto', '1.0.0'), { yanked: 'bad' }), uploadTime: '2025-01-01T00:00:00.000000Z' },
          wheelFile(w('tinyproto', '1.1.0')),
        ],
      },
    ]);
    const page = JSON.parse(await readFile(join(dir, 'simple/tinyproto/index.json'), 'utf8'));
    expect(page.meta['api-version']).toBe('1.1');
    expect(page.files.map((f: Record<string, unknown>) => f['upload-time'])).toEqual(['2025-01-01T00:00:00.000000Z', undefined]);
    expect(await readFile(join(dir, 'simple/tinyproto/index.html'), 'utf8')).not.toContain('2025');

    const before = await tree(dir);
    await publishToIndex(dir, []);
    expect(await tree(dir)).toEqual(before);

    await publishToIndex(dir, [
      { name: 'tinyproto', files: [{ ...wheelFile(w('tinyproto', '2.0.0')), uploadTime: '2025-02-01T00:00:00Z' }] },
      { name: 'other', files: [wheelFile(w('other', '1.0'))] },
    ]);
    const after = JSON.parse(await readFile(join(dir, 'simple/tinyproto/index.json'), 'utf8'));
    expect(after.files.map((f: Record<string, unknown>) => [f.filename, f.yanked, f['upload-time']])).toEqual([
      ['tinyproto-1.0.0-py3-none-any.whl', 'bad', '2025-01-01T00:00:00.000000Z'],
      ['tinyproto-1.1.0-py3-none-any.whl', false, undefined],
      ['tinyproto-2.0.0-py3-none-any.whl', false, '2025-02-01T00:00:00Z'],
    ]);
    expect((await tree(dir)).get('files/tinyproto-1.0.0-py3-none-any.whl')).toBe(before.get('files/tinyproto-1.0.0-py3-none-any.whl'));
  });

  it('refuses an upload time that is not a date-time', async () => {
    await expect(
      writeIndex(join(tmp, 'bad'), [{ name: 'x', files: [{ ...wheelFile(w('x', '1.0')), uploadTime: 'today' }] }]),
    ).rejects.toThrow('upload time "today" of x-1.0-py3-none-any.whl is not an RFC 3339 date-time');
  });
});
