import { describe, expect, it } from '@jest/globals';
import { isFileError } from '@karoo/common';
import { parseConfig } from './config.js';

const base = `system: cam
leaves: [katcore]
indexes:
  - url: ./index/simple
`;

function error(text: string): string {
  try {
    parseConfig(text, '/x/karoo.yml');
  } catch (e) {
    if (isFileError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a FileError');
}

describe('karoo.yml as-of', () => {
  it('takes leaves, an RFC 3339 date-time (unquoted YAML stays text), or none', () => {
    expect(parseConfig(`${base}as-of: leaves\n`, '/x/karoo.yml').asOf).toBe('leaves');
    expect(parseConfig(`${base}as-of: 2026-01-31T12:00:00Z\n`, '/x/karoo.yml').asOf).toBe('2026-01-31T12:00:00Z');
    expect(parseConfig(`${base}as-of: "2026-01-31T14:00:00.5+02:00"\n`, '/x/karoo.yml').asOf).toBe('2026-01-31T14:00:00.5+02:00');
    expect(parseConfig(`${base}as-of: none\n`, '/x/karoo.yml').asOf).toBeUndefined();
    expect(parseConfig(base, '/x/karoo.yml').asOf).toBeUndefined();
  });

  it('refuses anything else with the file, line and key', () => {
    expect(error(`${base}as-of: yesterday\n`)).toBe(
      '/x/karoo.yml:5: as-of: "yesterday" is not an RFC 3339 date-time with an offset (e.g. 2026-01-31T12:00:00Z), "leaves" or "none"',
    );
    // A date-time without an offset is ambiguous (whose midnight?): refused too.
    expect(error(`${base}as-of: 2026-01-31T12:00:00\n`)).toMatch(
      /^\/x\/karoo\.yml:5: as-of: "2026-01-31T12:00:00" is not an RFC 3339 date-time with an offset/,
    );
    expect(error(`${base}as-of: 20260131\n`)).toMatch(/^\/x\/karoo\.yml:5: as-of: must be string/);
  });
});
