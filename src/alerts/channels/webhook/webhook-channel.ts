/**
 * The generic webhook channel: POSTs the notification as JSON, signed as Standard
 * Webhooks specify, to any HTTP receiver (a MES, a ticketing system, a custom bot).
 */
import type { Notification } from "../../notification.js";
import { type Channel, rejected, type SendOptions, type SendResult } from "../channel.js";
import { GuardedHttpClient, type GuardedHttpOptions } from "../http/guarded-http-client.js";
import { exchange } from "../http/http-outcome.js";
import { summarize, summaryText } from "../message/notification-summary.js";
import type { Secret } from "../secret.js";
import { signWebhook, webhookKey } from "./standard-webhooks.js";

/** Options of {@link WebhookChannel}. */
export interface WebhookChannelOptions {
  readonly name: string;
  readonly url: string;
  /** The signing secret, `whsec_` + base64 (at least 16 bytes). */
  readonly secret: Secret;
  /** Extra headers (e.g. an API token); dropped when a redirect leads to another origin. */
  readonly headers?: Readonly<Record<string, Secret | string>>;
  readonly http?: GuardedHttpOptions;
  /** The clock for `webhook-timestamp`, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

/** The JSON body: the Standard Webhooks envelope around the notification. */
export interface WebhookPayload {
  /** `alarm.notification.firing`, `….escalated`, `….acknowledged`, `….resolved`. */
  readonly type: string;
  /** When the notification was decided (ISO 8601). */
  readonly timestamp: string;
  readonly data: Notification & {
    /** The human-readable message: what, where, how bad, since when, value, link. */
    readonly text: string;
  };
}

/**
 * Standard Webhooks. `webhook-id` is the notification id (stable across retries
 * and restarts: receivers drop duplicates by it); `webhook-timestamp` is the time of
 * the attempt; `webhook-signature` signs `id.timestamp.body`. 2xx is delivered;
 * 408, 429 and 5xx retried; other statuses rejected.
 */
export class WebhookChannel implements Channel {
  readonly kind = "webhook" as const;
  readonly name: string;
  readonly #url: string;
  readonly #key: Buffer;
  readonly #headers: Readonly<Record<string, Secret | string>>;
  readonly #http: GuardedHttpClient;
  readonly #now: () => number;
  #closed = false;

  /** Throws a `TypeError` for a malformed secret. */
  constructor(options: WebhookChannelOptions) {
    this.name = options.name;
    this.#url = options.url;
    this.#key = webhookKey(options.secret.reveal());
    this.#headers = options.headers ?? {};
    this.#http = new GuardedHttpClient(options.http);
    this.#now = options.now ?? Date.now;
  }

  async send(notification: Notification, options: SendOptions): Promise<SendResult> {
    if (this.#closed) return rejected(`channel ${this.name} is closed`);
    let body: string;
    try {
      const createdAt = Number.isFinite(notification.createdAt) ? notification.createdAt : 0;
      const payload: WebhookPayload = {
        type: `alarm.notification.${String(notification.event)}`,
        timestamp: new Date(createdAt).toISOString(),
        data: { ...notification, text: summaryText(summarize(notification)) },
      };
      body = JSON.stringify(payload);
    } catch (error) {
      return rejected(`cannot build the webhook payload: ${(error as Error).message}`);
    }
    const timestamp = Math.floor(this.#now() / 1000);
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.#headers)) {
      extra[k.toLowerCase()] = typeof v === "string" ? v : v.reveal();
    }
    return exchange(this.#http, {
      method: "POST",
      url: this.#url,
      headers: {
        ...extra,
        "content-type": "application/json",
        "user-agent": "millstream",
        "webhook-id": options.idempotencyKey,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signWebhook(this.#key, options.idempotencyKey, timestamp, body),
      },
      body,
      signal: options.signal,
      sensitiveHeaders: ["authorization", ...Object.keys(extra)],
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
