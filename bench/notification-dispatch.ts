/**
 * Notification delivery benchmark: how long from the checkpoint commit that makes a
 * notification visible to the first delivery attempt (channel time excluded), with
 * the dispatcher in the pipeline's process (woken at once) and in another process
 * (polling); and how many notifications per second the dispatcher delivers to a real
 * Standard Webhooks receiver on loopback.
 *
 * Usage: `node --import tsx bench/notification-dispatch.ts [--seconds 10] [--rate 500]`
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { Channel, SendResult } from "../src/alerts/channels/channel.js";
import { Secret } from "../src/alerts/channels/secret.js";
import { startHttpReceiver } from "../src/alerts/channels/testing/test-http-receiver.js";
import { sampleNotification } from "../src/alerts/channels/testing/test-notifications.js";
import { WebhookChannel } from "../src/alerts/channels/webhook/webhook-channel.js";
import { Dispatcher } from "../src/alerts/delivery/dispatcher.js";
import { Outbox } from "../src/alerts/delivery/outbox.js";
import { OutboxSink } from "../src/alerts/delivery/outbox-sink.js";
import type { Notification } from "../src/alerts/notification.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    rate: { type: "string", default: "500" },
    deliveries: { type: "string", default: "3000" },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const DELIVERIES = Number(values.deliveries);
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-bench-dispatch-"));
let files = 0;

/** A channel that answers at once and notes when each notification's first attempt began. */
class InstantChannel implements Channel {
  readonly kind = "webhook" as const;
  readonly name = "instant";
  readonly firstAttempt = new Map<string, number>();
  async send(notification: Notification): Promise<SendResult> {
    if (!this.firstAttempt.has(notification.id))
      this.firstAttempt.set(notification.id, performance.now());
    return { outcome: "delivered", status: 200 };
  }
  async close(): Promise<void> {}
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * Commits `RATE` notifications a second, in checkpoints every 50 ms, for `SECONDS`,
 * and measures commit → first attempt. `sameConnection`: the dispatcher shares the
 * sink's outbox (same process, woken by the commit); otherwise it has its own
 * connection and sees commits by polling every `pollMs`.
 */
async function latency(sameConnection: boolean, pollMs: number) {
  const file = path.join(work, `latency-${++files}.db`);
  const sinkOutbox = new Outbox({ path: file });
  const dispatchOutbox = sameConnection ? sinkOutbox : new Outbox({ path: file });
  const channel = new InstantChannel();
  const dispatcher = new Dispatcher({
    outbox: dispatchOutbox,
    channels: new Map([["instant", channel]]),
    concurrency: 8,
    pollIntervalMs: pollMs,
  });
  dispatcher.start();
  const writer = await new OutboxSink({ outbox: sinkOutbox }).open({ step: "alarms" });
  const committedAt = new Map<string, number>();
  const perCheckpoint = Math.max(1, Math.round(RATE / 20));
  const checkpoints = SECONDS * 20;
  let n = 0;
  for (let c = 1; c <= checkpoints; c++) {
    const batch = Array.from({ length: perCheckpoint }, () =>
      sampleNotification({ id: `n-${n++}`, channel: "instant" }),
    );
    writer.write({ values: batch, times: batch.map(() => 0), channel: 0 });
    await writer.commit!(c, await writer.prepareCommit!(c));
    const at = performance.now();
    for (const x of batch) committedAt.set(x.id, at);
    await sleep(50);
  }
  const deadline = Date.now() + 10_000;
  while (channel.firstAttempt.size < n && Date.now() < deadline) await sleep(10);
  await dispatcher.stop();
  await writer.close();
  if (!sameConnection) dispatchOutbox.close();
  sinkOutbox.close();
  const delays = [...committedAt].map(
    ([id, at]) => (channel.firstAttempt.get(id) ?? Number.NaN) - at,
  );
  const sorted = delays.filter((d) => Number.isFinite(d)).sort((a, b) => a - b);
  return {
    notifications: n,
    attempted: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Delivers `DELIVERIES` notifications to a signature-checking webhook receiver on loopback. */
async function throughput(concurrency: number) {
  const secret = `whsec_${Buffer.alloc(32, 1).toString("base64")}`;
  const receiver = await startHttpReceiver({ shape: "webhook", webhookSecret: secret });
  const hook = new WebhookChannel({
    name: "hook",
    url: receiver.url,
    secret: new Secret(secret, "env:S"),
    http: { network: { allowPrivateNetworks: true } },
  });
  const outbox = new Outbox({ path: path.join(work, `throughput-${++files}.db`) });
  const rows = Array.from({ length: DELIVERIES }, (_, i) => {
    const n = sampleNotification({ id: `t-${i}`, channel: "hook" });
    return { id: n.id, channel: n.channel, payload: JSON.stringify(n) };
  });
  outbox.prepare("bench", rows, 1);
  const dispatcher = new Dispatcher({ outbox, channels: new Map([["hook", hook]]), concurrency });
  const started = performance.now();
  outbox.publish("bench", 1);
  dispatcher.start();
  while (outbox.stats().delivered < DELIVERIES) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.stop();
  const verified = receiver.requests.filter((r) => r.signature?.ok).length;
  await hook.close();
  await receiver.close();
  outbox.close();
  return { concurrency, perSecond: DELIVERIES / seconds, verified };
}

try {
  console.log(
    `node ${process.version}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
  );
  console.log(
    `commit → first attempt, ${RATE} notifications/s for ${SECONDS} s (channel time excluded):`,
  );
  const fmt = (x: number) => `${x.toFixed(1)} ms`;
  for (const [label, same, poll] of [
    ["same process (woken by the commit)", true, 500],
    ["other process, poll 500 ms (default)", false, 500],
    ["other process, poll 100 ms", false, 100],
  ] as const) {
    const r = await latency(same, poll);
    console.log(
      `  ${label}: p50 ${fmt(r.p50)}, p99 ${fmt(r.p99)}, max ${fmt(r.max)} (${r.attempted}/${r.notifications} attempted)`,
    );
  }
  console.log(`delivery to a Standard Webhooks receiver on loopback, ${DELIVERIES} notifications:`);
  for (const concurrency of [1, 4, 16]) {
    const r = await throughput(concurrency);
    console.log(
      `  concurrency ${concurrency}: ${Math.round(r.perSecond)} notifications/s (${r.verified} signatures verified)`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
