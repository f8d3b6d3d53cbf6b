import { describe, expect, test } from '@jest/globals';
import { parseChallenge } from './auth.js';
import { isLoopbackRegistry } from './http.js';
import { openStore, parseStoreRef, registryCredentialsFromEnv } from './ref.js';

describe('store references', () => {
  test('oci-layout:PATH and REGISTRY/REPOSITORY', () => {
    expect(parseStoreRef('oci-layout:.karoo/store')).toEqual({ kind: 'oci-layout', path: '.karoo/store' });
    expect(parseStoreRef('ghcr.io/acme/cam')).toEqual({ kind: 'registry', registry: 'ghcr.io', repository: 'acme/cam' });
    expect(parseStoreRef('127.0.0.1:5000/acme/cam')).toEqual({ kind: 'registry', registry: '127.0.0.1:5000', repository: 'acme/cam' });
    expect(parseStoreRef('localhost/a')).toEqual({ kind: 'registry', registry: 'localhost', repository: 'a' });
  });

  test.each([
    ['acme/cam', /does not start with a registry host/],
    ['https://ghcr.io/acme/cam', /must not carry a URL scheme/],
    ['ghcr.io/Acme/cam', /not a valid OCI repository name/],
    ['ghcr.io/acme/cam:latest', /not a valid OCI repository name/],
    ['ghcr.io/acme/cam@sha256:00', /not a valid OCI repository name/],
    ['oci-layout:', /has no path/],
  ])('%s is refused with what to write instead', (ref, msg) => {
    expect(() => parseStoreRef(ref)).toThrow(msg);
    expect(() => parseStoreRef(ref)).toThrow(/oci-layout:PATH or REGISTRY\/REPOSITORY/);
  });

  test('plain HTTP only for loopback registries', () => {
    expect(isLoopbackRegistry('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackRegistry('localhost:5000')).toBe(true);
    expect(isLoopbackRegistry('[::1]:5000')).toBe(true);
    expect(isLoopbackRegistry('10.0.0.1:5000')).toBe(false);
    expect(isLoopbackRegistry('ghcr.io')).toBe(false);
    expect(isLoopbackRegistry('127.0.0.1.evil.test:5000')).toBe(false);
    expect(openStore('127.0.0.1:5000/a').refFor(`sha256:${'a'.repeat(64)}` as never)).toBe(`127.0.0.1:5000/a@sha256:${'a'.repeat(64)}`);
  });

  test('GITHUB_TOKEN is used for ghcr.io only; explicit registry credentials win', () => {
    expect(registryCredentialsFromEnv('ghcr.io', { GITHUB_TOKEN: 't', GITHUB_ACTOR: 'me' })).toEqual({ username: 'me', password: 't' });
    expect(registryCredentialsFromEnv('registry.example.com', { GITHUB_TOKEN: 't' })).toBeUndefined();
    expect(
      registryCredentialsFromEnv('registry.example.com', { KAROO_REGISTRY_USERNAME: 'u', KAROO_REGISTRY_PASSWORD: 'p', GITHUB_TOKEN: 't' }),
    ).toEqual({ username: 'u', password: 'p' });
  });
});

describe('WWW-Authenticate', () => {
  test('bearer challenge with realm, service and a scope holding commas', () => {
    expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/cam:pull,push"')).toEqual({
      scheme: 'bearer',
      realm: 'https://ghcr.io/token',
      service: 'ghcr.io',
      scope: 'repository:acme/cam:pull,push',
    });
  });
  test('basic challenge; unknown schemes are not usable', () => {
    expect(parseChallenge('Basic realm="karoo-test"')).toMatchObject({ scheme: 'basic', realm: 'karoo-test' });
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});
