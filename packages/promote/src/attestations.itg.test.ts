/**
 * Issue 15 §4: a gate that requires attestations (karoo.yml `attestations.require`) counts
 * evidence only with a signed test-result attestation that verifies. Real candidates in the real
 * registry (Debian's docker-registry on 127.0.0.1) and in an OCI layout, real Ed25519 / ECDSA
 * keys in PEM files named by karoo.yml, the real evidence and the real gate. Each attack is signed
 * or forged the way someone with push access to the store could.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  attest,
  attestationReferrer,
  pushAttestation,
  readBundles,
  signerFor,
  signStatement,
  type SigstoreBundle,
  TEST_RESULT,
  testResultStatement,
  type TestResultInput,
} from '@karoo/attest';
import { build } from '@karoo/build';
import { canonicalJson, type Digest, isKarooError, KarooError } from '@karoo/common';
import { type KarooConfig, parseConfig } from '@karoo/config';
import type { EvidenceRun } from '@karoo/evidence';
import { LayoutStore, openStore, type Store } from '@karoo/oci';
import { promote, type PromoteOptions, verifyCandidate } from '@karoo/promote';
import { configDigest, systemConfig } from '@karoo/deploy';
import { addEvidence, CAM_SYSTEM_YML, expectedSystemId } from '../../../test/support/evidence.js';
import { startRegistry, type RunningRegistry } from '../../../test/support/registry.js';
import { makeWheels } from '../../../test/support/wheels.js';

const REPO = 'acme/cam';
const WORKFLOW = '.github/workflows/karoo-candidate.yml';
const run = (over: Partial<EvidenceRun> = {}): EvidenceRun => ({
  repository: REPO,
  runId: '101',
  commit: 'a'.repeat(40),
  ref: 'refs/heads/main',
  workflow: `${REPO}/${WORKFLOW}@refs/heads/main`,
  runUrl: `https://github.com/${REPO}/actions/runs/101`,
  ...over,
});

let work: string;
let registry: RunningRegistry;
let n = 0;
/** The key karoo.yml trusts (Ed25519) and a second trusted one (ECDSA P-256); a key nobody trusts. */
let trusted: KeyObject;
let trustedEc: KeyObject;
let stranger: KeyObject;

const yml = (extra = '') => `${CAM_SYSTEM_YML}environments:
  - name: integration
  - name: qualification
attestations:
  require: true
  keys: [keys/release.pub, keys/release-ec.pub]
  identity: { repository: ${REPO}, workflow: ${WORKFLOW}, ref: refs/heads/main }
${extra}`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-attestations-'));
  registry = await startRegistry();
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  trusted = ed.privateKey;
  trustedEc = ec.privateKey;
  stranger = generateKeyPairSync('ed25519').privateKey;
  await writeFile(join(work, 'release.pub'), ed.publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(work, 'release-ec.pub'), ec.publicKey.export({ type: 'spki', format: 'pem' }));
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

interface Setup {
  readonly store: Store;
  readonly candidate: Digest;
  readonly config: KarooConfig;
}

/** A real candidate (built from real wheels) in a fresh layout or registry repository, and karoo.yml with keys/ beside it. */
async function setup(kind: 'layout' | 'registry' = 'layout', version = '1.0.0'): Promise<Setup> {
  const dir = join(work, `case-${n++}`);
  const store = kind === 'layout' ? new LayoutStore(join(dir, 'store')) : openStore(`${registry.host}/acme/cam-${n}`);
  const wheels = await makeWheels(join(dir, 'wheels'), [{ name: 'acme-cam', version, size: 1500 }]);
  const r = await build({ lock: wheels.lock(), store, system: 'cam' });
  await rm(join(dir, 'keys'), { recursive: true, force: true });
  const { mkdir, copyFile } = await import('node:fs/promises');
  await mkdir(join(dir, 'keys'));
  await copyFile(join(work, 'release.pub'), join(dir, 'keys', 'release.pub'));
  await copyFile(join(work, 'release-ec.pub'), join(dir, 'keys', 'release-ec.pub'));
  return { store, candidate: r.candidate, config: parseConfig(yml(), join(dir, 'karoo.yml')) };
}

