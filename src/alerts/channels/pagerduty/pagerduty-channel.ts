/**
 * The PagerDuty channel: Events API v2 (`POST /v2/enqueue`) with trigger,
 * acknowledge and resolve, and a stable `dedup_key` (see `pagerduty-event.ts`).
 */
import type { Notification } from "../../notification.js";
import {
  type Channel,
  delivered,
  rejected,
  type SendOptions,
  type SendResult,
  withCompletedParts,
} from "../channel.js";
import {
  GuardedHttpClient,
  type GuardedHttpOptions,
  type HttpResponse,
} from "../http/guarded-http-client.js";
import { bodySnippet, exchange } from "../http/http-outcome.js";
import type { Secret } from "../secret.js";
import { type DedupKeyMode, pagerDutyEvents } from "./pagerduty-event.js";

/** The Events API v2 endpoint (US service region; EU: `https://events.eu.pagerduty.com/v2/enqueue`). */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

/** Options of {@link PagerDutyChannel}. */
export interface PagerDutyChannelOptions {
  readonly name: string;
  /** The integration's routing key (Events API v2 integration key). */
  readonly routingKey: Secret;
  /** Default {@link PAGERDUTY_EVENTS_URL}. */
  readonly url?: string;
  /** One incident per notification group (default) or per alarm. */
  readonly dedupKey?: DedupKeyMode;
  /** The `client` field: who sends the event. Default `millstream`. */
  readonly client?: string;
  readonly http?: GuardedHttpOptions;
}

/**
 * PagerDuty Events API v2. 202 is delivered; 400 (invalid event) rejected; 429 and
 * 5xx retried. In `alarm` mode a grouped notification is several events: those
 * already accepted are reported as `completedParts` and skipped on the next attempt.
 * The notification id goes in `Idempotency-Key` and `custom_details.notification_id`.
 */
export class PagerDutyChannel implements Channel {
  readonly kind = "pagerduty" as const;
  readonly name: string;
  readonly #routingKey: Secret;
  readonly #url: string;
  readonly #mode: DedupKeyMode;
  readonly #client: string;
  readonly #http: GuardedHttpClient;
  #closed = false;

  constructor(options: PagerDutyChannelOptions) {
    this.name = options.name;
    this.#routingKey = options.routingKey;
    this.#url = options.url ?? PAGERDUTY_EVENTS_URL;
    this.#mode = options.dedupKey ?? "group";
    this.#client = options.client ?? "millstream";
    this.#http = new GuardedHttpClient(options.http);
  }

  async send(notification: Notification, options: SendOptions): Promise<SendResult> {
    if (this.#closed) return rejected(`channel ${this.name} is closed`);
    let events: ReturnType<typeof pagerDutyEvents>;
    try {
      events = pagerDutyEvents(notification, this.#routingKey.reveal(), this.#mode, this.#client);
    } catch (error) {
      return rejected(`cannot build the PagerDuty event: ${(error as Error).message}`);
    }
    const done = new Set(options.completedParts ?? []);
    let last: SendResult = delivered(202);
    for (const event of events) {
      if (done.has(event.part)) continue;
      const result = await exchange(
        this.#http,
        {
          method: "POST",
          url: this.#url,
          headers: {
            "content-type": "application/json",
            "idempotency-key": options.idempotencyKey,
            "user-agent": "millstream",
          },
          body: JSON.stringify(event.body),
          signal: options.signal,
        },
        describe,
      );
      if (result.outcome === "rejected") return result;
      if (result.outcome === "retry") return withCompletedParts(result, done);
      done.add(event.part);
      last = result;
    }
    return last;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** PagerDuty answers errors as `{ status, message, errors: [...] }`. */
function describe(response: HttpResponse): string {
  try {
    const body = JSON.parse(response.body) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(body.errors) ? `: ${body.errors.map(String).join("; ")}` : "";
    if (typeof body.message === "string") {
      return `HTTP ${response.status} from ${response.url}: ${bodySnippet(`${body.message}${errors}`)}`;
    }
  } catch {
    // not JSON: fall through
  }
  const snippet = bodySnippet(response.body);
  return `HTTP ${response.status} from ${response.url}${snippet ? `: ${snippet}` : ""}`;
}
