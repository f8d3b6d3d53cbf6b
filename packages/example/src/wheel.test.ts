import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { buildWheel, readWheelMetadata, wheelDistName, type WheelSpec } from './wheel.js';
import { readZip } from './zip.js';

const spec: WheelSpec = {
  name: 'Cam.Store',
  version: '2.1.0-beta.1',
  summary: 'a store',
  requiresPython: '>=3.9',
  requires: ['cam-core>=1.2', 'procstat>=0.4; sys_platform == "linux"'],
  extras: { client: ['tinyproto>=2.0', 'legacy-thing; python_version < "3.10"'] },
  entryPoints: { console_scripts: { 'cam-store': 'cam_store.__main__:main' } },
  files: { 'cam_store/__init__.py': '"""store"""\n', 'cam_store/__main__.py': 'def main():\n    return 0\n' },
};

describe('buildWheel', () => {
  it('is deterministic: the same spec gives the same bytes', () => {
    const a = buildWheel(spec);
    const b = buildWheel({ ...spec, files: { ...spec.files } });
    expect(a.sha256).toBe(b.sha256);
    expect(Buffer.compare(a.data, b.data)).toBe(0);
    expect(a.sha256).toBe(createHash('sha256').update(a.data).digest('hex'));
    expect(buildWheel({ ...spec, version: '2.1.0' }).sha256).not.toBe(a.sha256);
  });

  it('names the file and dist-info by the normalised name and version', () => {
    const w = buildWheel(spec);
    expect(wheelDistName('Cam.Store')).toBe('cam_store');
    expect(w.filename).toBe('cam_store-2.1.0b1-py3-none-any.whl');
    expect(w.version).toBe('2.1.0b1');
    expect(readZip(w.data).map((e) => e.name)).toEqual([
      'cam_store/__init__.py',
      'cam_store/__main__.py',
      'cam_store-2.1.0b1.dist-info/METADATA',
      'cam_store-2.1.0b1.dist-info/WHEEL',
      'cam_store-2.1.0b1.dist-info/entry_points.txt',
      'cam_store-2.1.0b1.dist-info/top_level.txt',
      'cam_store-2.1.0b1.dist-info/RECORD',
    ]);
  });

  it('writes METADATA 2.1 with markers, extras and Requires-Python', () => {
    const text = buildWheel(spec).metadata.toString();
    expect(text).toBe(
      [
        'Metadata-Version: 2.1',
        'Name: Cam.Store',
        'Version: 2.1.0b1',
        'Summary: a store',
        'Requires-Python: >=3.9',
        'Requires-Dist: cam-core>=1.2',
        'Requires-Dist: procstat>=0.4; sys_platform == "linux"',
        'Provides-Extra: client',
        'Requires-Dist: tinyproto>=2.0; extra == "client"',
        'Requires-Dist: legacy-thing; (python_version < "3.10") and extra == "client"',
        '',
      ].join('\n'),
    );
  });

  it('writes WHEEL, entry points and a RECORD that matches every file', () => {
    const w = buildWheel(spec);
    const files = new Map(readZip(w.data).map((e) => [e.name, e.data]));
    expect(files.get('cam_store-2.1.0b1.dist-info/WHEEL')!.toString()).toBe(
      'Wheel-Version: 1.0\nGenerator: karoo-example (0.1.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    );
    expect(files.get('cam_store-2.1.0b1.dist-info/entry_points.txt')!.toString()).toBe(
      '[console_scripts]\ncam-store = cam_store.__main__:main\n',
    );
    const record = files.get('cam_store-2.1.0b1.dist-info/RECORD')!.toString().trimEnd().split('\n');
    expect(record.at(-1)).toBe('cam_store-2.1.0b1.dist-info/RECORD,,');
    expect(record).toHaveLength(files.size);
    for (const line of record.slice(0, -1)) {
      const [path, hash, size] = line.split(',');
      const data = files.get(path!)!;
      expect(hash).toBe(`sha256=${createHash('sha256').update(data).digest('base64url')}`);
      expect(Number(size)).toBe(data.length);
    }
    expect(files.get('cam_store-2.1.0b1.dist-info/METADATA')!.equals(w.metadata)).toBe(true);
  });

  it('expands compressed platform tags and marks platform wheels not purelib', () => {
    const w = buildWheel({ ...spec, tag: 'py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64' });
    expect(w.filename).toBe('cam_store-2.1.0b1-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl');
    const wheel = readZip(w.data)
      .find((e) => e.name.endsWith('/WHEEL'))!
      .data.toString();
    expect(wheel).toContain('Root-Is-Purelib: false\nTag: py3-none-manylinux_2_17_x86_64\nTag: py3-none-manylinux2014_x86_64\n');
  });

  it('reads METADATA back out of a wheel', () => {
    const w = buildWheel(spec);
    const info = readWheelMetadata(w.data, w.filename);
    expect(info).toMatchObject({ name: 'Cam.Store', version: '2.1.0b1', requiresPython: '>=3.9' });
    expect(info.requires).toContain('tinyproto>=2.0; extra == "client"');
    expect(info.metadata.equals(w.metadata)).toBe(true);
  });

  it('rejects bad names, versions, paths and tags with a clear message', () => {
    expect(() => buildWheel({ ...spec, name: '-bad' })).toThrow('"-bad" is not a valid distribution name');
    expect(() => buildWheel({ ...spec, version: 'banana' })).toThrow('version "banana" of Cam.Store is not a PEP 440 version');
    expect(() => buildWheel({ ...spec, files: { '../x.py': '' } })).toThrow(/not a plain relative path/);
    expect(() => buildWheel({ ...spec, tag: 'py3-any' })).toThrow(/not of the form python-abi-platform/);
  });
});
