import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { KarooError } from '@karoo/common';

/**
 * A minimal zip writer and reader, enough for wheels. The writer is deterministic: entries
 * sorted by name, every timestamp 1980-01-01 00:00:00 (the zip epoch), fixed Unix
 * permissions, no extra fields. Entries are stored uncompressed by default, because deflate
 * output depends on the zlib build (Node 20 and Node 24 bundle different ones) and the same
 * spec must give the same bytes on both.
 */
export interface ZipEntry {
  /** Forward-slash path inside the archive. */
  readonly name: string;
  readonly data: Uint8Array;
  /** Unix permission bits, default 0o644. */
  readonly mode?: number;
}

export interface ZipOptions {
  /** `stored` (default: identical bytes on every Node) or `deflate` at a fixed level. */
  readonly compression?: 'stored' | 'deflate';
  /** zlib level for `deflate` (default 6). */
  readonly level?: number;
  /** Sort entries by name (default true); false keeps the order given, which must itself be fixed. */
  readonly sort?: boolean;
}

const DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1;
const DOS_TIME_MIDNIGHT = 0;
const MADE_BY_UNIX = (3 << 8) | 20;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Builds a zip archive. Same entries and options → same bytes. */
export function writeZip(entries: readonly ZipEntry[], options: ZipOptions = {}): Buffer {
  const method = options.compression === 'deflate' ? 8 : 0;
  const sorted = options.sort === false ? [...entries] : [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seen = new Set<string>();
  for (const e of sorted) {
    if (seen.has(e.name)) throw new KarooError('input', `zip entry "${e.name}" is given twice`);
    seen.add(e.name);
  }
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of sorted) {
    if (e.name === '' || e.name.startsWith('/') || e.name.split('/').includes('..')) {
      throw new KarooError('input', `zip entry name "${e.name}" must be a relative path without ".."`);
    }
    const name = Buffer.from(e.name, 'utf8');
    const raw = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
    const body = method === 8 ? deflateRawSync(raw, { level: options.level ?? 6 }) : raw;
    const crc = crc32(raw);
    const flags = /^[\x20-\x7e]*$/.test(e.name) ? 0 : 0x0800;
    const version = method === 8 ? 20 : 10;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(version, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME_MIDNIGHT, 10);
    local.writeUInt16LE(DOS_DATE_1980_01_01, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    central.writeUInt16LE(version, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME_MIDNIGHT, 12);
    central.writeUInt16LE(DOS_DATE_1980_01_01, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(((0o100000 | (e.mode ?? 0o644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + body.length;
  }
  if (sorted.length > 0xffff || offset > 0xffffffff) throw new KarooError('input', 'zip archive too large (zip64 is not supported)');
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export interface ReadZipEntry {
  readonly name: string;
  readonly data: Buffer;
  readonly mode: number | undefined;
}

/** Reads every entry of a zip archive (stored or deflated; no zip64, no encryption). */
export function readZip(archive: Uint8Array, what = 'zip archive'): ReadZipEntry[] {
  const buf = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const bad = (reason: string): never => {
    throw new KarooError('input', `${what} is not a readable zip: ${reason}`);
  };
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad('no end of central directory record');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: ReadZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) bad(`central directory entry ${i} is damaged`);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const csize = buf.readUInt32LE(p + 20);
    const usize = buf.readUInt32LE(p + 24);
    const nlen = buf.readUInt16LE(p + 28);
    const xlen = buf.readUInt16LE(p + 30);
    const clen = buf.readUInt16LE(p + 32);
    const madeBy = buf.readUInt16LE(p + 4) >> 8;
    const attr = buf.readUInt32LE(p + 38);
    const lho = buf.readUInt32LE(p + 42);
    const name = buf.toString(flags & 0x0800 ? 'utf8' : 'latin1', p + 46, p + 46 + nlen);
    if (flags & 1) bad(`entry ${name} is encrypted`);
    if (csize === 0xffffffff || lho === 0xffffffff) bad('zip64 is not supported');
    if (buf.readUInt32LE(lho) !== 0x04034b50) bad(`local header of ${name} is damaged`);
    const start = lho + 30 + buf.readUInt16LE(lho + 26) + buf.readUInt16LE(lho + 28);
    const body = buf.subarray(start, start + csize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(body);
    else if (method === 8) data = inflateRawSync(body);
    else return bad(`entry ${name} uses compression method ${method}`);
    if (data.length !== usize || crc32(data) !== crc) bad(`entry ${name} fails its CRC check`);
    out.push({ name, data, mode: madeBy === 3 ? (attr >>> 16) & 0o7777 : undefined });
    p += 46 + nlen + xlen + clen;
  }
  return out;
}
