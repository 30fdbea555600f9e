/**
 * The worker module of `worker-job.test.ts`: the downstream job of a link, built on the
 * worker thread as `data.mode` says, returning what its sinks received.
 */
import type { Batch } from "../batch.js";
import { MemoryCheckpointStore } from "../checkpoint/memory-checkpoint-store.js";
import { count, dataflow, type Sink, tumbling } from "../index.js";
import { CollectingSink } from "../testing/index.js";
import { linkedStream } from "./linked-stream.js";
import { serveWorkerJob } from "./serve-worker-job.js";

/** A record of the test. */
export interface R {
  readonly id: string;
  readonly k: string;
  readonly v: number;
}

/** What the worker's job returns to the test. */
export interface FixtureResult {
  readonly records: readonly (readonly [string, number])[];
  readonly windows: readonly number[];
  readonly messages: readonly unknown[];
  readonly thread: number;
}

serveWorkerJob<R, FixtureResult>(async ({ data, link, onMessage }) => {
  const { mode } = data as { mode: "windows" | "fail" | "build-error" };
  if (link === null) throw new Error("the fixture needs a link");
  if (mode === "build-error") throw new RangeError("bad settings for the worker's job");
  const messages: unknown[] = [];
  onMessage((value) => messages.push(value));
  const linked = linkedStream("link", link);
  const records = new CollectingSink<R>();
  const windows = new CollectingSink<{ value: number }>();
  const failing: Sink<R> = {
    description: "failing",
    async open() {
      return {
        write(batch: Batch<R>) {
          if (batch.values.some((r) => r.v === 20)) throw new Error("sink broke at 20");
          records.records.push(
            ...batch.values.map((value, i) => ({ value, time: batch.times[i] as number })),
          );
        },
        async flush() {},
        async close() {},
      };
    },
  };
  const counted = linked.records.keyBy(() => "all").window("per-100ms", tumbling(100), count());
  const job = dataflow("down", [
    linked.records.to("records", mode === "fail" ? failing : records),
    counted.to("windows", windows),
    linked.confirm,
  ]).job({ checkpoint: { store: new MemoryCheckpointStore(), interval: 5, minPauseMs: 0 } });
  const { threadId } = await import("node:worker_threads");
  return {
    job,
    close: () => ({
      records: records.records.map((r) => [r.value.id, r.time] as const),
      windows: windows.values.map((w) => w.value),
      messages,
      thread: threadId,
    }),
  };
});
