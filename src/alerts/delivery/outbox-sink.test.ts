import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { describeSink } from "../../connectors/testing/sink-contract.case.js";
import type { Notification } from "../notification.js";
import { sampleNotification } from "../channels/testing/test-notifications.js";
import { Outbox } from "./outbox.js";
import { OutboxSink } from "./outbox-sink.js";

const root = mkdtempSync(path.join(os.tmpdir(), "millstream-outbox-sink-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newFile = () => path.join(root, `outbox-${++n}.db`);

const record = (i: number): Notification => sampleNotification({ id: `n-${i}`, channel: "slack" });

/** Everything the dispatcher can see: rows past `staged`. */
function visible(file: string): Notification[] {
  const outbox = new Outbox({ path: file });
  try {
    return (["pending", "delivered", "dead"] as const).flatMap((status) =>
      outbox.list({ status, limit: 1_000_000 }).map((r) => r.notification as Notification),
    );
  } finally {
    outbox.close();
  }
}

describeSink<Notification>("OutboxSink", async () => {
  const file = newFile();
  return {
    sink: () => new OutboxSink({ path: file, bufferSize: 50 }),
    record,
    idOf: (v) => Number(v.id.slice(2)),
    published: async () => visible(file),
    transactional: true,
    ordered: false,
    breakDestination: async () => {
      const db = new Database(file);
      db.exec("DROP TABLE outbox");
      db.close();
    },
    destinationName: file,
    cleanup: async () => {
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
    },
  };
});

const write = (
  writer: { write(b: { values: Notification[]; times: number[]; channel: number }): void },
  ids: number[],
) => writer.write({ values: ids.map(record), times: ids.map(() => 0), channel: 0 });

describe("OutboxSink", () => {
  it("shares one outbox between origins: each restores only its own staged rows", async () => {
    const outbox = new Outbox({ path: newFile() });
    try {
      const a = await new OutboxSink({ outbox }).open({ step: "alarms-a" });
      const b = await new OutboxSink({ outbox }).open({ step: "alarms-b" });
      write(a, [1, 2]);
      write(b, [3]);
      await a.prepareCommit!(1);
      await b.prepareCommit!(1);
      await a.close();
      await b.close();
      // Only a's checkpoint 1 committed: a restores it; b starts afresh.
      const progress = { origin: "alarms-a", checkpointId: 1 };
      await (
        await new OutboxSink({ outbox }).open({
          step: "alarms-a",
          restored: { checkpointId: 1, progress },
        })
      ).close();
      await (await new OutboxSink({ outbox }).open({ step: "alarms-b" })).close();
      assert.deepEqual(outbox.stats().pending, 2);
      assert.deepEqual(outbox.stats().staged, 0);
      assert.equal(outbox.get("n-3"), null);
      assert.equal(outbox.get("n-1")?.status, "pending");
      assert.equal(outbox.get("n-1")?.origin, "alarms-a");
      assert.equal(outbox.get("n-1")?.checkpointId, 1);
    } finally {
      outbox.close();
    }
  });

  it("adds a notification id once, also when a replay writes it again after delivery", async () => {
    const outbox = new Outbox({ path: newFile() });
    try {
      const writer = await new OutboxSink({ outbox }).open({ step: "alarms" });
      write(writer, [1]);
      await writer.commit!(1, await writer.prepareCommit!(1));
      outbox.recordDelivered("n-1", 1, 200);
      write(writer, [1, 2]);
      await writer.commit!(2, await writer.prepareCommit!(2));
      assert.equal(outbox.get("n-1")?.status, "delivered");
      assert.equal(outbox.get("n-2")?.status, "pending");
      assert.equal(outbox.stats().pending + outbox.stats().delivered, 2);
      await writer.close();
    } finally {
      outbox.close();
    }
  });

  it("wakes in-process listeners on commit only", async () => {
    const outbox = new Outbox({ path: newFile() });
    try {
      const published: number[] = [];
      outbox.onPublished((count) => published.push(count));
      const writer = await new OutboxSink({ outbox }).open({ step: "alarms" });
      write(writer, [1, 2, 3]);
      await writer.flush();
      const progress = await writer.prepareCommit!(1);
      assert.deepEqual(published, []);
      await writer.commit!(1, progress);
      assert.deepEqual(published, [3]);
      await writer.close();
    } finally {
      outbox.close();
    }
  });

  it("keeps a value without an id under a derived id, for the dispatcher to mark dead", async () => {
    const outbox = new Outbox({ path: newFile() });
    try {
      const writer = await new OutboxSink({ outbox }).open({ step: "alarms" });
      writer.write({
        values: [{ nonsense: true } as unknown as Notification],
        times: [0],
        channel: 0,
      });
      await writer.commit!(1, await writer.prepareCommit!(1));
      const [row] = outbox.list({ status: "pending" });
      assert.match(row?.id ?? "", /^invalid:[0-9a-f]{64}$/);
      assert.equal(row?.channel, "");
      await writer.close();
    } finally {
      outbox.close();
    }
  });

  it("asks for an early checkpoint only when told to, for notifications of at least minPriority", async () => {
    const outbox = new Outbox({ path: newFile() });
    try {
      let requests = 0;
      const context = { step: "alarms", requestCheckpoint: () => requests++ };
      const urgent = (id: string, priority: number) =>
        sampleNotification({ id, channel: "sms", priority });
      const writeOne = (w: Awaited<ReturnType<OutboxSink["open"]>>, n: Notification) =>
        w.write({ values: [n], times: [0], channel: 0 });

      const plain = await new OutboxSink({ outbox }).open(context);
      writeOne(plain, urgent("a", 100));
      assert.equal(requests, 0, "off by default");
      await plain.close();

      const critical = await new OutboxSink({ outbox, earlyCheckpoint: { minPriority: 90 } }).open(
        context,
      );
      writeOne(critical, urgent("b", 75));
      assert.equal(requests, 0);
      writeOne(critical, urgent("c", 95));
      assert.equal(requests, 1);
      critical.write({
        values: [urgent("d", 90), urgent("e", 99)],
        times: [0, 0],
        channel: 0,
      });
      assert.equal(requests, 2, "one request per batch");
      await critical.close();

      const any = await new OutboxSink({ outbox, earlyCheckpoint: {} }).open(context);
      writeOne(any, urgent("f", 0));
      assert.equal(requests, 3);
      await any.close();
      // Opened by hand (no job): nothing to ask, and writing still works.
      const alone = await new OutboxSink({ outbox, earlyCheckpoint: {} }).open({ step: "alarms" });
      writeOne(alone, urgent("g", 100));
      await alone.close();
    } finally {
      outbox.close();
    }
  });

  it("refuses a minPriority that is not a number", () => {
    assert.throws(
      () => new OutboxSink({ path: newFile(), earlyCheckpoint: { minPriority: Number.NaN } }),
      /earlyCheckpoint\.minPriority must be a number, got NaN/,
    );
  });

  it("refuses malformed progress, naming the file", async () => {
    const file = newFile();
    await assert.rejects(
      new OutboxSink({ path: file }).open({
        step: "s",
        restored: { checkpointId: 1, progress: { pending: 1 } },
      }),
      /outbox .*outbox-\d+\.db: invalid sink progress \{"pending":1\}: expected \{ origin: string, checkpointId: integer \}/,
    );
  });
});
