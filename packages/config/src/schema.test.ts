import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
// @ts-expect-error: a plain .mjs build script without types
import { generate, target } from '../../../scripts/gen-config-validator.mjs';

describe('the precompiled karoo.yml validator', () => {
  it('matches the published schema (regenerate with node scripts/gen-config-validator.mjs)', () => {
    expect(readFileSync(target as string, 'utf8')).toBe((generate as () => string)());
  });
});
