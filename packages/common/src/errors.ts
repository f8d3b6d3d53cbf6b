/**
 * Every error karoo raises on purpose is a KarooError. Its `kind` tells a caller whether
 * retrying can help, and decides the CLI's exit code. Guards compare `name`/`kind`, not
 * `instanceof`, so they keep working when a library is bundled into several actions.
 */
export type ErrorKind =
  | 'input' // bad input: will never succeed as given (exit 2)
  | 'integrity' // bytes do not match a recorded digest (exit 3)
  | 'unavailable' // a server or tool could not be reached; a retry may help (exit 4)
  | 'conflict' // the world changed under us, e.g. a concurrent promotion (exit 5)
  | 'refused' // a policy gate said no (exit 6)
  | 'internal'; // a bug (exit 1)

export const EXIT_CODES: Record<ErrorKind, number> = {
  internal: 1,
  input: 2,
  integrity: 3,
  unavailable: 4,
  conflict: 5,
  refused: 6,
};

export class KarooError extends Error {
  override name = 'KarooError';
  readonly kind: ErrorKind;
  /** Extra machine-readable detail, printed with --json. */
  readonly detail: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; detail?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.detail = options?.detail;
  }

  get retryable(): boolean {
    return this.kind === 'unavailable';
  }
}

/** A syntax or content error at a position in a file: printed as `FILE:LINE: reason`. */
export class FileError extends KarooError {
  override name = 'FileError';
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly reason: string;

  constructor(file: string, line: number | undefined, reason: string, column?: number) {
    super('input', `${file}${line === undefined ? '' : `:${line}`}${column === undefined ? '' : `:${column}`}: ${reason}`, {
      detail: { file, line, column, reason },
    });
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

export function isKarooError(e: unknown): e is KarooError {
  return e instanceof Error && typeof (e as { kind?: unknown }).kind === 'string' && 'detail' in e;
}

export function isFileError(e: unknown): e is FileError {
  return isKarooError(e) && e.name === 'FileError';
}

/** Turns anything thrown (including non-Error values) into a one-line message. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] || e.name;
  return String(e);
}

export function exitCodeOf(e: unknown): number {
  return isKarooError(e) ? EXIT_CODES[e.kind] : 1;
}

/** The most specific reason a network call failed: ECONNREFUSED, ENOTFOUND, a timeout… */
export function networkCause(e: unknown): string {
  let cur: unknown = e;
  let deepest = errorMessage(e);
  for (let depth = 0; depth < 5 && cur; depth++) {
    const c = cur as { code?: unknown; name?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof c.code === 'string' && c.code !== 'UND_ERR_SOCKET' && !c.code.startsWith('ERR_')) return c.code;
    if (c.name === 'TimeoutError' || c.name === 'AbortError') return 'timed out';
    if (cur !== e) deepest = errorMessage(cur);
    if (Array.isArray(c.errors) && c.errors.length > 0) cur = c.errors[0];
    else cur = c.cause;
  }
  return deepest;
}
