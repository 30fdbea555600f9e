/**
 * Tests of sinks that prepare a checkpoint in the background (`preparesInBackground`):
 * the dataflow goes on while their `prepareCommit` settles, and the checkpoint commits
 * only after it has; a sink without the flag holds the dataflow until it is prepared.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type CheckpointData,
  type CheckpointHeader,
  type CheckpointWriter,
  collectingWriter,
} from "../checkpoint/checkpoint-store.js";
import { MemoryCheckpointStore } from "../checkpoint/memory-checkpoint-store.js";
import { ManualClock } from "../clock.js";
import { dataflow, type SinkWriter, StepFailedError, source } from "../index.js";
import { advanceClock, record, type TestingItem, TestingSource } from "../testing/index.js";

/** What happened, in order: writes, prepares begun and settled, commits. */
type Event = string;

/** Records in `log` when a commit begins, and when it commits with which sinks' progress. */
class LoggingStore extends MemoryCheckpointStore {
  constructor(readonly log: Event[]) {
    super();
  }
  begin(header: CheckpointHeader): CheckpointWriter {
    this.log.push(`store begin ${header.id}`);
    return collectingWriter(header, (data) => this.commit(data));
  }
  override async commit(data: CheckpointData): Promise<void> {
    this.log.push(`store commit ${data.id} ${data.sinks.map((s) => s.progress).join(" ")}`);
    await super.commit(data);
  }
}

/**
 * A sink whose first prepare settles once `writesToWait` records have been written
 * after it began, or after 300 ms of wall time if none come (the dataflow is held).
 */
function slowSink(log: Event[], background: boolean, fail = false) {
  let waiting: { left: number; settle: () => void } | null = null;
  let prepares = 0;
  return {
    description: "slow",
    async open(): Promise<SinkWriter<number>> {
      return {
        preparesInBackground: background,
        write(batch) {
          log.push(`write ${batch.values.length}`);
          if (waiting !== null) {
            waiting.left -= batch.values.length;
            if (waiting.left <= 0) waiting.settle();
          }
        },
        async flush() {},
        prepareCommit(id) {
          log.push(`prepare ${id}`);
          if (++prepares > 1) return Promise.resolve({ epoch: id });
          return new Promise((resolve, reject) => {
            const settle = () => {
              if (waiting === null) return;
              waiting = null;
              clearTimeout(timer);
              log.push(`prepared ${id}`);
              if (fail) reject(new Error("segment write failed"));
              else resolve({ epoch: id });
            };
            const timer = setTimeout(settle, 300);
            waiting = { left: 30, settle };
          });
        },
        async commit(id, progress) {
          log.push(`sink commit ${id} ${JSON.stringify(progress)}`);
        },
        async close() {},
      };
    },
  };
}

/** 100 records of 10 per batch, each batch 10 ms apart; a checkpoint is due every 30 ms. */
async function run(log: Event[], background: boolean, fail = false) {
  const clock = new ManualClock(0);
  const items: TestingItem<number>[] = [];
  for (let i = 0; i < 100; i++) {
    items.push(record(i, i));
    if (i % 10 === 9) items.push(advanceClock(10));
  }
  const flow = dataflow("background", [
    source("in", new TestingSource(items, { clock, batchSize: 10 })).to(
      "out",
      slowSink(log, background, fail),
    ),
  ]);
  await flow.run({
    clock,
    tickInterval: 0,
    checkpoint: { store: new LoggingStore(log), interval: 30 },
  });
}

/** Records written between the first prepare's start and its end. */
function writtenWhilePreparing(log: Event[]): number {
  const from = log.indexOf("prepare 1");
  const to = log.indexOf("prepared 1");
  assert.ok(from >= 0 && to > from, `the first prepare began and settled: ${log.join(", ")}`);
  return log
    .slice(from, to)
    .filter((e) => e.startsWith("write "))
    .reduce((n, e) => n + Number(e.slice(6)), 0);
}

describe("a sink preparing in the background", () => {
  it("lets the dataflow go on while it prepares, and commits the checkpoint after", async () => {
    const log: Event[] = [];
    await run(log, true);
    assert.ok(writtenWhilePreparing(log) >= 30);
    const prepared = log.indexOf("prepared 1");
    // The commit begins (state is captured) while the prepare runs, and commits after
    // it with its progress.
    assert.ok(log.indexOf("store begin 1") < prepared, log.join(", "));
    const committed = log.indexOf('store commit 1 {"epoch":1}');
    assert.ok(committed > prepared, log.join(", "));
    assert.ok(log.indexOf('sink commit 1 {"epoch":1}') > committed);
    assert.equal(log.filter((e) => e.startsWith("write ")).length, 10);
  });

  it("is held at the barrier without the flag", async () => {
    const log: Event[] = [];
    await run(log, false);
    assert.equal(writtenWhilePreparing(log), 0);
    assert.ok(log.indexOf("store begin 1") > log.indexOf("prepared 1"));
    assert.ok(log.indexOf('store commit 1 {"epoch":1}') > log.indexOf("prepared 1"));
  });

  it("fails the job, committing nothing, when its prepare fails", async () => {
    const log: Event[] = [];
    await assert.rejects(
      run(log, true, true),
      (error: unknown) =>
        error instanceof StepFailedError &&
        /checkpoint 1 failed at the barrier/.test(error.message),
    );
    assert.ok(!log.some((e) => e.startsWith("store commit 1")), log.join(", "));
    assert.ok(!log.some((e) => e.startsWith("sink commit")));
  });
});
