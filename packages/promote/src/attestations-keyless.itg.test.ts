/**
 * Issue 15 §4: the promotion gate verifies keyless (Sigstore certificate) test-result attestations
 * against karoo.yml `attestations.trusted-root`, and the certificate's workflow identity against
 * `attestations.identity`. A real candidate in an OCI layout, the real evidence and the real gate;
 * the bundles are real: a test Fulcio CA (root + intermediate, openssl) issuing certificates with
 * Fulcio's extensions, an RFC 3161 timestamp authority, the trusted_root.json naming both
 * (test/support/sigstore-ca.ts). Nothing is fetched.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { attestationReferrer, pushAttestation, statementBytes, TEST_RESULT, testResultStatement } from '@karoo/attest';
import { build } from '@karoo/build';
import { type Digest, isKarooError, type KarooError } from '@karoo/common';
import { type KarooConfig, parseConfig } from '@karoo/config';
import { configDigest, systemConfig } from '@karoo/deploy';
import type { EvidenceRun } from '@karoo/evidence';
import { LayoutStore } from '@karoo/oci';
import { promote, type PromoteOptions, verifyCandidate } from '@karoo/promote';
import { addEvidence, CAM_SYSTEM_YML, expectedSystemId } from '../../../test/support/evidence.js';
import {
  keylessBundle,
  type Leaf,
  makeCa,
  makeTsa,
  opensslDate,
  type TestCa,
  type TestTsa,
  trustedRootJson,
  type WorkflowCertIdentity,
} from '../../../test/support/sigstore-ca.js';
import { makeWheels } from '../../../test/support/wheels.js';

const REPO = 'acme/cam';
const WORKFLOW = '.github/workflows/karoo-candidate.yml';
const GOOD: WorkflowCertIdentity = {
  server: 'https://github.com',
  repository: REPO,
  workflow: WORKFLOW,
  ref: 'refs/heads/main',
  issuer: 'https://token.actions.githubusercontent.com',
};
const run: EvidenceRun = {
  repository: REPO,
  runId: '101',
  commit: 'a'.repeat(40),
  ref: 'refs/heads/main',
  workflow: `${REPO}/${WORKFLOW}@refs/heads/main`,
  runUrl: `https://github.com/${REPO}/actions/runs/101`,
};

let work: string;
let ca: TestCa;
let tsa: TestTsa;
let goodLeaf: Leaf;
let n = 0;

const yml = (attestations: string) => `${CAM_SYSTEM_YML}environments:
  - name: integration
  - name: qualification
attestations:
${attestations}`;
const WITH_ROOT = `  require: true\n  trusted-root: trusted_root.json\n  identity: { repository: ${REPO}, workflow: ${WORKFLOW}, ref: refs/heads/main }\n`;

interface Setup {
  readonly store: LayoutStore;
  readonly candidate: Digest;
  readonly config: KarooConfig;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-gate-keyless-'));
  ca = makeCa(join(work, 'ca'), 'fulcio');
  tsa = makeTsa(ca);
  goodLeaf = ca.issue({ identity: GOOD });
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A real candidate with passing evidence in integration, and karoo.yml with trusted_root.json beside it. */
async function setup(attestations = WITH_ROOT): Promise<Setup> {
  const dir = join(work, `case-${n++}`);
  const store = new LayoutStore(join(dir, 'store'));
  const wheels = await makeWheels(join(dir, 'wheels'), [{ name: 'acme-cam', version: '1.0.0', size: 1500 }]);
  const r = await build({ lock: wheels.lock(), store, system: 'cam' });
  await writeFile(join(dir, 'trusted_root.json'), JSON.stringify(trustedRootJson(ca, tsa)));
  const config = parseConfig(yml(attestations), join(dir, 'karoo.yml'));
  await addEvidence(store, r.candidate, { environment: 'integration', config, run });
  return { store, candidate: r.candidate, config };
}

/** Signs what the acceptance run in integration would sign, keylessly with `leaf`, and attaches it. */
async function attachKeyless(
  s: Setup,
  leaf: Leaf,
  result: 'passed' | 'failed' = 'passed',
  change?: (statement: { predicate: { result: string } }) => void,
): Promise<string> {
  const statement = testResultStatement({
    candidate: { name: 'cam', digest: s.candidate },
    environment: 'integration',
    systemId: await expectedSystemId(s.config, s.candidate, 'integration'),
    configDigest: configDigest(await systemConfig(s.config, 'integration')),
    result,
    ...(result === 'passed' ? { passedTests: ['test_cross_node_call'] } : { failedTests: ['test_cross_node_call'] }),
    run,
  });
  const bundle = keylessBundle(statementBytes(statement), leaf, tsa) as { dsseEnvelope: { payload: string } };
  if (change) {
    const p = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    change(p);
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(p)).toString('base64');
  }
  const d = await pushAttestation(
    s.store,
    attestationReferrer(await verifyCandidate(s.store, s.candidate), new TextEncoder().encode(JSON.stringify(bundle)), TEST_RESULT),
  );
  return d.digest;
}

const base = (s: Setup): PromoteOptions => ({
  store: s.store,
  config: s.config,
  candidate: s.candidate,
  environment: 'qualification',
  actor: 'release-manager',
  serialized: true,
});

/** The refusal and the warnings the gate gave on the way. */
async function refused(s: Setup): Promise<{ error: KarooError; warnings: string }> {
  const warnings: string[] = [];
  try {
    await promote({ ...base(s), progress: { info: () => undefined, warn: (m: string) => warnings.push(m) } as never });
  } catch (e) {
    if (isKarooError(e)) return { error: e, warnings: warnings.join('\n') };
    throw e;
  }
  throw new Error('the promotion was not refused');
}

