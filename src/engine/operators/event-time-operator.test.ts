import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DeadLetter,
  dataflow,
  type KeyedProcessFunction,
  source,
  type Stream,
} from "../index.js";
import {
  advanceClock,
  CollectingSink,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
  watermark,
} from "../testing/index.js";

interface R {
  readonly k: string;
  readonly t: number;
}

/** Emits, for every record and every event-time timer, the watermark the keyed step saw. */
const watermarkProbe: KeyedProcessFunction<string, R, string> = {
  processElement(x, ctx) {
    ctx.emit(`${x.k}@${x.t} wm=${ctx.watermark}`);
  },
};

async function watermarksSeen(
  items: TestingItem<R>[],
  options: {
    maxOutOfOrderness?: number;
    idleTimeout?: number;
    advanceWhenQuiet?: boolean;
    partitions?: number;
  },
  clock = new ManualClock(),
) {
  const out = new CollectingSink<string>();
  const { partitions, ...wm } = options;
  const stream = source(
    "in",
    new TestingSource(items, { clock, batchSize: 1, ...(partitions ? { partitions } : {}) }),
    wm,
  );
  const job = dataflow("t", [
    stream
      .keyBy((x) => x.k)
      .process("p", watermarkProbe)
      .to("out", out),
  ]).job({
    clock,
    tickInterval: 0,
  });
  await job.run();
  return out.values;
}

const at = (k: string, t: number, partition = 0) => record<R>({ k, t }, t, partition);

describe("watermarks", () => {
  it("trail the largest event time by the allowed out-of-orderness", async () => {
    const seen = await watermarksSeen([at("a", 100), at("a", 90), at("a", 150), at("a", 120)], {
      maxOutOfOrderness: 20,
    });
    assert.deepEqual(seen, ["a@100 wm=-Infinity", "a@90 wm=80", "a@150 wm=80", "a@120 wm=130"]);
  });

  it("take the minimum across source partitions", async () => {
    const seen = await watermarksSeen(
      [at("a", 100, 0), at("b", 10, 1), at("a", 200, 0), at("b", 50, 1), at("a", 210, 0)],
      {},
    );
    assert.deepEqual(seen, [
      "a@100 wm=-Infinity",
      "b@10 wm=-Infinity",
      "a@200 wm=10",
      "b@50 wm=10",
      "a@210 wm=50",
    ]);
  });

  it("stop waiting for a partition that has been idle for the idle timeout", async () => {
    const clock = new ManualClock(0);
    const seen = await watermarksSeen(
      [
        at("a", 100, 0),
        at("b", 10, 1),
        advanceClock(500),
        at("a", 200, 0),
        advanceClock(600),
        at("a", 300, 0),
      ],
      { idleTimeout: 1000 },
      clock,
    );
    // partition 1 last delivered at processing time 0; at 1100 it is idle and partition 0 alone decides.
    assert.deepEqual(seen, [
      "a@100 wm=-Infinity",
      "b@10 wm=-Infinity",
      "a@200 wm=10",
      "a@300 wm=200",
    ]);
  });

  it("advance with processing time when every partition is quiet", async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const out = new CollectingSink<string>();
    const alarm: KeyedProcessFunction<string, R, string> = {
      processElement(x, ctx) {
        ctx.timers.registerEventTime(x.t + 5000);
      },
      onTimer(time, ctx) {
        fired.push(
          `${ctx.key} silent since ${time - 5000}, wm=${ctx.watermark}, now=${ctx.processingTime}`,
        );
        ctx.emit(ctx.key);
      },
    };
    const src = new TestingSource(
      [at("a", 1000), advanceClock(2000), advanceClock(2000), advanceClock(2000)],
      {
        clock,
        endless: true,
      },
    );
    const job = dataflow("t", [
      source("in", src, { idleTimeout: 3000 })
        .keyBy((x) => x.k)
        .process("p", alarm)
        .to("out", out),
    ]).job({ clock, tickInterval: 0 });
    const running = job.run();
    await src.whenDrained();
    job.stop();
    await running;
    // quiet from 3000 on: the watermark is 1000 + (now - last arrival at 0) = 7000 at now = 6000.
    assert.deepEqual(fired, ["a silent since 1000, wm=7000, now=6000"]);
    assert.deepEqual(out.values, ["a"]);
  });

  it("do not advance on quiet input when advanceWhenQuiet is off", async () => {
    const clock = new ManualClock(0);
    const seen = await watermarksSeen(
      [at("a", 1000), advanceClock(10_000), at("a", 1001)],
      { idleTimeout: 3000, advanceWhenQuiet: false },
      clock,
    );
    assert.deepEqual(seen, ["a@1000 wm=-Infinity", "a@1001 wm=1000"]);
  });

  it("accept explicit watermarks from the source", async () => {
    const seen = await watermarksSeen([at("a", 100), watermark(150), at("a", 120)], {});
    assert.deepEqual(seen, ["a@100 wm=-Infinity", "a@120 wm=150"]);
  });
});

