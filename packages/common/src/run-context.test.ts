import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { isDefaultBranchPush, runContextFromEnv } from './run-context.js';

const actions = {
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_REPOSITORY: 'acme/plant',
  GITHUB_SHA: 'a'.repeat(40),
  GITHUB_REF: 'refs/heads/main',
  GITHUB_WORKFLOW: 'karoo candidate',
  GITHUB_WORKFLOW_REF: 'acme/plant/.github/workflows/karoo-candidate.yml@refs/heads/main',
  GITHUB_SERVER_URL: 'https://ghe.example.org/',
  GITHUB_ACTOR: 'alice',
  GITHUB_TRIGGERING_ACTOR: 'bob',
  USER: 'runner',
};

describe('runContextFromEnv', () => {
  test('inside GitHub Actions: the run with the workflow file and ref, its page, and the actor who triggered it', () => {
    const c = runContextFromEnv(actions);
    expect(c).toEqual({
      actor: 'bob',
      repository: 'acme/plant',
      sha: 'a'.repeat(40),
      run: {
        repository: 'acme/plant',
        commit: 'a'.repeat(40),
        ref: 'refs/heads/main',
        workflow: 'acme/plant/.github/workflows/karoo-candidate.yml@refs/heads/main',
        runId: '4242',
        runAttempt: '2',
        runUrl: 'https://ghe.example.org/acme/plant/actions/runs/4242',
        actor: 'bob',
      },
    });
  });

  test("the workflow's name when there is no workflow ref; GITHUB_ACTOR when there is no triggering actor; github.com by default", () => {
    const c = runContextFromEnv({ ...actions, GITHUB_WORKFLOW_REF: '', GITHUB_TRIGGERING_ACTOR: undefined, GITHUB_SERVER_URL: undefined });
    expect(c.run?.workflow).toBe('karoo candidate');
    expect(c.actor).toBe('alice');
    expect(c.run?.runUrl).toBe('https://github.com/acme/plant/actions/runs/4242');
  });

  test('no run without GITHUB_RUN_ID, no page without a repository; outside Actions the local user', () => {
    expect(runContextFromEnv({ ...actions, GITHUB_RUN_ID: '' }).run).toBeUndefined();
    expect(runContextFromEnv({ ...actions, GITHUB_REPOSITORY: undefined }).run?.runUrl).toBeUndefined();
    const local = runContextFromEnv({ USER: 'carol' });
    expect(local).toEqual({ actor: 'carol', repository: undefined, sha: undefined, run: undefined });
    expect(runContextFromEnv({}).actor).toMatch(/\S/);
  });

  test("a pull_request run: GITHUB_SHA is GitHub's merge commit, the head commit comes from the event (what GitHub reports as the run's head_sha)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'karoo-run-context-'));
    try {
      const event = join(dir, 'event.json');
      const pr = { ...actions, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, GITHUB_REF: 'refs/pull/7/merge' };
      writeFileSync(event, JSON.stringify({ pull_request: { number: 7, head: { sha: 'b'.repeat(40) } } }));
      expect(runContextFromEnv(pr).run).toMatchObject({ commit: 'a'.repeat(40), headCommit: 'b'.repeat(40) });
      // Other events have no head commit apart from GITHUB_SHA; a malformed or missing event file gives none.
      expect(runContextFromEnv({ ...pr, GITHUB_EVENT_NAME: 'push' }).run?.headCommit).toBeUndefined();
      writeFileSync(event, JSON.stringify({ pull_request: { head: { sha: 'not a sha; $(rm -rf /)' } } }));
      expect(runContextFromEnv(pr).run?.headCommit).toBeUndefined();
      writeFileSync(event, '{');
      expect(runContextFromEnv(pr).run?.headCommit).toBeUndefined();
      expect(runContextFromEnv({ ...pr, GITHUB_EVENT_PATH: join(dir, 'missing.json') }).run?.headCommit).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isDefaultBranchPush', () => {
  test("is true only for a push to the event's repository.default_branch", () => {
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
