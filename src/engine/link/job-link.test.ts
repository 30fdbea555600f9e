import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Batch } from "../batch.js";
import type {
  CheckpointData,
  CheckpointStore,
  StoredCheckpoint,
} from "../checkpoint/checkpoint-store.js";
import { MemoryCheckpointStore } from "../checkpoint/memory-checkpoint-store.js";
import {
  count,
  dataflow,
  type Job,
  type KeyedProcessFunction,
  type Sink,
  type SinkContext,
  type SinkWriter,
  type Source,
  type SourceContext,
  source,
  tumbling,
  valueState,
} from "../index.js";
import { CollectingSink, record, type TestingItem, TestingSource } from "../testing/index.js";
import { JobLink } from "./job-link.js";
import { LinkedJobs } from "./linked-jobs.js";
import { linkedStream } from "./linked-stream.js";

interface R {
  readonly id: string;
  readonly k: string;
  readonly v: number;
}

function items(n: number): TestingItem<R>[] {
  return Array.from({ length: n }, (_, i) => record({ id: `r${i}`, k: `k${i % 7}`, v: i }, i * 10));
}

/**
 * What outlives a simulated crash. A crashed process does nothing more; here its jobs'
 * checkpoints in flight would still go on, so whatever an attempt does after its crash
 * (a later generation has begun) is refused.
 */
class World {
  generation = 0;
}

/** The shared store as one attempt sees it. */
class AttemptStore implements CheckpointStore {
  readonly description = "attempt";
  readonly #generation: number;

  constructor(
    private readonly base: MemoryCheckpointStore,
    private readonly world: World,
  ) {
    this.#generation = world.generation;
  }

  async commit(data: CheckpointData): Promise<void> {
    if (this.#generation !== this.world.generation) throw new Error("crashed");
    await this.base.commit(data);
  }

  latest(job: string): Promise<StoredCheckpoint | null> {
    return this.base.latest(job);
  }

  async close(): Promise<void> {}
}

/** Records visible only once the checkpoint covering them commits; survives "restarts". */
class CommittedSink<T> implements Sink<T> {
  readonly description = "committed";
  readonly committed: T[] = [];
  readonly #staged = new Map<number, T[]>();

  constructor(private readonly world = new World()) {}

  async open(context: SinkContext): Promise<SinkWriter<T>> {
    const generation = this.world.generation;
    const alive = () => generation === this.world.generation;
    const restored = context.restored?.checkpointId;
    if (restored !== undefined) {
      const last = this.#staged.get(restored);
      if (last) this.committed.push(...last);
    }
    this.#staged.clear();
    let current: T[] = [];
    return {
      write: (batch: Batch<T>) => {
        current.push(...batch.values);
      },
      flush: async () => {},
      prepareCommit: async (id: number) => {
        if (!alive()) throw new Error("crashed");
        this.#staged.set(id, current);
        current = [];
        return { id };
      },
      commit: async (id: number) => {
        if (!alive()) return;
        const staged = this.#staged.get(id);
        this.#staged.delete(id);
        if (staged) this.committed.push(...staged);
      },
      close: async () => {},
    };
  }
}

/** A source over `inner` that calls `onPoll` with the number of polls so far. */
function watched<T>(inner: Source<T>, onPoll: (n: number) => void): Source<T> {
  let polls = 0;
  return {
    description: inner.description,
    async open(context: SourceContext) {
      const reader = await inner.open(context);
      return {
        partitions: reader.partitions,
        poll: async () => {
          onPoll(++polls);
          // Let the other job and the timers run, as a broker would.
          await new Promise((resolve) => setImmediate(resolve));
          return reader.poll();
        },
        positions: () => reader.positions?.() ?? new Map(),
        close: () => reader.close(),
      };
    },
  };
}

const sumState = valueState<number>("sum");
/** Running sum per key: output depends on every record being taken exactly once. */
const runningSum: KeyedProcessFunction<string, R, string> = {
  processElement(r, ctx) {
    const sum = (ctx.state(sumState).get() ?? 0) + r.v;
    ctx.state(sumState).set(sum);
    ctx.emit(`${r.id}:${sum}`);
  },
};

interface Pair {
  readonly upstream: Job;
  readonly downstream: Job;
  readonly link: JobLink<R>;
}

function pair(
  input: Source<R>,
  shared: { up: MemoryCheckpointStore; down: MemoryCheckpointStore },
  out: Sink<string>,
  intervals = { up: 7, down: 3 },
  world = new World(),
): Pair {
  const stores = {
    up: new AttemptStore(shared.up, world),
    down: new AttemptStore(shared.down, world),
  };
  const link = new JobLink<R>({ id: (r) => r.id, capacity: 64 });
  const upstream = dataflow("up", [
    source("in", input)
      .map("copy", (r) => ({ ...r }))
      .to("link-out", link.sink()),
  ]).job({ checkpoint: { store: stores.up, interval: intervals.up } });
  const linked = linkedStream("link", link);
  const sums = linked.records.keyBy((r) => r.k).process("sums", runningSum);
  const downstream = dataflow("down", [sums.to("out", out), linked.confirm]).job({
    checkpoint: { store: stores.down, interval: intervals.down, minPauseMs: 0 },
  });
  return { upstream, downstream, link };
}

/** Expected output of `runningSum` over records 0..n-1 taken once each, in order per key. */
function expectedSums(n: number): string[] {
  const sums = new Map<string, number>();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = `k${i % 7}`;
    const s = (sums.get(k) ?? 0) + i;
    sums.set(k, s);
    out.push(`r${i}:${s}`);
  }
  return out.sort();
}

