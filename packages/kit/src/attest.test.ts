import { afterEach, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { isKarooError } from '@karoo/common';
import { attestInputs, signingOptions } from './attest.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

const PEM = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** What the step wrote to stdout (workflow commands) while `f` ran, and what `f` returned or threw. */
function capture<T>(f: () => T): { out: string; value?: T; error?: unknown } {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    const value = f();
    return { out: out.join(''), value };
  } catch (error) {
    return { out: out.join(''), error };
  } finally {
    process.stdout.write = write;
  }
}

describe('the signing inputs of the build and accept actions', () => {
  it("takes the key's PEM text from a secret: masked whole and line by line, held in memory, never taken for a path", () => {
    process.env['INPUT_ATTEST'] = 'key';
    process.env['INPUT_ATTEST-KEY'] = PEM;
    const r = capture(attestInputs);
    expect(r.value).toEqual({ mode: 'key', keyText: PEM.trim(), keyFile: undefined, keyless: false });
    const body = PEM.split('\n')[1]!;
    expect(r.out).toContain(`::add-mask::${body}`);
    expect(r.out).toContain('::add-mask::-----BEGIN PRIVATE KEY-----%0A');
    expect(signingOptions(r.value, '/config/release.key', 'token')).toEqual({ keyText: PEM.trim(), key: undefined });
  });

  it('still takes the path of a PEM file, unmasked', () => {
    process.env['INPUT_ATTEST-KEY'] = 'keys/release.key';
    const r = capture(attestInputs);
    expect(r.value).toEqual({ mode: undefined, keyText: undefined, keyFile: 'keys/release.key', keyless: false });
    expect(r.out).toBe('');
  });

  it('refuses attest: key without a key, an unknown attest, and a multi-line value that is no PEM key (masked, not quoted), each in one line of kind input', () => {
    const refused = (env: Record<string, string>) => {
      Object.assign(process.env, env);
      const r = capture(attestInputs);
      for (const k of Object.keys(env)) delete process.env[k];
      if (!isKarooError(r.error) || r.error.kind !== 'input') throw new Error(`not refused as input: ${String(r.error)}`);
      return { message: r.error.message, out: r.out };
    };
    expect(refused({ INPUT_ATTEST: 'key' }).message).toBe(
      'attest: key needs a PEM private key in input "attest-key" (candidate.yml passes the ATTEST_KEY secret); pass it, or use attest: keyless or none',
    );
    expect(refused({ INPUT_ATTEST: 'always' }).message).toBe('input "attest" is "always"; allowed values: none, keyless, key');
    const garbled = refused({ 'INPUT_ATTEST-KEY': 'c2VjcmV0LWxpbmUtb25l\nc2VjcmV0LWxpbmUtdHdv' });
    expect(garbled.message).toMatch(/^input "attest-key" is neither a PEM private key nor a file path/);
    expect(garbled.message).not.toContain('c2VjcmV0');
    expect(garbled.out).toContain('::add-mask::c2VjcmV0LWxpbmUtdHdv');
  });

  it('lets attest decide when given; without it attest-keyless, attest-key, then karoo.yml signing-key, as before', () => {
    const key = { keyText: 'PEM', keyFile: undefined, keyless: true } as const;
    // none: nothing signs, not even karoo.yml's key or a key that was passed anyway.
    expect(signingOptions({ ...key, mode: 'none' }, '/config/release.key', 't')).toEqual({});
    expect(signingOptions({ ...key, mode: 'keyless' }, '/config/release.key', 't')).toEqual({ keyless: true, token: 't' });
    expect(signingOptions({ ...key, keyless: false, mode: 'key' }, '/config/release.key', 't')).toEqual({ keyText: 'PEM', key: undefined });
    expect(signingOptions({ keyless: false, keyFile: 'k.pem' }, '/config/release.key', 't')).toEqual({
      keyless: false,
      keyText: undefined,
      key: 'k.pem',
      configKey: '/config/release.key',
      token: 't',
    });
    // An action called by another in-process (actions/candidate) passes no signing inputs at all.
    expect(signingOptions(undefined, '/config/release.key', 't')).toEqual({
      keyless: false,
      keyText: undefined,
      key: undefined,
      configKey: '/config/release.key',
      token: 't',
    });
  });
});
