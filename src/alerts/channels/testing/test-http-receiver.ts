/**
 * Real HTTP receivers on loopback, shaped like Slack incoming webhooks, the
 * PagerDuty Events API v2, the Twilio Messages API and a Standard Webhooks consumer
 * that verifies signatures (test files only). Each validates requests as the real
 * service would, records everything it received and what it answered, and can be
 * told to fail (5xx, 4xx, 429 with Retry-After, no answer).
 */
import { once } from "node:events";
import http, { type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook } from "../webhook/standard-webhooks.js";

/** Which service the receiver imitates. */
export type ReceiverShape = "slack" | "pagerduty" | "twilio" | "webhook";

/**
 * How to answer one request: as the service would (`ok`), with a transient error
 * (503), a permanent one (the service's 4xx), 429 with `Retry-After`, not at all
 * (`hang`, until the client gives up), or a given response.
 */
export type Plan =
  | "ok"
  | "transient"
  | "permanent"
  | "rate-limited"
  | "hang"
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string };

/** One request, as received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The idempotency key the request carries (`webhook-id` or `Idempotency-Key`). */
  readonly key: string | undefined;
  /** Standard Webhooks verdict (webhook receivers). */
  readonly signature?: { ok: boolean; reason?: string };
  /** What the receiver answered (0: it did not). */
  readonly status: number;
  /** Epoch ms of arrival. */
  readonly at: number;
}

/** Options of {@link startHttpReceiver}. */
export interface HttpReceiverOptions {
  readonly shape: ReceiverShape;
  /** `whsec_…` for webhook receivers. */
  readonly webhookSecret?: string;
  /** Credentials Twilio-shaped receivers accept. */
  readonly twilio?: { readonly accountSid: string; readonly authToken: string };
  /** Seconds in `Retry-After` of `rate-limited` answers. Default 7. */
  readonly retryAfterSeconds?: number;
  /** Decides each answer when the queue is empty (default `ok`). */
  readonly plan?: (request: ReceivedRequest, index: number) => Plan;
}

