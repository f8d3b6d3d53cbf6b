/** Distribution file names, URLs and file decoding shared by the lock readers and writers. */
import { isValidName, normalizeName } from './names.js';
import { isValidVersion } from './version.js';

const SDIST_EXTENSIONS = ['.tar.gz', '.zip', '.tar.bz2', '.tar.xz', '.tgz', '.tbz', '.tar', '.tar.lz', '.tar.lzma', '.txz', '.tlz'];

export function isWheelName(file: string): boolean {
  return file.toLowerCase().endsWith('.whl');
}

export function isArchiveName(file: string): boolean {
  const f = file.toLowerCase();
  return isWheelName(f) || SDIST_EXTENSIONS.some((e) => f.endsWith(e));
}

/** `{name, version}` of a wheel file name (`name-version(-build)?-py-abi-plat.whl`), or undefined. */
export function parseWheelName(file: string): { name: string; version: string } | undefined {
  if (!isWheelName(file)) return undefined;
  const parts = file.slice(0, -4).split('-');
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const [name, version] = parts as [string, string];
  if (!isValidName(name) || !isValidVersion(version)) return undefined;
  return { name, version };
}

/** `{name, version}` of an sdist file name (`name-version.tar.gz`), or undefined when ambiguous. */
export function parseSdistName(file: string): { name: string; version: string } | undefined {
  const lower = file.toLowerCase();
  const ext = SDIST_EXTENSIONS.find((e) => lower.endsWith(e));
  if (!ext) return undefined;
  const stem = file.slice(0, -ext.length);
  // The version is the part after the last '-' that parses; names may contain '-'.
  const i = stem.lastIndexOf('-');
  if (i <= 0) return undefined;
  const name = stem.slice(0, i);
  const version = stem.slice(i + 1);
  if (!isValidName(name) || !isValidVersion(version)) return undefined;
  return { name, version };
}

export function distNameVersion(file: string): { name: string; version: string } | undefined {
  return parseWheelName(file) ?? parseSdistName(file);
}

/** True when `file` is a distribution of project `name` (compared normalised). */
export function fileBelongsTo(file: string, name: string): boolean {
  const nv = distNameVersion(file);
  return nv !== undefined && normalizeName(nv.name) === normalizeName(name);
}

/** The last path segment of a URL or path, percent-decoded. */
export function basename(urlOrPath: string): string {
  const noFrag = urlOrPath.split('#')[0]!.split('?')[0]!;
  const seg =
    noFrag
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/** True when the URL carries a user name or password (`https://user:pw@host/`). */
export function hasUserinfo(url: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/.test(url);
}

/** The URL without `user:password@`. Lock files never carry credentials. */
export function stripUserinfo(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/, '$1');
}

/**
 * Decodes a requirements file as pip does: a UTF-8/16/32 byte-order mark wins, then a PEP 263
 * `coding` comment on one of the first two lines, then UTF-8, then latin-1 as a fallback.
 */
export function decodeText(bytes: Uint8Array): { text: string; warning?: string } {
  const b = bytes;
  const starts = (...sig: number[]) => sig.every((x, i) => b[i] === x);
  if (starts(0x00, 0x00, 0xfe, 0xff)) return { text: decodeUtf32(b.subarray(4), false) };
  if (starts(0xff, 0xfe, 0x00, 0x00)) return { text: decodeUtf32(b.subarray(4), true) };
  if (starts(0xef, 0xbb, 0xbf)) return { text: new TextDecoder('utf-8').decode(b.subarray(3)) };
  if (starts(0xfe, 0xff)) return { text: new TextDecoder('utf-16be').decode(b.subarray(2)) };
  if (starts(0xff, 0xfe)) return { text: new TextDecoder('utf-16le').decode(b.subarray(2)) };
  const head = new TextDecoder('latin1').decode(b.subarray(0, 400)).split('\n').slice(0, 2);
  for (const line of head) {
    const m = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/.exec(line);
    if (m) {
      const enc = m[1]!.toLowerCase().replace(/_/g, '-');
      try {
        return { text: new TextDecoder(enc === 'latin1' ? 'latin1' : enc, { fatal: true }).decode(b) };
      } catch {
        break;
      }
    }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(b) };
  } catch {
    return { text: new TextDecoder('latin1').decode(b), warning: 'not valid UTF-8; decoded as latin-1' };
  }
}

function decodeUtf32(b: Uint8Array, little: boolean): string {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let s = '';
  for (let i = 0; i + 4 <= b.length; i += 4) s += String.fromCodePoint(view.getUint32(i, little));
  return s;
}
