import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachePath, isDefaultBranchPush } from './cache.js';

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

describe('isDefaultBranchPush', () => {
  it("is true only for a push to the event's repository.default_branch", () => {
    const dir = mkdtempSync(join(tmpdir(), 'karoo-event-'));
    try {
      const event = join(dir, 'event.json');
      writeFileSync(event, JSON.stringify({ repository: { default_branch: 'trunk' } }));
      const env = { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: event, GITHUB_REF: 'refs/heads/trunk' };
      expect(isDefaultBranchPush(env)).toBe(true);
      expect(isDefaultBranchPush({ ...env, GITHUB_REF: 'refs/heads/main' })).toBe(false);
      expect(isDefaultBranchPush({ ...env, GITHUB_REF: 'refs/tags/trunk' })).toBe(false);
      expect(isDefaultBranchPush({ ...env, GITHUB_EVENT_NAME: 'pull_request' })).toBe(false);
      expect(isDefaultBranchPush({ ...env, GITHUB_EVENT_NAME: 'merge_group' })).toBe(false);
      expect(isDefaultBranchPush({ ...env, GITHUB_EVENT_PATH: join(dir, 'missing.json') })).toBe(false);
      writeFileSync(event, '{not json');
      expect(isDefaultBranchPush(env)).toBe(false);
      expect(isDefaultBranchPush({})).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
