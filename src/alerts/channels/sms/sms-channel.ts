/**
 * The SMS channel: one message per recipient through an HTTP gateway with a
 * Twilio-compatible API (`POST {baseUrl}/2010-04-01/Accounts/{sid}/Messages.json`,
 * form-encoded `To`, `From` or `MessagingServiceSid`, `Body`; HTTP Basic with the
 * account SID and auth token).
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
import { MAX_SMS_LENGTH, smsText } from "./sms-text.js";

/** Twilio's API. */
export const TWILIO_BASE_URL = "https://api.twilio.com";

/** Options of {@link SmsChannel}. Give `from` or `messagingServiceSid`. */
export interface SmsChannelOptions {
  readonly name: string;
  /** The gateway's base URL. Default {@link TWILIO_BASE_URL}. */
  readonly baseUrl?: string;
  readonly accountSid: string;
  readonly authToken: Secret;
  /** Sender number (E.164). */
  readonly from?: string;
  /** Or a messaging service that picks the sender. */
  readonly messagingServiceSid?: string;
  /** Recipients (E.164), each sent its own message. */
  readonly to: readonly string[];
  /** Longest body, in characters. Default 1600. */
  readonly maxLength?: number;
  readonly http?: GuardedHttpOptions;
}

/**
 * Twilio-compatible SMS. 2xx (Twilio: 201) is delivered; 400 (invalid number,
 * Twilio codes 21211, 21610, …), 401 and 404 rejected; 429 and 5xx retried. Each
 * recipient is a part: after a partial failure, the recipients already sent to are
 * reported as `completedParts` and not texted again. The `Idempotency-Key` header is
 * `<notification id>:<recipient>` for gateways that honour it.
 */
export class SmsChannel implements Channel {
  readonly kind = "sms" as const;
  readonly name: string;
  readonly #endpoint: string;
  readonly #authorization: () => string;
  readonly #options: SmsChannelOptions;
  readonly #http: GuardedHttpClient;
  #closed = false;

  constructor(options: SmsChannelOptions) {
    if ((options.from === undefined) === (options.messagingServiceSid === undefined)) {
      throw new TypeError(`SMS channel ${options.name}: give either from or messagingServiceSid`);
    }
    this.name = options.name;
    this.#options = options;
    const base = (options.baseUrl ?? TWILIO_BASE_URL).replace(/\/+$/, "");
    this.#endpoint = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
    this.#authorization = () =>
      `Basic ${Buffer.from(`${options.accountSid}:${options.authToken.reveal()}`).toString("base64")}`;
    this.#http = new GuardedHttpClient(options.http);
  }

  async send(notification: Notification, options: SendOptions): Promise<SendResult> {
    if (this.#closed) return rejected(`channel ${this.name} is closed`);
    let body: string;
    try {
      body = smsText(notification, this.#options.maxLength ?? MAX_SMS_LENGTH);
    } catch (error) {
      return rejected(`cannot build the SMS text: ${(error as Error).message}`);
    }
    const done = new Set(options.completedParts ?? []);
    let status: number | undefined;
    for (const to of this.#options.to) {
      if (done.has(to)) continue;
      const form = new URLSearchParams({ To: to, Body: body });
      if (this.#options.from !== undefined) form.set("From", this.#options.from);
      else form.set("MessagingServiceSid", this.#options.messagingServiceSid as string);
      const result = await exchange(
        this.#http,
        {
          method: "POST",
          url: this.#endpoint,
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            authorization: this.#authorization(),
            "idempotency-key": `${options.idempotencyKey}:${to}`,
            "user-agent": "millstream",
          },
          body: form.toString(),
          signal: options.signal,
        },
        describe,
      );
      if (result.outcome === "rejected") {
        return rejected(`to ${to}: ${result.reason}`, result.status);
      }
      if (result.outcome === "retry") return withCompletedParts(result, done);
      done.add(to);
      status = result.status;
    }
    return delivered(status);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** Twilio answers errors as `{ code, message, more_info, status }`. */
function describe(response: HttpResponse): string {
  try {
    const body = JSON.parse(response.body) as { code?: unknown; message?: unknown };
    if (typeof body.message === "string") {
      const code = body.code !== undefined ? `error ${String(body.code)}: ` : "";
      return `HTTP ${response.status}: ${bodySnippet(`${code}${body.message}`)}`;
    }
  } catch {
    // not JSON: fall through
  }
  const snippet = bodySnippet(response.body);
  return `HTTP ${response.status}${snippet ? `: ${snippet}` : ""}`;
}
