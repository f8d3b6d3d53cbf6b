import { afterEach, describe, expect, it } from '@jest/globals';
import { parseConfig } from '@karoo/config';
import { booleanInput, choiceInput, input, optionalInput } from './index.js';
import { storeReferenceFromInputs } from './store.js';

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
    expect(() => choiceInput('provider', ['nspawn', 'qemu'], 'nspawn')).toThrow('input "provider" is "docker"; allowed values: nspawn, qemu');
  });

  it('finds the store: the input, else karoo.yml (relative to it), else the repository on ghcr.io', () => {
    process.env['INPUT_STORE'] = '127.0.0.1:5000/acme/cam';
    expect(storeReferenceFromInputs(config('oci-layout:store'))).toBe('127.0.0.1:5000/acme/cam');
    delete process.env['INPUT_STORE'];
    expect(storeReferenceFromInputs(config('oci-layout:store'))).toBe('oci-layout:/repo/store');
    expect(storeReferenceFromInputs(config(), { GITHUB_REPOSITORY: 'Acme/CAM' })).toBe('ghcr.io/acme/cam');
    expect(() => storeReferenceFromInputs(config(), {})).toThrow('input "store" is empty, the configuration has no store and GITHUB_REPOSITORY is not set');
  });
});
