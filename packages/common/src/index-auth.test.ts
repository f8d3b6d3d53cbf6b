import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isKarooError } from './errors.js';
import { basicAuthHeader, credentialsFor, credentialsForAny, isLoopbackHost, refusedAccessMessage, urlWithUserinfo } from './index-auth.js';

const env = { IX_USER: 'ci', IX_PASS: 's3cret', OTHER_PASS: 'other' };
const secure = { name: 'private', url: 'https://pypi.acme.test/private/simple/', usernameEnv: 'IX_USER', passwordEnv: 'IX_PASS' };
const local = { name: 'local', url: 'http://127.0.0.1:8080/simple/', usernameEnv: 'IX_USER', passwordEnv: 'IX_PASS' };

function thrown(f: () => unknown): { kind: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isKarooError(e)) return { kind: e.kind, message: e.message };
    throw e;
  }
  throw new Error('expected a KarooError');
}

describe('credentialsFor: whether an index credentials go with a request', () => {
  it('attaches them to the index own origin, whatever the path', () => {
    expect(credentialsFor('https://pypi.acme.test/private/simple/numpy/', secure, env)).toEqual({ username: 'ci', password: 's3cret' });
    expect(credentialsFor('https://pypi.acme.test/files/ab/numpy-1.0-py3-none-any.whl', secure, env)).toEqual({
      username: 'ci',
      password: 's3cret',
    });
    expect(credentialsFor('https://PYPI.acme.test:443/x', secure, env)).toEqual({ username: 'ci', password: 's3cret' });
    expect(credentialsFor(new URL('http://127.0.0.1:8080/files/x.whl'), local, env)).toEqual({ username: 'ci', password: 's3cret' });
  });

  it('never to another host, port or scheme', () => {
    for (const url of [
      'https://files.acme.test/numpy-1.0-py3-none-any.whl',
      'https://pypi.acme.test.evil.test/private/simple/',
      'https://pypi.acme.test:8443/private/simple/',
      'http://pypi.acme.test/private/simple/',
      'file:///srv/private/simple/',
      'not a url',
    ]) {
      expect(credentialsFor(url, secure, env)).toBeUndefined();
    }
    expect(credentialsFor('http://127.0.0.1:8081/files/x.whl', local, env)).toBeUndefined();
    expect(credentialsFor('http://localhost:8080/files/x.whl', local, env)).toBeUndefined();
  });

  it('gives nothing when karoo.yml names no credentials or the environment holds none', () => {
    expect(credentialsFor(secure.url, { name: 'p', url: secure.url }, env)).toBeUndefined();
    expect(credentialsFor(secure.url, secure, {})).toBeUndefined();
    expect(credentialsFor(secure.url, { ...secure, usernameEnv: undefined }, env)).toEqual({ username: '', password: 's3cret' });
  });

  it('refuses plain HTTP to anything but loopback, naming the index and what to do', () => {
    const plain = { ...secure, url: 'http://pypi.acme.test/private/simple/' };
    expect(thrown(() => credentialsFor('http://pypi.acme.test/private/simple/numpy/', plain, env))).toEqual({
      kind: 'input',
      message:
        'index "private" at http://pypi.acme.test would get its credentials (IX_USER, IX_PASS) over plain HTTP; use an https:// URL for it in karoo.yml (plain http carries credentials only to 127.0.0.1 or localhost)',
    });
    // Without credentials plain HTTP is the index's business, not a leak.
    expect(credentialsFor('http://pypi.acme.test/private/simple/numpy/', { name: 'p', url: plain.url }, env)).toBeUndefined();
    for (const url of ['http://localhost:9/simple/', 'http://127.0.0.2:9/simple/', 'http://[::1]:9/simple/']) {
      expect(credentialsFor(url, { ...local, url }, env)).toEqual({ username: 'ci', password: 's3cret' });
    }
  });

  it('knows loopback hosts', () => {
    expect(['localhost', '127.0.0.1', '127.9.8.7', '[::1]', 'x.localhost'].every(isLoopbackHost)).toBe(true);
    expect(['127.0.0.1.evil.test', '10.0.0.1', 'localhost.evil.test', '[::2]', '0.0.0.0'].some(isLoopbackHost)).toBe(false);
  });

  it('picks, among indexes on one origin, the one whose path holds the URL', () => {
    const a = { name: 'a', url: 'https://repo.acme.test/a/simple/', passwordEnv: 'IX_PASS' };
    const b = { name: 'b', url: 'https://repo.acme.test/b/simple/', passwordEnv: 'OTHER_PASS' };
    expect(credentialsForAny('https://repo.acme.test/b/simple/x/', [a, b], env)?.index.name).toBe('b');
    expect(credentialsForAny('https://repo.acme.test/files/x.whl', [a, b], env)?.index.name).toBe('a');
    expect(credentialsForAny('https://cdn.acme.test/b/simple/x.whl', [a, b], env)).toBeUndefined();
  });

  it('renders a Basic header and a URL with user info', () => {
    expect(basicAuthHeader({ username: 'ci', password: 's3cret' })).toBe(`Basic ${Buffer.from('ci:s3cret').toString('base64')}`);
    expect(urlWithUserinfo('https://h.test/simple/', { username: 'c i', password: 'p@ss:w' })).toBe(
      'https://c%20i:p%40ss%3Aw@h.test/simple/',
    );
  });
});

