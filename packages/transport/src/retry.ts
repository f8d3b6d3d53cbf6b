import { errorMessage, KarooError, networkCause } from '@karoo/common';

/** HTTP statuses that say "not now": the one list every karoo request retries on. */
export const RETRY_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * Error codes of a connection that broke or could not be made (Node's and undici's): a later
 * attempt may succeed. The one list every karoo request retries on.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export interface RetryOptions {
  /** Attempts in all, the first included. Default 5. */
  readonly attempts: number;
  /** First backoff; it doubles with each attempt (with jitter). Default 250 ms. */
  readonly baseMs: number;
  /** Longest backoff between two attempts when the server names no time. Default 8 s. */
  readonly maxMs: number;
  /**
   * Longest `Retry-After` karoo waits. A server asking for more is given up on at once (an
   * `unavailable` error naming the time asked for) rather than waited on silently. Default 60 s.
   */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseMs: 250, maxMs: 8000, maxRetryAfterMs: 60_000 };

/**
 * One attempt failed in a way a later attempt may not (a retryable status, a broken
 * connection). Carries the wait the server asked for, if any. Kind `unavailable`.
 */
export class RetryableError extends KarooError {
  override name = 'RetryableError';
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;

  constructor(message: string, options: { cause?: unknown; retryAfterMs?: number | undefined; status?: number | undefined } = {}) {
    super('unavailable', message, { cause: options.cause, detail: { status: options.status, retryAfterMs: options.retryAfterMs } });
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

/** True for an error from a connection that broke or could not be made (the cause chain is searched). */
export function isTransientNetworkError(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; depth < 6 && cur; depth++) {
    const c = cur as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown[] };
    if (c.name === 'AbortError') return false;
    if (typeof c.code === 'string' && NETWORK_ERROR_CODES.has(c.code)) return true;
    if (c.name === 'TimeoutError' || (typeof c.message === 'string' && /socket hang up|other side closed|premature close/i.test(c.message)))
      return true;
    cur = Array.isArray(c.errors) && c.errors.length > 0 ? c.errors[0] : c.cause;
  }
  return false;
}

/** True when a later attempt may succeed: a RetryableError (compared by name) or a broken connection. */
export function isRetryable(e: unknown): boolean {
  return (e instanceof Error && e.name === 'RetryableError') || isTransientNetworkError(e);
}

/**
 * A `Retry-After` value in milliseconds from `now`: delta-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`, a date in the past meaning 0). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Backoff before attempt `attempt + 1` when the server named no time: exponential, capped, half of it jitter. */
export function backoffMs(attempt: number, policy: RetryOptions): number {
  const exp = Math.min(policy.baseMs * 2 ** (attempt - 1), policy.maxMs);
  return exp / 2 + Math.random() * (exp / 2);
}

export interface WithRetryOptions {
  readonly policy?: Partial<RetryOptions> | undefined;
  /** Told before each wait: what failed and how long karoo waits. */
  readonly onRetry?: ((message: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `attempt` until it succeeds, throws something not retryable (see isRetryable), or the
 * policy's attempts are spent; waits between attempts as the server asked (`Retry-After`,
 * up to the cap) or with backoff. Gives up with a KarooError `unavailable` (exit 4) saying
 * after how many attempts, or that the server asked for a longer wait than the cap.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, options: WithRetryOptions = {}): Promise<T> {
  const policy: RetryOptions = { ...DEFAULT_RETRY, ...options.policy };
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (!isRetryable(e)) throw e;
      const what = e instanceof Error && e.name === 'RetryableError' ? e.message : `${errorMessage(e)} (${networkCause(e)})`;
      if (n >= policy.attempts)
        throw new KarooError('unavailable', `${what} (gave up after ${n} attempts)`, { cause: e, detail: { attempts: n } });
      const asked = (e as Partial<RetryableError>).retryAfterMs;
      if (asked !== undefined && asked > policy.maxRetryAfterMs) {
        throw new KarooError(
          'unavailable',
          `${what} and asked to retry after ${Math.ceil(asked / 1000)} s, longer than karoo waits (${policy.maxRetryAfterMs / 1000} s); try again later`,
          {
            cause: e,
            detail: { attempts: n, retryAfterMs: asked },
          },
        );
      }
      const wait = asked ?? backoffMs(n, policy);
      options.onRetry?.(
        `${what}; retrying in ${wait >= 1000 ? `${(wait / 1000).toFixed(wait % 1000 ? 1 : 0)} s` : `${Math.round(wait)} ms`} (attempt ${n + 1} of ${policy.attempts})`,
      );
      await sleep(wait, options.signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
