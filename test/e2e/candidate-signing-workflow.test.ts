/**
 * Signing in the workflows (issue 15 §4) through the reusable candidate.yml, run by the workflow
 * runner for a consumer's pull request (karoo at v1, its steps reached as `$/actions/<step>`):
 * `attest: key` with the ATTEST_KEY secret reaches the build step, which signs the SLSA
 * provenance; the signed attestation referrer is in the store afterwards and verifies with the
 * public key of karoo.yml, and the pull request comment says the provenance is signed with that
 * key and verified. The private key is in no log, output, summary or comment. `attest: keyless`
 * reaches the build step too, which asks for the job's OIDC token; Sigstore cannot be reached
 * from here and the runner has no OIDC endpoint, so the run fails there, naming it (the signing
 * up to @actions/attest's requests is test/e2e/attest-keyless.test.ts). `attest: key` without
 * the secret, and an unknown `attest`, fail the build step with one line (exit 2) before anything
 * is built. The workflow has no step of its own for the key: the build step gets `attest` and
 * the key's text as `attest-key` and keeps it in memory, so no file anywhere under the runner's
 * directories or the test's holds the key after the runs. Acceptance is off (no machines):
 * accept gets the same two inputs (see candidate.yml).
 * Needs `npx tsc -b && node scripts/bundle.mjs resolve build promote report`.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectAttestations, keyIdOf, SLSA_PROVENANCE, verificationKeyFor } from '@karoo/attest';
import { buildWheel, type IndexServer, serveIndex, wheelFile, writeIndex } from '@karoo/example';
import { startGitHubStandin, type GitHubStandin } from '@karoo/github-standin';
import { LayoutStore } from '@karoo/oci';
import { ROOT } from '../support/cli.js';
import { createRepo, events, WorkflowRunner, type RunResult } from '../support/workflow-runner/index.js';
import { repoFiles } from '../support/workflows.js';

const OWNER = 'karoo-dev';
const REPO = 'acme/cam';
const WORKFLOW = '.github/workflows/candidate.yml';
const STEPS = ['candidate', 'promote', 'report'];
let work: string;
let index: IndexServer;
let standin: GitHubStandin;
let runner: WorkflowRunner;
let app: ReturnType<typeof createRepo>;
let karooRepo: ReturnType<typeof createRepo>;
let storeDir: string;
const key = generateKeyPairSync('ed25519');
const PRIVATE_PEM = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const KEY_BODY = PRIVATE_PEM.split('\n')[1]!;
const results: RunResult[] = [];
let pr = 10;

beforeAll(async () => {
  for (const s of STEPS)
    if (!existsSync(join(ROOT, 'dist', s, 'index.js')))
      throw new Error(`dist/${s} is missing: run npx tsc -b && node scripts/bundle.mjs ${STEPS.join(' ')}`);
  work = await mkdtemp(join(tmpdir(), 'karoo-candidate-signing-wf-'));
  await writeIndex(join(work, 'index'), [
    {
      name: 'acme-cam',
      files: [wheelFile(buildWheel({ name: 'acme-cam', version: '1.0.0', files: { 'acme_cam/__init__.py': 'X = 1\n' } }))],
    },
  ]);
  index = await serveIndex(join(work, 'index'));
  storeDir = join(work, 'store');
  karooRepo = createRepo({
    parent: work,
    files: repoFiles(
      WORKFLOW,
      ...['candidate', 'promote', 'report', 'provision', 'deploy', 'accept'].map((s) => `actions/${s}/action.yml`),
      ...STEPS.map((s) => `dist/${s}`),
    ),
  });
  karooRepo.tag('v1');
  app = createRepo({
    parent: work,
    files: {
      'karoo.yml': `system: cam
leaves: [acme-cam]
indexes:
  - name: private
    url: ${index.urlFor('simple/')}
target:
  python: "3.11"
  platforms: [manylinux_2_28_x86_64]
store: oci-layout:${storeDir}
environments:
  - name: integration
attestations:
  keys: [keys/karoo.pub]
`,
      'keys/karoo.pub': key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      '.github/workflows/karoo-candidate.yml': `name: candidate
on: pull_request
permissions: {}
jobs:
  candidate:
    uses: ${OWNER}/karoo/${WORKFLOW}@v1
    permissions:
      contents: read
      actions: read
      packages: write
      pull-requests: write
      id-token: write
      attestations: write
    with:
      acceptance: false
      cache: false
      attest: \${{ vars.KAROO_ATTEST }}
    secrets:
      ATTEST_KEY: \${{ secrets.ATTEST_KEY }}
`,
    },
  });
  standin = await startGitHubStandin();
  standin.addRepo(REPO, { branches: { main: app.head() } });
  // The runner's directories (workspaces, RUNNER_TEMP, actions) inside `work`: the last test reads every file there.
  await mkdir(join(work, 'runner'));
  runner = new WorkflowRunner({ github: standin, workdir: join(work, 'runner') });
}, 120_000);

afterAll(async () => {
  await runner?.close();
  await standin?.close();
  await index?.close();
  await rm(work, { recursive: true, force: true });
}, 60_000);

async function pullRequest(attest: string, secrets: Record<string, string>): Promise<{ r: RunResult; number: number }> {
  const number = ++pr;
  standin.addPullRequest(REPO, { number, headSha: app.head() });
  const r = await runner.run({
    repo: app.dir,
    repository: REPO,
    workflow: '.github/workflows/karoo-candidate.yml',
    event: 'pull_request',
    payload: events.pullRequest({ repository: REPO, number, headSha: app.head(), baseSha: app.head() }),
    secrets,
    vars: { KAROO_ATTEST: attest },
    repos: { [`${OWNER}/karoo`]: karooRepo.dir },
  });
  results.push(r);
  return { r, number };
}

/** karoo's candidate step (resolve, build, and the look for evidence) in the build job. */
const buildStep = (r: RunResult) => r.jobs['candidate/build']!.steps.find((s) => s.id === 'candidate')!;