describe("JobLink", () => {
  it("hands records, event times and watermarks to the downstream job as they are written", async () => {
    const n = 200;
    const link = new JobLink<R>({ id: (r) => r.id });
    const upstream = dataflow("up", [
      source("in", new TestingSource(items(n), { batchSize: 9 })).to("link-out", link.sink()),
    ]).job();
    const linked = linkedStream("link", link);
    const records = new CollectingSink<R>();
    const windows = new CollectingSink<unknown>();
    const counted = linked.records.keyBy(() => "all").window("per-100ms", tumbling(100), count());
    const downstream = dataflow("down", [
      linked.records.to("records", records),
      counted.to("windows", windows),
      linked.confirm,
    ]).job();
    await new LinkedJobs(upstream, downstream, link).run();
    assert.equal(upstream.state, "finished");
    assert.equal(downstream.state, "finished");
    assert.deepEqual(
      records.records.map((r) => [r.value.id, r.time]),
      Array.from({ length: n }, (_, i) => [`r${i}`, i * 10]),
    );
    // The watermark came through: every 100 ms window closed with its 10 records.
    assert.equal(windows.values.length, n / 10);
    for (const w of windows.values as { value: number }[]) assert.equal(w.value, 10);
  });

  it("keeps the downstream output exactly once through repeated crashes of both jobs", async () => {
    const n = 4000;
    const stores = { up: new MemoryCheckpointStore(), down: new MemoryCheckpointStore() };
    const world = new World();
    const out = new CommittedSink<string>(world);
    const script = items(n);
    // Crash after this many upstream polls in each attempt (each attempt starts afresh
    // from the checkpoints), then run to the end.
    const crashes = [40, 75, 23, 110, 61, 90, 35, 130];
    let restoredUp = 0;
    for (const [attempt, crashAt] of crashes.entries()) {
      let link: JobLink<R> | null = null;
      const input = watched(new TestingSource(script, { batchSize: 5 }), (polls) => {
        if (polls !== crashAt) return;
        world.generation++;
        link?.fail(new Error("simulated crash"));
      });
      // Downstream checkpoints more often than upstream ones, then less often (so that
      // upstream checkpoints hold records not yet confirmed, sent again on restore).
      const intervals = attempt % 2 === 0 ? { up: 7, down: 3 } : { up: 3, down: 13 };
      const p = pair(input, stores, out, intervals, world);
      link = p.link;
      const results = await Promise.allSettled([p.upstream.run(), p.downstream.run()]);
      assert.ok(
        results.every((r) => r.status === "rejected"),
        "both jobs crashed",
      );
      await sleep(20);
      if ((await stores.up.latest("up")) !== null) restoredUp++;
    }
    assert.ok(restoredUp >= 3, `upstream checkpoints were taken (${restoredUp})`);
    const last = pair(new TestingSource(script, { batchSize: 5 }), stores, out, undefined, world);
    await new LinkedJobs(last.upstream, last.downstream, last.link).run();
    assert.deepEqual([...out.committed].sort(), expectedSums(n));
  });

  it("forgets the ids no restore can send again", async () => {
    const n = 3000;
    const stores = { up: new MemoryCheckpointStore(), down: new MemoryCheckpointStore() };
    const out = new CommittedSink<string>();
    const input = watched(new TestingSource(items(n), { batchSize: 10 }), () => {});
    const p = pair(input, stores, out, { up: 5, down: 2 });
    await new LinkedJobs(p.upstream, p.downstream, p.link).run();
    assert.equal(out.committed.length, n);
    const dedup = p.downstream.snapshot().steps.get("link-dedup");
    assert.ok(dedup !== undefined);
    const remembered = JSON.stringify([...dedup.partitions.values()]).match(/"r\d+"/g) ?? [];
    assert.ok(
      remembered.length < n / 4,
      `${remembered.length} of ${n} ids still remembered after the upstream checkpoints`,
    );
  });

  it("keeps an id written by a run that died without a checkpoint, whatever epoch a later run gives it", async () => {
    // Run B restarted from checkpoint 3 and wrote r1 in its epoch 4, then died before
    // committing checkpoint 4. Run C restarted from 3 too and committed its own
    // checkpoint 4, before r1 came round again; run D resumes from C's checkpoint 4, so
    // it writes r1 again. Checkpoint ids alone would call B's epoch 4 covered.
    const link = new JobLink<R>({ id: (r) => r.id });
    const r1 = { id: "r1", k: "a", v: 1 };
    const r2 = { id: "r2", k: "a", v: 2 };
    const entries = [
      { kind: "record" as const, seq: 1, id: "r1", run: "B", epoch: 4, value: r1 },
      { kind: "record" as const, seq: 2, id: "r2", run: "A", epoch: 2, value: r2 },
      {
        kind: "forget" as const,
        seq: 3,
        lineage: [
          { run: "A", last: 3 },
          { run: "C", last: 4 },
          { run: "D", last: 4 },
        ],
        keep: [],
      },
      { kind: "record" as const, seq: 4, id: "r1", run: "D", epoch: 5, value: r1 },
    ];
    for (const [i, entry] of entries.entries()) link.push({ kind: "entry", entry, time: i });
    link.push({ kind: "end" });
    const linked = linkedStream("link", link);
    const out = new CollectingSink<R>();
    const job = dataflow("down", [linked.records.to("out", out), linked.confirm]).job();
    await job.run();
    assert.deepEqual(
      out.values.map((r) => r.id),
      ["r1", "r2"],
    );
    const dedup = job.snapshot().steps.get("link-dedup");
    const remembered = JSON.stringify([...(dedup?.partitions.values() ?? [])]);
    assert.match(remembered, /"r1"/, "r1 is remembered as written by run D");
    assert.doesNotMatch(remembered, /"r2"/, "r2, covered by A's checkpoint 3, is forgotten");
  });

  it("fails the upstream job when the downstream job fails", async () => {
    const link = new JobLink<R>({ id: (r) => r.id });
    const upstream = dataflow("up", [
      source("in", new TestingSource(items(50), { batchSize: 1, endless: true })).to(
        "link-out",
        link.sink(),
      ),
    ]).job();
    const linked = linkedStream("link", link);
    const failing: Sink<R> = {
      description: "failing",
      async open() {
        return {
          write(batch: Batch<R>) {
            if (batch.values.some((r) => r.v === 20)) throw new Error("sink broke");
          },
          async flush() {},
          async close() {},
        };
      },
    };
    const downstream = dataflow("down", [linked.records.to("out", failing), linked.confirm]).job();
    await assert.rejects(new LinkedJobs(upstream, downstream, link).run());
    assert.equal(upstream.state, "failed");
  });

  it("rejects a capacity below 2", () => {
    assert.throws(() => new JobLink<R>({ id: (r) => r.id, capacity: 1 }), /capacity/);
  });
});
