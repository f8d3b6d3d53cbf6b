import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { type Digest, KarooError, parseDigest, type Progress, sha256Of, silentProgress } from '@karoo/common';
import type { AttestSigner } from '@karoo/attest';
import type { KarooConfig } from '@karoo/config';
import { ANNOTATIONS, KAROO, parseManifest } from '@karoo/candidate';
import { countJunit, type EvidenceCounts, evidenceFor, type EvidenceRun, formatCounts, pushEvidence } from '@karoo/evidence';
import { type Inventory, type InventoryNode, sshPort, sshUser } from '@karoo/machines';
import type { Store } from '@karoo/oci';
import { countsFromOutput, Tail } from './counts.js';
import { matchInventory } from './deploy.js';
import { SshPool } from './ssh.js';
import { configDigest, type SystemConfig, systemConfig, systemIdOf } from './system.js';

export interface AcceptOptions {
  readonly config: KarooConfig;
  readonly environment?: string | undefined;
  readonly inventory: Inventory;
  readonly store: Store;
  readonly candidate: Digest | string;
  /** Where the acceptance inventory, values and lock are written. */
  readonly outDir: string;
  /** Overrides acceptance.timeout. */
  readonly timeoutSeconds?: number | undefined;
  /** Push evidence to the store (default true). */
  readonly evidence?: boolean | undefined;
  readonly run?: EvidenceRun | undefined;
  readonly progress?: Progress | undefined;
  /** Where the command's output goes (default: this process's stderr). */
  readonly output?: NodeJS.WritableStream | undefined;
  readonly pool?: SshPool | undefined;
  /** Recorded in the evidence when a deploy failed before the tests could run. */
  readonly failedBefore?: string | undefined;
  /**
   * Signs the run's result: with the evidence, a test-result attestation (in-toto statement in a
   * DSSE envelope, Sigstore bundle referrer; @karoo/attest) that a gate requiring attestations counts.
   */
  readonly attest?: AttestSigner | undefined;
}

export interface AcceptResult {
  readonly result: 'passed' | 'failed';
  readonly counts: EvidenceCounts;
  readonly durationMs: number;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly reason?: string | undefined;
  readonly systemId: Digest;
  readonly candidate: Digest;
  readonly configDigest: Digest;
  readonly environment: string;
  /** The JSON file given to the tests (KAROO_INVENTORY). */
  readonly inventoryFile: string;
  readonly junitFile?: string | undefined;
  /** Digest of the evidence artifact pushed to the store. */
  readonly evidence?: Digest | undefined;
  /** Digest of the signed test-result attestation pushed with it (when a signing key was given). */
  readonly attestation?: Digest | undefined;
  readonly failures: Array<{ test: string; message?: string }>;
}

/** What the acceptance tests read ($KAROO_INVENTORY): the inventory plus what runs where and how the runner reaches it. */
export interface AcceptanceInventory {
  readonly version: 1;
  readonly environmentId: string;
  readonly environment: string;
  readonly system: string;
  readonly systemId: Digest;
  readonly candidate: Digest;
  readonly configDigest: Digest;
  readonly values: Readonly<Record<string, unknown>>;
  readonly roles: Readonly<Record<string, string[]>>;
  readonly nodes: ReadonlyArray<{
    name: string;
    role: string;
    address: string;
    ssh: { host: string; port: number; user: string; keyPath?: string | undefined };
    /** url: where the runner reaches the service (an SSH forward on 127.0.0.1); port: where it listens on the node. */
    services: Array<{ name: string; port?: number | undefined; url?: string | undefined }>;
  }>;
}

/**
 * Runs the configured acceptance command on the runner against a deployed system and records
 * evidence. The tests get: KAROO_INVENTORY (JSON, AcceptanceInventory), KAROO_LOCK (the candidate's
 * pylock.toml), KAROO_VALUES (JSON file of the environment's values), KAROO_ENVIRONMENT,
 * KAROO_SYSTEM_ID, KAROO_CANDIDATE, KAROO_CONFIG_DIGEST, KAROO_SSH_CONFIG (an ssh_config with a
 * Host entry per node name). Every service port is forwarded to 127.0.0.1 over SSH, so the
 * tests reach nodes whose network the runner cannot route to.
 *
 * Read from the top: load the candidate (and its lock) → forward the services and write the
 * tests' files → run the tests → judge the run → push the evidence → sign the result.
 */