it('attest: key signs the provenance with ATTEST_KEY: the signed referrer is in the store, verifies with karoo.yml keys, and the comment says so', async () => {
  const { r, number } = await pullRequest('key', { ATTEST_KEY: PRIVATE_PEM });
  if (r.conclusion !== 'success') process.stderr.write(`${r.log.slice(-6000)}\n`);
  expect(r.conclusion).toBe('success');
  const build = buildStep(r);
  const candidate = build.outputs.candidate!;
  expect(build.outputs.attestation).toMatch(/^sha256:[0-9a-f]{64}$/);
  const atts = await inspectAttestations(new LayoutStore(storeDir), candidate, { keys: [verificationKeyFor(key.publicKey, 'karoo.pub')] });
  expect(atts).toEqual([
    expect.objectContaining({
      digest: build.outputs.attestation,
      predicateType: SLSA_PROVENANCE,
      signing: 'keyed',
      verified: true,
      keyid: keyIdOf(key.publicKey),
    }),
  ]);
  const [comment] = standin.comments(REPO, number);
  expect(comment!.body).toContain(`| **Provenance** | ✅ signed with key \`${keyIdOf(key.publicKey).slice(0, 16)}…\`, verified |`);
}, 300_000);

it('attest: keyless reaches the build step, which asks for the OIDC token (none here: no Sigstore from this machine)', async () => {
  const { r } = await pullRequest('keyless', {});
  expect(r.conclusion).toBe('failure');
  const build = buildStep(r);
  expect(build.outcome).toBe('failure');
  expect(build.annotations.map((a) => a.message)).toContainEqual(expect.stringMatching(/^keyless attestations need the job's OIDC token/));
}, 300_000);

it('attest: key without the secret, or an unknown attest, fails the build step with one line (exit 2) before anything is built', async () => {
  for (const [attest, message] of [
    [
      'key',
      'attest: key needs a PEM private key in input "attest-key" (candidate.yml passes the ATTEST_KEY secret); pass it, or use attest: keyless or none',
    ],
    ['always', 'input "attest" is "always"; allowed values: none, keyless, key'],
  ] as const) {
    const { r } = await pullRequest(attest, {});
    expect(r.conclusion).toBe('failure');
    const steps = r.jobs['candidate/build']!.steps;
    expect(steps.map((s) => s.id)).not.toContain('signing');
    const build = steps.find((s) => s.id === 'candidate')!;
    expect(build.outcome).toBe('failure');
    expect(build.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([message]);
    expect(build.log).toContain('##[debug]Node Action run completed with exit code 2');
    // Refused while reading its inputs: no candidate was computed, nothing was built.
    expect(build.log).not.toMatch(/candidate sha256:/);
    expect(build.outputs.candidate).toBeUndefined();
  }
}, 300_000);

/** Every regular file under `dir` (symbolic links not followed). */
async function* files(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

it('the private key is in no log, output, summary or comment, nothing had to be masked, and no file holds it afterwards', async () => {
  expect(results.length).toBe(4);
  for (const r of results) {
    for (const j of Object.values(r.jobs))
      expect(JSON.stringify([r.log, j.outputs, j.summary, j.steps.map((s) => [s.outputs, s.log])])).not.toContain(KEY_BODY);
    // Not printed and masked, but never printed: the masker had nothing of the key to hide.
    expect(r.masked.filter((m) => m.includes(KEY_BODY))).toEqual([]);
  }
  for (let n = 11; n <= pr; n++) for (const c of standin.comments(REPO, n)) expect(c.body).not.toContain(KEY_BODY);
  // The runner's workspaces, RUNNER_TEMP, actions and artifacts, the store and the repositories.
  const der = Buffer.from(PRIVATE_PEM.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const holding: string[] = [];
  let read = 0;
  for await (const f of files(work)) {
    const bytes = await readFile(f);
    read++;
    if (bytes.includes(KEY_BODY) || bytes.includes(der)) holding.push(f);
  }
  expect(read).toBeGreaterThan(100);
  expect(holding).toEqual([]);
}, 120_000);
