import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dataflow, type KeyedProcessFunction, source, valueState } from "../index.js";
import type { KeyDelta, StepDelta } from "../runtime/operator.js";
import { CollectingSink, ManualClock, record, TestingSource } from "../testing/index.js";
import { captureInto } from "./checkpoint-capture.js";
import type {
  CheckpointHeader,
  CheckpointStore,
  CheckpointWriter,
  StateRow,
} from "./checkpoint-store.js";
import { MemoryCheckpointStore } from "./memory-checkpoint-store.js";

/**
 * A writer standing for a store that writes on another thread: rows added are
 * "unwritten" until `ready()` has been waited on for a moment, as the thread catches up.
 */
class SlowWriter implements CheckpointWriter {
  readonly rows: StateRow[] = [];
  unwritten = 0;
  maxUnwritten = 0;
  /** Rows added while the writer was not ready (backlog above zero). */
  addedWhileBehind = 0;
  finished = false;

  add(rows: readonly StateRow[]): void {
    if (this.unwritten > 0) this.addedWhileBehind += rows.length;
    this.rows.push(...rows);
    this.unwritten += rows.length;
    this.maxUnwritten = Math.max(this.maxUnwritten, this.unwritten);
  }

  ready(): Promise<void> {
    if (this.unwritten === 0) return Promise.resolve();
    return new Promise((resolve) =>
      setTimeout(() => {
        this.unwritten = 0;
        resolve();
      }, 30),
    );
  }

  async finish(): Promise<void> {
    this.finished = true;
  }

  abort(): void {
    this.rows.length = 0;
  }
}

/** A step delta of `count` keys, captured `limit` at a time by `complete`. */
function lazyDelta(count: number, onCapture: () => void = () => {}): StepDelta {
  const keys: KeyDelta[] = [];
  let next = 0;
  return {
    keys,
    complete(limit) {
      onCapture();
      for (let n = 0; n < limit && next < count; n++, next++) {
        keys.push({ partition: next % 4, key: `k${next}`, state: { v: next } });
      }
      return next === count;
    },
  };
}

describe("checkpoint capture", () => {
  it("captures a chunk only when the writer is ready, and hands over what the dataflow captured meanwhile", async () => {
    const writer = new SlowWriter();
    const backlogAtCapture: number[] = [];
    const proactive = lazyDelta(10_000, () => backlogAtCapture.push(writer.unwritten));
    // Keys the dataflow captures on its own (just before changing them), while capture waits.
    const forced: StepDelta = { keys: [] };
    let pushed = 0;
    const dataflow = setInterval(() => {
      for (let i = 0; i < 100 && pushed < 2_000; i++, pushed++) {
        forced.keys.push({ partition: 0, key: pushed, state: null });
      }
    }, 5);
    try {
      const size = await captureInto(
        writer,
        [
          ["windows", proactive],
          ["detectors", forced],
        ],
        1_000,
      );
      assert.equal(size.keys, writer.rows.length);
    } finally {
      clearInterval(dataflow);
    }
    assert.ok(writer.finished);
    assert.deepEqual(
      backlogAtCapture.filter((n) => n > 0),
      [],
      "a chunk was captured while the writer was behind",
    );
    assert.ok(writer.addedWhileBehind > 0, "nothing was handed over while the writer was behind");
    const windows = writer.rows.filter((r) => r.step === "windows").map((r) => r.key);
    const detectors = writer.rows.filter((r) => r.step === "detectors").map((r) => r.key);
    assert.equal(new Set(windows).size, 10_000);
    assert.equal(windows.length, 10_000);
    assert.equal(detectors.length, pushed);
    assert.equal(new Set(detectors).size, pushed);
  });

  it("a job's final checkpoint never leaves more than one chunk of captured keys unwritten", async () => {
    const writers: SlowWriter[] = [];
    /** A memory store whose commits are fed through a slow writer first. */
    class SlowStore extends MemoryCheckpointStore implements CheckpointStore {
      begin(header: CheckpointHeader): CheckpointWriter {
        const writer = new SlowWriter();
        writers.push(writer);
        return {
          add: (rows) => writer.add(rows),
          ready: () => writer.ready(),
          finish: () => this.commit({ ...header, rows: writer.rows }),
          abort: () => writer.abort(),
        };
      }
    }
    const store = new SlowStore();
    const total = valueState<number>("total");
    const running: KeyedProcessFunction<string, { k: string; v: number }, number> = {
      processElement(x, ctx) {
        ctx.state(total).set((ctx.state(total).get() ?? 0) + x.v);
      },
    };
    const clock = new ManualClock();
    const items = Array.from({ length: 9_000 }, (_, i) => record({ k: `s${i}`, v: i }, i));
    const job = dataflow("plant", [
      source("in", new TestingSource(items, { clock, batchSize: 500 }))
        .keyBy((x) => x.k)
        .process("totals", running)
        .to("out", new CollectingSink<number>()),
    ]).job({ clock, tickInterval: 0, checkpoint: { store, interval: 1e9 } });
    await job.run();
    assert.equal(writers.length, 1);
    // 9,000 keys captured 2,000 at a time, one chunk written before the next.
    assert.ok(writers[0]!.maxUnwritten <= 2_000, `max unwritten ${writers[0]!.maxUnwritten}`);
    const stored = await store.latest("plant");
    assert.equal(stored?.rows.filter((r) => r.step === "totals").length, 9_000);
    assert.match(stored?.rows.find((r) => r.key === '"s42"')?.state ?? "", /"total":\{"value":42,/);
  });
});