export async function accept(opts: AcceptOptions): Promise<AcceptResult> {
  const progress = opts.progress ?? silentProgress;
  const a = await loadAcceptance(opts);
  const pool = opts.pool ?? (await SshPool.open(a.nodes.map((n) => ({ name: n.name, ...n.ssh }))));
  // The run's one clock: its start (in the evidence) and its duration (tests' files included).
  const started = new Date();
  const t0 = Date.now();
  try {
    const files = await writeTestFiles(opts, a, pool);
    const run = await runTests(opts, a, files, progress);
    const durationMs = Date.now() - t0;
    const verdict = await judgeRun(opts, a, run);
    progress.info(
      `accept: ${verdict.result}: ${formatCounts(verdict.counts)} in ${(durationMs / 1000).toFixed(1)} s${verdict.reason ? ` (${verdict.reason})` : ''}`,
    );
    const evidence =
      opts.evidence !== false
        ? await pushRunEvidence(opts, a, run, verdict, { startedAt: started.toISOString(), durationMs }, progress)
        : undefined;
    const attestation = opts.evidence !== false && opts.attest ? await signResult(opts, a, opts.attest, verdict, progress) : undefined;
    return {
      result: verdict.result,
      counts: verdict.counts,
      durationMs,
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      reason: verdict.reason,
      systemId: a.systemId,
      candidate: a.candidate,
      configDigest: a.cfg,
      environment: a.sc.environment,
      inventoryFile: files.inventoryFile,
      junitFile: verdict.junit !== undefined ? run.junitPath : undefined,
      evidence,
      attestation,
      failures: verdict.failures,
    };
  } finally {
    if (!opts.pool) await pool.close();
  }
}

/** What an acceptance run is about: the configuration, the nodes, the candidate (verified) and where its lock was written. */
interface Acceptance {
  readonly acc: NonNullable<KarooConfig['acceptance']>;
  readonly sc: SystemConfig;
  readonly nodes: InventoryNode[];
  readonly candidate: Digest;
  readonly cfg: Digest;
  readonly systemId: Digest;
  /** The candidate's manifest as stored (the evidence's subject). */
  readonly stored: Awaited<ReturnType<Store['getManifest']>>;
  /** Absolute out directory. */
  readonly out: string;
  /** The candidate's pylock.toml, written into `out` when the candidate has one. */
  readonly lockFile: string | undefined;
}

/** Checks the configuration and the inventory, reads the candidate's manifest (checked against its digest) and writes its lock into the out directory. */
async function loadAcceptance(opts: AcceptOptions): Promise<Acceptance> {
  const acc = opts.config.acceptance;
  if (!acc) throw new KarooError('input', `${opts.config.path} has no acceptance section; add acceptance: { command: [...] }`);
  const sc = await systemConfig(opts.config, opts.environment);
  const nodes = matchInventory(sc, opts.inventory);
  const candidate = parseDigest(String(opts.candidate), 'candidate');
  const cfg = configDigest(sc);
  const systemId = systemIdOf(candidate, cfg);
  const stored = await opts.store.getManifest(candidate);
  if (sha256Of(stored.bytes) !== candidate)
    throw new KarooError('integrity', `candidate ${candidate}: the manifest in ${opts.store.ref} does not match its digest`);
  const manifest = parseManifest(stored.bytes, `candidate ${candidate}`);
  await mkdir(opts.outDir, { recursive: true });
  const out = resolve(opts.outDir);
  const lockFile = join(out, 'pylock.toml');
  const pyl = manifest.layers.find((l) => l.mediaType === KAROO.pylock);
  if (pyl) {
    const chunks: Buffer[] = [];
    for await (const c of await opts.store.getBlob(pyl.digest)) chunks.push(Buffer.from(c as Uint8Array));
    const bytes = Buffer.concat(chunks);
    if (sha256Of(bytes) !== pyl.digest)
      throw new KarooError(
        'integrity',
        `candidate ${candidate}: layer "${pyl.annotations?.[ANNOTATIONS.title] ?? 'pylock.toml'}" is damaged in ${opts.store.ref}`,
      );
    await writeFile(lockFile, bytes);
  }
  return { acc, sc, nodes, candidate, cfg, systemId, stored, out, lockFile: pyl ? lockFile : undefined };
}

