import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, it } from "node:test";
import type { Channel, SendOptions, SendResult } from "../channels/channel.js";
import { Secret } from "../channels/secret.js";
import { startHttpReceiver } from "../channels/testing/test-http-receiver.js";
import { sampleNotification } from "../channels/testing/test-notifications.js";
import { WebhookChannel } from "../channels/webhook/webhook-channel.js";
import type { Notification } from "../notification.js";
import { type DispatchEvent, Dispatcher, type DispatcherOptions } from "./dispatcher.js";
import { Outbox } from "./outbox.js";

const root = mkdtempSync(path.join(os.tmpdir(), "millstream-dispatcher-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newFile = () => path.join(root, `outbox-${++n}.db`);

interface Call {
  readonly id: string;
  readonly key: string;
  readonly at: number;
  readonly completedParts: readonly string[] | undefined;
}

/**
 * A channel (our interface, not a service) whose answers a test scripts: `answer`
 * returns the result of each call; `undefined` waits for the abort signal.
 */
class ScriptedChannel implements Channel {
  readonly kind = "webhook" as const;
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    readonly name: string,
    private readonly answer: (n: Notification, call: number) => SendResult | undefined,
    private readonly delayMs = 0,
  ) {}
  async send(notification: Notification, options: SendOptions): Promise<SendResult> {
    this.calls.push({
      id: notification.id,
      key: options.idempotencyKey,
      at: Date.now(),
      completedParts: options.completedParts,
    });
    const call = this.calls.filter((c) => c.id === notification.id).length;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await sleep(this.delayMs);
      const result = this.answer(notification, call);
      if (result !== undefined) return result;
      await new Promise((resolve) =>
        options.signal.addEventListener("abort", resolve, { once: true }),
      );
      return { outcome: "retry", reason: "aborted" };
    } finally {
      this.inFlight--;
    }
  }
  async close(): Promise<void> {}
}

/** Puts notifications `ids` for `channel` into the outbox, committed. */
function enqueue(outbox: Outbox, ids: readonly string[], channel = "scripted"): void {
  const rows = ids.map((id) => ({
    id,
    channel,
    payload: JSON.stringify(sampleNotification({ id, channel })),
  }));
  outbox.prepare("test", rows, 1);
  outbox.publish("test", 1);
}

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

async function run(
  channel: Channel,
  ids: readonly string[],
  options: Partial<DispatcherOptions>,
  body: (dispatcher: Dispatcher, outbox: Outbox, events: DispatchEvent[]) => Promise<void>,
): Promise<void> {
  const outbox = new Outbox({ path: newFile() });
  const events: DispatchEvent[] = [];
  const dispatcher = new Dispatcher({
    outbox,
    channels: new Map([[channel.name, channel]]),
    pollIntervalMs: 20,
    random: () => 0,
    onEvent: (e) => events.push(e),
    ...options,
  });
  try {
    enqueue(outbox, ids, channel.name);
    dispatcher.start();
    await body(dispatcher, outbox, events);
  } finally {
    await dispatcher.stop();
    outbox.close();
  }
}

const ok: SendResult = { outcome: "delivered", status: 200 };

