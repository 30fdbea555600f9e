import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { OutboxSchemaError } from "./errors.js";
import { Outbox, OUTBOX_SCHEMA_VERSION } from "./outbox.js";

const root = mkdtempSync(path.join(os.tmpdir(), "millstream-outbox-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newFile = () => path.join(root, `o-${++n}`, "outbox.db");

const row = (id: string, channel = "slack") => ({
  id,
  channel,
  payload: JSON.stringify({ id, channel }),
});

function withOutbox(
  body: (outbox: Outbox, clock: { now: number }) => void,
  file = newFile(),
): void {
  const clock = { now: 1_000_000 };
  const outbox = new Outbox({ path: file, now: () => clock.now });
  try {
    body(outbox, clock);
  } finally {
    outbox.close();
  }
}

describe("Outbox", () => {
  it("keeps staged rows invisible until published, then hands them out oldest due first", () => {
    withOutbox((outbox, clock) => {
      outbox.stage("job", [row("a"), row("b")]);
      assert.deepEqual(outbox.due(clock.now, 10), []);
      assert.equal(outbox.prepare("job", [row("c")], 1), 3);
      assert.deepEqual(outbox.due(clock.now, 10), []);
      assert.equal(outbox.publish("job", 1), 3);
      assert.equal(outbox.publish("job", 1), 0, "idempotent");
      assert.deepEqual(
        outbox.due(clock.now, 10).map((e) => [e.id, e.attempts]),
        [
          ["a", 0],
          ["b", 0],
          ["c", 0],
        ],
      );
      assert.deepEqual(
        outbox.due(clock.now, 2, new Set(["a"])).map((e) => e.id),
        ["b", "c"],
      );
    });
  });

  it("records retries, deliveries and dead rows, and counts them by channel", () => {
    withOutbox((outbox, clock) => {
      outbox.prepare("job", [row("a"), row("b"), row("c", "email")], 1);
      outbox.publish("job", 1);
      outbox.recordRetry("a", {
        attempts: 1,
        nextAttemptAt: clock.now + 5000,
        reason: "HTTP 503",
        status: 503,
        completedParts: ["+1"],
      });
      outbox.recordDelivered("b", 1, 200);
      outbox.recordDead("c", { attempts: 1, reason: "rejected: SMTP 550", status: 550 });
      assert.deepEqual(outbox.due(clock.now, 10), []);
      assert.equal(outbox.nextDueAt(), clock.now + 5000);
      clock.now += 5000;
      assert.deepEqual(outbox.due(clock.now, 10), [
        {
          id: "a",
          channel: "slack",
          payload: '{"id":"a","channel":"slack"}',
          attempts: 1,
          completedParts: ["+1"],
        },
      ]);
      assert.deepEqual(outbox.stats(), {
        staged: 0,
        pending: 1,
        delivered: 1,
        dead: 1,
        oldestPendingSince: 1_000_000,
        byChannel: {
          slack: { pending: 1, delivered: 1, dead: 0 },
          email: { pending: 0, delivered: 0, dead: 1 },
        },
      });
      const [dead] = outbox.list({ status: "dead" });
      assert.equal(dead?.id, "c");
      assert.equal(dead?.lastError, "rejected: SMTP 550");
      assert.equal(dead?.lastStatus, 550);
      assert.deepEqual(dead?.notification, { id: "c", channel: "email" });
      // A late outcome cannot revive a finished row.
      outbox.recordRetry("b", { attempts: 2, nextAttemptAt: 0, reason: "late" });
      assert.equal(outbox.get("b")?.status, "delivered");
    });
  });

  it("re-queues dead rows (one, by channel, all) with attempts reset, waking listeners", () => {
    withOutbox((outbox, clock) => {
      outbox.prepare("job", [row("a"), row("b"), row("c", "email")], 1);
      outbox.publish("job", 1);
      for (const id of ["a", "b", "c"])
        outbox.recordDead(id, { attempts: 10, reason: "out of retries" });
      const woken: number[] = [];
      outbox.onPublished((count) => woken.push(count));
      assert.equal(outbox.requeue({ id: "a" }), 1);
      assert.equal(outbox.requeue({ channel: "email" }), 1);
      assert.equal(outbox.requeue(), 1);
      assert.deepEqual(woken, [1, 1, 1]);
      assert.deepEqual(
        outbox.due(clock.now, 10).map((e) => [e.id, e.attempts]),
        [
          ["a", 0],
          ["b", 0],
          ["c", 0],
        ],
      );
    });
  });

  it("prunes delivered rows older than the retention", () => {
    withOutbox((outbox, clock) => {
      outbox.prepare("job", [row("a"), row("b")], 1);
      outbox.publish("job", 1);
      outbox.recordDelivered("a", 1);
      clock.now += 10_000;
      outbox.recordDelivered("b", 1);
      assert.equal(outbox.pruneDelivered(clock.now - 5000), 1);
      assert.equal(outbox.get("a"), null);
      assert.equal(outbox.get("b")?.status, "delivered");
    });
  });

  it("is shared by two connections (the pipeline and the dispatcher's process)", () => {
    const file = newFile();
    withOutbox((writer) => {
      withOutbox((reader, clock) => {
        writer.prepare("job", [row("a")], 1);
        assert.deepEqual(reader.due(clock.now, 10), []);
        writer.publish("job", 1);
        assert.deepEqual(
          reader.due(clock.now + 1, 10).map((e) => e.id),
          ["a"],
        );
      }, file);
    }, file);
  });

  it("refuses a file written by a newer millstream, and leaves it untouched", () => {
    const file = newFile();
    new Outbox({ path: file }).close();
    const db = new Database(file);
    db.pragma(`user_version = ${OUTBOX_SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(
      () => new Outbox({ path: file }),
      (error: unknown) => {
        assert.ok(error instanceof OutboxSchemaError);
        assert.match(
          error.message,
          /outbox .*outbox\.db: schema version 2 is newer than this millstream's \(1\)/,
        );
        return true;
      },
    );
  });
});