/** What the acceptance run of `s` in integration would sign. */
async function resultInput(s: Setup, over: Partial<TestResultInput> = {}): Promise<TestResultInput> {
  const env = s.config.environments.find((e) => e.name === 'integration')!;
  return {
    candidate: { name: 'cam', digest: s.candidate },
    environment: 'integration',
    systemId: await expectedSystemId(s.config, s.candidate, 'integration'),
    configDigest: configDigest(await systemConfig(s.config, env.name)),
    result: 'passed',
    passedTests: ['test_cross_node_call'],
    run: run(),
    ...over,
  };
}

const base = (s: Setup): PromoteOptions => ({
  store: s.store,
  config: s.config,
  candidate: s.candidate,
  environment: 'qualification',
  actor: 'release-manager',
  serialized: true,
});

async function refusal(p: Promise<unknown>): Promise<KarooError> {
  try {
    await p;
  } catch (e) {
    if (isKarooError(e)) return e;
    throw e;
  }
  throw new Error('the promotion was not refused');
}

describe('a gate that requires attestations', () => {
  it.each([['layout' as const], ['registry' as const]])(
    'counts evidence with a signed test-result attestation (%s store)',
    async (kind) => {
      const s = await setup(kind);
      await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run() });
      // Evidence alone no longer counts.
      const alone = await refusal(promote(base(s)));
      expect(alone.kind).toBe('refused');
      expect(alone.message).toMatch(
        /attestations\.require is set, and no signed test-result attestation that verifies says system sha256:[0-9a-f]{64} passed in integration/,
      );

      const subject = await verifyCandidate(s.store, s.candidate);
      await attest(s.store, subject, testResultStatement(await resultInput(s)), signerFor(kind === 'layout' ? trusted : trustedEc));
      // The referrer is laid out as cosign and GitHub's attest action lay out theirs.
      const [stored] = (await readBundles(s.store, s.candidate)).bundles;
      expect(stored!.predicateType).toBe(TEST_RESULT);
      const r = await promote(base(s));
      expect(r.status).toBe('promoted');
      expect(r.passingEvidence).toEqual(['integration']);
    },
  );

  it('does not count a FAILED attestation as a pass', async () => {
    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run() });
    await attest(
      s.store,
      await verifyCandidate(s.store, s.candidate),
      testResultStatement(await resultInput(s, { result: 'failed' })),
      signerFor(trusted),
    );
    expect((await refusal(promote(base(s)))).kind).toBe('refused');
  });

  it('refuses a tampered envelope: a signed FAILED result turned into PASSED', async () => {
    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run() });
    const subject = await verifyCandidate(s.store, s.candidate);
    const signed = signStatement(testResultStatement(await resultInput(s, { result: 'failed' })), signerFor(trusted));
    const payload = JSON.parse(Buffer.from(signed.dsseEnvelope.payload, 'base64').toString('utf8'));
    payload.predicate.result = 'PASSED';
    const tampered: SigstoreBundle = {
      ...signed,
      dsseEnvelope: { ...signed.dsseEnvelope, payload: Buffer.from(canonicalJson(payload)).toString('base64') },
    };
    const pushed = await pushAttestation(s.store, attestationReferrer(subject, tampered, TEST_RESULT));
    const e = await refusal(promote(base(s)));
    expect(e.message).toContain(
      `attestation ${pushed.digest}: the signature does not verify: the envelope was changed after it was signed`,
    );
  });

  it('refuses an attestation signed by a key karoo.yml does not name', async () => {
    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run() });
    await attest(s.store, await verifyCandidate(s.store, s.candidate), testResultStatement(await resultInput(s)), signerFor(stranger));
    const e = await refusal(promote(base(s)));
    expect(e.message).toMatch(
      /attestation sha256:[0-9a-f]{64}: signed by key [0-9a-f]{64}, which is none of the trusted keys \([0-9a-f]{16}… from .*keys\/release\.pub/,
    );
  });

  it('refuses a statement about another candidate attached to this one', async () => {
    const s = await setup();
    const other = await setup('layout', '2.0.0');
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run() });
    // A real, correctly signed PASSED result of the other candidate, re-attached here.
    const signed = signStatement(
      testResultStatement(await resultInput(s, { candidate: { name: 'cam', digest: other.candidate } })),
      signerFor(trusted),
    );
    await pushAttestation(s.store, attestationReferrer(await verifyCandidate(s.store, s.candidate), signed, TEST_RESULT));
    const e = await refusal(promote(base(s)));
    expect(e.message).toContain(`not candidate ${s.candidate}: a statement about another candidate`);
  });

  it.each([
    [
      'another workflow',
      run({ workflow: `${REPO}/.github/workflows/anything.yml@refs/heads/main` }),
      /not by the workflow karoo\.yml attestations\.identity allows \(workflow \.github\/workflows\/karoo-candidate\.yml\)/,
    ],
    [
      'another repository',
      run({ workflow: `mallory/cam/${WORKFLOW}@refs/heads/main` }),
      /not by the workflow karoo\.yml attestations\.identity allows \(repository acme\/cam\)/,
    ],
    [
      'another ref',
      run({ workflow: `${REPO}/${WORKFLOW}@refs/heads/feature` }),
      /not by the workflow karoo\.yml attestations\.identity allows \(ref refs\/heads\/main\)/,
    ],
    [
      'no workflow at all (signed outside Actions)',
      undefined,
      /it names no workflow identity, and karoo\.yml attestations\.identity requires one/,
    ],
  ])('refuses a statement from the wrong workflow identity: %s', async (_what, r, reason) => {
    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run() });
    await attest(
      s.store,
      await verifyCandidate(s.store, s.candidate),
      testResultStatement(await resultInput(s, { run: r })),
      signerFor(trusted),
    );
    const e = await refusal(promote(base(s)));
    expect(e.message).toMatch(reason);
  });

  it('without identity, a keyed attestation made outside Actions counts', async () => {
    const s = await setup();
    const config = parseConfig(
      `${CAM_SYSTEM_YML}environments:\n  - name: integration\n  - name: qualification\nattestations:\n  require: true\n  keys: [keys/release.pub]\n`,
      s.config.path,
    );
    const t = { ...s, config };
    await addEvidence(s.store, s.candidate, { environment: 'integration', config, run: undefined });
    await attest(
      s.store,
      await verifyCandidate(s.store, s.candidate),
      testResultStatement(await resultInput(t, { run: undefined })),
      signerFor(trusted),
    );
    expect((await promote(base(t))).status).toBe('promoted');
  });

  it('a malformed bundle referrer blocks nothing and counts for nothing', async () => {
    const s = await setup();
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run() });
    const subject = await verifyCandidate(s.store, s.candidate);
    await pushAttestation(s.store, attestationReferrer(subject, new TextEncoder().encode('{"mediaType":"not a bundle"'), TEST_RESULT));
    await attest(s.store, subject, testResultStatement(await resultInput(s)), signerFor(trusted));
    const warnings: string[] = [];
    const r = await promote({ ...base(s), progress: { info: () => undefined, warn: (m: string) => warnings.push(m) } as never });
    expect(r.status).toBe('promoted');
    expect(warnings.join('\n')).toMatch(
      /attestation sha256:[0-9a-f]{64} does not count: attestation sha256:[0-9a-f]{64}: the bundle is not JSON/,
    );
  });
});

describe('karoo.yml attestations', () => {
  it('require: true without keys is refused, naming the key', () => {
    expect(() => parseConfig(`${CAM_SYSTEM_YML}attestations: { require: true }\n`, join(work, 'karoo.yml'))).toThrow(
      /attestations.*keys.*require: true needs at least one public key file/s,
    );
  });
  it('a private key among keys is refused, and the key paths are relative to karoo.yml', async () => {
    const s = await setup();
    await writeFile(join(s.config.dir, 'keys', 'release.pub'), trusted.export({ type: 'pkcs8', format: 'pem' }));
    expect(s.config.attestations!.keys[0]).toBe(join(s.config.dir, 'keys', 'release.pub'));
    await addEvidence(s.store, s.candidate, { environment: 'integration', config: s.config, run: run() });
    const e = await refusal(promote(base(s)));
    expect(e.kind).toBe('input');
    expect(e.message).toMatch(/attestation key .*keys\/release\.pub holds a private key; attestations\.keys names public keys/);
  });
});
