import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ChannelFixture, describeChannel } from "../channel-contract.case.js";
import { Secret } from "../secret.js";
import { closedPort, type Plan, startHttpReceiver } from "../testing/test-http-receiver.js";
import {
  groupedNotification,
  sampleAlarm,
  sampleNotification,
} from "../testing/test-notifications.js";
import { SmsChannel, type SmsChannelOptions } from "./sms-channel.js";
import { smsText } from "./sms-text.js";

const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "twilio-auth-token-0123456789";
const loopback = { network: { allowPrivateNetworks: true }, timeoutMs: 5000 };
const port = await closedPort();
const signal = () => new AbortController().signal;

function channel(baseUrl: string, overrides: Partial<SmsChannelOptions> = {}): SmsChannel {
  return new SmsChannel({
    name: "sms-oncall",
    baseUrl,
    accountSid: SID,
    authToken: new Secret(TOKEN, "env:TWILIO_TOKEN"),
    from: "+14155550100",
    to: ["+14155550111"],
    http: loopback,
    ...overrides,
  });
}

/** The notification id in `<id>:<recipient>`. */
const keyOf = (key: string | undefined) => key?.replace(/:\+\d+$/, "");

describeChannel("SmsChannel", async (): Promise<ChannelFixture> => {
  const receiver = await startHttpReceiver({
    shape: "twilio",
    twilio: { accountSid: SID, authToken: TOKEN },
    retryAfterSeconds: 2,
  });
  return {
    channel: channel(receiver.url),
    received: () =>
      receiver.requests.map((r) => ({
        key: keyOf(r.key),
        text: new URLSearchParams(r.body).get("Body") ?? "",
        accepted: r.status === 201,
      })),
    queue: (...plans) => receiver.queue(...(plans as Plan[])),
    retryAfterSeconds: 2,
    secrets: [TOKEN, Buffer.from(`${SID}:${TOKEN}`).toString("base64")],
    unreachable: () => channel(`http://127.0.0.1:${port}`),
    cleanup: () => receiver.close(),
  };
});

describe("SmsChannel (Twilio-compatible)", () => {
  it("posts To, From and Body form-encoded with HTTP Basic to the account's Messages.json", async () => {
    const receiver = await startHttpReceiver({
      shape: "twilio",
      twilio: { accountSid: SID, authToken: TOKEN },
    });
    const sms = channel(receiver.url);
    try {
      const result = await sms.send(sampleNotification(), {
        idempotencyKey: "ntf-0001",
        signal: signal(),
      });
      assert.deepEqual(result, { outcome: "delivered", status: 201 });
      const request = receiver.requests[0]!;
      assert.equal(request.path, `/2010-04-01/Accounts/${SID}/Messages.json`);
      assert.equal(request.headers["content-type"], "application/x-www-form-urlencoded");
      assert.equal(request.headers["idempotency-key"], "ntf-0001:+14155550111");
      const form = new URLSearchParams(request.body);
      assert.equal(form.get("To"), "+14155550111");
      assert.equal(form.get("From"), "+14155550100");
      assert.equal(
        form.get("Body"),
        [
          "FIRING [CRITICAL] z-score on TEMP-001 (OVEN-1, plant-a)",
          "z-score: temperature 181.2 °C is 6.1σ above its 5-minute mean 72.4 °C",
          "sensor TEMP-001, equipment OVEN-1, facility plant-a. CRITICAL, priority 95, 14 anomalies.",
          "since 2026-11-01 08:14:03 UTC (12 min), last seen 2026-11-01 08:26:01 UTC.",
          "Value 181.2 against mean 72.4, stddev 1.25.",
          "https://dash.plant.example/equipment/OVEN-1",
        ].join("\n"),
      );
    } finally {
      await sms.close();
      await receiver.close();
    }
  });

  it("texts each recipient once: a partial failure reports who got it, the retry skips them", async () => {
    const receiver = await startHttpReceiver({
      shape: "twilio",
      twilio: { accountSid: SID, authToken: TOKEN },
    });
    const to = ["+14155550111", "+14155550122", "+14155550133"];
    const sms = channel(receiver.url, { to });
    try {
      receiver.queue("ok", "transient");
      const first = await sms.send(sampleNotification(), { idempotencyKey: "n", signal: signal() });
      assert.equal(first.outcome, "retry");
      assert.deepEqual(first.outcome === "retry" ? first.completedParts : [], ["+14155550111"]);
      const second = await sms.send(sampleNotification(), {
        idempotencyKey: "n",
        signal: signal(),
        completedParts: ["+14155550111"],
      });
      assert.equal(second.outcome, "delivered");
      const accepted = receiver.accepted().map((r) => new URLSearchParams(r.body).get("To"));
      assert.deepEqual(accepted, to);
    } finally {
      await sms.close();
      await receiver.close();
    }
  });

  it("uses a messaging service instead of a sender number, and reports Twilio's error code", async () => {
    const receiver = await startHttpReceiver({
      shape: "twilio",
      twilio: { accountSid: SID, authToken: TOKEN },
    });
    const { from: _from, ...rest } = { from: undefined };
    const sms = new SmsChannel({
      name: "sms",
      baseUrl: receiver.url,
      accountSid: SID,
      authToken: new Secret(TOKEN, "env:T"),
      messagingServiceSid: "MG0123",
      to: ["+14155550111"],
      http: loopback,
      ...rest,
    });
    try {
      await sms.send(sampleNotification(), { idempotencyKey: "n", signal: signal() });
      assert.equal(
        new URLSearchParams(receiver.requests[0]?.body).get("MessagingServiceSid"),
        "MG0123",
      );
      receiver.queue("permanent");
      const result = await sms.send(sampleNotification(), {
        idempotencyKey: "m",
        signal: signal(),
      });
      assert.deepEqual(result, {
        outcome: "rejected",
        reason:
          "to +14155550111: HTTP 400: error 21211: The 'To' number is not a valid phone number.",
        status: 400,
      });
    } finally {
      await sms.close();
      await receiver.close();
    }
  });

  it("is rejected with a wrong token (401)", async () => {
    const receiver = await startHttpReceiver({
      shape: "twilio",
      twilio: { accountSid: SID, authToken: "other" },
    });
    const sms = channel(receiver.url);
    try {
      const result = await sms.send(sampleNotification(), {
        idempotencyKey: "n",
        signal: signal(),
      });
      assert.equal(result.outcome, "rejected");
      assert.equal(result.outcome === "rejected" ? result.status : 0, 401);
    } finally {
      await sms.close();
      await receiver.close();
    }
  });

  it("keeps a long text within maxLength, the dashboard link whole", () => {
    const long = sampleNotification({ alarms: [sampleAlarm({ message: "x".repeat(500) })] });
    const text = smsText(long, 200);
    assert.equal(text.length, 200);
    assert.ok(text.endsWith("\nhttps://dash.plant.example/equipment/OVEN-1"));
    assert.match(
      smsText(groupedNotification()),
      /\n\+2 more: OVEN-2 \(HIGH\), PRESS-7 \(HIGH\)\.\n/,
    );
  });

  it("needs exactly one of from and messagingServiceSid", () => {
    assert.throws(
      () => channel("http://127.0.0.1:1", { messagingServiceSid: "MG1" }),
      /either from or messagingServiceSid/,
    );
  });
});
