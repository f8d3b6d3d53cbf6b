import { errorMessage, exitCodeOf, isKarooError } from '@karoo/common';

export interface GlobalOptions {
  json?: boolean;
}

/** Prints a command's result: JSON on stdout with --json, the human rendering otherwise. */
export function emit<T>(result: T, opts: GlobalOptions, human: (r: T) => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const text = human(result);
    if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** One line on stderr (and a JSON error object on stdout with --json); returns the exit code. */
export function reportError(e: unknown, json: boolean): number {
  const code = exitCodeOf(e);
  process.stderr.write(`karoo: error: ${errorMessage(e)}\n`);
  if (!isKarooError(e) && e instanceof Error && process.env.KAROO_DEBUG) process.stderr.write(`${e.stack}\n`);
  if (json) {
    const detail = isKarooError(e) ? e.detail : undefined;
    const kind = isKarooError(e) ? e.kind : 'internal';
    process.stdout.write(`${JSON.stringify({ error: { kind, message: errorMessage(e), ...(detail ? { detail } : {}) } }, null, 2)}\n`);
  }
  return code;
}

/** Left-aligned plain-text table. */
export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  if (all.length === 0) return '';
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}
