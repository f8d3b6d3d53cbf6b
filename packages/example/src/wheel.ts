import { createHash } from 'node:crypto';
import { KarooError } from '@karoo/common';
import { isValidName, normalizeName, normalizeVersion, parseVersion } from '@karoo/lock';
import { readZip, writeZip, type ZipOptions } from './zip.js';

/** What a wheel holds. Everything is explicit, so the same spec always gives the same bytes. */
export interface WheelSpec {
  /** Distribution name as it should appear in METADATA, e.g. `cam-store`. */
  readonly name: string;
  /** PEP 440 version; written in its normalised form. */
  readonly version: string;
  readonly summary?: string;
  /** e.g. `>=3.9`. */
  readonly requiresPython?: string;
  /** PEP 508 requirements, markers included: `tinyproto>=2.0; python_version < "3.11"`. */
  readonly requires?: readonly string[];
  /** Extra name → its requirements; written as `Provides-Extra` plus `Requires-Dist: …; extra == "name"`. */
  readonly extras?: Readonly<Record<string, readonly string[]>>;
  /** Entry point groups, e.g. `{ console_scripts: { 'cam-store': 'cam_store.__main__:main' } }`. */
  readonly entryPoints?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Path inside the wheel (e.g. `cam_store/__init__.py`) → content. */
  readonly files: Readonly<Record<string, string | Uint8Array>>;
  /** Wheel tag, possibly compressed (`py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64`). Default `py3-none-any`. */
  readonly tag?: string;
  /** Default: true for `*-none-any`-style pure wheels, false when the platform tag is not `any`. */
  readonly rootIsPurelib?: boolean;
  /** Extra METADATA headers written after Summary (e.g. `Author`, `License`, `Home-page`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Long description, written as the METADATA body (text/markdown). */
  readonly description?: string;
  readonly generator?: string;
  readonly zip?: ZipOptions;
}

export interface BuiltWheel {
  readonly filename: string;
  /** As written in METADATA. */
  readonly name: string;
  /** Normalised. */
  readonly version: string;
  readonly requiresPython: string | undefined;
  readonly data: Buffer;
  /** The exact bytes of `<dist>.dist-info/METADATA` (what a PEP 658 `.metadata` file serves). */
  readonly metadata: Buffer;
  /** Lowercase hex. */
  readonly sha256: string;
  readonly size: number;
}

export const DEFAULT_GENERATOR = 'karoo-example (0.1.0)';

/** Wheel file-name form of a project name: normalised, `-` → `_`. */
export function wheelDistName(name: string): string {
  return normalizeName(name).replace(/-/g, '_');
}

function b64urlSha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('base64url');
}

function expandTags(tag: string): string[] {
  const parts = tag.split('-');
  if (parts.length !== 3 || parts.some((p) => p === ''))
    throw new KarooError('input', `wheel tag "${tag}" is not of the form python-abi-platform`);
  const [py, abi, plat] = parts.map((p) => p.split('.')) as [string[], string[], string[]];
  const out: string[] = [];
  for (const a of py) for (const b of abi) for (const c of plat) out.push(`${a}-${b}-${c}`);
  return out;
}

function withExtraMarker(req: string, extra: string): string {
  const semi = req.indexOf(';');
  if (semi < 0) return `${req}; extra == "${extra}"`;
  const marker = req.slice(semi + 1).trim();
  return `${req.slice(0, semi).trim()}; (${marker}) and extra == "${extra}"`;
}

const enc = (s: string | Uint8Array): Buffer => (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s));

/** Core metadata (Metadata-Version 2.1) for a spec, as text. */
export function wheelMetadata(spec: WheelSpec): string {
  const lines = ['Metadata-Version: 2.1', `Name: ${spec.name}`, `Version: ${normalizeVersion(spec.version)}`];
  if (spec.summary !== undefined) lines.push(`Summary: ${spec.summary}`);
  for (const [k, v] of Object.entries(spec.headers ?? {})) {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(k) || /[\r\n]/.test(v))
      throw new KarooError('input', `METADATA header "${k}" of ${spec.name} is not a single-line header`);
    lines.push(`${k}: ${v}`);
  }
  if (spec.requiresPython !== undefined) lines.push(`Requires-Python: ${spec.requiresPython}`);
  for (const r of spec.requires ?? []) lines.push(`Requires-Dist: ${r}`);
  for (const extra of Object.keys(spec.extras ?? {}).sort()) {
    lines.push(`Provides-Extra: ${extra}`);
    for (const r of spec.extras![extra]!) lines.push(`Requires-Dist: ${withExtraMarker(r, extra)}`);
  }
  if (spec.description !== undefined) {
    lines.push('Description-Content-Type: text/markdown');
    return `${lines.join('\n')}\n\n${spec.description.replace(/\n*$/, '\n')}`;
  }
  return `${lines.join('\n')}\n`;
}

