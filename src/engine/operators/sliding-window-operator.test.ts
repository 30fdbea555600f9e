import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Batch } from "../batch.js";
import {
  count,
  dataflow,
  type Key,
  type LateRecord,
  sliding,
  source,
  sum,
  tumbling,
  type WindowResult,
} from "../index.js";
import { Operator } from "../runtime/operator.js";
import {
  advanceClock,
  CollectingSink,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
  watermark,
} from "../testing/index.js";
import type { TumblingWindows } from "../window/window-spec.js";
import { FIRE_SLICE, SlidingWindowOperator } from "./sliding-window-operator.js";

interface R {
  readonly k: string;
  readonly v: number;
}

const r = (k: string, v: number, t: number, partition = 0) => record<R>({ k, v }, t, partition);

type Row = [key: Key, start: number, end: number, value: unknown, kind: string];
const rows = (results: WindowResult<Key, unknown>[]): Row[] =>
  results.map((w) => [w.key, w.start, w.end, w.value, w.kind]);

async function runWindows(
  items: TestingItem<R>[],
  build: (
    s: ReturnType<typeof source<R>>,
  ) => ReturnType<ReturnType<ReturnType<typeof source<R>>["keyBy"]>["window"]>,
  options: { clock?: ManualClock; maxOutOfOrderness?: number } = {},
) {
  const clock = options.clock ?? new ManualClock();
  const out = new CollectingSink<WindowResult<Key, unknown>>();
  const late = new CollectingSink<LateRecord<unknown>>();
  const w = build(
    source("in", new TestingSource(items, { clock, batchSize: 1 }), {
      maxOutOfOrderness: options.maxOutOfOrderness ?? 0,
    }),
  );
  const job = dataflow("t", [w.to("out", out), w.late().to("late", late)]).job({
    clock,
    tickInterval: 0,
  });
  await job.run();
  return { out, late, job };
}

describe("tumbling windows", () => {
  it("aggregates each key over half-open, epoch-aligned windows", async () => {
    const { out } = await runWindows(
      [r("a", 1, 0), r("a", 2, 9), r("b", 5, 3), r("a", 4, 10), r("a", 8, 25)],
      (s) =>
        s
          .keyBy((x) => x.k)
          .window(
            "w",
            tumbling(10),
            sum<R>((x) => x.v),
          ),
    );
    assert.deepEqual(rows(out.values), [
      ["a", 0, 10, 3, "final"],
      ["b", 0, 10, 5, "final"],
      ["a", 10, 20, 4, "final"],
      ["a", 20, 30, 8, "final"],
    ]);
    assert.deepEqual(
      out.records.map((x) => x.time),
      [9, 9, 19, 29],
    );
    assert.equal(out.values[0]!.id, "w|a|0");
  });

  it("fires a window when the watermark reaches its end, not before", async () => {
    const clock = new ManualClock();
    const out = new CollectingSink<WindowResult<Key, number>>();
    const seen: number[] = [];
    const w = source(
      "in",
      new TestingSource([r("a", 1, 1), watermark(9), r("a", 1, 9), watermark(10), r("a", 1, 12)], {
        clock,
      }),
    )
      .keyBy((x) => x.k)
      .window("w", tumbling(10), count<R>());
    const probe = w.map("probe", (x) => {
      seen.push(x.end);
      return x;
    });
    await dataflow("t", [probe.to("out", out)]).run({ clock, tickInterval: 0 });
    assert.deepEqual(
      out.values.map((x) => [x.start, x.value]),
      [
        [0, 2],
        [10, 1],
      ],
    );
    assert.deepEqual(seen, [10, 20]);
  });

  it("applies an offset to the alignment", async () => {
    const { out } = await runWindows([r("a", 1, 4), r("a", 1, 6)], (s) =>
      s.keyBy((x) => x.k).window("w", tumbling(10, { offset: 5 }), count<R>()),
    );
    assert.deepEqual(rows(out.values), [
      ["a", -5, 5, 1, "final"],
      ["a", 5, 15, 1, "final"],
    ]);
  });
});

