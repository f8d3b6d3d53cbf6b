import { describe, expect, it } from '@jest/globals';
import { isFileError } from '@karoo/common';
import { parseConfig } from './config.js';

const ok = `system: cam
leaves:
  - katcore
  - name: katproxy
    allow-prerelease: true
indexes:
  - url: ./index/simple
  - name: public
    url: http://127.0.0.1:9/simple
target:
  python: "3.11"
  platforms: [manylinux_2_28_x86_64]
`;

function error(text: string): string {
  try {
    parseConfig(text, '/x/karoo.yml');
  } catch (e) {
    if (isFileError(e)) return e.message;
    throw e;
  }
  throw new Error('no error');
}

describe('karoo.yml', () => {
  it('reads a valid file and resolves paths against it', () => {
    const c = parseConfig(ok, '/x/karoo.yml');
    expect(c.system).toBe('cam');
    expect(c.leaves.map((l) => [l.key, l.allowPrerelease])).toEqual([
      ['katcore', false],
      ['katproxy', true],
    ]);
    expect(c.indexes[0]).toMatchObject({ name: 'private', url: 'file:///x/index/simple/', private: true });
    expect(c.indexes[1]).toMatchObject({ name: 'public', url: 'http://127.0.0.1:9/simple/', private: false });
  });

  it('names the file, line and key of an unknown key', () => {
    expect(error(ok.replace('allow-prerelease', 'allow-prereleases'))).toBe(
      '/x/karoo.yml:5: leaves[1].allow-prereleases: unknown key; check its spelling against the karoo.yml schema',
    );
  });

  it('names a missing key and a bad value', () => {
    expect(error('system: cam\nleaves: [a]\n')).toBe('/x/karoo.yml:1: (top level): missing required key "indexes"');
    expect(error(ok.replace('"3.11"', '"2.7"'))).toMatch(/^\/x\/karoo.yml:11: target.python: value does not match/);
    expect(error(ok.replace('- katcore', '- name: katcore\n    pin: banana'))).toBe(
      '/x/karoo.yml:4: leaves[0].pin: "banana" is not a PEP 440 version',
    );
  });

  it('rejects duplicate leaves, duplicate keys and credentials in URLs', () => {
    expect(error(ok.replace('- katcore', '- katcore\n  - KatCore'))).toMatch(/:4: leaves\[1\]: leaf "KatCore" is listed twice/);
    expect(error(`${ok}system: other\n`)).toMatch(/^\/x\/karoo.yml:13: invalid YAML: Map keys must be unique/);
    expect(error(ok.replace('http://127.0.0.1', 'http://u:p@127.0.0.1'))).toMatch(/:9: indexes\[1\].url: credentials must not be written/);
  });
});

describe('a service start-timeout', () => {
  const withServices = (t1?: string, t2?: string) =>
    `${ok}roles:\n  r:\n    leaves: [katcore]\n    services:\n      - name: a\n        command: [a]\n${t1 ? `        start-timeout: ${t1}\n` : ''}      - name: b\n        command: [b]\n${t2 ? `        start-timeout: ${t2}\n` : ''}`;

  it('is read in seconds and left out where it is not given', () => {
    const c = parseConfig(withServices('5m', undefined), '/x/karoo.yml');
    expect(c.roles.r!.services.map((s) => [s.name, s.startTimeoutSeconds])).toEqual([
      ['a', 300],
      ['b', undefined],
    ]);
    expect('startTimeoutSeconds' in c.roles.r!.services[1]!).toBe(false);
  });

  it('is refused when it is zero, over a day or not a duration, naming the line and key', () => {
    expect(error(withServices('0s'))).toBe(
      '/x/karoo.yml:19: roles.r.services[0].start-timeout: must be at least 1s: a service needs time to come up',
    );
    expect(error(withServices('25h'))).toBe(
      '/x/karoo.yml:19: roles.r.services[0].start-timeout: must be at most 24h: a deploy waits that long for a node at the most',
    );
    expect(error(withServices(undefined, 'soon'))).toMatch(
      /^\/x\/karoo.yml:21: roles\.r\.services\[1\]\.start-timeout: value does not match/,
    );
  });
});
