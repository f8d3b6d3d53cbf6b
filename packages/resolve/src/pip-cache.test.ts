import { describe, expect, it } from '@jest/globals';
import { lastLockKeys, pipCacheDir, pipCacheKeys, pipHttpCacheDirs } from './pip-cache.js';

describe("pip's HTTP cache", () => {
  it("is where the isolated pip puts it: XDG's cache, else ~/.cache", () => {
    expect(pipCacheDir({ XDG_CACHE_HOME: '/c', HOME: '/home/u', PIP_CACHE_DIR: '/ignored' })).toBe('/c/pip');
    expect(pipCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/pip');
    expect(pipHttpCacheDirs({ HOME: '/home/u' })).toEqual(['/home/u/.cache/pip/http-v2', '/home/u/.cache/pip/http']);
  });
  it('is saved under the lock digest and restored by the system prefix', () => {
    const k = pipCacheKeys('cam', `sha256:${'a'.repeat(64)}`, 'linux-x64');
    expect(k).toEqual({ key: `karoo-pip-linux-x64-cam-${'a'.repeat(64)}`, restoreKeys: ['karoo-pip-linux-x64-cam-'] });
    expect(pipCacheKeys('cam', undefined, 'linux-x64').key).toBeUndefined();
  });
  it('and the last lock are two entries, with two prefixes: restoring one never restores the other', () => {
    const k = lastLockKeys('cam', `sha256:${'a'.repeat(64)}`, 'linux-x64');
    expect(k).toEqual({ key: `karoo-lastlock-linux-x64-cam-${'a'.repeat(64)}`, restoreKeys: ['karoo-lastlock-linux-x64-cam-'] });
    expect(k.restoreKeys[0]!.startsWith(pipCacheKeys('cam', undefined, 'linux-x64').restoreKeys[0]!)).toBe(false);
  });
});
