import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { threadId } from "node:worker_threads";
import type {
  CheckpointData,
  CheckpointStore,
  StoredCheckpoint,
} from "../checkpoint/checkpoint-store.js";
import { MemoryCheckpointStore } from "../checkpoint/memory-checkpoint-store.js";
import { dataflow, source } from "../index.js";
import { record, type TestingItem, TestingSource } from "../testing/index.js";
import { JobLink } from "./job-link.js";
import type { LinkSinkProgress } from "./link-sink.js";
import { LinkedJobs } from "./linked-jobs.js";
import type { FixtureResult, R } from "./worker-job.fixture.js";
import { WorkerJob } from "./worker-job.js";

const entry = new URL("./worker-job.fixture.ts", import.meta.url);

function items(n: number): TestingItem<R>[] {
  return Array.from({ length: n }, (_, i) => record({ id: `r${i}`, k: `k${i % 7}`, v: i }, i * 10));
}

/** A memory store that notes, per commit, how many records the link sink had not seen confirmed. */
class NotingStore implements CheckpointStore {
  readonly description = "noting";
  readonly unconfirmed: number[] = [];
  readonly #base = new MemoryCheckpointStore();

  async commit(data: CheckpointData): Promise<void> {
    const row = data.sinks.find((s) => s.step === "link-out");
    if (row) {
      const progress = JSON.parse(row.progress) as LinkSinkProgress<R>;
      this.unconfirmed.push(progress.unconfirmed.filter((u) => u.kind === "record").length);
    }
    await this.#base.commit(data);
  }

  latest(job: string): Promise<StoredCheckpoint | null> {
    return this.#base.latest(job);
  }

  async close(): Promise<void> {}
}

function upstreamJob(input: TestingSource<R>, link: JobLink<R>, store?: CheckpointStore) {
  let written = 0;
  const job = dataflow("up", [
    source("in", input)
      .map("count", (r) => {
        written++;
        return r;
      })
      .to("link-out", link.sink()),
  ]).job(store ? { checkpoint: { store, interval: 5 } } : {});
  return { job, written: () => written };
}

/** The fixture's downstream job of `link`, on a worker thread. */
function downstream(link: JobLink<R>, mode: "windows" | "fail" | "build-error") {
  return new WorkerJob<FixtureResult, R>({ entry, link, data: { mode } });
}

describe("WorkerJob", () => {
  it("runs the downstream job on its own thread, with records, event times and watermarks", async () => {
    const n = 500;
    // A small capacity: the upstream sink waits for the thread to take what is in flight.
    const link = new JobLink<R>({ id: (r) => r.id, capacity: 8 });
    const up = upstreamJob(new TestingSource(items(n), { batchSize: 9 }), link);
    const down = downstream(link, "windows");
    await new LinkedJobs(up.job, down, link).run();
    assert.equal(up.job.state, "finished");
    assert.equal(down.state, "finished");
    const result = down.result as FixtureResult;
    assert.notEqual(result.thread, threadId);
    assert.deepEqual(
      result.records,
      Array.from({ length: n }, (_, i) => [`r${i}`, i * 10]),
    );
    // The watermarks came through: every 100 ms window closed with its 10 records.
    assert.deepEqual(
      result.windows,
      Array.from({ length: n / 10 }, () => 10),
    );
    assert.equal(down.progress()?.name, "down");
  });

  it("confirms to the upstream sink what the worker's checkpoints cover", async () => {
    const n = 3000;
    const link = new JobLink<R>({ id: (r) => r.id, capacity: 64 });
    const store = new NotingStore();
    const slow = new TestingSource(items(n), { batchSize: 5 });
    const up = upstreamJob(slow, link, store);
    const down = downstream(link, "windows");
    await new LinkedJobs(up.job, down, link).run();
    assert.equal((down.result as FixtureResult).records.length, n);
    assert.ok(store.unconfirmed.length >= 3, `${store.unconfirmed.length} upstream checkpoints`);
    // Without confirmations crossing back, every checkpoint would keep all records written so far.
    const most = Math.max(...store.unconfirmed);
    assert.ok(
      most < n / 2,
      `at most ${most} of ${n} records unconfirmed at an upstream checkpoint`,
    );
  });

  it("stops both jobs, the downstream one after it has read everything the upstream one wrote", async () => {
    const link = new JobLink<R>({ id: (r) => r.id, capacity: 16 });
    const input = new TestingSource(items(100), { batchSize: 1, endless: true });
    const up = upstreamJob(input, link);
    const down = downstream(link, "windows");
    const linked = new LinkedJobs(up.job, down, link);
    const running = linked.run();
    await input.whenDrained();
    linked.stop();
    await running;
    assert.equal(down.state, "finished");
    assert.equal((down.result as FixtureResult).records.length, up.written());
    assert.ok(up.written() >= 100);
  });

  it("passes messages to the worker's handler", async () => {
    const link = new JobLink<R>({ id: (r) => r.id });
    const input = new TestingSource(items(10), { batchSize: 1, endless: true });
    const up = upstreamJob(input, link);
    const down = downstream(link, "windows");
    const linked = new LinkedJobs(up.job, down, link);
    const running = linked.run();
    await input.whenDrained();
    down.post({ hello: "worker" });
    // The message is read before the stop, which it precedes on the same port.
    down.stop();
    linked.stop();
    await running;
    assert.deepEqual((down.result as FixtureResult).messages, [{ hello: "worker" }]);
  });

  it("fails the upstream job with the worker job's failure", async () => {
    const link = new JobLink<R>({ id: (r) => r.id });
    const up = upstreamJob(new TestingSource(items(50), { batchSize: 1, endless: true }), link);
    const down = downstream(link, "fail");
    await assert.rejects(new LinkedJobs(up.job, down, link).run(), /sink broke at 20/);
    assert.equal(up.job.state, "failed");
    assert.equal(down.state, "failed");
  });

  it("reports an error of the worker's builder with its name and message", async () => {
    const link = new JobLink<R>({ id: (r) => r.id });
    const up = upstreamJob(new TestingSource(items(5), { batchSize: 1 }), link);
    const down = downstream(link, "build-error");
    await assert.rejects(new LinkedJobs(up.job, down, link).run(), {
      name: "RangeError",
      message: "bad settings for the worker's job",
    });
  });
});
