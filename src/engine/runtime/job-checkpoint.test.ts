import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CheckpointData, StoredCheckpoint } from "../checkpoint/checkpoint-store.js";
import { MemoryCheckpointStore } from "../checkpoint/memory-checkpoint-store.js";
import {
  type Dataflow,
  dataflow,
  type Key,
  type KeyedProcessFunction,
  StepFailedError,
  sliding,
  source,
  sum,
  valueState,
  type WindowResult,
} from "../index.js";
import {
  advanceClock,
  CollectingSink,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
} from "../testing/index.js";

interface R {
  readonly k: string;
  readonly v: number;
}

/** A memory store that also keeps every commit it was given. */
class RecordingStore extends MemoryCheckpointStore {
  readonly commits: CheckpointData[] = [];
  override async commit(data: CheckpointData): Promise<void> {
    this.commits.push(structuredClone(data));
    await super.commit(data);
  }
}

const total = valueState<number>("total", { ttl: 50 });
const running: KeyedProcessFunction<string, R, string> = {
  processElement(x, ctx) {
    const sum = (ctx.state(total).get() ?? 0) + x.v;
    ctx.state(total).set(sum);
    ctx.emit(`${ctx.key}=${sum}`);
  },
};

function flow(src: TestingSource<R>, out: CollectingSink<unknown>): Dataflow {
  const readings = source("in", src, { maxOutOfOrderness: 5 });
  const windows = readings
    .keyBy((x) => x.k)
    .window(
      "w",
      sliding({ size: 30, slide: 10 }),
      sum<R>((x) => x.v),
    );
  const totals = readings.keyBy((x) => x.k).process("totals", running);
  return dataflow("plant", [windows.to("windows-out", out), totals.to("totals-out", out)]);
}

function script(n: number, every: number): TestingItem<R>[] {
  const items: TestingItem<R>[] = [];
  for (let i = 0; i < n; i++) {
    // The first half's sensors fall silent half-way: their state expires and goes away.
    const k = `${i < n / 2 ? "s" : "t"}${(i * 7) % 11}`;
    items.push(record({ k, v: i }, i * 2 + ((i * 3) % 4)));
    if (i % every === every - 1) items.push(advanceClock(1000));
  }
  return items;
}

const sortedOutput = (values: unknown[]) =>
  values
    .map((v) => (typeof v === "string" ? v : JSON.stringify(v as WindowResult<Key, number>)))
    .sort();

