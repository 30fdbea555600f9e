import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DeadLetter,
  dataflow,
  type KeyedProcessFunction,
  mapState,
  OutputTag,
  type StepSnapshot,
  source,
  valueState,
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
  readonly v: number;
}

const r = (k: string, v: number, t: number) => record<R>({ k, v }, t);

async function runProcess<Out>(
  items: TestingItem<R>[],
  fn: KeyedProcessFunction<string, R, Out>,
  options: { clock?: ManualClock; side?: OutputTag<unknown> } = {},
) {
  const clock = options.clock ?? new ManualClock();
  const out = new CollectingSink<Out>();
  const side = new CollectingSink<unknown>();
  const dead = new CollectingSink<DeadLetter>();
  const processed = source("in", new TestingSource(items, { clock, batchSize: 1 }))
    .keyBy((x) => x.k)
    .process("p", fn);
  const sinks = [processed.to("out", out), processed.deadLetters().to("dead", dead)];
  if (options.side) sinks.push(processed.sideOutput(options.side).to("side", side));
  const job = dataflow("t", sinks).job({ clock, tickInterval: 0 });
  await job.run();
  return { out, side, dead, job };
}

const total = valueState<number>("total");

describe("keyed process functions", () => {
  it("keeps value state per key", async () => {
    const { out } = await runProcess([r("a", 1, 1), r("b", 10, 2), r("a", 2, 3), r("b", 20, 4)], {
      processElement(x, ctx) {
        const sum = (ctx.state(total).get() ?? 0) + x.v;
        ctx.state(total).set(sum);
        ctx.emit(`${ctx.key}=${sum}@${ctx.timestamp}`);
      },
    });
    assert.deepEqual(out.values, ["a=1@1", "b=10@2", "a=3@3", "b=30@4"]);
  });

  it("keeps map state per key", async () => {
    const last = mapState<string, number>("last-by-parity");
    const { out } = await runProcess([r("a", 1, 1), r("a", 2, 2), r("a", 3, 3), r("b", 4, 4)], {
      processElement(x, ctx) {
        const m = ctx.state(last);
        m.set(x.v % 2 === 0 ? "even" : "odd", x.v);
        ctx.emit(JSON.stringify([...m.entries()].sort()));
      },
    });
    assert.deepEqual(out.values, [
      '[["odd",1]]',
      '[["even",2],["odd",1]]',
      '[["even",2],["odd",3]]',
      '[["even",4]]',
    ]);
  });

  it("expires value state after its event-time TTL", async () => {
    const seen = valueState<number>("seen", { ttl: 10 });
    const { out } = await runProcess(
      [r("a", 1, 0), r("a", 2, 5), watermark(14), r("a", 3, 15), watermark(40), r("a", 4, 41)],
      {
        processElement(x, ctx) {
          ctx.emit(`${x.v}:${ctx.state(seen).get() ?? "none"}`);
          ctx.state(seen).set(x.v);
        },
      },
    );
    // written at 5, expires once the watermark reaches 15; the watermark is 14 at t=15's arrival.
    assert.deepEqual(out.values, ["1:none", "2:1", "3:2", "4:none"]);
  });

  it("expires map entries on processing time when asked", async () => {
    const clock = new ManualClock(1000);
    const recent = mapState<number, boolean>("recent", { ttl: 100, timeDomain: "processing" });
    const { out } = await runProcess(
      [r("a", 1, 1), advanceClock(60), r("a", 2, 2), advanceClock(60), r("a", 3, 3)],
      {
        processElement(x, ctx) {
          const m = ctx.state(recent);
          m.set(x.v, true);
          ctx.emit([...m.entries()].map(([k]) => k).join(","));
        },
      },
      { clock },
    );
    assert.deepEqual(out.values, ["1", "1,2", "2,3"]);
  });

  it("fires event-time timers once the watermark reaches them, in time order", async () => {
    const { out } = await runProcess(
      [r("a", 1, 0), r("b", 1, 1), r("a", 2, 3), watermark(12), r("a", 3, 30)],
      {
        processElement(x, ctx) {
          ctx.timers.registerEventTime(ctx.timestamp + 10);
          if (x.v === 2) ctx.timers.deleteEventTime(10);
        },
        onTimer(time, ctx) {
          ctx.emit(`${ctx.key}@${time}/${ctx.timeDomain}/wm=${ctx.watermark}`);
        },
      },
    );
    assert.deepEqual(out.values, [
      "b@11/event/wm=12",
      "a@13/event/wm=30",
      "a@40/event/wm=Infinity",
    ]);
    assert.deepEqual(
      out.records.map((x) => x.time),
      [11, 13, 40],
    );
  });

  it("keeps a key's timers through one, two and back to one, deleting either of two", async () => {
    const { out } = await runProcess([r("a", 1, 0), r("b", 1, 0), watermark(100)], {
      processElement(_x, ctx) {
        ctx.timers.registerEventTime(10);
        ctx.timers.registerEventTime(20);
        ctx.timers.registerEventTime(20);
        ctx.timers.deleteEventTime(ctx.key === "a" ? 20 : 10);
        ctx.timers.registerEventTime(30);
        ctx.timers.deleteEventTime(30);
        ctx.timers.deleteEventTime(99);
      },
      onTimer(time, ctx) {
        ctx.emit(`${ctx.key}@${time}`);
      },
    });
    assert.deepEqual(out.values, ["a@10", "b@20"]);
  });

  it("fires processing-time timers from the injected clock", async () => {
    const clock = new ManualClock(5000);
    const { out } = await runProcess(
      [r("a", 1, 0), advanceClock(999), advanceClock(1), r("a", 2, 1), advanceClock(5000)],
      {
        processElement(_x, ctx) {
          ctx.timers.registerProcessingTime(ctx.processingTime + 1000);
        },
        onTimer(time, ctx) {
          ctx.emit(`${ctx.key}@${time}/${ctx.timeDomain}`);
        },
      },
      { clock },
    );
    assert.deepEqual(out.values, ["a@6000/processing", "a@7000/processing"]);
  });

  it("writes to side outputs and dead-letters records whose handler throws", async () => {
    const alerts = new OutputTag<string>("alerts");
    const { out, side, dead, job } = await runProcess(
      [r("a", 1, 1), r("a", -1, 2), r("a", 99, 3)],
      {
        processElement(x, ctx) {
          if (x.v < 0) throw new Error(`negative value ${x.v}`);
          if (x.v > 50) ctx.output(alerts, `high ${x.v}`);
          else ctx.emit(x.v);
        },
      },
      { side: alerts as OutputTag<unknown> },
    );
    assert.deepEqual(out.values, [1]);
    assert.deepEqual(side.values, ["high 99"]);
    assert.deepEqual(
      dead.values.map((d) => [d.step, d.reason, d.message, d.value, d.time]),
      [["p", "step-error", "negative value -1", { k: "a", v: -1 }, 2]],
    );
    assert.equal(job.progress().steps.find((s) => s.step === "p")!.deadLetters, 1);
  });

  it("restores state and timers from a snapshot", async () => {
    const fn: KeyedProcessFunction<string, R, string> = {
      processElement(x, ctx) {
        const sum = (ctx.state(total).get() ?? 0) + x.v;
        ctx.state(total).set(sum);
        ctx.timers.registerEventTime(ctx.timestamp + 5);
      },
      onTimer(time, ctx) {
        ctx.emit(`${ctx.key}:${ctx.state(total).get()}@${time}`);
      },
    };
    const items = [r("a", 1, 0), r("b", 2, 1), r("a", 3, 2), r("b", 4, 20), r("a", 5, 30)];
    const build = (src: TestingSource<R>, out: CollectingSink<string>) =>
      dataflow("t", [
        source("in", src)
          .keyBy((x) => x.k)
          .process("p", fn)
          .to("out", out),
      ]);
    const whole = new CollectingSink<string>();
    await build(new TestingSource(items, { batchSize: 1 }), whole).run({
      clock: new ManualClock(),
      tickInterval: 0,
    });

    const head = new TestingSource(items.slice(0, 3), { batchSize: 1, endless: true });
    const first = new CollectingSink<string>();
    const job = build(head, first).job({ clock: new ManualClock(), tickInterval: 0 });
    const running = job.run();
    await head.whenDrained();
    const snapshot = job.snapshot();
    job.stop();
    await running;
    assert.deepEqual(first.values, []);
    const second = new CollectingSink<string>();
    await build(new TestingSource(items, { batchSize: 1 }), second).run({
      clock: new ManualClock(),
      tickInterval: 0,
      restore: snapshot,
    });
    assert.deepEqual(second.values, whole.values);
    // Timers fire after the batch that moved the watermark: b's timer at 6 sees b's reading at 20.
    assert.deepEqual(whole.values, ["a:4@5", "b:6@6", "a:4@7", "b:6@25", "a:9@35"]);
  });

  it("keeps states declared after the first keys, and many timers per key, through a JSON checkpoint", async () => {
    const count = valueState<number>("count");
    const late = valueState<string>("late", { ttl: 1_000 });
    const seen = mapState<number, number>("seen");
    // A key's first records use one state; later ones declare two more. Each record
    // registers 12 timers (more than a key keeps in an array) and deletes 2 of them.
    const fn: KeyedProcessFunction<string, R, string> = {
      processElement(x, ctx) {
        const n = (ctx.state(count).get() ?? 0) + 1;
        ctx.state(count).set(n);
        if (x.v >= 3) {
          ctx.state(late).set(`${ctx.key}${n}`);
          ctx.state(seen).set(x.v, ctx.timestamp);
        }
        for (let k = 1; k <= 12; k++) ctx.timers.registerEventTime(ctx.timestamp + k * 10);
        ctx.timers.deleteEventTime(ctx.timestamp + 30);
        ctx.timers.deleteEventTime(ctx.timestamp + 70);
      },
      onTimer(time, ctx) {
        const m = ctx.state(seen);
        ctx.emit(`${ctx.key}@${time}:${ctx.state(count).get()}/${ctx.state(late).get()}/${m.size}`);
      },
    };
    const items = [
      r("a", 1, 0),
      r("b", 2, 1),
      r("a", 3, 2),
      r("c", 4, 3),
      watermark(25),
      r("b", 5, 40),
      r("a", 6, 50),
      watermark(60),
      r("c", 7, 200),
    ];
    const build = (src: TestingSource<R>, out: CollectingSink<string>) =>
      dataflow("t", [
        source("in", src)
          .keyBy((x) => x.k)
          .process("p", fn)
          .to("out", out),
      ]);
    const whole = new CollectingSink<string>();
    await build(new TestingSource(items, { batchSize: 1 }), whole).run({
      clock: new ManualClock(),
      tickInterval: 0,
    });
    assert.ok(whole.values.length > 50, `${whole.values.length} timers fired`);

    const head = new TestingSource(items.slice(0, 6), { batchSize: 1, endless: true });
    const first = new CollectingSink<string>();
    const job = build(head, first).job({ clock: new ManualClock(), tickInterval: 0 });
    const running = job.run();
    await head.whenDrained();
    // Through JSON, as a checkpoint store keeps it.
    const snapshot = job.snapshot();
    const steps = new Map<string, StepSnapshot>(
      [...snapshot.steps].map(([step, s]) => [
        step,
        {
          partitions: new Map<number, unknown>(JSON.parse(JSON.stringify([...s.partitions]))),
          shared: s.shared,
        },
      ]),
    );
    job.stop();
    await running;
    const second = new CollectingSink<string>();
    await build(new TestingSource(items, { batchSize: 1 }), second).run({
      clock: new ManualClock(),
      tickInterval: 0,
      restore: { ...snapshot, steps },
    });
    assert.deepEqual([...first.values, ...second.values], whole.values);
  });
});