describe("Dispatcher", () => {
  it("delivers every pending notification with its id as the idempotency key", async () => {
    const channel = new ScriptedChannel("scripted", () => ok);
    await run(channel, ["a", "b", "c"], {}, async (dispatcher, outbox, events) => {
      await until("delivered", () => outbox.stats().delivered === 3);
      assert.deepEqual(channel.calls.map((c) => [c.id, c.key]).sort(), [
        ["a", "a"],
        ["b", "b"],
        ["c", "c"],
      ]);
      assert.equal(outbox.get("a")?.attempts, 1);
      assert.equal(outbox.get("a")?.lastStatus, 200);
      assert.deepEqual(
        events.map((e) => e.type),
        ["delivered", "delivered", "delivered"],
      );
      const stats = dispatcher.stats();
      assert.deepEqual([stats.attempts, stats.delivered, stats.retried, stats.dead], [3, 3, 0, 0]);
    });
  });

  it("wakes at once for notifications published in this process", async () => {
    const channel = new ScriptedChannel("scripted", () => ok);
    await run(channel, [], { pollIntervalMs: 60_000 }, async (_d, outbox) => {
      await sleep(20);
      const published = Date.now();
      enqueue(outbox, ["late"]);
      await until("delivered", () => outbox.stats().delivered === 1, 1000);
      assert.ok((channel.calls[0]?.at ?? Infinity) - published < 200);
    });
  });

  it("retries with exponential backoff until delivered, the same key every time", async () => {
    const channel = new ScriptedChannel("scripted", (_n, call) =>
      call < 4 ? { outcome: "retry", reason: "HTTP 503", status: 503 } : ok,
    );
    const retry = { initialDelayMs: 40, multiplier: 2, jitter: 0.5, maxDelayMs: 1000 };
    await run(channel, ["a"], { retry }, async (_d, outbox, events) => {
      await until("delivered", () => outbox.get("a")?.status === "delivered");
      const gaps = channel.calls.slice(1).map((c, i) => c.at - (channel.calls[i]?.at ?? 0));
      // random() = 0: the full delay, 40, 80, 160 ms.
      for (const [i, expected] of [40, 80, 160].entries()) {
        assert.ok(
          (gaps[i] ?? 0) >= expected - 2,
          `gap ${i}: ${gaps[i]} ms, expected ≥ ${expected}`,
        );
      }
      assert.deepEqual(new Set(channel.calls.map((c) => c.key)), new Set(["a"]));
      assert.deepEqual(
        events.filter((e) => e.type === "retry").map((e) => (e.type === "retry" ? e.delayMs : 0)),
        [40, 80, 160],
      );
      assert.equal(outbox.get("a")?.attempts, 4);
    });
  });

  it("spreads retries with jitter", async () => {
    const channel = new ScriptedChannel("scripted", () => ({ outcome: "retry", reason: "503" }));
    const draws = [0, 0.5, 0.999];
    let i = 0;
    await run(
      channel,
      ["a", "b", "c"],
      { random: () => draws[i++ % 3] as number, retry: { initialDelayMs: 1000, jitter: 0.5 } },
      async (_d, _o, events) => {
        await until("three retries", () => events.length === 3);
        const delays = events
          .map((e) => (e.type === "retry" ? e.delayMs : 0))
          .sort((a, b) => a - b);
        assert.deepEqual(delays, [500, 750, 1000]);
      },
    );
  });

  it("honours Retry-After over the backoff, also across a restart", async () => {
    const file = newFile();
    const outbox = new Outbox({ path: file });
    enqueue(outbox, ["a"]);
    const first = new ScriptedChannel("scripted", () => ({
      outcome: "retry",
      reason: "HTTP 429",
      status: 429,
      retryAfterMs: 400,
    }));
    const one = new Dispatcher({
      outbox,
      channels: new Map([["scripted", first]]),
      pollIntervalMs: 20,
    });
    one.start();
    await until("first attempt", () => outbox.get("a")?.attempts === 1);
    await one.stop();
    const failedAt = first.calls[0]?.at ?? 0;
    assert.ok(Math.abs((outbox.get("a")?.nextAttemptAt ?? 0) - (failedAt + 400)) < 50);
    // A new dispatcher (a restarted process) waits out the Retry-After too.
    const second = new ScriptedChannel("scripted", () => ok);
    const two = new Dispatcher({
      outbox,
      channels: new Map([["scripted", second]]),
      pollIntervalMs: 20,
    });
    two.start();
    try {
      await until("delivered", () => outbox.get("a")?.status === "delivered");
      assert.ok(
        (second.calls[0]?.at ?? 0) - failedAt >= 395,
        `retried after ${(second.calls[0]?.at ?? 0) - failedAt} ms`,
      );
      assert.equal(outbox.get("a")?.attempts, 2);
    } finally {
      await two.stop();
      outbox.close();
    }
  });

  it("marks a notification dead after maxAttempts, with the last reason, and counts it", async () => {
    const channel = new ScriptedChannel("scripted", () => ({
      outcome: "retry",
      reason: "HTTP 502 from x",
      status: 502,
    }));
    await run(
      channel,
      ["a"],
      { retry: { maxAttempts: 3, initialDelayMs: 5 } },
      async (dispatcher, outbox, events) => {
        await until("dead", () => outbox.get("a")?.status === "dead");
        const record = outbox.get("a");
        assert.equal(record?.attempts, 3);
        assert.equal(record?.lastError, "out of retries after 3 attempts; last: HTTP 502 from x");
        assert.equal(record?.lastStatus, 502);
        assert.equal(channel.calls.length, 3);
        assert.deepEqual(events.at(-1), {
          type: "dead",
          id: "a",
          channel: "scripted",
          attempts: 3,
          reason: "out of retries after 3 attempts; last: HTTP 502 from x",
          status: 502,
        });
        assert.equal(dispatcher.stats().dead, 1);
        assert.equal(dispatcher.stats().outbox.dead, 1);
        assert.equal(dispatcher.stats().outbox.byChannel.scripted?.dead, 1);
      },
    );
  });

  it("does not retry a rejected notification", async () => {
    const channel = new ScriptedChannel("scripted", () => ({
      outcome: "rejected",
      reason: "HTTP 400: bad",
      status: 400,
    }));
    await run(channel, ["a"], {}, async (_d, outbox) => {
      await until("dead", () => outbox.get("a")?.status === "dead");
      await sleep(50);
      assert.equal(channel.calls.length, 1);
      assert.equal(outbox.get("a")?.lastError, "rejected: HTTP 400: bad");
    });
  });

  it("marks dead a notification for an unknown channel or with an invalid payload", async () => {
    const channel = new ScriptedChannel("scripted", () => ok);
    await run(channel, [], {}, async (_d, outbox) => {
      enqueue(outbox, ["x"], "nowhere");
      outbox.prepare("test", [{ id: "bad", channel: "scripted", payload: "{not json" }], 2);
      outbox.prepare("test", [{ id: "odd", channel: "scripted", payload: '{"id":"other"}' }], 3);
      outbox.publish("test", 3);
      await until("dead", () => outbox.stats().dead === 3);
      assert.equal(
        outbox.get("x")?.lastError,
        'rejected: no channel named "nowhere" is configured',
      );
      assert.equal(
        outbox.get("bad")?.lastError,
        "rejected: not a valid notification: the stored text is not JSON",
      );
      assert.equal(outbox.get("odd")?.lastError, "rejected: not a valid notification: missing id");
      assert.equal(channel.calls.length, 0);
    });
  });

  it("keeps at most `concurrency` attempts in flight", async () => {
    const channel = new ScriptedChannel("scripted", () => ok, 15);
    const ids = Array.from({ length: 30 }, (_, i) => `n${i}`);
    await run(channel, ids, { concurrency: 3 }, async (_d, outbox) => {
      await until("all delivered", () => outbox.stats().delivered === 30);
      assert.equal(channel.maxInFlight, 3);
    });
  });

  it("aborts an attempt that outlives attemptTimeoutMs and retries it", async () => {
    const channel = new ScriptedChannel("scripted", (_n, call) => (call === 1 ? undefined : ok));
    await run(
      channel,
      ["a"],
      { attemptTimeoutMs: 100, retry: { initialDelayMs: 10 } },
      async (_d, outbox, events) => {
        await until("delivered", () => outbox.get("a")?.status === "delivered");
        const retried = events.find((e) => e.type === "retry");
        assert.equal(
          retried?.type === "retry" ? retried.reason : "",
          "attempt timed out after 100 ms (aborted)",
        );
      },
    );
  });

  it("passes the parts delivered so far back on the next attempt", async () => {
    const channel = new ScriptedChannel("scripted", (_n, call) =>
      call === 1 ? { outcome: "retry", reason: "503", completedParts: ["+1"] } : ok,
    );
    await run(channel, ["a"], { retry: { initialDelayMs: 10 } }, async (_d, outbox) => {
      await until("delivered", () => outbox.get("a")?.status === "delivered");
      assert.deepEqual(
        channel.calls.map((c) => c.completedParts),
        [undefined, ["+1"]],
      );
    });
  });

  it("stops cleanly: waits for attempts in flight, aborts them after stopTimeoutMs, does not count them", async () => {
    const channel = new ScriptedChannel("scripted", () => undefined);
    const outbox = new Outbox({ path: newFile() });
    enqueue(outbox, ["a", "b"]);
    const dispatcher = new Dispatcher({
      outbox,
      channels: new Map([["scripted", channel]]),
      stopTimeoutMs: 100,
    });
    dispatcher.start();
    await until("in flight", () => channel.inFlight === 2);
    const started = Date.now();
    await dispatcher.stop();
    const took = Date.now() - started;
    assert.ok(took >= 90 && took < 1000, `stop took ${took} ms`);
    assert.equal(channel.inFlight, 0);
    assert.equal(outbox.get("a")?.status, "pending");
    assert.equal(outbox.get("a")?.attempts, 0, "an interrupted attempt is not counted");
    assert.equal(dispatcher.stats().running, false);
    await sleep(50);
    assert.equal(channel.calls.length, 2, "nothing new after stop");
    outbox.close();
  });

  it("delivers through a real webhook receiver that fails first, with one webhook-id", async () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
    const receiver = await startHttpReceiver({ shape: "webhook", webhookSecret: secret });
    receiver.queue("transient", { status: 429, headers: { "retry-after": "1" } });
    const hook = new WebhookChannel({
      name: "hook",
      url: receiver.url,
      secret: new Secret(secret, "env:S"),
      http: { network: { allowPrivateNetworks: true } },
    });
    try {
      await run(hook, ["ntf-1"], { retry: { initialDelayMs: 20 } }, async (_d, outbox) => {
        await until("delivered", () => outbox.get("ntf-1")?.status === "delivered", 5000);
        assert.deepEqual(
          receiver.requests.map((r) => [r.status, r.key, r.signature?.ok]),
          [
            [503, "ntf-1", true],
            [429, "ntf-1", true],
            [204, "ntf-1", true],
          ],
        );
        const gap = (receiver.requests[2]?.at ?? 0) - (receiver.requests[1]?.at ?? 0);
        assert.ok(gap >= 990, `Retry-After: 1 honoured (${gap} ms)`);
        assert.equal(outbox.get("ntf-1")?.attempts, 3);
      });
    } finally {
      await hook.close();
      await receiver.close();
    }
  });
});
