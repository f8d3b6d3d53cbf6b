import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attestationReferrer,
  IN_TOTO_PAYLOAD_TYPE,
  keyIdOf,
  pushAttestation,
  signerFor,
  signStatement,
  SIGSTORE_BUNDLE,
  testResultStatement,
} from '@karoo/attest';
import { build } from '@karoo/build';
import { type Digest, sha256Of } from '@karoo/common';
import { parseConfig } from '@karoo/config';
import { LayoutStore } from '@karoo/oci';
import { keylessBundle, makeCa, makeTsa, trustedRootJson } from '../support/sigstore-ca.js';
import { makeWheels } from '../support/wheels.js';
import { candidateAttestations } from '../../actions/report/src/attestations.js';

// The report's signature lines from a real OCI layout: a provenance signed by build with the
// trusted key, a test result signed by a stranger's key, and a keyless bundle (a Sigstore
// certificate karoo cannot check with keys), each read back and verified by @karoo/attest.
let dir: string;
let store: LayoutStore;
let candidate: Digest;
const trusted = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const WORKFLOW = 'https://github.com/acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'karoo-report-attest-'));
  store = new LayoutStore(join(dir, 'store'));
  const wheels = await makeWheels(join(dir, 'wheels'), [{ name: 'acme-cam', version: '1.0.0', size: 900 }]);
  const built = await build({ lock: wheels.lock(), store, system: 'cam', attest: signerFor(trusted.privateKey) });
  candidate = built.candidate;
  const descriptor = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: candidate,
    size: (await store.getManifest(candidate)).bytes.length,
  };
  const result = (environment: string) =>
    testResultStatement({
      candidate: { name: 'cam', digest: candidate },
      environment,
      systemId: sha256Of(environment),
      configDigest: sha256Of('config'),
      result: 'passed',
      run: {
        workflow: 'acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main',
        runUrl: 'https://github.com/acme/cam/actions/runs/1',
      } as never,
    });
  await pushAttestation(
    store,
    attestationReferrer(
      descriptor,
      signStatement(result('integration'), signerFor(stranger.privateKey)),
      'https://in-toto.io/attestation/test-result/v0.1',
    ),
  );
  const keyless = {
    mediaType: SIGSTORE_BUNDLE,
    verificationMaterial: { certificate: { rawBytes: Buffer.from('not a real certificate').toString('base64') }, tlogEntries: [] },
    dsseEnvelope: {
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      payload: Buffer.from(JSON.stringify(result('qualification'))).toString('base64'),
      signatures: [{ keyid: '', sig: 'c2ln' }],
    },
  };
  await pushAttestation(store, attestationReferrer(descriptor, keyless as never, 'https://in-toto.io/attestation/test-result/v0.1'));
  await writeFile(join(dir, 'trusted.pub'), trusted.publicKey.export({ type: 'spki', format: 'pem' }));
  // A keyless bundle that is real: a leaf certificate with Fulcio's workflow extensions from a test CA, timestamped.
  const ca = makeCa(join(dir, 'ca'), 'fulcio');
  const tsa = makeTsa(ca);
  await writeFile(join(dir, 'trusted_root.json'), JSON.stringify(trustedRootJson(ca, tsa)));
  const leaf = ca.issue({
    identity: {
      server: 'https://github.com',
      repository: 'acme/cam',
      workflow: '.github/workflows/karoo-candidate.yml',
      ref: 'refs/heads/main',
      issuer: 'https://token.actions.githubusercontent.com',
    },
  });
  await pushAttestation(
    store,
    attestationReferrer(
      descriptor,
      keylessBundle(Buffer.from(JSON.stringify(result('production'))), leaf, tsa) as never,
      'https://in-toto.io/attestation/test-result/v0.1',
    ),
  );
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('names for each attestation its kind, how and by whom it is signed, and whether it verified with karoo.yml attestations.keys', async () => {
  const config = parseConfig(
    `system: cam\nleaves: [acme-cam]\nindexes: [{ url: ./index }]\nattestations:\n  keys: [trusted.pub]\n`,
    join(dir, 'karoo.yml'),
  );
  const atts = await candidateAttestations(store, candidate, config);
  const view = atts.map((a) => ({ kind: a.kind, signing: a.signing, signer: a.signer, verified: a.verified, checked: a.checked }));
  const who = WORKFLOW.replace('https://github.com/', '');
  expect(view).toHaveLength(4);
  expect(view).toEqual(
    expect.arrayContaining([
      { kind: 'provenance', signing: 'key', signer: keyIdOf(trusted.publicKey), verified: true, checked: undefined },
      { kind: 'test-result', signing: 'key', signer: keyIdOf(stranger.publicKey), verified: false, checked: undefined },
      // No attestations.trusted-root: keyless bundles cannot be checked here, the real one and the forged one alike.
      { kind: 'test-result', signing: 'keyless', signer: who, verified: false, checked: false },
      { kind: 'test-result', signing: 'keyless', signer: who, verified: false, checked: false },
    ]),
  );
  expect(atts.find((a) => a.signing === 'key' && !a.verified)!.reason).toMatch(/./);

  // Without any trusted key nothing verifies, but who signed is still shown.
  const none = await candidateAttestations(
    store,
    candidate,
    parseConfig('system: cam\nleaves: [acme-cam]\nindexes: [{ url: ./index }]\n', join(dir, 'karoo.yml')),
  );
  expect(none.map((a) => [a.kind, a.signing, a.verified]).sort()).toEqual([
    ['provenance', 'key', false],
    ['test-result', 'key', false],
    ['test-result', 'keyless', false],
    ['test-result', 'keyless', false],
  ]);
});

it('with attestations.trusted-root, a keyless bundle from the trusted CA verifies and one with a made-up certificate does not', async () => {
  const config = parseConfig(
    `system: cam\nleaves: [acme-cam]\nindexes: [{ url: ./index }]\nattestations:\n  keys: [trusted.pub]\n  trusted-root: trusted_root.json\n  identity: { repository: acme/cam, workflow: .github/workflows/karoo-candidate.yml, ref: refs/heads/main }\n`,
    join(dir, 'karoo.yml'),
  );
  const keyless = (await candidateAttestations(store, candidate, config)).filter((a) => a.signing === 'keyless');
  expect(keyless.map((a) => [a.verified, a.checked, a.environment]).sort()).toEqual([
    [false, undefined, undefined],
    [true, undefined, 'production'],
  ]);
  expect(keyless.find((a) => !a.verified)!.reason).toMatch(/./);
});
