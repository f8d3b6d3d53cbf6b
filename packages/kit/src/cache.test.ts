import { describe, expect, it } from '@jest/globals';
import { cachePath } from './cache.js';

describe('cachePath', () => {
  it('names a path under HOME as ~/…, so an entry saved with one HOME restores with another', () => {
    expect(cachePath('/home/runner/.cache/pip/http-v2', { HOME: '/home/runner' })).toBe('~/.cache/pip/http-v2');
    expect(cachePath('/tmp/job-2/home/.cache/pip/http-v2', { HOME: '/tmp/job-2/home/' })).toBe('~/.cache/pip/http-v2');
    expect(cachePath('/home/runner', { HOME: '/home/runner' })).toBe('~');
  });
  it('leaves other paths alone (a sibling with HOME as its prefix is not under HOME)', () => {
    expect(cachePath('/home/runner2/x', { HOME: '/home/runner' })).toBe('/home/runner2/x');
    expect(cachePath('/var/cache/karoo/images/abc', { HOME: '/home/runner' })).toBe('/var/cache/karoo/images/abc');
    expect(cachePath('/var/x', {})).toBe('/var/x');
    expect(cachePath('/var/x', { HOME: '/' })).toBe('/var/x');
  });
});
