/**
 * The whole way in one process: a running job writes notifications into the outbox
 * sink, the checkpoint that publishes them is asked for early, and the dispatcher —
 * woken by the publication — delivers them to a real webhook receiver on loopback,
 * long before the checkpoint interval.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { dataflow, MemoryCheckpointStore, source } from "../../engine/index.js";
import { record, TestingSource } from "../../engine/testing/index.js";
import { Secret } from "../channels/secret.js";
import { startHttpReceiver } from "../channels/testing/test-http-receiver.js";
import { sampleNotification } from "../channels/testing/test-notifications.js";
import { WebhookChannel } from "../channels/webhook/webhook-channel.js";
import { Dispatcher } from "./dispatcher.js";
import { Outbox } from "./outbox.js";
import { OutboxSink, type OutboxSinkOptions } from "./outbox-sink.js";

const root = mkdtempSync(path.join(os.tmpdir(), "millstream-early-delivery-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/**
 * Runs a job (checkpoint interval 60 s) that writes a notification of priority 95, then
 * one of 40, then stays running; returns what the receiver got while it ran and after
 * it stopped.
 */
async function deliver(early: OutboxSinkOptions["earlyCheckpoint"], waitMs: number) {
  const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
  const receiver = await startHttpReceiver({ shape: "webhook", webhookSecret: secret });
  const hook = new WebhookChannel({
    name: "hook",
    url: receiver.url,
    secret: new Secret(secret, "env:S"),
    http: { network: { allowPrivateNetworks: true } },
  });
  const outbox = new Outbox({ path: path.join(root, `outbox-${++n}.db`) });
  const dispatcher = new Dispatcher({ outbox, channels: new Map([["hook", hook]]) });
  const input = new TestingSource(
    [
      record(sampleNotification({ id: "ntf-urgent", channel: "hook", priority: 95 }), 1),
      record(sampleNotification({ id: "ntf-routine", channel: "hook", priority: 40 }), 2),
    ],
    { endless: true, batchSize: 1 },
  );
  const sink = new OutboxSink({ outbox, ...(early ? { earlyCheckpoint: early } : {}) });
  const job = dataflow("early-delivery", [source("in", input).to("notifications", sink)]).job({
    checkpoint: { store: new MemoryCheckpointStore(), interval: 60_000, minPauseMs: 50 },
  });
  dispatcher.start();
  const running = job.run();
  const keys = () => receiver.requests.filter((r) => r.signature?.ok).map((r) => r.key);
  try {
    await input.whenDrained();
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && keys().length === 0) await sleep(10);
    await sleep(300);
    const whileRunning = keys();
    const checkpoints = job.progress().checkpoints;
    job.stop();
    input.stop();
    await running;
    const stopDeadline = Date.now() + 5000;
    while (Date.now() < stopDeadline && keys().length < 2) await sleep(10);
    return { whileRunning, checkpoints, atTheEnd: keys().sort() };
  } finally {
    await dispatcher.stop();
    await hook.close();
    await receiver.close();
    outbox.close();
  }
}

describe("early checkpoints for notifications", () => {
  it("deliver an urgent notification while the job runs, long before the interval", async () => {
    const r = await deliver({ minPriority: 90 }, 5000);
    assert.deepEqual(r.whileRunning, ["ntf-urgent"]);
    assert.equal(r.checkpoints.completed, 1);
    assert.equal(r.checkpoints.requested, 1);
    // The routine one (priority 40 < 90) asked for nothing: it went with the final checkpoint.
    assert.deepEqual(r.atTheEnd, ["ntf-routine", "ntf-urgent"]);
  });

  it("without them, notifications wait for the next checkpoint", async () => {
    const r = await deliver(undefined, 500);
    assert.deepEqual(r.whileRunning, []);
    assert.equal(r.checkpoints.completed, 0);
    assert.deepEqual(r.atTheEnd, ["ntf-routine", "ntf-urgent"]);
  });
});
