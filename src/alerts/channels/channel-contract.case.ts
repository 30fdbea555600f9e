/**
 * The contract suite of notification channels, written once and run against every
 * implementation (Slack, e-mail, SMS, PagerDuty, webhook) from its own test file,
 * each against a real receiver on loopback:
 *
 * - a delivered message says what, where, how bad, since when, the value against its
 *   baseline, and links to the equipment's dashboard page;
 * - it carries the idempotency key, the same on every attempt;
 * - a grouped notification names every alarm;
 * - transient failures are `retry` (with `retryAfterMs` from `Retry-After` where the
 *   protocol has one), permanent ones `rejected`, and neither leaks a secret;
 * - an aborted or unanswered attempt, an unreachable receiver, a malformed
 *   notification and a closed channel all resolve: `send` never rejects.
 */
import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import type { Notification } from "../notification.js";
import type { Channel, SendResult } from "./channel.js";
import { groupedNotification, sampleNotification } from "./testing/test-notifications.js";

/** How the receiver answers the next message. */
export type ReceiverPlan = "ok" | "transient" | "permanent" | "rate-limited" | "hang";

/** A message as the receiver got it. */
export interface ReceivedMessage {
  /** The idempotency key it carried (for multi-part channels, of the notification). */
  readonly key: string | undefined;
  /** Every human-visible string of the message, joined (text, fields, links). */
  readonly text: string;
  /** Whether the receiver accepted it. */
  readonly accepted: boolean;
}

/** What {@link describeChannel} needs from an implementation. */
export interface ChannelFixture {
  /** The channel under test, sending to a running receiver. */
  readonly channel: Channel;
  /** What the receiver got so far, in arrival order. */
  received(): ReceivedMessage[];
  /** Answers for the next messages, in order (then `ok`). */
  queue(...plans: ReceiverPlan[]): void;
  /** The `Retry-After` seconds of `rate-limited` answers; null when the protocol has none. */
  readonly retryAfterSeconds: number | null;
  /** Secret values the channel holds, which no result may contain. */
  readonly secrets: readonly string[];
  /** A channel of the same kind and configuration whose receiver is not listening. */
  unreachable(): Channel;
  cleanup(): Promise<void>;
}

const signal = () => new AbortController().signal;

