import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { KAROO_VERSION } from './version.js';

describe("karoo's version", () => {
  it('is the root package.json version (regenerate with node scripts/gen-version.mjs)', () => {
    const root = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(KAROO_VERSION).toBe(root.version);
  });
});
