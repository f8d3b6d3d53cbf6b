import { createHash } from 'node:crypto';
import { KarooError } from './errors.js';

/** A validated `sha256:<64 lowercase hex>` string. Construct only through parseDigest/sha256Of. */
export type Digest = string & { readonly __digest: unique symbol };

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const HEX_RE = /^[0-9a-f]{64}$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_RE.test(value);
}

/** Accepts `sha256:<hex>` (or a bare 64-hex string) and returns the canonical form. */
export function parseDigest(value: string, what = 'digest'): Digest {
  const v = value.trim();
  if (DIGEST_RE.test(v)) return v as Digest;
  if (HEX_RE.test(v)) return `sha256:${v}` as Digest;
  if (/^sha256:[0-9A-Fa-f]{64}$/.test(v)) return v.toLowerCase() as Digest;
  throw new DigestError(`${what} "${value}" is not a sha256 digest; expected sha256:<64 hex digits>`);
}

export class DigestError extends KarooError {
  override name = 'DigestError';
  constructor(message: string) {
    super('input', message);
  }
}

export function hexOf(d: Digest): string {
  return d.slice('sha256:'.length);
}

export function shortDigest(d: Digest, n = 12): string {
  return hexOf(d).slice(0, n);
}

export function sha256Of(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest;
}

export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && HEX_RE.test(value);
}