/** The files the tests read, in the out directory. */
interface TestFiles {
  readonly inventoryFile: string;
  readonly valuesFile: string;
  readonly sshConfig: string;
}

/**
 * Forwards every service port to 127.0.0.1 (not when a deploy failed before: nothing runs)
 * and writes the acceptance inventory, the values and an ssh_config for the tests.
 */
async function writeTestFiles(opts: AcceptOptions, a: Acceptance, pool: SshPool): Promise<TestFiles> {
  const { sc, nodes, out } = a;
  const invNodes: Array<AcceptanceInventory['nodes'][number]> = [];
  for (const n of nodes) {
    const services: Array<{ name: string; port?: number; url?: string }> = [];
    for (const s of sc.roles[n.role]!.services) {
      if (s.port === undefined || opts.failedBefore !== undefined) {
        services.push({ name: s.name });
        continue;
      }
      const local = await freePort();
      await pool.forward(n.name, local, s.port);
      services.push({ name: s.name, port: s.port, url: `http://127.0.0.1:${local}` });
    }
    invNodes.push({
      name: n.name,
      role: n.role,
      address: n.address,
      ssh: { host: n.ssh.host, port: sshPort(n.ssh), user: sshUser(n.ssh), keyPath: n.ssh.keyPath },
      services,
    });
  }
  const roles: Record<string, string[]> = {};
  for (const n of nodes) (roles[n.role] ??= []).push(n.name);
  const doc: AcceptanceInventory = {
    version: 1,
    environmentId: opts.inventory.environmentId,
    environment: sc.environment,
    system: sc.system,
    systemId: a.systemId,
    candidate: a.candidate,
    configDigest: a.cfg,
    values: sc.values,
    roles,
    nodes: invNodes,
  };
  const files: TestFiles = {
    inventoryFile: join(out, 'acceptance-inventory.json'),
    valuesFile: join(out, 'values.json'),
    sshConfig: join(out, 'ssh_config'),
  };
  await writeFile(files.inventoryFile, `${JSON.stringify(doc, null, 2)}\n`);
  await writeFile(files.valuesFile, `${JSON.stringify(sc.values, null, 2)}\n`);
  await writeFile(files.sshConfig, nodes.map((n) => pool.configEntry(n.name)).join('\n'), { mode: 0o600 });
  return files;
}

/** How the acceptance command ran (not at all when a deploy failed before). */
interface TestRun {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** The last of its output (for a closing summary line). */
  readonly tail: Tail;
  readonly junitPath: string | undefined;
  readonly timeoutSeconds: number;
}

/** Removes an earlier run's JUnit file, then runs the command with the environment acceptanceEnv builds, under its timeout. */
async function runTests(opts: AcceptOptions, a: Acceptance, files: TestFiles, progress: Progress): Promise<TestRun> {
  const { acc, sc } = a;
  const cwd = acc.workingDirectory;
  const junitPath = acc.junit ? resolve(cwd, acc.junit) : undefined;
  // A file from an earlier run is not this run's result. (junit is a path inside the working directory: checked on load.)
  if (junitPath) {
    await rm(junitPath, { force: true }).catch((e: NodeJS.ErrnoException) => {
      throw new KarooError(
        'input',
        `acceptance.junit ${junitPath} cannot be removed before the run (${e.code ?? e.message}); check acceptance.working-directory and junit in ${opts.config.path}`,
      );
    });
  }
  const env = acceptanceEnv(process.env, acc, {
    KAROO_INVENTORY: files.inventoryFile,
    KAROO_VALUES: files.valuesFile,
    KAROO_ENVIRONMENT: sc.environment,
    KAROO_SYSTEM_ID: a.systemId,
    KAROO_CANDIDATE: a.candidate,
    KAROO_CONFIG_DIGEST: a.cfg,
    KAROO_SSH_CONFIG: files.sshConfig,
    ...(a.lockFile ? { KAROO_LOCK: a.lockFile } : {}),
  });
  const timeoutSeconds = opts.timeoutSeconds ?? acc.timeoutSeconds;
  const tail = new Tail();
  if (opts.failedBefore !== undefined) return { exitCode: null, timedOut: false, tail, junitPath, timeoutSeconds };
  progress.info(`accept: running ${acc.command.join(' ')} in ${cwd} (timeout ${timeoutSeconds} s)`);
  const { exitCode, timedOut } = await runCommand(acc.command, cwd, env, timeoutSeconds * 1000, opts.output ?? process.stderr, tail);
  return { exitCode, timedOut, tail, junitPath, timeoutSeconds };
}

