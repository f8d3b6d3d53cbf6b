import { describe, expect, it } from '@jest/globals';
import { isFileError, isKarooError } from '@karoo/common';
import { parse as parseToml } from 'smol-toml';
import { Lock, type LockedPackage } from './model.js';
import { parsePylock, writePylock } from './pylock.js';
import { readLockText } from './read.js';
import { writeRequirements } from './requirements-lock.js';
import { formatInstant, formatInstantExact, normalizeInstant, parseInstant } from './time.js';

const h = (c: string) => c.repeat(64);

const PACKAGES: LockedPackage[] = [
  {
    name: 'cam-core',
    version: '1.2.0',
    files: [
      {
        name: 'cam_core-1.2.0-py3-none-any.whl',
        url: 'http://127.0.0.1/files/cam_core-1.2.0-py3-none-any.whl',
        sha256: h('a'),
        size: 10,
        uploadTime: '2026-01-02T03:04:05.123456+02:00',
      },
    ],
  },
  {
    name: 'tinyproto',
    version: '2.1.0',
    files: [
      {
        name: 'tinyproto-2.1.0.tar.gz',
        url: 'http://127.0.0.1/files/tinyproto-2.1.0.tar.gz',
        sha256: h('b'),
        size: 20,
        uploadTime: '2025-12-31T23:59:59Z',
      },
      {
        name: 'tinyproto-2.1.0-py3-none-any.whl',
        url: 'http://127.0.0.1/files/tinyproto-2.1.0-py3-none-any.whl',
        sha256: h('c'),
        size: 30,
      },
    ],
  },
];
const META = {
  target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'], implementation: 'cp' },
  leaves: { 'cam-core': '1.2.0' },
  asOf: { policy: 'leaves' as const, time: '2026-01-02T01:04:05.123Z', notApplied: ['pip'] },
};

describe('instants', () => {
  it('compares across offsets and fraction lengths, to the nanosecond', () => {
    expect(parseInstant('2026-01-02T03:04:05+02:00')).toBe(parseInstant('2026-01-02T01:04:05Z'));
    expect(parseInstant('2026-01-02T01:04:05.000000001Z')! > parseInstant('2026-01-02T01:04:05Z')!).toBe(true);
    expect(parseInstant('2026-01-02T01:04:05.1Z')).toBe(parseInstant('2026-01-02T01:04:05.100000Z'));
    expect(parseInstant('2026-01-02 01:04:05z')).toBe(parseInstant('2026-01-02T01:04:05Z'));
  });

  it('refuses what is not an RFC 3339 date-time with an offset', () => {
    for (const bad of [
      '2026-01-02',
      '2026-01-02T01:04:05',
      '2026-02-30T00:00:00Z',
      '2026-01-02T24:00:00Z',
      'yesterday',
      '1767315845',
      '2026-01-02T01:04:05+25:00',
    ]) {
      expect(parseInstant(bad)).toBeUndefined();
    }
  });

  it('records UTC milliseconds, truncating (never rounding up past the instant)', () => {
    expect(normalizeInstant('2026-01-02T03:04:05.123999+02:00')).toBe('2026-01-02T01:04:05.123Z');
    expect(formatInstant(parseInstant('1969-12-31T23:59:59.9999Z')!)).toBe('1969-12-31T23:59:59.999Z');
  });

  it('records a cutoff with every fraction digit it has, at least milliseconds, so it reads back as the same instant', () => {
    for (const [given, recorded] of [
      ['2026-01-15T12:20:30.123456+02:00', '2026-01-15T10:20:30.123456Z'],
      ['2026-01-15T10:20:30.000000001Z', '2026-01-15T10:20:30.000000001Z'],
      ['2026-01-15T10:20:30.1204Z', '2026-01-15T10:20:30.1204Z'],
      ['2026-01-15T10:20:30Z', '2026-01-15T10:20:30.000Z'],
      ['1969-12-31T23:59:59.9999Z', '1969-12-31T23:59:59.9999Z'],
    ]) {
      expect(formatInstantExact(parseInstant(given!)!)).toBe(recorded);
      expect(parseInstant(recorded!)).toBe(parseInstant(given!));
    }
  });

  it('a lock keeps its cutoff to the instant through pylock.toml and requirements.txt', () => {
    const lock = Lock.create(PACKAGES, { ...META, asOf: { ...META.asOf, time: '2026-01-02T01:04:05.123456Z' } });
    expect(parsePylock(writePylock(lock), 'pylock.toml').lock.meta.asOf?.time).toBe('2026-01-02T01:04:05.123456Z');
    expect(readLockText(writeRequirements(lock), 'requirements.txt').lock.meta.asOf?.time).toBe('2026-01-02T01:04:05.123456Z');
  });
});

