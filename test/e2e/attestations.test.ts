/**
 * Issue 15 §4, end to end through the built CLI: `karoo build --attest-key` signs the SLSA
 * provenance, `karoo accept` signs the test result with karoo.yml `attestations.signing-key`,
 * and `karoo promote` — with karoo.yml `attestations.require` — lets in the candidate whose
 * result a trusted key signed and refuses one whose result was signed by another key. Real
 * wheels, an OCI layout, a real acceptance command writing JUnit, Ed25519 and ECDSA P-256 keys
 * in PEM files. And the bundled build action (dist/build) with its `attest-key` input.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  loadVerificationKey,
  readBundles,
  SLSA_PROVENANCE,
  type Statement,
  statementProblem,
  TEST_RESULT,
  verifyBundle,
} from '@karoo/attest';
import type { Digest } from '@karoo/common';
import { writePylock } from '@karoo/lock';
import { LayoutStore } from '@karoo/oci';
import { runBundle } from '../support/bundle.js';
import { json, karoo, ROOT } from '../support/cli.js';
import { CAM_SYSTEM_YML } from '../support/evidence.js';
import { makeWheels } from '../support/wheels.js';

let work: string;
const JUNIT = `<testsuite name="acceptance" tests="2" failures="0"><testcase classname="cam" name="test_ping"/><testcase classname="cam" name="test_cross_node_call"></testcase></testsuite>`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'karoo-attest-e2e-'));
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await writeFile(join(work, 'build.key'), ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(join(work, 'build.pub'), ec.publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(work, 'release.key'), ed.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(join(work, 'release.pub'), ed.publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(work, 'stranger.key'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const writeJunit = `require('fs').writeFileSync('junit.xml', ${JSON.stringify(JUNIT)})`;
  await writeFile(
    join(work, 'karoo.yml'),
    `${CAM_SYSTEM_YML}environments:
  - name: integration
  - name: qualification
acceptance:
  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(writeJunit)}]
  junit: junit.xml
attestations:
  require: true
  keys: [release.pub, build.pub]
  signing-key: release.key
`,
  );
  await writeFile(
    join(work, 'inventory.json'),
    JSON.stringify({
      version: 1,
      environmentId: 'env-e2e',
      provider: 'static',
      nodes: [{ name: 'cam-1', role: 'cam', address: '127.0.0.1', ssh: { host: '127.0.0.1' }, provider: 'static' }],
    }),
  );
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const store = () => `oci-layout:${join(work, 'store')}`;

async function buildCandidate(version: string): Promise<{ candidate: Digest; attestation?: Digest }> {
  const wheels = await makeWheels(join(work, `w-${version}`), [{ name: 'acme-cam', version, size: 2000 }]);
  const lock = join(work, `pylock-${version}.toml`);
  await writeFile(lock, writePylock(wheels.lock()));
  const r = await karoo(
    ['build', '--lock', lock, '--config', join(work, 'karoo.yml'), '--store', store(), '--attest-key', join(work, 'build.key'), '--json'],
    { cwd: work },
  );
  return json(r) as { candidate: Digest; attestation?: Digest };
}

async function acceptRun(candidate: Digest, extra: string[] = []) {
  const r = await karoo(
    [
      'accept',
      '--inventory',
      'inventory.json',
      '--candidate',
      candidate,
      '--environment',
      'integration',
      '--store',
      store(),
      '--out',
      join(work, `out-${candidate.slice(7, 15)}`),
      '--quiet',
      '--json',
      ...extra,
    ],
    { cwd: work },
  );
  return json(r) as { result: string; evidence?: Digest; attestation?: Digest };
}

describe('signed attestations through the CLI', () => {
  it('build signs SLSA provenance, accept signs the test result, and the gate that requires them promotes', async () => {
    const built = await buildCandidate('1.0.0');
    expect(built.attestation).toMatch(/^sha256:[0-9a-f]{64}$/);
    const layout = new LayoutStore(join(work, 'store'));
    const keys = [await loadVerificationKey(join(work, 'release.pub')), await loadVerificationKey(join(work, 'build.pub'))];

    // The provenance verifies with the build key and says what the candidate was built from.
    const prov = (await readBundles(layout, built.candidate)).bundles.find((b) => b.predicateType === SLSA_PROVENANCE)!;
    const v = verifyBundle(prov, built.candidate, { keys });
    expect(v.keyid).toBe(keys[1]!.keyid);
    expect(statementProblem(v.statement)).toBeUndefined();
    const pred = v.statement.predicate as {
      buildDefinition: { resolvedDependencies: Array<{ name: string; digest: { sha256: string } }> };
    };
    expect(pred.buildDefinition.resolvedDependencies.map((d) => d.name)).toEqual(['acme_cam-1.0.0-py3-none-any.whl']);

    const a = await acceptRun(built.candidate);
    expect(a.result).toBe('passed');
    expect(a.attestation).toMatch(/^sha256:[0-9a-f]{64}$/);
    const tr = (await readBundles(layout, built.candidate)).bundles.find((b) => b.digest === a.attestation)!;
    expect(tr.predicateType).toBe(TEST_RESULT);
    const statement = verifyBundle(tr, built.candidate, { keys }).statement as Statement<{ result: string; passedTests: string[] }>;
    expect(statement.predicate.result).toBe('PASSED');
    expect(statement.predicate.passedTests).toEqual(['cam.test_cross_node_call', 'cam.test_ping']);

    const p = await karoo(
      ['promote', built.candidate, '--to', 'qualification', '--store', store(), '--config', join(work, 'karoo.yml'), '--json'],
      { cwd: work },
    );
    expect(p.code).toBe(0);
    expect(json(p).status).toBe('promoted');

    // karoo attestations lists both, each verified with the keys karoo.yml names.
    const l = await karoo(['attestations', built.candidate, '--store', store(), '--config', join(work, 'karoo.yml'), '--json'], {
      cwd: work,
    });
    const list = (json(l) as unknown as Array<Record<string, unknown>>).map((a) => [
      a.predicateType,
      a.signing,
      a.verified,
      a.result ?? null,
      a.environment ?? null,
    ]);
    expect(list.sort()).toEqual(
      [
        [SLSA_PROVENANCE, 'keyed', true, null, null],
        [TEST_RESULT, 'keyed', true, 'PASSED', 'integration'],
      ].sort(),
    );
  });

  it('refuses a candidate whose result was signed by a key karoo.yml does not trust (exit 6, one line naming it)', async () => {
    const built = await buildCandidate('2.0.0');
    const a = await acceptRun(built.candidate, ['--attest-key', join(work, 'stranger.key')]);
    expect(a.attestation).toBeDefined();
    const p = await karoo(['promote', built.candidate, '--to', 'qualification', '--store', store(), '--config', join(work, 'karoo.yml')], {
      cwd: work,
    });
    expect(p.code).toBe(6);
    expect(p.stderr).toContain(`attestation ${a.attestation}: signed by key`);
    expect(p.stderr).toMatch(/which is none of the trusted keys/);
    const l = json(
      await karoo(['attestations', built.candidate, '--store', store(), '--config', join(work, 'karoo.yml'), '--json'], { cwd: work }),
    ) as unknown as Array<{ digest: string; verified: boolean; reason?: string }>;
    expect(l.find((x) => x.digest === a.attestation)).toMatchObject({
      verified: false,
      reason: expect.stringMatching(/none of the trusted keys/),
    });
  });

  it('a signing key that is not a key is an input error naming the file (exit 2)', async () => {
    await writeFile(join(work, 'not-a-key.pem'), 'hello');
    const r = await karoo(
      [
        'build',
        '--lock',
        join(work, 'pylock-1.0.0.toml'),
        '--system',
        'cam',
        '--store',
        store(),
        '--attest-key',
        join(work, 'not-a-key.pem'),
      ],
      { cwd: work },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/attestation signing key .*not-a-key\.pem is not an unencrypted PEM private key/);
  });

  it('the build action signs with its attest-key input, and names the attestation in its outputs and summary', async () => {
    const wheels = await makeWheels(join(work, 'w-3.0.0'), [{ name: 'acme-cam', version: '3.0.0', size: 2000 }]);
    const lock = join(work, 'pylock-3.0.0.toml');
    await writeFile(lock, writePylock(wheels.lock()));
    const r = await runBundle(join(ROOT, 'dist/build/index.js'), {
      cwd: work,
      inputs: {
        lock,
        config: join(work, 'karoo.yml'),
        store: store(),
        'attest-key': join(work, 'build.key'),
        cache: 'false',
        provenance: 'true',
      },
    });
    expect(r.code).toBe(0);
    expect(r.outputs.attestation).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.summary).toContain(r.outputs.attestation);
    const layout = new LayoutStore(join(work, 'store'));
    const keys = [await loadVerificationKey(join(work, 'build.pub'))];
    const b = (await readBundles(layout, r.outputs.candidate!)).bundles.find((x) => x.digest === r.outputs.attestation)!;
    expect(verifyBundle(b, r.outputs.candidate as Digest, { keys }).statement.predicateType).toBe(SLSA_PROVENANCE);
  });
});