/** Runs the channel contract against the channels `factory` builds (a fresh receiver per test). */
export function describeChannel(name: string, factory: () => Promise<ChannelFixture>): void {
  describe(`${name} (channel contract)`, () => {
    let fx: ChannelFixture;
    // Node 20 skips afterEach after a test that called t.skip(): release those later.
    const live = new Set<ChannelFixture>();
    const release = async (f: ChannelFixture) => {
      live.delete(f);
      await f.channel.close();
      await f.cleanup();
    };
    beforeEach(async () => {
      for (const left of live) await release(left);
      fx = await factory();
      live.add(fx);
    });
    afterEach(() => release(fx));
    after(async () => {
      for (const left of live) await release(left);
    });

    async function send(n: Notification, key = n.id): Promise<SendResult> {
      return fx.channel.send(n, { idempotencyKey: key, signal: signal() });
    }

    function noSecret(result: SendResult): void {
      const text = JSON.stringify(result);
      for (const secret of fx.secrets)
        assert.ok(!text.includes(secret), `result leaks a secret: ${text}`);
    }

    it("delivers a message saying what, where, how bad, since when, value against baseline, with the dashboard link", async () => {
      const result = await send(sampleNotification());
      assert.equal(result.outcome, "delivered", JSON.stringify(result));
      const messages = fx.received();
      assert.equal(messages.length, 1);
      const { text } = messages[0]!;
      for (const expected of [
        "z-score", // what
        "6.1σ above its 5-minute mean", // what, in words
        "TEMP-001", // where
        "OVEN-1",
        "plant-a",
        "CRITICAL", // how bad
        "2026-11-01 08:14:03 UTC", // since when
        "181.2", // value
        "72.4", // baseline
        "https://dash.plant.example/equipment/OVEN-1", // link
      ]) {
        assert.ok(text.includes(expected), `message lacks ${JSON.stringify(expected)}:\n${text}`);
      }
    });

    it("carries the idempotency key, the same on a retry", async () => {
      fx.queue("transient");
      const first = await send(sampleNotification(), "key-42");
      assert.equal(first.outcome, "retry", JSON.stringify(first));
      const second = await send(sampleNotification(), "key-42");
      assert.equal(second.outcome, "delivered", JSON.stringify(second));
      const keys = fx.received().map((m) => m.key);
      assert.deepEqual(keys, ["key-42", "key-42"]);
    });

    it("names every alarm of a grouped notification", async () => {
      const result = await send(groupedNotification());
      assert.equal(result.outcome, "delivered", JSON.stringify(result));
      const text = fx
        .received()
        .map((m) => m.text)
        .join("\n");
      for (const equipment of ["OVEN-1", "OVEN-2", "PRESS-7"]) {
        assert.ok(text.includes(equipment), `grouped message lacks ${equipment}:\n${text}`);
      }
    });

    it("reports a transient failure as retry", async () => {
      fx.queue("transient");
      const result = await send(sampleNotification());
      assert.equal(result.outcome, "retry");
      assert.ok(result.outcome === "retry" && result.reason.length > 0);
      noSecret(result);
    });

    it("reports a permanent failure as rejected, without leaking a secret", async () => {
      fx.queue("permanent");
      const result = await send(sampleNotification());
      assert.equal(result.outcome, "rejected", JSON.stringify(result));
      assert.ok(result.outcome === "rejected" && result.reason.length > 0);
      noSecret(result);
    });

    it("reports rate limiting as retry, with the receiver's Retry-After", async (t) => {
      if (fx.retryAfterSeconds === null) {
        t.skip("the protocol has no Retry-After");
        return;
      }
      fx.queue("rate-limited");
      const result = await send(sampleNotification());
      assert.equal(result.outcome, "retry", JSON.stringify(result));
      assert.equal(
        result.outcome === "retry" ? result.retryAfterMs : undefined,
        fx.retryAfterSeconds * 1000,
      );
    });

    it("resolves promptly as retry when the attempt is aborted while the receiver does not answer", async () => {
      fx.queue("hang");
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 200);
      const result = await fx.channel.send(sampleNotification(), {
        idempotencyKey: "hang-1",
        signal: controller.signal,
      });
      assert.equal(result.outcome, "retry", JSON.stringify(result));
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    });

    it("resolves as retry when the receiver is unreachable", async () => {
      const channel = fx.unreachable();
      try {
        const result = await channel.send(sampleNotification(), {
          idempotencyKey: "x",
          signal: signal(),
        });
        assert.equal(result.outcome, "retry", JSON.stringify(result));
        noSecret(result);
      } finally {
        await channel.close();
      }
    });

    it("never rejects on a malformed notification", async () => {
      const odd = {
        id: "odd-1",
        channel: "test",
        event: "firing",
        alarms: [{}],
      } as unknown as Notification;
      const result = await send(odd);
      assert.ok(["delivered", "rejected"].includes(result.outcome), JSON.stringify(result));
      const empty = { ...sampleNotification({ id: "odd-2" }), alarms: [] };
      const second = await send(empty);
      assert.ok(["delivered", "rejected"].includes(second.outcome), JSON.stringify(second));
    });

    it("rejects sends after close", async () => {
      await fx.channel.close();
      const result = await send(sampleNotification());
      assert.equal(result.outcome, "rejected");
      assert.equal(fx.received().length, 0);
    });
  });
}

/** Every string inside a JSON value, joined by newlines (for `ReceivedMessage.text`). */
export function strings(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") out.push(v);
    else if (typeof v === "number") out.push(String(v));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(value);
  return out.join("\n");
}
