import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { FileError, KarooError, errorMessage, isDigest, isKarooError } from '@karoo/common';
import { Lock, readLockFile } from '@karoo/lock';
import { buildReport, type EnvironmentInfo, type EvidenceInfo, type Report } from './model.js';

/** Reads a lock with the same reader as `karoo lock`; its warnings go to `warn`. */
export async function loadLock(path: string, warn: (m: string) => void = () => {}): Promise<Lock> {
  const r = await readLockFile(path);
  for (const w of r.warnings) warn(w);
  return r.lock;
}

/**
 * Reads a file of the repository at a ref from elsewhere than the clone (the contents API):
 * its text, or undefined when it does not exist at that ref.
 */
export type ReadAtRef = (ref: string, pathInRepo: string) => Promise<string | undefined>;

/**
 * The base branch's lock, read with `git show REF:PATH` from the repository that holds
 * `path`, or with `remote` when the clone does not hold the ref (a shallow checkout, as
 * actions/checkout makes by default). Undefined when the file does not exist at that ref (a
 * new lock); an unknown ref (with no `remote`) or a directory that is not a git work tree is
 * an input error.
 */
export async function loadLockAtRef(
  ref: string,
  path: string,
  warn: (m: string) => void = () => {},
  remote?: ReadAtRef,
): Promise<Lock | undefined> {
  if (!/^[A-Za-z0-9._/@{}~^-]+$/.test(ref) || ref.startsWith('-')) {
    throw new KarooError('input', `base ref "${ref}" is not a git ref; pass a branch, tag or commit such as origin/main`);
  }
  const abs = resolve(path);
  const cwd = dirname(abs);
  const top = (
    await git(['rev-parse', '--show-toplevel'], cwd).catch((e: Error) => {
      throw new KarooError(
        'input',
        `cannot read the base lock at ${ref}: ${dirname(abs)} is not in a git work tree (${e.message.split('\n')[0]})`,
      );
    })
  ).trim();
  const inRepo = relative(top, abs).split('\\').join('/');
  let text: string | undefined;
  const here = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], top).then(
    () => true,
    () => false,
  );
  if (here) {
    try {
      text = await git(['show', `${ref}:${inRepo}`], top);
    } catch {
      return undefined;
    }
  } else if (remote) {
    text = await remote(ref, inRepo);
    if (text === undefined) return undefined;
  } else {
    throw new KarooError(
      'input',
      `base ref "${ref}" does not name a commit in ${top}; fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin ${ref})`,
    );
  }
  // The reader picks the format from the file name, so keep it.
  const dir = await mkdtemp(join(tmpdir(), 'karoo-base-'));
  try {
    const file = join(dir, basename(abs));
    await writeFile(file, text);
    return await loadLock(file, (m) => warn(m.split(file).join(`${ref}:${inRepo}`)));
  } catch (e) {
    if (e instanceof FileError) throw new FileError(`${ref}:${inRepo}`, e.line, e.reason, e.column);
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether the file is in its repository's index (committed, or staged to be), as opposed to written and left untracked. */
async function isCommitted(path: string): Promise<boolean> {
  const abs = resolve(path);
  return git(['ls-files', '--error-unmatch', '--', basename(abs)], dirname(abs)).then(
    () => true,
    () => false,
  );
}

function git(args: string[], cwd: string): Promise<string> {
  return new Promise((res, rej) => {
    execFile('git', args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) rej(new Error(stderr || err.message));
      else res(stdout);
    });
  });
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new KarooError('input', `cannot read the ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FileError(path, undefined, `not JSON (${(e as Error).message}); expected the ${what} as written by karoo`);
  }
}

const nonNegative = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Checks evidence objects (one or a list): result, counts and duration are required. */
export function parseEvidence(value: unknown, file: string): EvidenceInfo[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((raw, i) => {
    const at = Array.isArray(value) ? `[${i}]` : '';
    const fail = (reason: string): never => {
      throw new FileError(file, undefined, `evidence${at}: ${reason}`);
    };
    if (!raw || typeof raw !== 'object') fail('is not an object');
    const o = raw as Record<string, unknown>;
    if (o.result !== 'passed' && o.result !== 'failed') fail(`"result" is ${JSON.stringify(o.result)}; expected "passed" or "failed"`);
    for (const k of ['passed', 'failed', 'skipped', 'durationMs']) if (!nonNegative(o[k])) fail(`"${k}" must be a number ≥ 0`);
    const digest = o.digest ?? o.evidence;
    if (digest !== undefined && !isDigest(digest)) fail(`"digest" is not sha256:<64 hex>`);
    for (const k of ['runUrl', 'environment']) if (o[k] !== undefined && typeof o[k] !== 'string') fail(`"${k}" must be a string`);
    if (o.countsUnknown !== undefined && typeof o.countsUnknown !== 'boolean') fail('"countsUnknown" must be true or false');
    return {
      result: o.result as 'passed' | 'failed',
      passed: o.passed as number,
      failed: o.failed as number,
      skipped: o.skipped as number,
      ...(o.countsUnknown === true ? { countsUnknown: true } : {}),
      durationMs: o.durationMs as number,
      runUrl: o.runUrl as string | undefined,
      environment: o.environment as string | undefined,
      digest: digest as string | undefined,
    };
  });
}

export async function loadEvidence(path: string): Promise<EvidenceInfo[]> {
  return parseEvidence(await readJson(path, 'evidence'), path);
}

/**
 * Environments as a JSON list: `[{ "name", "candidate"?, "systemId"?, "lock"?, "production"? }]`,
 * where `lock` is a lock file path relative to the JSON file, for the package-level diff.
 */
export async function loadEnvironments(path: string, warn: (m: string) => void = () => {}): Promise<EnvironmentInfo[]> {
  const value = await readJson(path, 'environments');
  if (!Array.isArray(value)) throw new FileError(path, undefined, 'expected a JSON list of environments');
  const out: EnvironmentInfo[] = [];
  for (const [i, raw] of value.entries()) {
    const fail = (reason: string): never => {
      throw new FileError(path, undefined, `environments[${i}]: ${reason}`);
    };
    if (!raw || typeof raw !== 'object') fail('is not an object');
    const o = raw as Record<string, unknown>;
    if (typeof o.name !== 'string' || o.name === '') fail('"name" must be a non-empty string');
    if (o.candidate !== undefined && !isDigest(o.candidate)) fail(`"candidate" is not sha256:<64 hex>`);
    if (o.systemId !== undefined && !isDigest(o.systemId)) fail(`"systemId" is not sha256:<64 hex>`);
    if (o.lock !== undefined && typeof o.lock !== 'string') fail('"lock" must be a path');
    if (o.production !== undefined && typeof o.production !== 'boolean') fail('"production" must be true or false');
    const lockPath = typeof o.lock === 'string' ? (isAbsolute(o.lock) ? o.lock : join(dirname(path), o.lock)) : undefined;
    out.push({
      name: o.name as string,
      candidate: o.candidate as string | undefined,
      systemId: o.systemId as string | undefined,
      production: o.production as boolean | undefined,
      lock: lockPath ? await loadLock(lockPath, warn) : undefined,
    });
  }
  return out;
}

export interface ReportFiles {
  /** The lock of this change. */
  readonly head: string;
  /** The base branch's lock as a file. */
  readonly base?: string | undefined;
  /** Or: a git ref to read the base lock from (`git show REF:HEAD-PATH`). */
  readonly baseRef?: string | undefined;
  /** The base ref was a default, not asked for: when it cannot be read, warn and report without a base. */
  readonly baseRefOptional?: boolean | undefined;
  /** Reads the base lock when the clone does not hold the base ref (see loadLockAtRef). */
  readonly readAtRef?: ReadAtRef | undefined;
  readonly candidate?: string | undefined;
  readonly candidateRef?: string | undefined;
  readonly existed?: boolean | undefined;
  readonly store?: string | undefined;
  /** Evidence JSON (one object or a list). */
  readonly evidence?: string | undefined;
  /** Environments JSON list. */
  readonly environments?: string | undefined;
}

/** Reads every file a report needs and builds it: what the CLI and the action share. */
export async function reportFromFiles(f: ReportFiles, warn: (m: string) => void = () => {}): Promise<Report> {
  if (f.base && f.baseRef) throw new KarooError('input', 'give the base lock as a file or as a git ref, not both');
  const head = await loadLock(f.head, warn);
  let base: Lock | undefined;
  let baseLabel: string | undefined;
  if (f.base) {
    base = await loadLock(f.base, warn);
    baseLabel = f.base;
  } else if (f.baseRef) {
    try {
      base = await loadLockAtRef(f.baseRef, f.head, warn, f.readAtRef);
      baseLabel = f.baseRef;
      // Absent at the base: a lock this change commits is new, every package added; a lock the
      // run wrote and nobody commits (karoo resolves it in the workflow) has no base to compare
      // with here, and the report says so (what each environment runs is its comparison).
      if (!base && (await isCommitted(f.head))) {
        warn(`${f.head} does not exist at ${f.baseRef}: every package is reported as added`);
        base = Lock.create([]);
      }
    } catch (e) {
      if (!f.baseRefOptional || !isKarooError(e) || (e.kind !== 'input' && e.kind !== 'unavailable')) throw e;
      warn(`no lock diff: ${errorMessage(e)}`);
    }
  }
  return buildReport({
    head,
    base,
    baseLabel,
    lockPath: f.head,
    candidate: f.candidate ? { digest: f.candidate, ref: f.candidateRef, existed: f.existed } : undefined,
    store: f.store,
    evidence: f.evidence ? await loadEvidence(f.evidence) : undefined,
    environments: f.environments ? await loadEnvironments(f.environments, warn) : undefined,
  });
}
