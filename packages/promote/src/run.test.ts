import { describe, expect, test } from '@jest/globals';
import { runFromEnv } from './run.js';

describe('runFromEnv', () => {
  test("the run context as a promotion record stores it (the record's field names), with the workflow file and ref", () => {
    const c = runFromEnv({
      GITHUB_RUN_ID: '7',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_REPOSITORY: 'acme/plant',
      GITHUB_SHA: 'b'.repeat(40),
      GITHUB_WORKFLOW: 'release',
      GITHUB_WORKFLOW_REF: 'acme/plant/.github/workflows/release.yml@refs/heads/main',
      GITHUB_ACTOR: 'alice',
    });
    expect(c).toEqual({
      actor: 'alice',
      sha: 'b'.repeat(40),
      repository: 'acme/plant',
      run: {
        id: '7',
        attempt: '1',
        url: 'https://github.com/acme/plant/actions/runs/7',
        repository: 'acme/plant',
        workflow: 'acme/plant/.github/workflows/release.yml@refs/heads/main',
        sha: 'b'.repeat(40),
      },
    });
    expect(runFromEnv({ USER: 'carol' })).toEqual({ actor: 'carol', run: undefined, sha: undefined, repository: undefined });
  });
});