describe("sliding windows", () => {
  it("puts each record in every window that holds its time", async () => {
    const { out } = await runWindows([r("a", 1, 0), r("a", 10, 7), r("a", 100, 12)], (s) =>
      s
        .keyBy((x) => x.k)
        .window(
          "w",
          sliding({ size: 10, slide: 5 }),
          sum<R>((x) => x.v),
        ),
    );
    assert.deepEqual(rows(out.values), [
      ["a", -5, 5, 1, "final"],
      ["a", 0, 10, 11, "final"],
      ["a", 5, 15, 110, "final"],
      ["a", 10, 20, 100, "final"],
    ]);
  });

  it("handles a size that is not a multiple of the slide", async () => {
    const { out } = await runWindows([r("a", 1, 0), r("a", 1, 5), r("a", 1, 9)], (s) =>
      s.keyBy((x) => x.k).window("w", sliding({ size: 6, slide: 4 }), count<R>()),
    );
    // windows start at multiples of 4 and last 6: [-4,2) [0,6) [4,10) [8,14)
    assert.deepEqual(rows(out.values), [
      ["a", -4, 2, 1, "final"],
      ["a", 0, 6, 2, "final"],
      ["a", 4, 10, 2, "final"],
      ["a", 8, 14, 1, "final"],
    ]);
  });

  it("drops a key's state once all its windows have closed", async () => {
    const clock = new ManualClock();
    const src = new TestingSource([r("a", 1, 0), r("b", 1, 3), watermark(100)], {
      clock,
      endless: true,
    });
    const out = new CollectingSink<WindowResult<Key, number>>();
    const w = source("in", src)
      .keyBy((x) => x.k)
      .window("w", sliding({ size: 10, slide: 5 }), count<R>());
    const job = dataflow("t", [w.to("out", out)]).job({ clock, tickInterval: 0 });
    const run = job.run();
    await src.whenDrained();
    assert.equal(out.values.length, 4);
    const step = job.progress().steps.find((s) => s.step === "w")!;
    assert.equal(step.stateSize, 0);
    job.stop();
    await run;
  });
});

describe("late records", () => {
  it("sends a record whose windows all closed to the late output, counted", async () => {
    const { out, late, job } = await runWindows(
      [r("a", 1, 5), r("a", 1, 30), r("a", 7, 8), r("a", 1, 25)],
      (s) =>
        s
          .keyBy((x) => x.k)
          .window(
            "w",
            tumbling(10),
            sum<R>((x) => x.v),
          ),
      { maxOutOfOrderness: 5 },
    );
    // watermark after t=30 is 25: window [0,10) is closed, [20,30) is not.
    assert.deepEqual(
      late.values.map((l) => [l.value, l.time, l.watermark, l.reason, l.step]),
      [[{ k: "a", v: 7 }, 8, 25, "window-closed", "w"]],
    );
    assert.deepEqual(rows(out.values), [
      ["a", 0, 10, 1, "final"],
      ["a", 20, 30, 1, "final"],
      ["a", 30, 40, 1, "final"],
    ]);
    assert.equal(job.progress().steps.find((s) => s.step === "w")!.lateRecords, 1);
  });

  it("re-emits a window as an update for a late record within the allowed lateness", async () => {
    const { out, late } = await runWindows(
      [r("a", 1, 5), r("a", 1, 12), r("a", 2, 6), r("a", 1, 25), r("a", 4, 7)],
      (s) =>
        s
          .keyBy((x) => x.k)
          .window(
            "w",
            tumbling(10),
            sum<R>((x) => x.v),
            { allowedLateness: 10 },
          ),
    );
    // t=12 fires [0,10); t=6 updates it (watermark 12 < 10+10); t=25 closes it for good; t=7 is late.
    assert.deepEqual(rows(out.values), [
      ["a", 0, 10, 1, "final"],
      ["a", 0, 10, 3, "update"],
      ["a", 10, 20, 1, "final"],
      ["a", 20, 30, 1, "final"],
    ]);
    assert.deepEqual(
      late.values.map((l) => l.time),
      [7],
    );
    assert.equal(out.values[0]!.id, out.values[1]!.id);
  });
});

describe("early updates", () => {
  it("emits partial results of changed open windows on processing time", async () => {
    const clock = new ManualClock(1_000_000);
    const { out } = await runWindows(
      [
        r("a", 1, 1),
        advanceClock(1000),
        r("a", 1, 2),
        r("b", 1, 3),
        advanceClock(1000),
        advanceClock(1000),
        r("a", 1, 12),
      ],
      (s) => s.keyBy((x) => x.k).window("w", tumbling(10), count<R>(), { earlyUpdates: 1000 }),
      { clock },
    );
    assert.deepEqual(rows(out.values), [
      ["a", 0, 10, 1, "early"],
      ["a", 0, 10, 2, "early"],
      ["b", 0, 10, 1, "early"],
      ["a", 0, 10, 2, "final"],
      ["b", 0, 10, 1, "final"],
      ["a", 10, 20, 1, "final"],
    ]);
  });
});

