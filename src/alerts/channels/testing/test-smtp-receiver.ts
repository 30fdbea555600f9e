/**
 * A real SMTP server on loopback (`smtp-server`) that keeps the messages it accepts
 * and decodes them enough for assertions: headers, the text and HTML parts (test
 * files only). It can be told to refuse (4xx, 5xx) or to stall a message.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** How to answer one message: accept, refuse for now (451), for good (550), or never answer its data. */
export type SmtpPlan = "ok" | "transient" | "permanent" | "hang";

/** A message as received. */
export interface ReceivedMail {
  /** Whether it was accepted (250), or refused with `reply`. */
  readonly accepted: boolean;
  readonly reply: number;
  readonly from: string;
  readonly to: readonly string[];
  /** Header names in lower case; values unfolded, encoded words decoded. */
  readonly headers: Readonly<Record<string, string>>;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly raw: string;
}

/** A running SMTP receiver. */
export interface SmtpReceiver {
  readonly host: string;
  readonly port: number;
  /** Every message whose data arrived, accepted or refused (not stalled ones). */
  readonly messages: ReceivedMail[];
  /** The accepted ones. */
  accepted(): ReceivedMail[];
  /** Answers the next messages with these plans, in order (then `ok`). */
  queue(...plans: SmtpPlan[]): void;
  close(): Promise<void>;
}

/**
 * Starts an SMTP server on 127.0.0.1 (no TLS, no authentication required). `plan`
 * decides the answer to each message once the queue is empty (default `ok`).
 */
export async function startSmtpReceiver(
  options: { plan?: () => SmtpPlan } = {},
): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const queued: SmtpPlan[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    closeTimeout: 100,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const plan = queued.shift() ?? options.plan?.() ?? "ok";
        if (plan === "hang") return;
        const raw = Buffer.concat(chunks).toString("utf8");
        const reply = plan === "ok" ? 250 : plan === "transient" ? 451 : 550;
        messages.push(parseMail(raw, session.envelope.mailFrom, session.envelope.rcptTo, reply));
        if (plan !== "ok") {
          const error = new Error(
            plan === "transient" ? "Try again later" : "Mailbox unavailable",
          ) as Error & {
            responseCode: number;
          };
          error.responseCode = reply;
          callback(error);
          return;
        }
        callback(null);
      });
    },
  });
  // A client killed mid-session resets its connection: not the receiver's failure.
  server.on("error", () => {});
  server.listen(0, "127.0.0.1");
  await once(server.server, "listening");
  const { port } = server.server.address() as AddressInfo;
  return {
    host: "127.0.0.1",
    port,
    messages,
    accepted: () => messages.filter((m) => m.accepted),
    queue: (...plans) => queued.push(...plans),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function parseMail(
  raw: string,
  from: { address: string } | false,
  to: readonly { address: string }[],
  reply: number,
): ReceivedMail {
  const { headers, body } = splitHeaders(raw);
  const parts = collectParts(headers, body);
  return {
    accepted: reply === 250,
    reply,
    from: from ? from.address : "",
    to: to.map((r) => r.address),
    headers,
    subject: headers.subject ?? "",
    text: parts.text,
    html: parts.html,
    raw,
  };
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
  const normalised = raw.replace(/\r\n/g, "\n");
  const end = normalised.indexOf("\n\n");
  const head = end < 0 ? normalised : normalised.slice(0, end);
  const body = end < 0 ? "" : normalised.slice(end + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(
        line.slice(colon + 1).trim(),
      );
  }
  return { headers, body };
}

function collectParts(
  headers: Record<string, string>,
  body: string,
): { text: string; html: string } {
  const type = headers["content-type"] ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.startsWith("multipart/") && boundary) {
    let text = "";
    let html = "";
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith("--")) break;
      const part = splitHeaders(chunk.replace(/^\n/, ""));
      const found = collectParts(part.headers, part.body);
      text ||= found.text;
      html ||= found.html;
    }
    return { text, html };
  }
  const decoded = decodeBody(body, headers["content-transfer-encoding"] ?? "7bit");
  return type.startsWith("text/html") ? { text: "", html: decoded } : { text: decoded, html: "" };
}

function decodeBody(body: string, encoding: string): string {
  const e = encoding.toLowerCase();
  if (e === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (e === "quoted-printable") {
    const bytes = body
      .replace(/=\n/g, "")
      .replace(/=([0-9A-F]{2})/gi, (_, hex: string) =>
        String.fromCharCode(Number.parseInt(hex, 16)),
      );
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(
      /=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi,
      (_, _charset: string, kind: string, data: string) =>
        kind.toUpperCase() === "B"
          ? Buffer.from(data, "base64").toString("utf8")
          : Buffer.from(
              data
                .replace(/_/g, " ")
                .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) =>
                  String.fromCharCode(Number.parseInt(hex, 16)),
                ),
              "latin1",
            ).toString("utf8"),
    );
}