/** A running receiver. */
export interface HttpReceiver {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The URL a channel posts to (webhook path, Slack hook path, PagerDuty enqueue, Twilio base). */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Answers the next requests with these plans, in order, before `plan` applies again. */
  queue(...plans: Plan[]): void;
  /** Requests answered 2xx. */
  accepted(): ReceivedRequest[];
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1, on a free port. */
export async function startHttpReceiver(options: HttpReceiverOptions): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const queued: Plan[] = [];
  const hanging = new Set<ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const base = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body,
        key: options.shape === "webhook" ? header("webhook-id") : header("idempotency-key"),
        at: Date.now(),
      };
      const signature =
        options.shape === "webhook" && options.webhookSecret
          ? verifyWebhook(options.webhookSecret, req.headers, body)
          : undefined;
      const probe: ReceivedRequest = {
        ...base,
        ...(signature ? { signature } : {}),
        status: 0,
      };
      const plan = queued.shift() ?? options.plan?.(probe, requests.length) ?? "ok";
      const answer = respond(options, plan, probe);
      requests.push({ ...probe, status: answer === null ? 0 : answer.status });
      if (answer === null) {
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const paths: Record<ReceiverShape, string> = {
    slack: "/services/T0000TEST/B0000TEST/fake-test-hook-token",
    pagerduty: "/v2/enqueue",
    twilio: "",
    webhook: "/hooks/millstream",
  };
  return {
    origin,
    url: `${origin}${paths[options.shape]}`,
    requests,
    queue: (...plans) => queued.push(...plans),
    accepted: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const json = (status: number, body: unknown): Answer => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
const text = (status: number, body: string, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { "content-type": "text/plain", ...headers },
  body,
});

function respond(options: HttpReceiverOptions, plan: Plan, req: ReceivedRequest): Answer | null {
  if (plan === "hang") return null;
  if (typeof plan === "object") {
    return { status: plan.status, headers: plan.headers ?? {}, body: plan.body ?? "" };
  }
  if (plan === "transient") return text(503, "service unavailable");
  if (plan === "rate-limited") {
    return text(429, "rate limited", { "retry-after": String(options.retryAfterSeconds ?? 7) });
  }
  if (plan === "permanent") {
    switch (options.shape) {
      case "slack":
        return text(404, "no_service");
      case "pagerduty":
        return json(400, {
          status: "invalid event",
          message: "Event object is invalid",
          errors: ["'routing_key' is invalid"],
        });
      case "twilio":
        return json(400, {
          code: 21211,
          message: "The 'To' number is not a valid phone number.",
          status: 400,
        });
      case "webhook":
        return text(410, "gone");
    }
  }
  switch (options.shape) {
    case "slack":
      return slack(req);
    case "pagerduty":
      return pagerduty(req);
    case "twilio":
      return twilio(options, req);
    case "webhook":
      if (!req.signature?.ok) return text(401, `invalid signature: ${req.signature?.reason}`);
      return { status: 204, headers: {}, body: "" };
  }
}

function slack(req: ReceivedRequest): Answer {
  let payload: { text?: unknown; blocks?: unknown };
  try {
    payload = JSON.parse(req.body) as typeof payload;
  } catch {
    return text(400, "invalid_payload");
  }
  if (typeof payload.text !== "string" && !Array.isArray(payload.blocks))
    return text(400, "no_text");
  if (Array.isArray(payload.blocks)) {
    if (payload.blocks.length > 50) return text(400, "invalid_blocks");
    for (const block of payload.blocks as { type?: string; text?: { text?: string } }[]) {
      if (block.type === "header" && (block.text?.text?.length ?? 0) > 150) {
        return text(400, "invalid_blocks");
      }
    }
  }
  return text(200, "ok");
}

function pagerduty(req: ReceivedRequest): Answer {
  let event: {
    routing_key?: unknown;
    event_action?: unknown;
    dedup_key?: unknown;
    payload?: { summary?: unknown; source?: unknown; severity?: unknown };
  };
  try {
    event = JSON.parse(req.body) as typeof event;
  } catch {
    return json(400, {
      status: "invalid event",
      message: "Event object is invalid",
      errors: ["not JSON"],
    });
  }
  const errors: string[] = [];
  if (typeof event.routing_key !== "string" || event.routing_key.length !== 32) {
    errors.push("'routing_key' is invalid");
  }
  if (!["trigger", "acknowledge", "resolve"].includes(String(event.event_action))) {
    errors.push("'event_action' is invalid");
  }
  if (
    event.dedup_key !== undefined &&
    (typeof event.dedup_key !== "string" || event.dedup_key.length > 255)
  ) {
    errors.push("'dedup_key' is invalid");
  }
  if (event.event_action !== "trigger" && typeof event.dedup_key !== "string") {
    errors.push("'dedup_key' is required for acknowledge and resolve");
  }
  if (event.event_action === "trigger") {
    const p = event.payload;
    if (!p || typeof p.summary !== "string" || p.summary.length > 1024)
      errors.push("'payload.summary' is invalid");
    if (!p || typeof p.source !== "string" || p.source === "")
      errors.push("'payload.source' is invalid");
    if (!p || !["critical", "error", "warning", "info"].includes(String(p.severity))) {
      errors.push("'payload.severity' is invalid");
    }
  }
  if (errors.length > 0) {
    return json(400, { status: "invalid event", message: "Event object is invalid", errors });
  }
  return json(202, { status: "success", message: "Event processed", dedup_key: event.dedup_key });
}

function twilio(options: HttpReceiverOptions, req: ReceivedRequest): Answer {
  const creds = options.twilio;
  const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.path);
  const auth = String(req.headers.authorization ?? "");
  const expected = creds
    ? `Basic ${Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString("base64")}`
    : undefined;
  if (!match || (creds && match[1] !== creds.accountSid)) {
    return json(404, { code: 20404, message: "The requested resource was not found", status: 404 });
  }
  if (expected !== undefined && auth !== expected) {
    return json(401, { code: 20003, message: "Authenticate", status: 401 });
  }
  const form = new URLSearchParams(req.body);
  if (!form.get("To") || !form.get("Body")) {
    return json(400, { code: 21604, message: "A 'To' phone number is required.", status: 400 });
  }
  if (!form.get("From") && !form.get("MessagingServiceSid")) {
    return json(400, { code: 21603, message: "A 'From' phone number is required.", status: 400 });
  }
  if ((form.get("Body") ?? "").length > 1600) {
    return json(400, {
      code: 21617,
      message: "The concatenated message body exceeds the 1600 character limit.",
      status: 400,
    });
  }
  return json(201, {
    sid: `SM${String(Math.random()).slice(2, 18).padEnd(32, "0")}`,
    status: "queued",
    to: form.get("To"),
    body: form.get("Body"),
  });
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
