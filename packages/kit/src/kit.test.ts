import { afterEach, describe, expect, it } from '@jest/globals';
import { parseConfig } from '@karoo/config';
import { isKarooError } from '@karoo/common';
import {
  booleanInput,
  choiceInput,
  durationInput,
  githubTokenInput,
  indexCredentialsInput,
  input,
  integerInput,
  listInput,
  optionalInput,
  setIndexCredentials,
} from './index.js';
import { storeInputs, storeReference } from './store.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

const config = (store?: string) =>
  parseConfig(`system: cam\nleaves: [a]\nindexes:\n  - url: ./simple\n${store ? `store: ${store}\n` : ''}`, '/repo/karoo.yml');

describe('action inputs', () => {
  it('reads inputs as the runner passes them (INPUT_<NAME>), empty meaning absent', () => {
    process.env['INPUT_CONFIG'] = ' karoo.yml ';
    process.env['INPUT_OUT'] = '';
    process.env['INPUT_FORCE'] = 'true';
    expect(input('config')).toBe('karoo.yml');
    expect(optionalInput('out')).toBeUndefined();
    expect(input('out', { default: '.karoo' })).toBe('.karoo');
    expect(booleanInput('force', false)).toBe(true);
    expect(booleanInput('keep', false)).toBe(false);
  });

  it('names the input and the allowed values of a bad choice', () => {
    process.env['INPUT_PROVIDER'] = 'docker';
    expect(() => choiceInput('provider', ['nspawn', 'qemu'], 'nspawn')).toThrow(
      'input "provider" is "docker"; allowed values: nspawn, qemu',
    );
  });

  it('refuses a bad number, boolean, duration or missing required input with one line of kind input naming it', () => {
    const error = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        if (!isKarooError(e) || e.kind !== 'input') throw e;
        return e.message;
      }
      throw new Error('no error');
    };
    process.env['INPUT_PARALLEL'] = 'abc';
    expect(error(() => integerInput('parallel', 8, { min: 1 }))).toBe('input "parallel" is "abc"; expected a whole number at least 1');
    for (const bad of ['0', '1.5', '1e3', '99999999999999999999']) {
      process.env['INPUT_PARALLEL'] = bad;
      expect(error(() => integerInput('parallel', 8, { min: 1, max: 1024 }))).toBe(
        `input "parallel" is "${bad}"; expected a whole number from 1 to 1024`,
      );
    }
    process.env['INPUT_PARALLEL'] = ' 16 ';
    expect(integerInput('parallel', 8, { min: 1 })).toBe(16);
    delete process.env['INPUT_PARALLEL'];
    expect(integerInput('parallel', 8, { min: 1 })).toBe(8);
    process.env['INPUT_KEEP'] = 'yes';
    expect(error(() => booleanInput('keep', false))).toBe('input "keep" is "yes"; expected true or false');
    process.env['INPUT_TIMEOUT'] = '10 minutes';
    expect(error(() => durationInput('timeout'))).toBe('input "timeout" is "10 minutes"; expected a duration such as 30s, 10m, 2h or 1d');
    process.env['INPUT_TIMEOUT'] = '10m';
    expect(durationInput('timeout')).toBe(600);
    expect(error(() => input('candidate', { required: true }))).toBe('input "candidate" is required and was not given');
    process.env['INPUT_PROVIDER'] = 'docker';
    expect(error(() => choiceInput('provider', ['nspawn', 'qemu'], 'nspawn'))).toBe(
      'input "provider" is "docker"; allowed values: nspawn, qemu',
    );
  });

  it('splits a list input by lines (or a given separator), dropping blanks', () => {
    process.env['INPUT_MOUNT-FROM'] = ' a/b \n\n c/d\n';
    expect(listInput('mount-from')).toEqual(['a/b', 'c/d']);
    process.env['INPUT_ENVIRONMENTS'] = 'qualification, production  staging';
    expect(listInput('environments', /[\s,]+/)).toEqual(['qualification', 'production', 'staging']);
  });

  it('finds the store: the input, else karoo.yml (relative to it), else the repository on ghcr.io', () => {
    process.env['INPUT_STORE'] = '127.0.0.1:5000/acme/cam';
    expect(storeReference(config('oci-layout:store'), storeInputs().store)).toBe('127.0.0.1:5000/acme/cam');
    delete process.env['INPUT_STORE'];
    expect(storeReference(config('oci-layout:store'), storeInputs().store)).toBe('oci-layout:/repo/store');
    expect(storeReference(config(), undefined, { GITHUB_REPOSITORY: 'Acme/CAM' })).toBe('ghcr.io/acme/cam');
    expect(() => storeReference(config(), undefined, {})).toThrow(
      'input "store" is empty, the configuration has no store and GITHUB_REPOSITORY is not set',
    );
  });
});

describe('one name for the token', () => {
  it('reads github-token, and the deprecated token (winning, since github-token always has its default) with a warning', () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      process.env['INPUT_GITHUB-TOKEN'] = 'default-token';
      expect(githubTokenInput()).toBe('default-token');
      expect(out.join('')).not.toMatch(/deprecated/);
      process.env['INPUT_TOKEN'] = 'old-name-token';
      expect(githubTokenInput()).toBe('old-name-token');
    } finally {
      process.stdout.write = write;
    }
    expect(out.join('')).toMatch(/::warning::input "token" is deprecated; pass the token as "github-token"/);
    expect(out.join('')).toContain('::add-mask::old-name-token');
  });
});

describe('index credentials from inputs', () => {
  const indexes = [{ private: true, usernameEnv: 'CAM_INDEX_USER', passwordEnv: 'CAM_INDEX_TOKEN' }, { private: false }];
  it('go to the variables karoo.yml names for the private index, in this process only, never over a set one', () => {
    const env: NodeJS.ProcessEnv = { CAM_INDEX_USER: 'already' };
    process.env['INPUT_INDEX-USERNAME'] = 'alice';
    process.env['INPUT_INDEX-PASSWORD'] = 's3cret';
    expect(setIndexCredentials(indexes, indexCredentialsInput(), env)).toEqual(['CAM_INDEX_TOKEN']);
    expect(env).toEqual({ CAM_INDEX_USER: 'already', CAM_INDEX_TOKEN: 's3cret' });
  });
  it('do nothing when not given, and refuse when no private index says where they go', () => {
    expect(setIndexCredentials(indexes, indexCredentialsInput(), {})).toEqual([]);
    process.env['INPUT_INDEX-PASSWORD'] = 's3cret';
    expect(() => setIndexCredentials([{ private: true }], indexCredentialsInput(), {})).toThrow(
      /no private index in the configuration names username-env or password-env/,
    );
  });
});