/** Builds a deterministic wheel: same spec → same bytes (and the same sha256). */
export function buildWheel(spec: WheelSpec): BuiltWheel {
  if (!isValidName(spec.name)) throw new KarooError('input', `"${spec.name}" is not a valid distribution name`);
  const v = parseVersion(spec.version);
  if (!v) throw new KarooError('input', `version "${spec.version}" of ${spec.name} is not a PEP 440 version`);
  const version = v.text;
  const dist = wheelDistName(spec.name);
  const tag = spec.tag ?? 'py3-none-any';
  const tags = expandTags(tag);
  const pure = spec.rootIsPurelib ?? tags.every((t) => t.endsWith('-any'));
  const distInfo = `${dist}-${version}.dist-info`;

  const payload = Object.keys(spec.files).sort();
  for (const p of payload) {
    if (p.startsWith('/') || p.split('/').includes('..') || /[,"\r\n]/.test(p))
      throw new KarooError('input', `wheel path "${p}" of ${spec.name} is not a plain relative path`);
    if (p.startsWith(`${distInfo}/`))
      throw new KarooError('input', `wheel path "${p}" of ${spec.name} is generated; do not give it in files`);
  }

  const metadata = enc(wheelMetadata(spec));
  const wheel = enc(
    [
      'Wheel-Version: 1.0',
      `Generator: ${spec.generator ?? DEFAULT_GENERATOR}`,
      `Root-Is-Purelib: ${pure ? 'true' : 'false'}`,
      ...tags.map((t) => `Tag: ${t}`),
    ].join('\n') + '\n',
  );
  const entries: Array<{ name: string; data: Buffer }> = payload.map((p) => ({ name: p, data: enc(spec.files[p]!) }));
  entries.push({ name: `${distInfo}/METADATA`, data: metadata }, { name: `${distInfo}/WHEEL`, data: wheel });
  const groups = Object.keys(spec.entryPoints ?? {}).sort();
  if (groups.length > 0) {
    const text = groups
      .map((g) => {
        const eps = spec.entryPoints![g]!;
        return `[${g}]\n${Object.keys(eps)
          .sort()
          .map((k) => `${k} = ${eps[k]}\n`)
          .join('')}`;
      })
      .join('\n');
    entries.push({ name: `${distInfo}/entry_points.txt`, data: enc(text) });
  }
  const tops = [...new Set(payload.map((p) => p.split('/')[0]!).map((t) => t.replace(/\.py$/, '')))]
    .filter((t) => !t.endsWith('.data'))
    .sort();
  if (tops.length > 0) entries.push({ name: `${distInfo}/top_level.txt`, data: enc(tops.map((t) => `${t}\n`).join('')) });
  const recordName = `${distInfo}/RECORD`;
  const record = entries.map((e) => `${e.name},sha256=${b64urlSha256(e.data)},${e.data.length}\n`).join('') + `${recordName},,\n`;
  entries.push({ name: recordName, data: enc(record) });

  // Payload first (sorted), .dist-info last with RECORD at the very end, as the wheel spec recommends.
  const data = writeZip(entries, { ...spec.zip, sort: false });
  return {
    filename: `${dist}-${version}-${tag}.whl`,
    name: spec.name,
    version,
    requiresPython: spec.requiresPython,
    data,
    metadata,
    sha256: createHash('sha256').update(data).digest('hex'),
    size: data.length,
  };
}

export interface WheelInfo {
  readonly name: string;
  readonly version: string;
  readonly requiresPython: string | undefined;
  readonly requires: readonly string[];
  /** The exact bytes of METADATA inside the wheel. */
  readonly metadata: Buffer;
}

/** Reads METADATA out of any wheel (also ones not built here, e.g. Debian's). */
export function readWheelMetadata(data: Uint8Array, filename: string): WheelInfo {
  const m = /^([^-]+)-([^-]+)-(?:[0-9][^-]*-)?[^-]+-[^-]+-[^-]+\.whl$/.exec(filename);
  if (!m) throw new KarooError('input', `"${filename}" is not a wheel file name`);
  const distInfo = `${m[1]}-${m[2]}.dist-info/METADATA`;
  const entries = readZip(data, filename);
  const entry =
    entries.find((e) => e.name === distInfo) ??
    entries.find((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.name) && e.name.toLowerCase() === distInfo.toLowerCase());
  if (!entry) throw new KarooError('input', `wheel ${filename} has no ${distInfo}`);
  const headerText = entry.data.toString('utf8').split(/\r?\n\r?\n/)[0]!;
  const headers: Array<[string, string]> = [];
  for (const line of headerText.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1]![1] += `\n${line.trim()}`;
    else {
      const i = line.indexOf(':');
      if (i > 0) headers.push([line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]);
    }
  }
  const get = (k: string) => headers.find(([h]) => h === k)?.[1];
  const name = get('name');
  const version = get('version');
  if (!name || !version) throw new KarooError('input', `METADATA of wheel ${filename} lacks Name or Version`);
  return {
    name,
    version: normalizeVersion(version),
    requiresPython: get('requires-python'),
    requires: headers.filter(([h]) => h === 'requires-dist').map(([, v]) => v),
    metadata: entry.data,
  };
}