describe('a gate that requires attestations, with keyless (Sigstore) bundles', () => {
  it('counts a keyless test-result attestation whose certificate chains to the trusted root and names the allowed workflow', async () => {
    const s = await setup();
    const alone = await refused(s);
    expect(alone.error.message).toMatch(
      /attestations\.require is set, and no signed test-result attestation that verifies says system sha256:[0-9a-f]{64} passed in integration/,
    );
    await attachKeyless(s, goodLeaf);
    const r = await promote(base(s));
    expect(r.status).toBe('promoted');
    expect(r.passingEvidence).toEqual(['integration']);
  });

  const other = (over: Partial<WorkflowCertIdentity>) => () => ca.issue({ identity: { ...GOOD, ...over } });
  it.each([
    [
      'another workflow',
      other({ workflow: '.github/workflows/anything.yml' }),
      /workflow \.github\/workflows\/anything\.yml is not \.github\/workflows\/karoo-candidate\.yml/,
    ],
    [
      'another repository',
      other({ repository: 'mallory/cam' }),
      /repository https:\/\/github\.com\/mallory\/cam is not https:\/\/github\.com\/acme\/cam/,
    ],
    ['another ref', other({ ref: 'refs/heads/feature' }), /ref refs\/heads\/feature is not refs\/heads\/main/],
    [
      'a CA the trusted root does not name',
      () => makeCa(join(work, `other-${n}`), 'another').issue({ identity: GOOD }),
      /Sigstore verification against .*trusted_root\.json failed: CERTIFICATE_ERROR: Failed to verify certificate chain/,
    ],
    [
      'a certificate expired when it signed',
      () =>
        ca.issue({
          identity: GOOD,
          startDate: opensslDate(new Date(Date.now() - 7200_000)),
          endDate: opensslDate(new Date(Date.now() - 3600_000)),
        }),
      /CERTIFICATE_ERROR: Failed to verify certificate chain \(certificate is not valid or expired at the specified date\)/,
    ],
  ])('refuses a keyless attestation from %s', async (_what, leaf, reason) => {
    const s = await setup();
    const digest = await attachKeyless(s, leaf());
    const r = await refused(s);
    expect(r.error.kind).toBe('refused');
    expect(r.warnings).toContain(`attestation ${digest} does not count: attestation ${digest}: `);
    expect(r.warnings).toMatch(reason);
  });

  it('refuses a tampered keyless envelope: a signed FAILED result turned into PASSED', async () => {
    const s = await setup();
    const digest = await attachKeyless(s, goodLeaf, 'failed', (p) => (p.predicate.result = 'PASSED'));
    const r = await refused(s);
    expect(r.warnings).toMatch(new RegExp(`attestation ${digest} does not count: .*SIGNATURE_ERROR: signature verification failed`));
  });

  it('refuses keyless attestations when karoo.yml names no trusted root, saying what to set', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const s = await setup(`  require: true\n  keys: [release.pub]\n  identity: { repository: ${REPO} }\n`);
    await writeFile(join(s.config.dir, 'release.pub'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    await attachKeyless(s, goodLeaf);
    const r = await refused(s);
    expect(r.warnings).toMatch(
      /it is signed keylessly \(a Sigstore certificate\) and no trusted root is configured: set karoo\.yml attestations\.trusted-root to the trusted_root\.json/,
    );
  });

  it('refuses to start with a trusted root that is not one, naming the file', async () => {
    const s = await setup();
    await writeFile(join(s.config.dir, 'trusted_root.json'), '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}');
    const r = await refused(s);
    expect(r.error.kind).toBe('input');
    expect(r.error.message).toMatch(
      /attestations\.trusted-root .*trusted_root\.json is not a Sigstore trusted_root\.json \(it names no certificate authority\)/,
    );
  });
});

describe('karoo.yml attestations.trusted-root', () => {
  it('is a path relative to karoo.yml and stands in for keys under require: true; identity takes the issuer and server-url a certificate must name', () => {
    const c = parseConfig(yml(WITH_ROOT), join(work, 'site', 'karoo.yml'));
    expect(c.attestations?.trustedRoot).toBe(join(work, 'site', 'trusted_root.json'));
    expect(c.attestations?.keys).toEqual([]);
    const ghes = parseConfig(
      yml(
        `${WITH_ROOT}`.replace(
          'ref: refs/heads/main }',
          'ref: refs/heads/main, issuer: "https://ghe.example/_services/token", server-url: "https://ghe.example/" }',
        ),
      ),
      join(work, 'karoo.yml'),
    );
    expect(ghes.attestations?.identity).toEqual({
      repository: REPO,
      workflow: WORKFLOW,
      ref: 'refs/heads/main',
      issuer: 'https://ghe.example/_services/token',
      serverUrl: 'https://ghe.example',
    });
    expect(() =>
      parseConfig(
        yml(`${WITH_ROOT}`.replace('ref: refs/heads/main }', 'ref: refs/heads/main, server-url: "https://ghe.example/x" }')),
        join(work, 'karoo.yml'),
      ),
    ).toThrow(/server-url/);
    expect(() => parseConfig(yml('  require: true\n'), join(work, 'karoo.yml'))).toThrow(
      /require: true needs at least one public key file under keys \(or a Sigstore trusted-root for keyless attestations\)/,
    );
  });
});