/** A run judged: its counts, failed tests, JUnit text, and why it failed (undefined: it passed). */
interface Verdict {
  readonly result: 'passed' | 'failed';
  readonly counts: EvidenceCounts;
  readonly junit: string | undefined;
  readonly failures: Array<{ test: string; message?: string }>;
  readonly reason: string | undefined;
}

/**
 * Counts from the JUnit file, or without one from the command's closing summary (without
 * either the counts are unknown, never zeros); the run fails on a deploy that failed before, a
 * timeout, a non-zero exit, a missing or broken JUnit file, failed tests, or no tests at all.
 */
async function judgeRun(opts: AcceptOptions, { acc }: Acceptance, run: TestRun): Promise<Verdict> {
  const { junitPath, exitCode, timedOut } = run;
  let reason: string | undefined = opts.failedBefore;
  let counts: EvidenceCounts = { tests: 0, passed: 0, failed: 0, errors: 0, skipped: 0, source: 'unknown' };
  if (!junitPath && opts.failedBefore === undefined) counts = countsFromOutput(run.tail.toString()) ?? counts;
  let junit: string | undefined;
  const failures: Array<{ test: string; message?: string }> = [];
  if (junitPath && opts.failedBefore === undefined) {
    try {
      junit = await readFile(junitPath, 'utf8');
    } catch {
      junit = undefined;
    }
    if (junit !== undefined) {
      try {
        counts = { ...countJunit(junit), source: 'junit' };
        failures.push(...junitFailures(junit));
      } catch (e) {
        reason ??= `the JUnit file ${acc.junit} is not JUnit XML: ${(e as Error).message}`;
      }
    } else {
      reason ??= `the tests wrote no JUnit file at ${acc.junit}`;
    }
  }
  if (timedOut) reason = `the acceptance command did not finish within ${run.timeoutSeconds} s and was killed`;
  else if (exitCode !== 0 && reason === undefined) reason = `the acceptance command exited with ${exitCode}`;
  if (reason === undefined && counts.failed + counts.errors > 0) reason = `${counts.failed + counts.errors} test(s) failed`;
  if (reason === undefined && counts.source !== 'unknown' && counts.tests === 0 && !acc.allowNoTests)
    reason = 'no tests ran (set acceptance.allow-no-tests: true in karoo.yml to let such a run pass)';
  return { result: reason === undefined ? 'passed' : 'failed', counts, junit, failures, reason };
}

/** The run's evidence (with its JUnit file), pushed to the store as a referrer of the candidate. */
async function pushRunEvidence(
  opts: AcceptOptions,
  a: Acceptance,
  run: TestRun,
  verdict: Verdict,
  time: { startedAt: string; durationMs: number },
  progress: Progress,
): Promise<Digest> {
  const { sc } = a;
  const artifact = evidenceFor(
    a.stored.descriptor,
    {
      candidate: a.candidate,
      system: sc.system,
      systemId: a.systemId,
      configDigest: a.cfg,
      environment: sc.environment,
      result: verdict.result,
      counts: verdict.counts,
      startedAt: time.startedAt,
      finishedAt: new Date().toISOString(),
      durationMs: time.durationMs,
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      command: a.acc.command,
      nodes: a.nodes.map((n) => ({ name: n.name, role: n.role })),
      provider: opts.inventory.provider === 'static' ? undefined : opts.inventory.provider,
      run: opts.run,
      reason: verdict.reason,
    },
    verdict.junit,
  );
  await pushEvidence(opts.store, artifact);
  progress.info(`accept: evidence ${artifact.digest} pushed to ${opts.store.ref}`);
  return artifact.digest;
}

