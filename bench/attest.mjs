// Attestation benchmarks (issue 15 §4), in one run:
//  1. the SLSA provenance statement of a candidate with N locked files: its canonical size, and
//     the time to build + serialise it;
//  2. signing a statement (DSSE over canonical JSON) with Ed25519 and with ECDSA P-256, and
//     verifying the bundle (signature, statement checks, subject);
//  3. what a promotion pays under attestations.require: verifiedTestResults over K test-result
//     attestations attached to a candidate in an OCI layout (read, byte-check, verify).
// Usage: npx tsc -b && node bench/attest.mjs [--files N] [--attestations K] [--iterations I]
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  attest,
  provenanceStatement,
  signerFor,
  signStatement,
  statementBytes,
  testResultStatement,
  verificationKeyFor,
  verifiedTestResults,
  verifyBundle,
} from '@karoo/attest';
import { canonicalJson, sha256Of } from '@karoo/common';
import { EMPTY_CONFIG, OCI } from '@karoo/candidate';
import { bufferSource, LayoutStore } from '@karoo/oci';

const arg = (name, dflt) => Number(process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const nFiles = arg('--files', 200);
const nAtt = arg('--attestations', 50);
const iterations = arg('--iterations', 200);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn, n = iterations) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    out.push(performance.now() - t);
  }
  return median(out);
}
async function timeAsync(fn, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return median(out);
}

const candidate = { name: 'cam', digest: sha256Of('candidate') };
const files = Array.from({ length: nFiles }, (_, i) => ({
  name: `pkg${i}-1.0.${i}-py3-none-any.whl`,
  url: `https://index.example/packages/pkg${i}-1.0.${i}-py3-none-any.whl`,
  sha256: sha256Of(`file ${i}`).slice(7),
  package: `pkg${i}==1.0.${i}`,
}));
const run = {
  repository: 'acme/cam',
  commit: 'a'.repeat(40),
  workflow: 'acme/cam/.github/workflows/karoo-candidate.yml@refs/heads/main',
  runId: '1',
  runUrl: 'https://github.com/acme/cam/actions/runs/1',
};
const provInput = {
  candidate,
  lockDigest: sha256Of('lock'),
  system: 'cam',
  files,
  builder: 'karoo 0.1.0',
  builtAt: '2026-01-01T00:00:00Z',
  run,
};

const stmt = provenanceStatement(provInput);
const bytes = statementBytes(stmt);
console.log(
  `provenance statement, ${nFiles} files: ${bytes.length} bytes canonical; build + serialise median ${time(() => statementBytes(provenanceStatement(provInput))).toFixed(3)} ms`,
);

for (const [name, pair] of [
  ['Ed25519', generateKeyPairSync('ed25519')],
  ['ECDSA P-256', generateKeyPairSync('ec', { namedCurve: 'prime256v1' })],
]) {
  const signer = signerFor(pair.privateKey);
  const key = verificationKeyFor(pair.publicKey, 'bench');
  const signMs = time(() => signStatement(stmt, signer));
  const bundle = JSON.parse(canonicalJson(signStatement(stmt, signer)));
  const verifyMs = time(() => verifyBundle({ digest: sha256Of('x'), bundle }, candidate.digest, { keys: [key] }));
  console.log(
    `${name}: sign median ${signMs.toFixed(3)} ms, verify (signature + statement + subject) median ${verifyMs.toFixed(3)} ms, bundle ${canonicalJson(bundle).length} bytes`,
  );
}

// A candidate in an OCI layout with K signed test results; what verifiedTestResults costs.
const work = mkdtempSync(join(tmpdir(), 'karoo-bench-attest-'));
try {
  const store = new LayoutStore(join(work, 'store'));
  const manifest = Buffer.from(
    canonicalJson({
      schemaVersion: 2,
      mediaType: OCI.imageManifest,
      artifactType: 'application/vnd.karoo.candidate.v1',
      config: EMPTY_CONFIG.descriptor,
      layers: [],
    }),
  );
  await store.putBlob(EMPTY_CONFIG.descriptor, bufferSource(EMPTY_CONFIG.bytes));
  await store.putManifest(manifest, OCI.imageManifest);
  const subject = { mediaType: OCI.imageManifest, digest: sha256Of(manifest), size: manifest.length };
  const pair = generateKeyPairSync('ed25519');
  const signer = signerFor(pair.privateKey);
  for (let i = 0; i < nAtt; i++) {
    const s = testResultStatement({
      candidate: { name: 'cam', digest: subject.digest },
      environment: `env${i % 3}`,
      systemId: sha256Of(`system ${i}`),
      configDigest: sha256Of(`config ${i}`),
      result: 'passed',
      passedTests: [`test_${i}`],
      run,
    });
    await attest(store, subject, s, signer, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString());
  }
  const keys = [verificationKeyFor(pair.publicKey, 'bench')];
  let count = 0;
  const ms = await timeAsync(async () => {
    count = (await verifiedTestResults(store, subject.digest, { keys })).results.length;
  }, 7);
  console.log(
    `verifiedTestResults over ${nAtt} attestations in an OCI layout: median ${ms.toFixed(1)} ms (${(ms / nAtt).toFixed(2)} ms each; ${count} verified)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
