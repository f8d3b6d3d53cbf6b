/**
 * Keyless Sigstore bundles verified against a site's trusted root (karoo.yml
 * `attestations.trusted-root`), offline, with @sigstore/verify: a real CA (root + intermediate,
 * openssl) issuing Fulcio-style certificates with the workflow-identity extensions, a real RFC 3161
 * timestamp authority (openssl ts), real DSSE signatures by the certificates' keys. Each refusal is
 * the check that catches it (seen red with the check disabled).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Digest, isKarooError, sha256Of } from '@karoo/common';
import {
  keylessBundle,
  type Leaf,
  makeCa,
  makeRekor,
  makeTsa,
  opensslDate,
  type TestCa,
  type TestRekor,
  type TestTsa,
  trustedRootJson,
  type WorkflowCertIdentity,
} from '../../../test/support/sigstore-ca.js';
import { type KeylessTrust, loadTrustedRoot, statementBytes, testResultStatement, verifyBundle, type VerifyPolicy } from './index.js';

const candidate = sha256Of('a candidate') as Digest;
const GOOD: WorkflowCertIdentity = {
  server: 'https://github.com',
  repository: 'acme/cam',
  workflow: '.github/workflows/karoo-candidate.yml',
  ref: 'refs/heads/main',
  issuer: 'https://token.actions.githubusercontent.com',
};
const identity = { repository: 'acme/cam', workflow: '.github/workflows/karoo-candidate.yml', ref: 'refs/heads/main' };

let work: string;
let ca: TestCa;
let other: TestCa;
let tsa: TestTsa;
let trust: KeylessTrust;
let goodLeaf: Leaf;
let rekor: TestRekor;

const payload = () =>
  statementBytes(
    testResultStatement({
      candidate: { name: 'cam', digest: candidate },
      environment: 'integration',
      systemId: sha256Of('system') as Digest,
      configDigest: sha256Of('config') as Digest,
      result: 'passed',
      passedTests: ['t.a'],
    }),
  );

function verify(bundle: unknown, policy: Partial<VerifyPolicy> = {}): string {
  try {
    const v = verifyBundle({ digest: sha256Of(JSON.stringify(bundle)) as Digest, bundle }, candidate, {
      keys: [],
      identity,
      trustedRoot: trust,
      ...policy,
    });
    return `verified ${v.signer}`;
  } catch (e) {
    if (isKarooError(e) && e.kind === 'integrity') return e.message;
    throw e;
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-keyless-'));
  ca = makeCa(join(work, 'ca'), 'fulcio');
  other = makeCa(join(work, 'other'), 'another');
  tsa = makeTsa(ca);
  rekor = makeRekor();
  await writeFile(join(work, 'trusted_root.json'), JSON.stringify(trustedRootJson(ca, tsa, rekor)));
  trust = await loadTrustedRoot(join(work, 'trusted_root.json'));
  goodLeaf = ca.issue({ identity: GOOD });
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('keyless bundles against a configured trusted root', () => {
  it('accepts a bundle whose certificate chains to the root, timestamped while valid, from the allowed workflow', () => {
    expect(verify(keylessBundle(payload(), goodLeaf, tsa))).toBe(
      'verified https://github.com/acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main',
    );
  });

  it("accepts a certificate whose signer is a reusable workflow (karoo's candidate.yml) that the allowed workflow called", () => {
    const leaf = ca.issue({
      identity: { ...GOOD, signer: 'https://github.com/karoo-org/karoo/.github/workflows/candidate.yml@refs/tags/v1' },
    });
    expect(verify(keylessBundle(payload(), leaf, tsa))).toBe(
      'verified https://github.com/acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main',
    );
  });

  it('refuses the same reusable workflow called from another repository', () => {
    const leaf = ca.issue({
      identity: {
        ...GOOD,
        repository: 'mallory/cam',
        signer: 'https://github.com/karoo-org/karoo/.github/workflows/candidate.yml@refs/tags/v1',
      },
    });
    expect(verify(keylessBundle(payload(), leaf, tsa))).toMatch(
      /issued to https:\/\/github.com\/mallory\/cam\/\.github\/workflows\/karoo-candidate\.yml@refs\/heads\/main \(signer https:\/\/github.com\/karoo-org\/karoo\/.*allows: repository https:\/\/github.com\/mallory\/cam is not https:\/\/github.com\/acme\/cam/,
    );
  });

  it.each([
    [
      'workflow',
      { workflow: '.github/workflows/other.yml' },
      /not to what karoo.yml attestations.identity allows: workflow \.github\/workflows\/other\.yml is not \.github\/workflows\/karoo-candidate\.yml$/,
    ],
    [
      'repository',
      { repository: 'mallory/cam' },
      /allows: repository https:\/\/github.com\/mallory\/cam is not https:\/\/github.com\/acme\/cam; workflow https:\/\/github.com\/mallory\/cam\/.* is not in https:\/\/github.com\/acme\/cam$/,
    ],
    ['ref', { ref: 'refs/heads/feature' }, /allows: ref refs\/heads\/feature is not refs\/heads\/main$/],
    [
      'OIDC issuer',
      { issuer: 'https://gitlab.com' },
      /allows: issuer https:\/\/gitlab.com is not https:\/\/token.actions.githubusercontent.com$/,
    ],
    // The same owner/repo on another forge is another repository.
    [
      'server',
      { server: 'https://git.example' },
      /allows: repository https:\/\/git.example\/acme\/cam is not https:\/\/github.com\/acme\/cam/,
    ],
  ] as const)('refuses a certificate issued for another %s', (_what, over: Partial<WorkflowCertIdentity>, reason) => {
    expect(verify(keylessBundle(payload(), ca.issue({ identity: { ...GOOD, ...over } }), tsa))).toMatch(reason);
  });

  it('refuses a changed envelope: the signature no longer verifies', () => {
    const b = keylessBundle(payload(), goodLeaf, tsa) as { dsseEnvelope: { payload: string } };
    const s = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: { result: string } };
    s.predicate.result = 'FAILED';
    b.dsseEnvelope.payload = Buffer.from(JSON.stringify(s)).toString('base64');
    expect(verify(b)).toMatch(/Sigstore verification against .*trusted_root\.json failed: SIGNATURE_ERROR: signature verification failed/);
  });

  it('refuses a certificate from a CA the trusted root does not name', () => {
    expect(verify(keylessBundle(payload(), other.issue({ identity: GOOD }), tsa))).toMatch(
      /failed: CERTIFICATE_ERROR: Failed to verify certificate chain/,
    );
  });

  it('refuses a certificate that had expired when the timestamp authority saw the signature', () => {
    const now = Date.now();
    const expired = ca.issue({
      identity: GOOD,
      startDate: opensslDate(new Date(now - 2 * 3600_000)),
      endDate: opensslDate(new Date(now - 3600_000)),
    });
    expect(verify(keylessBundle(payload(), expired, tsa))).toMatch(
      /failed: CERTIFICATE_ERROR: Failed to verify certificate chain \(certificate is not valid or expired at the specified date\)/,
    );
  });

  it('refuses a bundle with neither a transparency-log entry nor a timestamp', () => {
    expect(verify(keylessBundle(payload(), goodLeaf, undefined))).toMatch(/no transparency-log entry and no RFC 3161 timestamp/);
  });

  it('refuses a timestamp from an authority the trusted root does not name', () => {
    const stranger = makeTsa(other);
    expect(verify(keylessBundle(payload(), goodLeaf, stranger))).toMatch(/failed: TIMESTAMP_ERROR/);
  });

  describe('with a transparency-log entry instead of a timestamp (public-good layout)', () => {
    const now = () => Math.floor(Date.now() / 1000);
    it('accepts an entry of a log the root names, integrated while the certificate was valid', () => {
      expect(verify(keylessBundle(payload(), goodLeaf, undefined, { rekor, integratedTime: now() }))).toMatch(/^verified /);
    });
    it("refuses an entry integrated after the certificate expired (the log's signed time, not the clock)", () => {
      expect(verify(keylessBundle(payload(), goodLeaf, undefined, { rekor, integratedTime: now() + 2 * 3600 }))).toMatch(
        /CERTIFICATE_ERROR: Failed to verify certificate chain \(certificate is not valid or expired at the specified date\)/,
      );
    });
    it('refuses an entry from a log the root does not name', () => {
      expect(verify(keylessBundle(payload(), goodLeaf, undefined, { rekor: makeRekor(), integratedTime: now() }))).toMatch(
        /failed: TLOG_INCLUSION_(PROMISE|PROOF)_ERROR/,
      );
    });
    it('refuses an entry whose signed time was changed', () => {
      const b = keylessBundle(payload(), goodLeaf, undefined, { rekor, integratedTime: now() }) as {
        verificationMaterial: { tlogEntries: Array<{ integratedTime: string }> };
      };
      b.verificationMaterial.tlogEntries[0]!.integratedTime = String(now() - 60);
      expect(verify(b)).toMatch(/failed: TLOG_INCLUSION_PROMISE_ERROR: inclusion promise could not be verified/);
    });
  });

  it('refuses keyless bundles when no trusted root is configured, or no repository is required, saying what to set', () => {
    const b = keylessBundle(payload(), goodLeaf, tsa);
    expect(verify(b, { trustedRoot: undefined })).toMatch(
      /signed keylessly .* no trusted root is configured: set karoo.yml attestations.trusted-root to /,
    );
    expect(verify(b, { identity: undefined })).toMatch(/names no repository: set attestations.identity/);
  });

  it('reads only a trusted_root.json: a missing or malformed file is an input error naming it', async () => {
    await expect(loadTrustedRoot(join(work, 'missing.json'))).rejects.toThrow(
      /attestations.trusted-root .*missing.json cannot be read \(ENOENT\)/,
    );
    await writeFile(join(work, 'bad.json'), JSON.stringify({ mediaType: 'x', certificateAuthorities: [] }));
    await expect(loadTrustedRoot(join(work, 'bad.json'))).rejects.toThrow(
      /bad.json is not a Sigstore trusted_root.json \(it names no certificate authority\)/,
    );
  });
});