describe('refusedAccessMessage: why an index said 401/403, and what to do', () => {
  const say = (ix: Parameters<typeof refusedAccessMessage>[0], e: NodeJS.ProcessEnv, status = 401) =>
    refusedAccessMessage(ix, 'acme-lib', status, e);
  const open = { name: 'private', url: 'https://pypi.acme.test/simple/' };

  it('no login named in karoo.yml: name one', () => {
    expect(say(open, env)).toBe(
      'index "private" refused access to acme-lib (HTTP 401): it needs a login; name the environment variables that hold it with username-env and password-env for this index in karoo.yml',
    );
  });

  it('a login named but empty here: set it; in a pull request, say that a fork gets no secrets', () => {
    expect(say(secure, { IX_USER: '', IX_PASS: '' })).toBe(
      'index "private" refused access to acme-lib (HTTP 401): IX_USER and IX_PASS are empty here; set them to the index\'s login (in a workflow: from secrets, passed to karoo\'s steps)',
    );
    expect(say(secure, { IX_USER: 'ci' })).toMatch(/: IX_PASS is empty here; set it to/);
    expect(say(secure, { IX_USER: '', IX_PASS: '', GITHUB_EVENT_NAME: 'pull_request' })).toBe(
      'index "private" refused access to acme-lib (HTTP 401): IX_USER and IX_PASS are empty here. GitHub gives the run of a pull request from a fork no secrets, so a fork\'s candidate cannot be resolved against this index; push the branch to the repository itself, or set the secrets if this is not a fork',
    );
  });

  it('in a pull request run, says which: a fork (no secrets), Dependabot (its own secrets) or a branch of the repository (secrets not passed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'karoo-index-auth-'));
    try {
      const event = join(dir, 'event.json');
      const pr = (head: string) => {
        writeFileSync(event, JSON.stringify({ pull_request: { head: { sha: 'b'.repeat(40), repo: { full_name: head } } } }));
        return { IX_USER: '', IX_PASS: '', GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: 'acme/plant' };
      };
      expect(say(secure, pr('outsider/plant'))).toMatch(
        /IX_USER and IX_PASS are empty here\. GitHub gives the run of a pull request from a fork no secrets/,
      );
      expect(say(secure, pr('Acme/plant'))).toBe(
        "index \"private\" refused access to acme-lib (HTTP 401): IX_USER and IX_PASS are empty here. This pull request's branch is in the repository itself, so its run has the repository's secrets: check that they are set and reach karoo's steps (one by one: secrets: inherit passes nothing to a workflow of another organization)",
      );
      expect(say(secure, { ...pr('acme/plant'), GITHUB_ACTOR: 'dependabot[bot]' })).toBe(
        'index "private" refused access to acme-lib (HTTP 401): IX_USER and IX_PASS are empty here. A run started by Dependabot gets only the repository\'s Dependabot secrets: add the index\'s login there too (Settings → Secrets and variables → Dependabot), under the names of its Actions secrets',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a login the index refused: check it, and never show it', () => {
    expect(say(secure, env)).toBe(
      'index "private" refused access to acme-lib (HTTP 401): it did not accept the login in IX_USER/IX_PASS; check those credentials',
    );
    expect(say(secure, env, 403)).toBe(
      'index "private" refused access to acme-lib (HTTP 403): the login in IX_USER/IX_PASS may not read it; check that account\'s access to the index',
    );
    for (const s of [say(secure, env), say(secure, env, 403)]) expect(s).not.toMatch(/s3cret|\bci\b/);
  });
});
