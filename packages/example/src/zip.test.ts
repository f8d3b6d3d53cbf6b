import { describe, expect, it } from '@jest/globals';
import { crc32, readZip, writeZip } from './zip.js';

const entries = [
  { name: 'b/two.txt', data: Buffer.from('two\n') },
  { name: 'a.txt', data: Buffer.from('one\n'.repeat(100)) },
  { name: 'bin/run', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
];

describe('zip', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('writes the same bytes for the same entries, in any input order', () => {
    const a = writeZip(entries);
    const b = writeZip([...entries].reverse());
    expect(Buffer.compare(a, b)).toBe(0);
    expect(Buffer.compare(a, writeZip(entries, { compression: 'deflate' }))).not.toBe(0);
  });

  it('sorts entries, fixes timestamps to 1980-01-01 and keeps permissions', () => {
    const z = writeZip(entries);
    const back = readZip(z);
    expect(back.map((e) => e.name)).toEqual(['a.txt', 'b/two.txt', 'bin/run']);
    expect(back.map((e) => e.mode)).toEqual([0o644, 0o644, 0o755]);
    expect(back[0]!.data.toString()).toBe('one\n'.repeat(100));
    // Local header of the first entry: DOS time 0, DOS date 1980-01-01.
    expect(z.readUInt32LE(0)).toBe(0x04034b50);
    expect(z.readUInt16LE(10)).toBe(0);
    expect(z.readUInt16LE(12)).toBe((1 << 5) | 1);
  });

  it('keeps the given order when asked to', () => {
    const z = writeZip(entries, { sort: false });
    expect(readZip(z).map((e) => e.name)).toEqual(['b/two.txt', 'a.txt', 'bin/run']);
  });

  it('round-trips deflated entries', () => {
    const z = writeZip(entries, { compression: 'deflate', level: 9 });
    expect(z.length).toBeLessThan(writeZip(entries).length);
    expect(
      readZip(z)
        .find((e) => e.name === 'a.txt')!
        .data.toString(),
    ).toBe('one\n'.repeat(100));
  });

  it('rejects duplicate and unsafe names, and damaged archives', () => {
    expect(() => writeZip([entries[0]!, entries[0]!])).toThrow(/given twice/);
    expect(() => writeZip([{ name: '../evil', data: Buffer.from('x') }])).toThrow(/without "\.\."/);
    const z = writeZip(entries);
    const damaged = Buffer.from(z);
    damaged[40]! ^= 0xff; // inside the first entry's data
    expect(() => readZip(damaged, 'x.whl')).toThrow(/x\.whl is not a readable zip: entry a\.txt fails its CRC check/);
    expect(() => readZip(Buffer.from('not a zip'), 'y.whl')).toThrow(/no end of central directory/);
  });
});