describe("checkpoints", () => {
  it("write only the keys that changed since the previous checkpoint", async () => {
    const clock = new ManualClock();
    const store = new RecordingStore();
    const items: TestingItem<R>[] = [
      record({ k: "a", v: 1 }, 1),
      record({ k: "b", v: 1 }, 2),
      record({ k: "c", v: 1 }, 3),
      advanceClock(1000),
      record({ k: "a", v: 1 }, 4),
      advanceClock(1000),
    ];
    const out = new CollectingSink<string>();
    const totals = source("in", new TestingSource(items, { clock, batchSize: 1 }))
      .keyBy((x) => x.k)
      .process("totals", running);
    await dataflow("plant", [totals.to("out", out)]).run({
      clock,
      tickInterval: 0,
      checkpoint: { store, interval: 1000 },
    });
    const keysOf = (c: CheckpointData) => c.rows.map((r) => JSON.parse(r.key) as string).sort();
    assert.deepEqual(
      store.commits.map((c) => c.id),
      [1, 2, 3],
    );
    assert.deepEqual(keysOf(store.commits[0]!), ["a", "b", "c"]);
    assert.deepEqual(keysOf(store.commits[1]!), ["a"]);
    // End of input moves the watermark to +∞: every key's TTL runs out, leaving tombstones.
    assert.deepEqual(keysOf(store.commits[2]!), ["a", "b", "c"]);
    assert.ok(store.commits[2]!.rows.every((r) => r.state === null));
    assert.deepEqual(store.commits[1]!.positions, [{ step: "in", partition: 0, position: "6" }]);
  });

  it("accumulate, with tombstones, to exactly the job's full state", async () => {
    const clock = new ManualClock();
    const store = new RecordingStore();
    const out = new CollectingSink<unknown>();
    const src = new TestingSource(script(300, 25), { clock, batchSize: 3, endless: true });
    const job = flow(src, out).job({
      clock,
      tickInterval: 0,
      checkpoint: { store, interval: 1000 },
    });
    const done = job.run();
    await src.whenDrained();
    job.stop();
    await done;
    assert.ok(store.commits.length >= 10);
    assert.ok(
      store.commits.some((c) => c.rows.some((r) => r.state === null)),
      "some key went away",
    );
    const stored = (await store.latest("plant")) as StoredCheckpoint;
    const full = job.snapshot();
    for (const step of ["w", "totals"]) {
      const expected = [...full.steps.get(step)!.partitions]
        .flatMap(([partition, list]) =>
          (list as { key: Key; state: unknown }[]).map(
            (e) => `${partition}/${JSON.stringify(e.key)}/${JSON.stringify(e.state)}`,
          ),
        )
        .sort();
      const actual = stored.rows
        .filter((r) => r.step === step)
        .map((r) => `${r.partition}/${r.key}/${r.state}`)
        .sort();
      assert.deepEqual(actual, expected, `state of step ${step}`);
    }
  });

  it("resume from the store after a graceful stop with the output of an uninterrupted run", async () => {
    const items = script(400, 20);
    const whole = new CollectingSink<unknown>();
    await flow(new TestingSource(items, { clock: new ManualClock(), batchSize: 4 }), whole).run({
      clock: new ManualClock(),
      tickInterval: 0,
    });

    const store = new MemoryCheckpointStore();
    const first = new CollectingSink<unknown>();
    const clock1 = new ManualClock();
    const head = new TestingSource(items.slice(0, 230), {
      clock: clock1,
      batchSize: 4,
      endless: true,
    });
    const job = flow(head, first).job({
      clock: clock1,
      tickInterval: 0,
      checkpoint: { store, interval: 1000 },
    });
    const done = job.run();
    await head.whenDrained();
    job.stop();
    await done;

    const second = new CollectingSink<unknown>();
    const clock2 = new ManualClock();
    await flow(new TestingSource(items, { clock: clock2, batchSize: 4 }), second).run({
      clock: clock2,
      tickInterval: 0,
      checkpoint: { store, interval: 1000 },
    });
    assert.ok(first.values.length > 0 && second.values.length > 0);
    assert.deepEqual(sortedOutput([...first.values, ...second.values]), sortedOutput(whole.values));
  });

  it("fail the job, naming the checkpoint, when the store cannot commit", async () => {
    const clock = new ManualClock();
    class FailingStore extends MemoryCheckpointStore {
      override async commit(): Promise<void> {
        throw new Error("disk full");
      }
    }
    const failing = new FailingStore();
    const job = flow(
      new TestingSource(script(50, 10), { clock, batchSize: 5 }),
      new CollectingSink(),
    ).job({
      clock,
      tickInterval: 0,
      checkpoint: { store: failing, interval: 1000 },
    });
    await assert.rejects(job.run(), (error: unknown) => {
      assert.ok(error instanceof StepFailedError);
      assert.match(error.message, /checkpoint 1 failed to commit/);
      assert.equal((error.cause as Error).message, "disk full");
      return true;
    });
    assert.equal(job.progress().checkpoints.failed, 1);
  });

  it("report checkpoint metrics", async () => {
    const clock = new ManualClock(10_000);
    const store = new MemoryCheckpointStore();
    const job = flow(
      new TestingSource(script(100, 10), { clock, batchSize: 5 }),
      new CollectingSink(),
    ).job({
      clock,
      tickInterval: 0,
      checkpoint: { store, interval: 1000 },
    });
    await job.run();
    const cp = job.progress().checkpoints;
    assert.equal(cp.failed, 0);
    assert.equal(cp.completed, cp.lastId);
    assert.ok(cp.completed >= 10);
    assert.equal(cp.ageMs, 0);
    assert.ok(cp.lastPauseMs !== null && cp.lastPauseMs >= 0);
    assert.ok(cp.lastDurationMs !== null && cp.lastDurationMs >= cp.lastPauseMs);
    assert.equal(typeof cp.lastBytes, "number");
  });

  it("process the batch polled when a graceful stop came, and checkpoint past it", async () => {
    const store = new RecordingStore();
    const out = new CollectingSink<string>();
    let polls = 0;
    let job: ReturnType<Dataflow["job"]> | undefined;
    const stoppingSource = {
      description: "stops the job while a batch is on its way",
      async open() {
        return {
          partitions: 1,
          async poll() {
            polls++;
            if (polls === 2) job!.stop();
            return {
              kind: "batch" as const,
              partition: 0,
              values: [{ k: "a", v: polls }],
              times: [polls],
            };
          },
          positions: () => new Map([[0, polls]]),
          async close() {},
        };
      },
    };
    const totals = source("in", stoppingSource)
      .keyBy((x: R) => x.k)
      .process("totals", running);
    job = dataflow("plant", [totals.to("out", out)]).job({
      clock: new ManualClock(),
      tickInterval: 0,
      checkpoint: { store },
    });
    await job.run();
    assert.deepEqual(out.values, ["a=1", "a=3"]);
    assert.deepEqual(store.commits.at(-1)!.positions, [
      { step: "in", partition: 0, position: "2" },
    ]);
  });

  it("capture each key's state as of the barrier, even when it changes before being written", async () => {
    // 12,000 keys changed per checkpoint in each keyed step: several capture chunks,
    // and a source that yields to the event loop on every poll, so records change keys
    // whose state is still waiting to be captured.
    const clock = new ManualClock();
    const items: TestingItem<R>[] = [];
    let seed = 12_345;
    for (let i = 0; i < 60_000; i++) {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      items.push(record({ k: `k${seed % 12_000}`, v: i % 97 }, Math.floor(i / 20)));
      if (i % 12_000 === 11_999) items.push(advanceClock(1000));
    }
    const yielding = (inner: TestingSource<R>) => ({
      description: "yields on every poll",
      async open(context: Parameters<TestingSource<R>["open"]>[0]) {
        const reader = await inner.open(context);
        return {
          partitions: reader.partitions,
          async poll() {
            await new Promise((resolve) => setImmediate(resolve));
            return reader.poll();
          },
          positions: () => reader.positions!(),
          close: () => reader.close(),
        };
      },
    });
    /** Remembers, for each record, the checkpoint epoch it was written in. */
    class EpochSink {
      readonly description = "epochs";
      readonly records: { value: string; epoch: number }[] = [];
      epoch = 1;
      async open() {
        return {
          write: (batch: { values: readonly unknown[] }) => {
            for (const v of batch.values)
              this.records.push({ value: JSON.stringify(v), epoch: this.epoch });
          },
          flush: async () => {},
          prepareCommit: async (id: number) => {
            this.epoch = id + 1;
            return null;
          },
          close: async () => {},
        };
      }
    }
    const saved = new Map<number, StoredCheckpoint>();
    class SavingStore extends MemoryCheckpointStore {
      override async commit(data: CheckpointData): Promise<void> {
        await super.commit(data);
        saved.set(data.id, (await this.latest(data.job))!);
      }
    }
    const build = (src: TestingSource<R>, sink: EpochSink) => {
      const readings = source("in", yielding(src), { maxOutOfOrderness: 5 });
      const windows = readings
        .keyBy((x) => x.k)
        .window(
          "w",
          sliding({ size: 300, slide: 100 }),
          sum<R>((x) => x.v),
        );
      const totals = readings.keyBy((x) => x.k).process("totals", running);
      return dataflow("plant", [windows.to("windows-out", sink), totals.to("totals-out", sink)]);
    };
    const whole = new EpochSink();
    await build(new TestingSource(items, { clock, batchSize: 100 }), whole).run({
      clock,
      tickInterval: 0,
      checkpoint: { store: new SavingStore(), interval: 1000 },
    });
    assert.ok(saved.size >= 5, `checkpoints taken: ${saved.size}`);
    const sorted = (xs: string[]) => [...xs].sort();
    for (const k of [2, 4]) {
      const restored = new EpochSink();
      const { snapshotFromCheckpoint } = await import("../checkpoint/checkpoint-codec.js");
      const clock2 = new ManualClock();
      await build(new TestingSource(items, { clock: clock2, batchSize: 100 }), restored).run({
        clock: clock2,
        tickInterval: 0,
        restore: snapshotFromCheckpoint(saved.get(k)!),
      });
      const before = whole.records.filter((r) => r.epoch <= k).map((r) => r.value);
      assert.ok(before.length > 0 && restored.records.length > 0);
      assert.deepEqual(
        sorted([...before, ...restored.records.map((r) => r.value)]),
        sorted(whole.records.map((r) => r.value)),
        `restored from checkpoint ${k}`,
      );
    }
  });
});