/** The run's result as a signed test-result attestation, pushed beside the evidence. */
async function signResult(opts: AcceptOptions, a: Acceptance, signer: AttestSigner, verdict: Verdict, progress: Progress): Promise<Digest> {
  const { attest, describeSigner, testResultStatement } = await import('@karoo/attest');
  const statement = testResultStatement({
    candidate: { name: a.sc.system, digest: a.candidate },
    environment: a.sc.environment,
    systemId: a.systemId,
    configDigest: a.cfg,
    result: verdict.result,
    passedTests: verdict.junit !== undefined ? junitPassed(verdict.junit) : undefined,
    failedTests: verdict.failures.map((f) => f.test),
    run: opts.run,
  });
  const attestation = (await attest(opts.store, a.stored.descriptor, statement, signer, new Date().toISOString())).digest as Digest;
  progress.info(`accept: signed test-result attestation ${attestation} (${describeSigner(signer)}) pushed to ${opts.store.ref}`);
  return attestation;
}

/**
 * What the acceptance command inherits from karoo's own environment: the basics a process needs
 * and where the Python interpreter lives (pyenv, a venv, actions/setup-python), never a credential.
 */
const INHERITED = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TZ',
  'LANG',
  'LANGUAGE',
  'TERM',
  'CI',
  'VIRTUAL_ENV',
  'PYENV_ROOT',
  'PYENV_VERSION',
  'pythonLocation',
  'LD_LIBRARY_PATH',
] as const;

/**
 * The environment of the acceptance command, built from nothing: `PATH`, `HOME`, the user,
 * `TMPDIR`, `TZ`, locale (`LANG`, `LANGUAGE`, `LC_*`), `TERM` and `CI` from karoo's own
 * environment; the variables named in karoo.yml `acceptance.pass-env` (when set); the literal
 * `acceptance.env`; and karoo's `KAROO_*` variables last (they cannot be overridden). Nothing
 * else: no `INPUT_*` (an action's inputs, its token among them), no `ACTIONS_*` runtime or OIDC
 * tokens, no `GITHUB_TOKEN`, no registry or index credentials — the tests are not trusted code.
 */
export function acceptanceEnv(
  parent: NodeJS.ProcessEnv,
  acceptance: { readonly passEnv?: readonly string[] | undefined; readonly env?: Readonly<Record<string, string>> | undefined },
  karoo: Readonly<Record<string, string>>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const take = (name: string) => {
    if (parent[name] !== undefined) env[name] = parent[name];
  };
  for (const name of INHERITED) take(name);
  for (const name of Object.keys(parent)) if (name.startsWith('LC_')) take(name);
  for (const name of acceptance.passEnv ?? []) take(name);
  Object.assign(env, acceptance.env ?? {});
  Object.assign(env, karoo);
  return env;
}

/** Runs argv (no shell) in its own process group; on timeout the whole group is killed. */
function runCommand(
  argv: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  output: NodeJS.WritableStream,
  tail: Tail,
): Promise<{ exitCode: number | null; timedOut: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const onData = (b: Buffer) => {
      output.write(b);
      tail.push(b);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      const code = (e as NodeJS.ErrnoException).code;
      reject(
        new KarooError(
          'input',
          `acceptance command ${argv[0]} cannot be started in ${cwd} (${code ?? e.message}); check acceptance.command and working-directory`,
        ),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ exitCode: timedOut ? null : code, timedOut });
    });
  });
}

function junitFailures(xml: string): Array<{ test: string; message?: string }> {
  const out: Array<{ test: string; message?: string }> = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*)>([\s\S]*?)<\/testcase>/g)) {
    const f = /<(failure|error)\b[^>]*?(?:message="([^"]*)")?[^>]*>/.exec(m[2] ?? '');
    if (!f) continue;
    const attr = (k: string) => new RegExp(`\\b${k}="([^"]*)"`).exec(m[1] ?? '')?.[1];
    out.push({ test: [attr('classname'), attr('name')].filter(Boolean).join('.'), message: f[2] ? unescapeXml(f[2]) : f[1] });
  }
  return out;
}

/** Names (`classname.name`) of the JUnit test cases that neither failed, erred nor were skipped. */
function junitPassed(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    if (/<(failure|error|skipped)\b/.test(m[2] ?? '')) continue;
    const attr = (k: string) => new RegExp(`\\b${k}="([^"]*)"`).exec(m[1] ?? '')?.[1];
    out.push(unescapeXml([attr('classname'), attr('name')].filter(Boolean).join('.')));
  }
  return out;
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#10;/g, '\n')
    .replace(/&amp;/g, '&');
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}