describe("snapshot and restore", () => {
  it("resumes from a snapshot with the same output as an uninterrupted run", async () => {
    const items: TestingItem<R>[] = [];
    for (let i = 0; i < 400; i++) items.push(r(`k${i % 7}`, i, i * 3 + ((i * 7) % 5), i % 3));
    const build = (src: TestingSource<R>) =>
      source("in", src, { maxOutOfOrderness: 10 })
        .keyBy((x) => x.k)
        .window(
          "w",
          sliding({ size: 60, slide: 20 }),
          sum<R>((x) => x.v),
          { allowedLateness: 5 },
        );
    const whole = new CollectingSink<WindowResult<Key, number>>();
    await dataflow("t", [build(new TestingSource(items)).to("out", whole)]).run({
      clock: new ManualClock(),
      tickInterval: 0,
    });

    const first = new CollectingSink<WindowResult<Key, number>>();
    const head = new TestingSource(items.slice(0, 200), { endless: true });
    const job = dataflow("t", [build(head).to("out", first)]).job({
      clock: new ManualClock(),
      tickInterval: 0,
    });
    const running = job.run();
    await head.whenDrained();
    const snapshot = job.snapshot();
    job.stop();
    await running;

    const second = new CollectingSink<WindowResult<Key, number>>();
    await dataflow("t", [build(new TestingSource(items)).to("out", second)]).run({
      clock: new ManualClock(),
      tickInterval: 0,
      restore: snapshot,
    });
    assert.ok(first.values.length > 0 && second.values.length > 0);
    // Results of different keys for the same window end come in no guaranteed order.
    const ordered = (ws: WindowResult<Key, number>[]) =>
      [...ws].sort((x, y) => x.end - y.end || String(x.key).localeCompare(String(y.key)));
    assert.deepEqual(ordered([...first.values, ...second.values]), ordered(whole.values));
    assert.equal(new Set(whole.values.map((w) => `${w.id}/${w.kind}`)).size, whole.values.length);
  });
});

/** The downstream of an operator under test: what it emits, and the watermarks it forwards. */
class Downstream extends Operator {
  readonly results: WindowResult<Key, number>[] = [];
  /** Results received when each watermark arrived. */
  readonly watermarks: [time: number, resultsBefore: number][] = [];

  constructor() {
    super("down", "test", 1);
  }

  protected processBatch(batch: Batch<unknown>): void {
    for (const v of batch.values) this.results.push(v as WindowResult<Key, number>);
  }

  override receiveWatermark(time: number): void {
    this.watermarks.push([time, this.results.length]);
  }
}

const KEYS = FIRE_SLICE * 2 + 100;

/** A tumbling window step of 10 ms counting records, with `KEYS` keys in window [0, 10). */
function countingWindows() {
  const op = new SlidingWindowOperator(
    "w",
    (v) => (v as R).k,
    { kind: "tumbling", size: 10, offset: 0 } as TumblingWindows,
    count(),
    {},
  );
  const down = new Downstream();
  op.connect("", down, 0);
  op.open({ clock: new ManualClock(), partitions: 8 });
  const values: R[] = [];
  const times: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    values.push({ k: `k${i}`, v: 1 }, { k: `k${i}`, v: 1 });
    times.push(1, 2);
  }
  op.receiveBatch({ values, times, channel: 0 }, 0);
  return { op, down };
}

/**
 * A job counting `keys` keys in one tumbling window that the watermark then closes, from
 * a source that stays open (idle) once it has delivered them in batches of `batchSize`.
 */
function closingSlideJob(keys: number, batchSize: number) {
  const items: TestingItem<R>[] = [];
  for (let i = 0; i < keys; i++) items.push(r(`k${i}`, 1, 1));
  items.push(watermark(10));
  const src = new TestingSource(items, { endless: true, batchSize });
  const out = new CollectingSink<WindowResult<Key, number>>();
  const job = dataflow("t", [
    source("in", src)
      .keyBy((x) => x.k)
      .window("w", tumbling(10), count())
      .to("out", out),
  ]).job({ clock: new ManualClock(), tickInterval: 0 });
  return { src, out, job };
}

const counts = (results: WindowResult<Key, number>[]) =>
  new Map(results.map((w) => [`${w.id}`, w.value]));