describe('upload times in a lock', () => {
  const lock = Lock.create(PACKAGES, META);

  it('are normalised but are not part of the lock digest', () => {
    expect(lock.get('cam-core')!.files[0]!.uploadTime).toBe('2026-01-02T01:04:05.123Z');
    const without = Lock.create(PACKAGES.map((p) => ({ ...p, files: p.files.map(({ uploadTime: _, ...f }) => f) })));
    expect(without.digest).toBe(lock.digest);
  });

  it('refuses an upload time that is not a date-time, naming the package', () => {
    let err: unknown;
    try {
      Lock.create([{ ...PACKAGES[0]!, files: [{ ...PACKAGES[0]!.files[0]!, uploadTime: 'last week' }] }]);
    } catch (e) {
      err = e;
    }
    expect(isKarooError(err) && err.kind === 'input' && err.message.includes('cam-core 1.2.0') && err.message.includes('last week')).toBe(
      true,
    );
  });

  it('pylock.toml: PEP 751 upload-time datetimes on wheels and sdists, and the cutoff in [tool.karoo.as-of]; read back the same', () => {
    const text = writePylock(lock);
    const doc = parseToml(text) as Record<string, any>;
    const core = doc.packages[0];
    expect(core.wheels[0]['upload-time']).toBeInstanceOf(Date);
    expect((core.wheels[0]['upload-time'] as Date).toISOString()).toBe('2026-01-02T01:04:05.123Z');
    const tiny = doc.packages[1];
    expect((tiny.sdist['upload-time'] as Date).toISOString()).toBe('2025-12-31T23:59:59.000Z');
    expect(tiny.wheels[0]['upload-time']).toBeUndefined();
    expect(doc.tool.karoo['as-of']).toEqual({ policy: 'leaves', time: '2026-01-02T01:04:05.123Z', 'not-applied': ['pip'] });
    const back = parsePylock(text, 'pylock.toml');
    expect(back.warnings).toEqual([]);
    expect(back.lock.files().map((x) => x.file)).toEqual(lock.files().map((x) => x.file));
    expect(back.lock.meta.asOf).toEqual(lock.meta.asOf);
    expect(writePylock(back.lock)).toBe(text);
  });

  it('requirements.txt: upload-time in the karoo-file comments and the cutoff in karoo-meta; read back the same', () => {
    const text = writeRequirements(lock);
    expect(text).toContain(
      `# karoo-file: cam-core==1.2.0 cam_core-1.2.0-py3-none-any.whl sha256=${h('a')} size=10 upload-time=2026-01-02T01:04:05.123Z url=`,
    );
    const back = readLockText(text, 'requirements.txt').lock;
    expect(back.digest).toBe(lock.digest);
    expect(back.files().map((x) => x.file)).toEqual(lock.files().map((x) => x.file));
    expect(back.meta.asOf).toEqual(lock.meta.asOf);
    expect(writeRequirements(back)).toBe(text);
  });

  it('a karoo-file upload-time that is not a date-time is a one-line error at its line', () => {
    const text = writeRequirements(lock).replace('upload-time=2026-01-02T01:04:05.123Z', 'upload-time=soon');
    let err: unknown;
    try {
      readLockText(text, 'requirements.txt');
    } catch (e) {
      err = e;
    }
    expect(isFileError(err)).toBe(true);
    if (isFileError(err)) {
      expect(err.reason).toContain('upload-time "soon" is not an RFC 3339 date-time');
      expect(text.split('\n')[err.line! - 1]).toContain('upload-time=soon');
    }
  });
});
