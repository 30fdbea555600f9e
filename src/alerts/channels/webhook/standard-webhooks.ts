/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): a request carries
 * `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, which is
 * `v1,` followed by the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>`, keyed with
 * the bytes of the secret (`whsec_` + base64). Signing for the webhook channel, and
 * verification for receivers (and the tests).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The prefix of a Standard Webhooks secret. */
export const SECRET_PREFIX = "whsec_";

/** Decodes a `whsec_…` secret into its key bytes; throws a `TypeError` if malformed. */
export function webhookKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new TypeError("a webhook secret must start with whsec_ followed by base64");
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new TypeError("a webhook secret must be whsec_ followed by base64");
  }
  const key = Buffer.from(encoded, "base64");
  if (key.length < 16) throw new TypeError("a webhook secret must hold at least 16 bytes");
  return key;
}

/** The `webhook-signature` value (`v1,<base64>`) of a message. */
export function signWebhook(key: Buffer, id: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return `v1,${mac}`;
}

/** The verdict of {@link verifyWebhook}. */
export type WebhookVerification =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string };

/**
 * Verifies a received message as a Standard Webhooks consumer does: the three
 * headers present, the timestamp within `toleranceSeconds` (default 300) of `now`
 * (epoch ms), and one of the space-separated `v1,` signatures matching (compared in
 * constant time). `body` must be the raw request body, exactly as received.
 */
export function verifyWebhook(
  secret: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: string,
  options: { readonly toleranceSeconds?: number; readonly now?: number } = {},
): WebhookVerification {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = header("webhook-id");
  const timestamp = header("webhook-timestamp");
  const signatures = header("webhook-signature");
  if (!id || !timestamp || !signatures) {
    return { ok: false, reason: "missing webhook-id, webhook-timestamp or webhook-signature" };
  }
  if (!/^\d+$/.test(timestamp))
    return { ok: false, reason: "webhook-timestamp is not Unix seconds" };
  const seconds = Number(timestamp);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - seconds) > (options.toleranceSeconds ?? 300)) {
    return { ok: false, reason: "webhook-timestamp is outside the tolerance" };
  }
  const expected = Buffer.from(
    signWebhook(webhookKey(secret), id, seconds, body).slice(3),
    "base64",
  );
  for (const candidate of signatures.split(" ")) {
    const [version, value] = candidate.split(",", 2);
    if (version !== "v1" || value === undefined) continue;
    const given = Buffer.from(value, "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: "no matching v1 signature" };
}
