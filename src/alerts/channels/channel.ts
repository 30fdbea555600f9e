/**
 * The notification channel interface: one `send` per notification, resolving to a
 * classified result the dispatcher acts on (done, try again later, give up). Each
 * implementation (Slack, email, SMS, PagerDuty, webhook) lives in its own folder.
 */
import type { Notification } from "../notification.js";

/** The kinds of channel millstream implements. */
export type ChannelKind = "slack" | "email" | "sms" | "pagerduty" | "webhook";

/** What the dispatcher passes with each attempt. */
export interface SendOptions {
  /**
   * Stable across retries and restarts (the notification id). Channels send it where
   * the receiver can use it to drop duplicates: `Idempotency-Key` header, Standard
   * Webhooks `webhook-id`, e-mail `Message-ID`, PagerDuty `dedup_key` context.
   */
  readonly idempotencyKey: string;
  /** Aborted when the attempt times out or the dispatcher stops: give up promptly. */
  readonly signal: AbortSignal;
  /**
   * Parts of a multi-part delivery (SMS recipients, PagerDuty alarms) that an earlier
   * attempt already delivered; the channel skips them.
   */
  readonly completedParts?: readonly string[];
}

/**
 * The outcome of one attempt. `send` never rejects: every failure is one of these.
 *
 * - `delivered`: the receiver accepted it (HTTP 2xx, SMTP 250).
 * - `retry`: a transient failure (network error, timeout, HTTP 408, 429 or 5xx, SMTP
 *   4xx); `retryAfterMs` is the receiver's `Retry-After`, when it gave one;
 *   `completedParts` the parts delivered so far, when the channel has several.
 * - `rejected`: a permanent failure (other HTTP 4xx, SMTP 5xx, a target refused by the
 *   SSRF policy, a message the receiver cannot take): retrying would fail again.
 */
export type SendResult =
  | { readonly outcome: "delivered"; readonly status?: number; readonly detail?: string }
  | {
      readonly outcome: "retry";
      readonly reason: string;
      readonly status?: number;
      readonly retryAfterMs?: number;
      readonly completedParts?: readonly string[];
    }
  | { readonly outcome: "rejected"; readonly reason: string; readonly status?: number };

/**
 * A configured destination for notifications.
 *
 * `send` delivers one notification and resolves to a {@link SendResult}; it does not
 * reject, also not on bad input or an aborted signal (that is a `retry`). It may be
 * called concurrently. Secrets never appear in results or errors.
 */
export interface Channel {
  /** The configured name, which `Notification.channel` refers to (e.g. `"slack-ops"`). */
  readonly name: string;
  readonly kind: ChannelKind;
  send(notification: Notification, options: SendOptions): Promise<SendResult>;
  /** Releases connections. Sends after `close` resolve to `rejected`. */
  close(): Promise<void>;
}

/** A `delivered` result. */
export function delivered(status?: number, detail?: string): SendResult {
  return {
    outcome: "delivered",
    ...(status !== undefined ? { status } : {}),
    ...(detail !== undefined ? { detail } : {}),
  };
}

/** A `retry` result. */
export function retry(
  reason: string,
  extra: { status?: number; retryAfterMs?: number; completedParts?: readonly string[] } = {},
): SendResult {
  return { outcome: "retry", reason, ...extra };
}

/** A `rejected` result. */
export function rejected(reason: string, status?: number): SendResult {
  return { outcome: "rejected", reason, ...(status !== undefined ? { status } : {}) };
}

/**
 * A `retry` result that also reports the parts delivered so far (none: the result
 * unchanged).
 */
export function withCompletedParts(result: SendResult, parts: ReadonlySet<string>): SendResult {
  if (result.outcome !== "retry" || parts.size === 0) return result;
  return { ...result, completedParts: [...parts] };
}

/** Turns anything thrown into one line of text, for a result's `reason`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
