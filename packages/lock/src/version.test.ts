import { describe, expect, it } from '@jest/globals';
import { compareVersionStrings, isPrerelease, normalizeVersion, parseVersion, satisfies } from './version.js';

describe('PEP 440 versions', () => {
  it('normalises spellings as packaging does', () => {
    expect(normalizeVersion('1.0-ALPHA.1')).toBe('1.0a1');
    expect(normalizeVersion('v1.2.3-dev4')).toBe('1.2.3.dev4');
    expect(normalizeVersion('1.0-1')).toBe('1.0.post1');
    expect(normalizeVersion('1!2.0rc')).toBe('1!2.0rc0');
    expect(normalizeVersion('1.0+Ubuntu-1')).toBe('1.0+ubuntu.1');
  });

  it('orders the spec example sequence', () => {
    const ordered = [
      '1.0.dev456',
      '1.0a1',
      '1.0a2.dev456',
      '1.0a12.dev456',
      '1.0a12',
      '1.0b1.dev456',
      '1.0b2',
      '1.0b2.post345.dev456',
      '1.0b2.post345',
      '1.0rc1.dev456',
      '1.0rc1',
      '1.0',
      '1.0+abc.5',
      '1.0+abc.7',
      '1.0+5',
      '1.0.post456.dev34',
      '1.0.post456',
      '1.0.15',
      '1.1.dev1',
      '2!0.1',
    ];
    const shuffled = [...ordered].reverse();
    expect(shuffled.sort(compareVersionStrings)).toEqual(ordered);
  });

  it('treats trailing zeros as equal and knows pre-releases', () => {
    expect(compareVersionStrings('1.0', '1.0.0')).toBe(0);
    expect(isPrerelease(parseVersion('2.0.dev1')!)).toBe(true);
    expect(isPrerelease(parseVersion('2.0rc1')!)).toBe(true);
    expect(isPrerelease(parseVersion('2.0.post1')!)).toBe(false);
    expect(parseVersion('not a version')).toBeUndefined();
  });

  it('checks specifier sets (Requires-Python) with the same implementation, pre-releases included', () => {
    expect(satisfies('3.11', '>=3.8, <3.11')).toBe(false);
    expect(satisfies('3.12', '>=3.8, !=3.12.*')).toBe(false);
    expect(satisfies('3.13.0rc1', '>=3.13.0rc1')).toBe(true);
    expect(satisfies('3.11', '')).toBe(true);
    expect(satisfies('3.11', '>=3.8.*')).toBeUndefined();
    expect(satisfies('three', '>=3.8')).toBeUndefined();
  });
});
