/**
 * Issue 15 §4: statements, envelopes and bundles in the formats the ecosystem verifies, checked
 * against JSON schemas written from the specifications (schema/), and DSSE signing with real
 * Ed25519 and ECDSA P-256 keys from node:crypto.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { canonicalJson, type Digest, sha256Of } from '@karoo/common';
import {
  IN_TOTO_PAYLOAD_TYPE,
  KAROO_BUILD_TYPE,
  pae,
  parseWorkflowIdentity,
  provenanceStatement,
  type ProvenanceInput,
  SLSA_PROVENANCE,
  signerFor,
  signStatement,
  statementBytes,
  statementProblem,
  TEST_RESULT,
  testResultStatement,
  verificationKeyFor,
  verifyEnvelope,
  workflowIdentity,
} from './index.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
const schema = (name: string) => JSON.parse(readFileSync(new URL(`../schema/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
for (const n of ['in-toto-statement-v1', 'slsa-provenance-v1', 'test-result-v0.1', 'dsse-envelope', 'sigstore-bundle-v0.3'])
  ajv.addSchema(schema(`${n}.schema.json`));
const validator = (n: string): ValidateFunction => ajv.getSchema(`https://karoo.dev/attest/schema/${n}.schema.json`)!;
function valid(n: string, value: unknown): string {
  const v = validator(n);
  return v(value) ? 'valid' : ajv.errorsText(v.errors);
}

const candidate = { name: 'cam', digest: sha256Of('candidate manifest') };
const run = {
  repository: 'acme/cam',
  commit: 'a'.repeat(40),
  ref: 'refs/heads/main',
  workflow: 'acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main',
  runId: '42',
  runAttempt: '2',
  runUrl: 'https://github.com/acme/cam/actions/runs/42',
};
const files = [
  {
    name: 'zeta-1.0-py3-none-any.whl',
    url: 'https://pypi.example/zeta-1.0-py3-none-any.whl',
    sha256: 'f'.repeat(64),
    package: 'zeta==1.0',
  },
  {
    name: 'acme_cam-1.0.0-py3-none-any.whl',
    url: 'http://127.0.0.1:1/acme_cam-1.0.0-py3-none-any.whl',
    sha256: '0'.repeat(64),
    package: 'acme-cam==1.0.0',
  },
];
const provenance = (over: Partial<ProvenanceInput> = {}): ProvenanceInput => ({
  candidate,
  lockDigest: sha256Of('lock'),
  system: 'cam',
  target: { python: '3.11', platforms: ['manylinux_2_28_x86_64'] },
  files,
  builder: 'karoo 0.1.0',
  builtAt: '2026-01-02T03:04:05.000Z',
  run,
  ...over,
});
const testResult = (over: Partial<Parameters<typeof testResultStatement>[0]> = {}) =>
  testResultStatement({
    candidate,
    environment: 'integration',
    systemId: sha256Of('system') as Digest,
    configDigest: sha256Of('config') as Digest,
    result: 'passed',
    passedTests: ['test_b', 'test_a'],
    run,
    ...over,
  });

describe('provenance: an in-toto Statement v1 with the SLSA Provenance v1 predicate', () => {
  it('validates against the statement and predicate schemas, and says what the candidate was built from', () => {
    const s = provenanceStatement(provenance());
    expect(valid('in-toto-statement-v1', s)).toBe('valid');
    expect(valid('slsa-provenance-v1', s.predicate)).toBe('valid');
    expect(statementProblem(JSON.parse(statementBytes(s).toString()))).toBeUndefined();
    expect(s.predicateType).toBe(SLSA_PROVENANCE);
    expect(s.subject).toEqual([{ name: 'cam', digest: { sha256: candidate.digest.slice(7) } }]);
    const b = s.predicate.buildDefinition;
    expect(b.buildType).toBe(KAROO_BUILD_TYPE);
    expect(b.externalParameters).toEqual({ lock: { digest: { sha256: sha256Of('lock').slice(7) } }, system: 'cam' });
    // Every locked file by sha256, with its name and where it came from.
    expect(b.resolvedDependencies!.map((d) => [d.name, d.uri, d.digest!.sha256])).toEqual([
      [files[1]!.name, files[1]!.url, files[1]!.sha256],
      [files[0]!.name, files[0]!.url, files[0]!.sha256],
    ]);
    expect(s.predicate.runDetails.builder.id).toBe('https://github.com/acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main');
    expect(s.predicate.runDetails.metadata!.invocationId).toBe('https://github.com/acme/cam/actions/runs/42/attempts/2');
  });

  it('is deterministic: the same inputs give the same bytes, whatever order the files come in', () => {
    const a = statementBytes(provenanceStatement(provenance()));
    const b = statementBytes(provenanceStatement(provenance({ files: [...files].reverse() })));
    expect(b.equals(a)).toBe(true);
    expect(a.toString()).toBe(canonicalJson(JSON.parse(a.toString())));
    expect(statementBytes(provenanceStatement(provenance({ lockDigest: sha256Of('another lock') }))).equals(a)).toBe(false);
  });

  it('names a local builder outside GitHub Actions, and a bare workflow name is no identity', () => {
    expect(provenanceStatement(provenance({ run: undefined })).predicate.runDetails.builder.id).toBe(
      'https://karoo.dev/attestations/builder/local/v1',
    );
    expect(workflowIdentity({ ...run, workflow: 'karoo candidate' })).toBeUndefined();
    expect(parseWorkflowIdentity(workflowIdentity(run)!)).toEqual({
      repository: 'acme/cam',
      workflow: '.github/workflows/karoo-candidate.yml',
      ref: 'refs/heads/main',
    });
  });
});

describe('acceptance evidence: an in-toto Statement v1 with the test-result predicate', () => {
  it('validates against the schemas, PASSED with the system and configuration it ran against', () => {
    const s = testResult();
    expect(valid('in-toto-statement-v1', s)).toBe('valid');
    expect(valid('test-result-v0.1', s.predicate)).toBe('valid');
    expect(s.predicateType).toBe(TEST_RESULT);
    expect(s.predicate.result).toBe('PASSED');
    expect(s.predicate.passedTests).toEqual(['test_a', 'test_b']);
    expect(s.predicate.url).toBe(run.runUrl);
    expect(s.predicate.configuration.map((c) => c.name)).toEqual(['karoo:system', 'karoo:configuration', 'karoo:workflow']);
    expect(s.predicate.configuration[0]).toEqual({
      name: 'karoo:system',
      digest: { sha256: sha256Of('system').slice(7) },
      annotations: { environment: 'integration', system: 'cam' },
    });
    expect(testResult({ result: 'failed', failedTests: ['test_c'] }).predicate).toMatchObject({
      result: 'FAILED',
      failedTests: ['test_c'],
    });
  });

  it('the schemas refuse what the specifications refuse (so they are not vacuous)', () => {
    const s = JSON.parse(statementBytes(testResult()).toString());
    expect(valid('in-toto-statement-v1', { ...s, _type: 'https://in-toto.io/Statement/v0.1' })).not.toBe('valid');
    expect(valid('in-toto-statement-v1', { ...s, subject: [{ name: 'cam' }] })).not.toBe('valid');
    expect(valid('test-result-v0.1', { ...s.predicate, result: 'pass' })).not.toBe('valid');
    expect(valid('test-result-v0.1', { result: 'PASSED' })).not.toBe('valid');
    expect(
      valid('slsa-provenance-v1', { buildDefinition: { buildType: KAROO_BUILD_TYPE }, runDetails: { builder: { id: 'x:y' } } }),
    ).not.toBe('valid');
    expect(statementProblem({ ...s, subject: [{ name: 'cam' }] })).toMatch(/subject\[0\] has none of uri, digest, content/);
    expect(statementProblem({ ...s, predicate: { ...s.predicate, result: 'pass' } })).toMatch(
      /predicate.result "pass" is not PASSED, WARNED or FAILED/,
    );
  });
});

describe('DSSE', () => {
  it('PAE is the encoding the DSSE protocol defines', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    // Lengths are bytes, not characters.
    expect(pae('t', Buffer.from('é')).toString('hex')).toBe(Buffer.from('DSSEv1 1 t 2 é').toString('hex'));
  });

  it.each([
    ['Ed25519', () => generateKeyPairSync('ed25519')],
    ['ECDSA P-256', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' })],
  ])('signs and verifies with %s, in a Sigstore bundle v0.3 that validates', (_name, gen) => {
    const { privateKey, publicKey } = gen();
    const signer = signerFor(privateKey);
    const statement = testResult();
    const bundle = signStatement(statement, signer);
    expect(valid('sigstore-bundle-v0.3', JSON.parse(canonicalJson(bundle)))).toBe('valid');
    expect(valid('dsse-envelope', bundle.dsseEnvelope)).toBe('valid');
    expect(bundle.dsseEnvelope.payloadType).toBe(IN_TOTO_PAYLOAD_TYPE);
    expect(Buffer.from(bundle.dsseEnvelope.payload, 'base64').equals(statementBytes(statement))).toBe(true);
    const key = verificationKeyFor(publicKey, 'test.pub');
    expect(bundle.dsseEnvelope.signatures[0]!.keyid).toBe(key.keyid);
    const v = verifyEnvelope(bundle.dsseEnvelope, [key], 'test');
    expect(v.payload.equals(statementBytes(statement))).toBe(true);

    // A changed payload, a changed payload type, another key: refused.
    const forged = Buffer.from(statementBytes(testResult({ result: 'failed' }))).toString('base64');
    expect(() => verifyEnvelope({ ...bundle.dsseEnvelope, payload: forged }, [key], 'test')).toThrow(/the signature does not verify/);
    expect(() => verifyEnvelope({ ...bundle.dsseEnvelope, payloadType: 'application/json' }, [key], 'test')).toThrow(
      /the signature does not verify/,
    );
    const other = verificationKeyFor(generateKeyPairSync('ed25519').publicKey, 'other.pub');
    expect(() => verifyEnvelope(bundle.dsseEnvelope, [other], 'test')).toThrow(/which is none of the trusted keys/);
    expect(() => verifyEnvelope({ ...bundle.dsseEnvelope, signatures: [] }, [key], 'test')).toThrow(/no signature/);
  });

  it('refuses keys of other kinds with a line that says which kinds', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(() => signerFor(privateKey, 'p384.pem')).toThrow(
      /p384.pem is a ec \(secp384r1\) key; attestations are signed with Ed25519 or ECDSA P-256 keys/,
    );
  });
});
