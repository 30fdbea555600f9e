/**
 * When to try a failed notification again: exponential backoff with jitter, the
 * receiver's `Retry-After` when it sent one, and when to give up.
 */

/** Retry settings of the dispatcher. */
export interface RetryPolicy {
  /** Attempts in all, the first included, before a notification is dead. Default 10. */
  readonly maxAttempts: number;
  /** Delay after the first failed attempt, in ms. Default 1000. */
  readonly initialDelayMs: number;
  /** Longest backoff delay, in ms. Default 300,000 (5 min). */
  readonly maxDelayMs: number;
  /** Growth of the delay per attempt. Default 2. */
  readonly multiplier: number;
  /**
   * Share of the delay drawn at random, 0…1: the delay is `d × (1 − jitter × r)` with
   * `r` uniform in [0, 1), so retries of many notifications spread out. Default 0.5.
   */
  readonly jitter: number;
  /**
   * Longest `Retry-After` honoured, in ms; a longer one waits this long. Default
   * 3,600,000 (1 h).
   */
  readonly maxRetryAfterMs: number;
}

/** The defaults of {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 10,
  initialDelayMs: 1000,
  maxDelayMs: 300_000,
  multiplier: 2,
  jitter: 0.5,
  maxRetryAfterMs: 3_600_000,
});

/**
 * The delay before attempt `attempts + 1`, after `attempts` failed ones (≥ 1), in ms.
 * `retryAfterMs`, when given, wins over the backoff (capped at `maxRetryAfterMs`);
 * `random` returns a number in [0, 1).
 */
export function retryDelay(
  policy: RetryPolicy,
  attempts: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined)
    return Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs);
  const exponent = Math.max(0, attempts - 1);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** exponent);
  return Math.round(base * (1 - policy.jitter * random()));
}

/** Checks a policy, throwing a `RangeError` that names the bad setting. */
export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const fail = (what: string) => {
    throw new RangeError(`retry policy: ${what}`);
  };
  if (!Number.isSafeInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    fail(`maxAttempts must be an integer >= 1, got ${policy.maxAttempts}`);
  }
  if (!(policy.initialDelayMs >= 0))
    fail(`initialDelayMs must be >= 0, got ${policy.initialDelayMs}`);
  if (!(policy.maxDelayMs >= policy.initialDelayMs)) {
    fail(`maxDelayMs must be >= initialDelayMs, got ${policy.maxDelayMs}`);
  }
  if (!(policy.multiplier >= 1)) fail(`multiplier must be >= 1, got ${policy.multiplier}`);
  if (!(policy.jitter >= 0 && policy.jitter <= 1))
    fail(`jitter must be within 0…1, got ${policy.jitter}`);
  if (!(policy.maxRetryAfterMs >= 0)) {
    fail(`maxRetryAfterMs must be >= 0, got ${policy.maxRetryAfterMs}`);
  }
  return policy;
}
