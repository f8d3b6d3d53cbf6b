/** Small helpers shared by the TOML lock readers (smol-toml) and the pylock writer. */
import { FileError } from '@karoo/common';
import { parse, TomlError } from 'smol-toml';

export type TomlTable = Record<string, unknown>;

/** Parses TOML; a syntax error becomes FileError(file, line, reason). */
export function parseToml(text: string, file: string): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch (e) {
    if (e instanceof TomlError || (e instanceof Error && typeof (e as { line?: unknown }).line === 'number')) {
      const err = e as Error & { line: number; column: number };
      const reason = err.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
      throw new FileError(file, err.line, `invalid TOML: ${reason}`, err.column);
    }
    throw e;
  }
}

export function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** A TOML basic string: JSON's escapes are TOML's, except DEL and U+0080..U+009F must be escaped too. */
export function tomlString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
}

/**
 * Line numbers of array-of-tables headers `[[name]]` in source order, for error messages:
 * TOML parsers give values, not positions.
 */
export function headerLines(text: string, name: string): number[] {
  const out: number[] = [];
  const re = new RegExp(`^\\s*\\[\\[\\s*${name.replace(/\./g, '\\s*\\.\\s*')}\\s*\\]\\]`);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i]!)) out.push(i + 1);
  return out;
}

/** The 1-based line of the first `key = "value"` at or after line `from`, or undefined. */
export function lineOfKeyValue(text: string, key: string, value: string, from = 1): number | undefined {
  const lines = text.split('\n');
  const esc = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(^|[{,\\s])${key}\\s*=\\s*["']${esc}["']`);
  for (let i = Math.max(0, from - 1); i < lines.length; i++) if (re.test(lines[i]!)) return i + 1;
  return undefined;
}
