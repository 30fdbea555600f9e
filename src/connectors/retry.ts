/**
 * Retrying an operation that failed for a passing reason (a dropped connection, a
 * server restarting, a deadlock), with exponential backoff and full jitter. Shared by
 * the sinks that write to a database or a broker; each decides which of its errors
 * are transient.
 */

/** How often and how patiently {@link withRetry} tries. */
export interface RetryOptions {
  /** Tries in all, the first included. Default 8. */
  readonly attempts?: number;
  /** Upper bound of the wait before the second try, ms; it doubles with each try. Default 100. */
  readonly initialDelayMs?: number;
  /** Upper bound of any wait, ms. Default 5,000. */
  readonly maxDelayMs?: number;
}

/** The defaults of {@link RetryOptions}. */
export const RETRY_DEFAULTS = Object.freeze({
  attempts: 8,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
});

/** What {@link withRetry} needs besides the operation. */
export interface RetryPolicy extends RetryOptions {
  /** `true` for an error worth another try; any other error is thrown at once. */
  readonly isTransient: (error: unknown) => boolean;
  /** Told of each failed try that will be retried (for logs and metrics). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** `true` once retrying is pointless (the writer was closed): the last error is thrown. */
  readonly stopped?: () => boolean;
}

/**
 * Runs `operation` until it resolves, retrying transient failures. Resolves to its
 * result; rejects with the first non-transient error, or with the last transient one
 * once `attempts` tries have failed (the caller names what was tried and how often).
 * Waits are random in `[0, min(maxDelayMs, initialDelayMs × 2^(attempt-1))]` ("full
 * jitter"), so writers failing together do not retry together. The operation must be
 * safe to run again after a failure whose effect is unknown (an idempotent upsert, a
 * publish with a dedup id).
 */
export async function withRetry<R>(
  operation: (attempt: number) => Promise<R>,
  policy: RetryPolicy,
): Promise<R> {
  const attempts = policy.attempts ?? RETRY_DEFAULTS.attempts;
  const initial = policy.initialDelayMs ?? RETRY_DEFAULTS.initialDelayMs;
  const max = policy.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= attempts || !policy.isTransient(error) || policy.stopped?.() === true) {
        throw error;
      }
      const delayMs = Math.round(Math.random() * Math.min(max, initial * 2 ** (attempt - 1)));
      policy.onRetry?.(error, attempt, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** Node socket error codes that mean the connection, not the request, failed. */
const TRANSIENT_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
]);

/** `true` when `error` (or its cause) is a socket-level failure such as a refused or reset connection. */
export function isSocketError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT_SOCKET_CODES.has(code)) return true;
    e = e.cause;
  }
  return false;
}
