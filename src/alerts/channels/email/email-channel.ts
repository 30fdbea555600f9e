/**
 * The e-mail channel: sends an HTML and text message over SMTP with nodemailer.
 */
import type nodemailer from "nodemailer";
import type { NodemailerError, Transporter } from "nodemailer";
import { lazyRequire } from "../../../connectors/lazy-library.js";
import type { Notification } from "../../notification.js";
import {
  type Channel,
  delivered,
  describeError,
  rejected,
  retry,
  type SendOptions,
  type SendResult,
} from "../channel.js";
import type { Secret } from "../secret.js";
import { buildEmail, messageId } from "./email-message.js";

/** nodemailer, loaded by the first e-mail channel. */
const nodemailerLibrary = lazyRequire<typeof nodemailer>("nodemailer");

/** Options of {@link EmailChannel}. */
export interface EmailChannelOptions {
  readonly name: string;
  /** The SMTP server. */
  readonly host: string;
  /** Default 587 (465 when `secure`). */
  readonly port?: number;
  /** TLS from the first byte (port 465). Default false: STARTTLS when the server offers it. */
  readonly secure?: boolean;
  /** Refuse to send unless the connection is upgraded with STARTTLS. Default false. */
  readonly requireTLS?: boolean;
  /** Login, when the server requires one. */
  readonly user?: string;
  readonly password?: Secret;
  /** Sender, e.g. `millstream <alarms@plant.example>`. */
  readonly from: string;
  readonly to: readonly string[];
  readonly cc?: readonly string[];
  /** Put before every subject, e.g. `[plant-a] `. */
  readonly subjectPrefix?: string;
  /** Connection, greeting and idle-socket timeouts, in ms. Default 10,000. */
  readonly timeoutMs?: number;
}

/**
 * SMTP e-mail. One message to all recipients per notification, with a
 * `Message-ID` derived from the notification id and an `X-Millstream-Notification-Id`
 * header. SMTP replies decide the outcome: accepted is delivered; a permanent
 * rejection (5xx, a bad login) is rejected; 4xx replies, connection failures and
 * timeouts are retried. Partially accepted recipients count as delivered (the
 * rejected ones are named in `detail`). SMTP has no `Retry-After`.
 */
export class EmailChannel implements Channel {
  readonly kind = "email" as const;
  readonly name: string;
  readonly #options: EmailChannelOptions;
  readonly #transport: Transporter;
  readonly #domain: string;
  #closed = false;

  constructor(options: EmailChannelOptions) {
    this.name = options.name;
    this.#options = options;
    const timeout = options.timeoutMs ?? 10_000;
    const secure = options.secure ?? false;
    this.#transport = nodemailerLibrary().createTransport({
      host: options.host,
      port: options.port ?? (secure ? 465 : 587),
      secure,
      requireTLS: options.requireTLS ?? false,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(options.user !== undefined
        ? { auth: { user: options.user, pass: options.password?.reveal() ?? "" } }
        : {}),
    });
    const address = /<([^>]+)>/.exec(options.from)?.[1] ?? options.from;
    this.#domain = address.includes("@")
      ? (address.split("@").pop() as string)
      : "millstream.invalid";
  }

  async send(notification: Notification, options: SendOptions): Promise<SendResult> {
    if (this.#closed) return rejected(`channel ${this.name} is closed`);
    if (options.signal.aborted) return retry("aborted before sending");
    let content: ReturnType<typeof buildEmail>;
    try {
      content = buildEmail(notification, this.#options.subjectPrefix ?? "");
    } catch (error) {
      return rejected(`cannot build the e-mail: ${describeError(error)}`);
    }
    const severity = String(notification.severity);
    try {
      const info = await this.#transport.sendMail({
        from: this.#options.from,
        to: [...this.#options.to],
        ...(this.#options.cc ? { cc: [...this.#options.cc] } : {}),
        subject: content.subject,
        text: content.text,
        html: content.html,
        messageId: messageId(options.idempotencyKey, this.#domain),
        priority: severity === "critical" || severity === "high" ? "high" : "normal",
        headers: {
          "X-Millstream-Notification-Id": options.idempotencyKey,
          "X-Millstream-Event": String(notification.event),
        },
        signal: options.signal,
      });
      const refused = (info as { rejected?: unknown }).rejected;
      const detail =
        Array.isArray(refused) && refused.length > 0
          ? `refused by the server for: ${refused.map(String).join(", ")}`
          : undefined;
      return delivered(250, detail);
    } catch (error) {
      return classify(error as NodemailerError, options.signal);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#transport.close();
  }
}

function classify(error: NodemailerError, signal: AbortSignal): SendResult {
  const reason = `SMTP: ${describeError(error)}`;
  if (signal.aborted || error.code === "EABORT") return retry(`${reason} (aborted)`);
  if (typeof error.responseCode === "number") {
    const permanent = error.permanent ?? (error.responseCode >= 500 && error.responseCode !== 503);
    return permanent
      ? rejected(reason, error.responseCode)
      : retry(reason, { status: error.responseCode });
  }
  if (error.code === "EAUTH" || error.code === "ENOAUTH" || error.code === "ECONFIG") {
    return rejected(reason);
  }
  return retry(reason);
}
