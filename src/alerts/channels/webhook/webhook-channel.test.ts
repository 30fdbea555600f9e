import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { type ChannelFixture, describeChannel, strings } from "../channel-contract.case.js";
import { Secret } from "../secret.js";
import { closedPort, type Plan, startHttpReceiver } from "../testing/test-http-receiver.js";
import { sampleNotification } from "../testing/test-notifications.js";
import { verifyWebhook } from "./standard-webhooks.js";
import { WebhookChannel, type WebhookPayload } from "./webhook-channel.js";

const SECRET = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
const loopback = { network: { allowPrivateNetworks: true }, timeoutMs: 5000 };

function channel(url: string, secret = SECRET, headers = {}): WebhookChannel {
  return new WebhookChannel({
    name: "hook",
    url,
    secret: new Secret(secret, "env:HOOK_SECRET"),
    headers,
    http: loopback,
  });
}

const port = await closedPort();

describeChannel("WebhookChannel", async (): Promise<ChannelFixture> => {
  const receiver = await startHttpReceiver({
    shape: "webhook",
    webhookSecret: SECRET,
    retryAfterSeconds: 7,
  });
  return {
    channel: channel(receiver.url),
    received: () =>
      receiver.requests.map((r) => {
        const body = JSON.parse(r.body) as WebhookPayload;
        return { key: r.key, text: strings(body), accepted: r.status >= 200 && r.status < 300 };
      }),
    queue: (...plans) => receiver.queue(...(plans as Plan[])),
    retryAfterSeconds: 7,
    secrets: [SECRET],
    unreachable: () => channel(`http://127.0.0.1:${port}/hooks`),
    cleanup: () => receiver.close(),
  };
});

describe("WebhookChannel (Standard Webhooks)", () => {
  it("signs id.timestamp.body with the whsec_ key, as a receiver recomputes it", async () => {
    const receiver = await startHttpReceiver({ shape: "webhook", webhookSecret: SECRET });
    const hook = channel(receiver.url);
    try {
      const before = Math.floor(Date.now() / 1000);
      const result = await hook.send(sampleNotification(), {
        idempotencyKey: "ntf-0001",
        signal: new AbortController().signal,
      });
      assert.equal(result.outcome, "delivered");
      assert.equal(result.outcome === "delivered" ? result.status : 0, 204);
      const [request] = receiver.requests;
      assert.ok(request);
      assert.equal(request.headers["webhook-id"], "ntf-0001");
      const timestamp = Number(request.headers["webhook-timestamp"]);
      assert.ok(timestamp >= before && timestamp <= before + 5, `timestamp ${timestamp}`);
      // Recomputed independently of the channel's code.
      const key = Buffer.from(SECRET.slice("whsec_".length), "base64");
      const mac = createHmac("sha256", key)
        .update(`ntf-0001.${timestamp}.${request.body}`)
        .digest("base64");
      assert.equal(request.headers["webhook-signature"], `v1,${mac}`);
      assert.deepEqual(request.signature, { ok: true });
      assert.equal(request.headers["content-type"], "application/json");
      const payload = JSON.parse(request.body) as WebhookPayload;
      assert.equal(payload.type, "alarm.notification.firing");
      assert.equal(payload.timestamp, "2026-11-01T08:26:03.000Z");
      assert.equal(payload.data.id, "ntf-0001");
      assert.equal(payload.data.alarms[0]?.equipmentId, "OVEN-1");
      assert.match(
        payload.data.text,
        /Where: +sensor TEMP-001, equipment OVEN-1, facility plant-a/,
      );
    } finally {
      await hook.close();
      await receiver.close();
    }
  });

  it("is rejected by a receiver holding another secret (401), and verification says why", async () => {
    const other = `whsec_${Buffer.from("another-secret-of-32-bytes-long!").toString("base64")}`;
    const receiver = await startHttpReceiver({ shape: "webhook", webhookSecret: other });
    const hook = channel(receiver.url);
    try {
      const result = await hook.send(sampleNotification(), {
        idempotencyKey: "ntf-0001",
        signal: new AbortController().signal,
      });
      assert.equal(result.outcome, "rejected");
      assert.equal(result.outcome === "rejected" ? result.status : 0, 401);
      assert.deepEqual(receiver.requests[0]?.signature, {
        ok: false,
        reason: "no matching v1 signature",
      });
    } finally {
      await hook.close();
      await receiver.close();
    }
  });

  it("verification refuses a tampered body and a stale timestamp", () => {
    const key = Buffer.from(SECRET.slice(6), "base64");
    const body = '{"a":1}';
    const ts = 1_800_000_000;
    const signature = `v1,${createHmac("sha256", key).update(`m1.${ts}.${body}`).digest("base64")}`;
    const headers = {
      "webhook-id": "m1",
      "webhook-timestamp": String(ts),
      "webhook-signature": signature,
    };
    assert.deepEqual(verifyWebhook(SECRET, headers, body, { now: ts * 1000 }), { ok: true });
    assert.equal(verifyWebhook(SECRET, headers, '{"a":2}', { now: ts * 1000 }).ok, false);
    assert.deepEqual(verifyWebhook(SECRET, headers, body, { now: (ts + 301) * 1000 }), {
      ok: false,
      reason: "webhook-timestamp is outside the tolerance",
    });
    // Several signatures (key rotation): one valid is enough.
    const rotated = { ...headers, "webhook-signature": `v1,AAAA ${signature}` };
    assert.deepEqual(verifyWebhook(SECRET, rotated, body, { now: ts * 1000 }), { ok: true });
  });

  it("sends configured extra headers, secret ones included", async () => {
    const receiver = await startHttpReceiver({ shape: "webhook", webhookSecret: SECRET });
    const hook = channel(receiver.url, SECRET, {
      Authorization: new Secret("Bearer t0ken", "env:HOOK_TOKEN"),
      "X-Plant": "plant-a",
    });
    try {
      await hook.send(sampleNotification(), {
        idempotencyKey: "k",
        signal: new AbortController().signal,
      });
      assert.equal(receiver.requests[0]?.headers.authorization, "Bearer t0ken");
      assert.equal(receiver.requests[0]?.headers["x-plant"], "plant-a");
    } finally {
      await hook.close();
      await receiver.close();
    }
  });

  it("refuses a malformed secret at construction", () => {
    assert.throws(() => channel("http://127.0.0.1:1/x", "not-a-secret"), /whsec_/);
    assert.throws(() => channel("http://127.0.0.1:1/x", "whsec_c2hvcnQ="), /at least 16 bytes/);
  });
});
