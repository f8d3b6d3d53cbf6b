/**
 * Instants as indexes give them (PEP 700 `upload-time`, PEP 751 `upload-time`) and as users
 * give a cutoff (`--as-of`, RFC 3339). Compared exactly, to the nanosecond, whatever the
 * offset or the number of fraction digits. A file's upload time is recorded in locks at
 * millisecond precision in UTC, the precision every TOML reader keeps for a datetime, so a lock
 * written and read back is the same lock; a cutoff is a string there and keeps every digit it
 * has, so the recorded cutoff given back as --as-of is the same instant (PyPI's upload times
 * have microseconds: cut to the millisecond, a `leaves` cutoff would be before its own leaves).
 */

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})$/;

/** Nanoseconds since the Unix epoch of an RFC 3339 date-time with an offset; undefined when it is not one. */
export function parseInstant(text: string): bigint | undefined {
  const m = RFC3339.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59));
  const check = new Date(ms);
  // Date.UTC rolls 2024-02-30 over into March: a date that does not exist is refused, not moved.
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 60)
    return undefined;
  let offsetMin = 0;
  const off = m[8]!;
  if (off !== 'Z' && off !== 'z') {
    const oh = Number(off.slice(1, 3));
    const om = Number(off.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (off[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const frac = BigInt((m[7] ?? '').padEnd(9, '0'));
  // A leap second (:60) counts as the last instant of its minute.
  const leap = s === 60 ? 999_999_999n : 0n;
  return (BigInt(ms) - BigInt(offsetMin) * 60_000n) * 1_000_000n + frac + leap;
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ`: the instant in UTC, truncated to the millisecond (the form locks record). */
export function formatInstant(ns: bigint): string {
  const ms = ns >= 0n ? ns / 1_000_000n : -((-ns + 999_999n) / 1_000_000n);
  return new Date(Number(ms)).toISOString();
}

/** The lock form of an RFC 3339 date-time (UTC, milliseconds), or undefined when it is not one. */
export function normalizeInstant(text: string): string | undefined {
  const ns = parseInstant(text);
  return ns === undefined ? undefined : formatInstant(ns);
}

/** `YYYY-MM-DDTHH:MM:SS.sss[ssssss]Z`: the instant in UTC with every fraction digit it has, at least milliseconds (the form a cutoff is recorded in). */
export function formatInstantExact(ns: bigint): string {
  const sub = ((ns % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const ms = formatInstant(ns);
  return sub === 0n ? ms : `${ms.slice(0, -1)}${sub.toString().padStart(6, '0').replace(/0+$/, '')}Z`;
}

/** The recorded form of a cutoff (UTC, every fraction digit), or undefined when it is not an RFC 3339 date-time. */
export function normalizeInstantExact(text: string): string | undefined {
  const ns = parseInstant(text);
  return ns === undefined ? undefined : formatInstantExact(ns);
}
