import { FileError, isDigest } from '@karoo/common';
import { isValidVersion, normalizeName } from '@karoo/lock';
import type { Report } from './model.js';

const CHANGES = new Set(['added', 'removed', 'upgraded', 'downgraded', 'rehashed']);
const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,200}[a-z0-9])?$/;
const SAFE_WORD = /^[A-Za-z0-9@%+=:,./_-]{1,300}$/;
const LABEL_RE = /^[A-Za-z0-9@%+=:,./_~^{}-]{1,300}$/;
const ENV_RE = /^[A-Za-z0-9 ._-]{1,100}$/;

/**
 * Reads a report JSON written by an earlier run (`--format json`, the action's report.json)
 * and checks every field strictly, so that a report made by an untrusted run — a fork's pull
 * request, handed to a `workflow_run` workflow as an artifact — can be rendered and posted
 * without letting it inject markup: digests must be digests, names and versions must be
 * package names and PEP 440 versions, URLs must be https, words in the command must be plain.
 */
export function parseReport(value: unknown, file: string): Report {
  const fail = (where: string, reason: string): never => {
    throw new FileError(file, undefined, `${where}: ${reason}; expected a report written by karoo report --format json`);
  };
  const obj = (v: unknown, where: string) =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(where, 'not an object');
  const arr = (v: unknown, where: string) => (Array.isArray(v) ? v : fail(where, 'not a list'));
  const digest = (v: unknown, where: string) => (isDigest(v) ? v : fail(where, 'not sha256:<64 hex>'));
  const optDigest = (v: unknown, where: string) => (v === null ? null : digest(v, where));
  const num = (v: unknown, where: string) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fail(where, 'not a count'));
  const name = (v: unknown, where: string) =>
    typeof v === 'string' && NAME_RE.test(v) && normalizeName(v) === v ? v : fail(where, 'not a normalised package name');
  const version = (v: unknown, where: string) =>
    typeof v === 'string' && v.length <= 100 && isValidVersion(v) ? v : fail(where, 'not a PEP 440 version');
  const optVersion = (v: unknown, where: string) => (v === null || v === undefined ? v : version(v, where));
  const match = (v: unknown, re: RegExp, where: string) =>
    typeof v === 'string' && re.test(v) ? v : fail(where, `not a plain word (${re.source})`);
  const url = (v: unknown, where: string) => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^https:\/\/[^\s()<>"'`\\]+$/.test(v)) fail(where, 'not an https URL');
    return v as string;
  };
  const bool = (v: unknown, where: string) => (typeof v === 'boolean' ? v : fail(where, 'not true or false'));

  const r = obj(value, 'report');
  if (r.schema !== 'karoo.report/v1') fail('schema', `is ${JSON.stringify(r.schema)}, not "karoo.report/v1"`);
  const diff = (v: unknown, where: string): Report['diff'] => {
    const d = obj(v, where);
    const c = obj(d.counts, `${where}.counts`);
    const counts = Object.fromEntries(
      ['added', 'removed', 'upgraded', 'downgraded', 'rehashed', 'unchanged'].map((k) => [k, num(c[k], `${where}.counts.${k}`)]),
    );
    const changes = arr(d.changes, `${where}.changes`).map((x, i) => {
      const w = `${where}.changes[${i}]`;
      const o = obj(x, w);
      if (!CHANGES.has(o.change as string)) fail(`${w}.change`, 'not added, removed, upgraded, downgraded or rehashed');
      return {
        name: name(o.name, `${w}.name`),
        change: o.change as Report['diff']['changes'][number]['change'],
        ...(o.old === undefined ? {} : { old: version(o.old, `${w}.old`) }),
        ...(o.new === undefined ? {} : { new: version(o.new, `${w}.new`) }),
        leaf: bool(o.leaf, `${w}.leaf`),
      };
    });
    return { counts: counts as Report['diff']['counts'], changes };
  };
  const cand = r.candidate === null ? null : obj(r.candidate, 'candidate');
  const lock = obj(r.lock, 'lock');
  const target = lock.target === null ? null : obj(lock.target, 'lock.target');
  const reproduce = obj(r.reproduce, 'reproduce');
  const command = typeof reproduce.command === 'string' ? reproduce.command.split(' ') : fail('reproduce.command', 'not a string');
  if (command.length !== 6 || command[0] !== 'karoo' || command[1] !== 'build' || command[2] !== '--lock' || command[4] !== '--store') {
    fail('reproduce.command', 'not "karoo build --lock LOCK --store STORE"');
  }
  command.slice(3).forEach((w, i) => match(w, SAFE_WORD, `reproduce.command word ${i + 4}`));
  const base = r.base === null ? null : obj(r.base, 'base');
  return {
    schema: 'karoo.report/v1',
    candidate: cand && {
      digest: digest(cand.digest, 'candidate.digest'),
      ref: cand.ref === null ? null : match(cand.ref, SAFE_WORD, 'candidate.ref'),
      status: ['new', 'existed', 'unknown'].includes(cand.status as string)
        ? (cand.status as 'new')
        : fail('candidate.status', 'not new, existed or unknown'),
    },
    lock: {
      digest: digest(lock.digest, 'lock.digest'),
      path: lock.path === null ? null : match(lock.path, SAFE_WORD, 'lock.path'),
      packages: num(lock.packages, 'lock.packages'),
      target: target && {
        python: match(target.python, /^[0-9]+(\.[0-9]+)*$/, 'lock.target.python'),
        platforms: arr(target.platforms, 'lock.target.platforms').map((p, i) =>
          match(p, /^[A-Za-z0-9_.]{1,100}$/, `lock.target.platforms[${i}]`),
        ),
      },
    },
    leaves: arr(r.leaves, 'leaves').map((x, i) => {
      const o = obj(x, `leaves[${i}]`);
      return {
        name: name(o.name, `leaves[${i}].name`),
        version: (optVersion(o.version, `leaves[${i}].version`) ?? null) as string | null,
        old: (optVersion(o.old, `leaves[${i}].old`) ?? null) as string | null,
        moved: bool(o.moved, `leaves[${i}].moved`),
      };
    }),
    base: base && {
      digest: digest(base.digest, 'base.digest'),
      label: base.label === null ? null : match(base.label, LABEL_RE, 'base.label'),
    },
    diff: diff(r.diff, 'diff'),
    evidence: arr(r.evidence, 'evidence').map((x, i) => {
      const w = `evidence[${i}]`;
      const o = obj(x, w);
      return {
        result: o.result === 'passed' || o.result === 'failed' ? o.result : fail(`${w}.result`, 'not passed or failed'),
        passed: num(o.passed, `${w}.passed`),
        failed: num(o.failed, `${w}.failed`),
        skipped: num(o.skipped, `${w}.skipped`),
        ...(o.countsUnknown === undefined ? {} : { countsUnknown: bool(o.countsUnknown, `${w}.countsUnknown`) }),
        durationMs: num(o.durationMs, `${w}.durationMs`),
        runUrl: url(o.runUrl, `${w}.runUrl`),
        environment: o.environment === undefined ? undefined : match(o.environment, ENV_RE, `${w}.environment`),
        digest: o.digest === undefined ? undefined : digest(o.digest, `${w}.digest`),
      };
    }),
    environments: arr(r.environments, 'environments').map((x, i) => {
      const w = `environments[${i}]`;
      const o = obj(x, w);
      return {
        name: match(o.name, ENV_RE, `${w}.name`),
        candidate: optDigest(o.candidate, `${w}.candidate`),
        systemId: optDigest(o.systemId, `${w}.systemId`),
        production: bool(o.production, `${w}.production`),
        same: o.same === null ? null : bool(o.same, `${w}.same`),
        diff: o.diff === null ? null : diff(o.diff, `${w}.diff`),
      };
    }),
    reproduce: {
      lockDigest: digest(reproduce.lockDigest, 'reproduce.lockDigest'),
      command: command.join(' '),
      candidate: optDigest(reproduce.candidate, 'reproduce.candidate'),
    },
  };
}