describe("withEventTime", () => {
  it("stamps parsed records and dead-letters unusable timestamps", async () => {
    const raw = [
      '{"k":"a","ts":"2026-01-01T00:00:10Z"}',
      '{"k":"a","ts":"yesterday"}',
      '{"k":"b","ts":"2026-01-01T00:00:05Z"}',
    ];
    const out = new CollectingSink<{ k: string; ts: string }>();
    const dead = new CollectingSink<DeadLetter>();
    const parsed: Stream<{ k: string; ts: string }> = source(
      "raw",
      new TestingSource(raw.map((line, i) => record(line, i))),
    ).map("parse", (line) => JSON.parse(line) as { k: string; ts: string });
    const stamped = parsed.withEventTime("event-time", { timestamp: (x) => Date.parse(x.ts) });
    await dataflow("t", [stamped.to("out", out), stamped.deadLetters().to("dead", dead)]).run({
      clock: new ManualClock(),
      tickInterval: 0,
    });
    assert.deepEqual(
      out.records.map((x) => [x.value.k, x.time]),
      [
        ["a", Date.UTC(2026, 0, 1, 0, 0, 10)],
        ["b", Date.UTC(2026, 0, 1, 0, 0, 5)],
      ],
    );
    assert.deepEqual(
      dead.values.map((d) => [d.step, d.reason, d.message]),
      [["event-time", "invalid-timestamp", "event time is NaN"]],
    );
  });

  it("dead-letters thrown and non-finite event times anywhere in a batch, in order", async () => {
    const xs = [
      { k: "a", t: 5 },
      { k: "b", t: Number.NaN },
      { k: "c", t: -1 },
      { k: "d", t: 7 },
      { k: "e", t: Number.POSITIVE_INFINITY },
      { k: "f", t: 9 },
    ];
    const out = new CollectingSink<R>();
    const dead = new CollectingSink<DeadLetter>();
    const stamped = source(
      "raw",
      new TestingSource(xs.map((x, i) => record(x, 1000 + i))),
    ).withEventTime("event-time", {
      timestamp: (x) => {
        if (x.t < 0) throw new Error(`no time for ${x.k}`);
        return x.t;
      },
    });
    await dataflow("t", [stamped.to("out", out), stamped.deadLetters().to("dead", dead)]).run({
      clock: new ManualClock(),
      tickInterval: 0,
    });
    assert.deepEqual(
      out.records.map((r) => [r.value.k, r.time]),
      [
        ["a", 5],
        ["d", 7],
        ["f", 9],
      ],
    );
    assert.deepEqual(
      dead.records.map((r) => [r.value.value, r.time, r.value.message]),
      [
        [xs[1], 1001, "event time is NaN"],
        [xs[2], 1002, "no time for c"],
        [xs[4], 1004, "event time is Infinity"],
      ],
    );
  });
});
