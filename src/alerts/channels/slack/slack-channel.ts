/**
 * The Slack channel: posts a Block Kit message to an incoming webhook. The webhook
 * URL is a secret (anyone holding it can post), so it comes from a secret reference
 * and messages show only its origin.
 */
import type { Notification } from "../../notification.js";
import { type Channel, rejected, type SendOptions, type SendResult } from "../channel.js";
import { GuardedHttpClient, type GuardedHttpOptions } from "../http/guarded-http-client.js";
import { exchange } from "../http/http-outcome.js";
import type { Secret } from "../secret.js";
import { buildSlackMessage } from "./slack-message.js";

/** Options of {@link SlackChannel}. */
export interface SlackChannelOptions {
  readonly name: string;
  /** The incoming webhook URL (`https://hooks.slack.com/services/…`). */
  readonly url: Secret;
  /** Timeouts, limits and the SSRF policy. */
  readonly http?: GuardedHttpOptions;
  /** Alarms shown in one message; the rest are counted. Default 10. */
  readonly maxAlarms?: number;
}

/**
 * Slack incoming webhook. Slack answers 200 `ok`; 400 (`invalid_payload`), 403, 404
 * (`no_service`) and 410 (`channel_is_archived`) are rejected; 429 and 5xx retried
 * after `Retry-After`. Slack has no idempotency key: the `Idempotency-Key` header is
 * sent for proxies that use it, and the message footer shows the notification id.
 */
export class SlackChannel implements Channel {
  readonly kind = "slack" as const;
  readonly name: string;
  readonly #url: Secret;
  readonly #client: GuardedHttpClient;
  readonly #maxAlarms: number;
  #closed = false;

  constructor(options: SlackChannelOptions) {
    this.name = options.name;
    this.#url = options.url;
    this.#client = new GuardedHttpClient(options.http);
    this.#maxAlarms = options.maxAlarms ?? 10;
  }

  async send(notification: Notification, options: SendOptions): Promise<SendResult> {
    if (this.#closed) return rejected(`channel ${this.name} is closed`);
    let body: string;
    try {
      body = JSON.stringify(buildSlackMessage(notification, this.#maxAlarms));
    } catch (error) {
      return rejected(`cannot build the Slack message: ${(error as Error).message}`);
    }
    return exchange(this.#client, {
      method: "POST",
      url: this.#url.reveal(),
      secretPath: true,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "idempotency-key": options.idempotencyKey,
        "user-agent": "millstream",
      },
      body,
      signal: options.signal,
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