describe("firing a closing slide in slices", () => {
  it("fires at most FIRE_SLICE keys per push and holds the watermark until all have fired", () => {
    const { op, down } = countingWindows();
    op.receiveWatermark(10, 0);
    assert.equal(down.results.length, FIRE_SLICE);
    assert.equal(op.hasPendingWork(), true);
    assert.deepEqual(down.watermarks, []);
    assert.equal(op.watermark, Number.NEGATIVE_INFINITY);
    op.continueWork();
    assert.equal(down.results.length, 2 * FIRE_SLICE);
    op.continueWork();
    assert.equal(op.hasPendingWork(), false);
    assert.equal(down.results.length, KEYS);
    assert.deepEqual(down.watermarks, [[10, KEYS]]);
    assert.equal(op.watermark, 10);
    const all = counts(down.results);
    assert.equal(all.size, KEYS);
    for (let i = 0; i < KEYS; i++) assert.equal(all.get(`w|k${i}|0`), 2);
  });

  it("fires a waiting key before a record changes it, and judges records by the watermark received", () => {
    const { op, down } = countingWindows();
    op.receiveWatermark(10, 0);
    const last = `k${KEYS - 1}`;
    assert.ok(!down.results.some((w) => w.key === last));
    // A record of the next window for a key still waiting, and one too late for [0, 10).
    op.receiveBatch(
      {
        values: [
          { k: last, v: 1 },
          { k: "k0", v: 1 },
        ],
        times: [12, 5],
        channel: 0,
      },
      0,
    );
    assert.deepEqual(
      down.results.filter((w) => w.key === last).map((w) => [w.start, w.value]),
      [[0, 2]],
    );
    assert.equal(op.metrics.lateRecords, 1);
    while (op.hasPendingWork()) op.continueWork();
    assert.equal(down.results.length, KEYS);
    op.receiveWatermark(20, 0);
    while (op.hasPendingWork()) op.continueWork();
    assert.deepEqual(
      down.results.filter((w) => w.key === last).map((w) => [w.start, w.value]),
      [
        [0, 2],
        [10, 1],
      ],
    );
    assert.equal(new Set(down.results.map((w) => w.id)).size, KEYS + 1);
  });

  it("restores a checkpoint taken between two slices: every window fires once", () => {
    const { op, down } = countingWindows();
    op.receiveWatermark(10, 0);
    op.continueWork();
    const snapshot = op.snapshotState();
    assert.deepEqual(snapshot.shared, { watermark: 10, fired: null });
    const before = down.results.length;
    assert.equal(before, 2 * FIRE_SLICE);

    const restored = new SlidingWindowOperator(
      "w",
      (v) => (v as R).k,
      { kind: "tumbling", size: 10, offset: 0 } as TumblingWindows,
      count(),
      {},
    );
    const after = new Downstream();
    restored.connect("", after, 0);
    restored.open({ clock: new ManualClock(), partitions: 8 });
    restored.restoreState(snapshot);
    assert.equal(restored.hasPendingWork(), true);
    assert.equal(restored.watermark, Number.NEGATIVE_INFINITY);
    // Still late for [0, 10) after the restore.
    restored.receiveBatch({ values: [{ k: "k1", v: 1 }], times: [3], channel: 0 }, 0);
    assert.equal(restored.metrics.lateRecords, 1);
    while (restored.hasPendingWork()) restored.continueWork();
    assert.deepEqual(after.watermarks, [[10, KEYS - before]]);
    const all = counts([...down.results, ...after.results]);
    assert.equal(all.size, KEYS);
    assert.equal(down.results.length + after.results.length, KEYS);
    for (let i = 0; i < KEYS; i++) assert.equal(all.get(`w|k${i}|0`), 2);
  });

  it("goes on between pushes in a running job, with no input", async () => {
    const { src, out, job } = closingSlideJob(KEYS, 100);
    const running = job.run();
    await src.whenDrained();
    for (let turns = 0; out.values.length < KEYS && turns < 1000; turns++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const fired = out.values.length;
    job.stop();
    await running;
    assert.equal(fired, KEYS, "the slide fired while the source stayed idle");
    assert.equal(new Set(out.values.map((w) => w.id)).size, KEYS);
  });

  it("finishes a firing before the final checkpoint of a graceful stop", async () => {
    const keys = FIRE_SLICE * 20;
    const { src, out, job } = closingSlideJob(keys, 1000);
    const running = job.run();
    await src.whenDrained();
    assert.ok(out.values.length < keys, "the firing is still in progress");
    job.stop();
    await running;
    assert.equal(out.values.length, keys);
    assert.equal(new Set(out.values.map((w) => w.id)).size, keys);
  });
});
