import { KarooError } from './errors.js';

/**
 * Canonical JSON (RFC 8785 for the values karoo hashes): object keys sorted by UTF-16 code
 * units, no insignificant whitespace, numbers as ECMAScript writes them (the RFC's rule, so
 * `0.5` and `500` are stable), dates as ISO 8601 strings, `undefined` members dropped.
 * Everything karoo hashes — locks, candidates, configurations, records — goes through it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new KarooError('input', `canonical JSON cannot hold the number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new KarooError('input', `canonical JSON cannot hold a ${typeof value}`);
  }
}
