/**
 * Property: watermarks never go backwards. Random scripts of records (in any order),
 * explicit watermarks, clock moves (which make partitions idle and let the watermark
 * run on with processing time) and idle polls, over several partitions, through a
 * keyed process function with event-time timers. Every watermark the function sees
 * (`ctx.watermark` for each record and each timer) and every step's
 * `progress().watermark`, read at each of those moments, is non-decreasing.
 *
 * And the contract behind them: a step's output watermark promises that nothing
 * older follows. A window step's final results (event time `end − 1`) therefore reach
 * the next step no later than its watermark passes them, whatever the input's
 * disorder, so a window over window results loses nothing as late.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  count,
  dataflow,
  type Job,
  type LateRecord,
  source,
  sum,
  tumbling,
  type WindowResult,
} from "../../src/engine/index.js";
import {
  advanceClock,
  CollectingSink,
  idle,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
  watermark,
} from "../../src/engine/testing/index.js";
import { windowSpec } from "./support.js";

interface Event {
  readonly key: number;
  readonly timer: number;
}

const script = (partitions: number): fc.Arbitrary<TestingItem<Event>[]> => {
  const partition = fc.integer({ min: 0, max: partitions - 1 });
  const time = fc.integer({ min: 0, max: 200_000 });
  return fc.array(
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .record({
            key: fc.integer({ min: 0, max: 4 }),
            timer: fc.integer({ min: -5_000, max: 20_000 }),
            time,
            partition,
          })
          .map((r) => record({ key: r.key, timer: r.timer }, r.time, r.partition)),
      },
      { weight: 2, arbitrary: fc.tuple(time, partition).map(([t, p]) => watermark(t, p)) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 40_000 }).map((ms) => advanceClock(ms)) },
      { weight: 1, arbitrary: fc.constant(idle()) },
    ),
    { maxLength: 80 },
  );
};

/** Runs the script; returns every watermark observed, per observer, in order. */
async function observe(items: TestingItem<Event>[], partitions: number, maxOutOfOrderness: number) {
  const clock = new ManualClock(1_000_000);
  const seen = new Map<string, number[]>();
  const note = (who: string, w: number | null) => {
    let list = seen.get(who);
    if (!list) {
      list = [];
      seen.set(who, list);
    }
    list.push(w ?? Number.NEGATIVE_INFINITY);
  };
  let job: Job | undefined;
  const noteSteps = () => {
    for (const step of job!.progress().steps) note(`progress of ${step.step}`, step.watermark);
  };
  const out = new CollectingSink<string>();
  const flow = dataflow("watermarks", [
    source("in", new TestingSource(items, { clock, partitions }), {
      maxOutOfOrderness,
      idleTimeout: 30_000,
    })
      .keyBy((e) => e.key)
      .process<string>("timers", {
        processElement(e, ctx) {
          note("ctx.watermark in processElement and onTimer", ctx.watermark);
          noteSteps();
          ctx.timers.registerEventTime(ctx.timestamp + e.timer);
        },
        onTimer(time, ctx) {
          note("ctx.watermark in processElement and onTimer", ctx.watermark);
          noteSteps();
          ctx.emit(`${ctx.key}@${time}`);
        },
      })
      .to("out", out),
  ]);
  job = flow.job({ clock, tickInterval: 0 });
  await job.run();
  noteSteps();
  return { seen, out };
}

function assertNonDecreasing(who: string, list: readonly number[]): void {
  for (let i = 1; i < list.length; i++) {
    assert.ok(
      list[i]! >= list[i - 1]!,
      `${who}: watermark went back from ${list[i - 1]} to ${list[i]} (reading #${i})`,
    );
  }
}

describe("watermarks", () => {
  it("never go backwards, in the process function or in any step's progress", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }).chain((p) => fc.tuple(fc.constant(p), script(p))),
        fc.integer({ min: 0, max: 10_000 }),
        async ([partitions, items], maxOutOfOrderness) => {
          const { seen } = await observe(items, partitions, maxOutOfOrderness);
          for (const [who, list] of seen) assertNonDecreasing(who, list);
          // End of input closes everything: the last reading of every step is +∞.
          for (const [who, list] of seen) {
            if (who.startsWith("progress"))
              assert.equal(list.at(-1), Number.POSITIVE_INFINITY, who);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("window results are never behind the watermark of the step that reads them", async () => {
    await fc.assert(
      fc.asyncProperty(
        windowSpec(),
        fc.array(
          fc.record({
            key: fc.integer({ min: 0, max: 3 }),
            time: fc.integer({ min: 0, max: 150 }),
            partition: fc.integer({ min: 0, max: 2 }),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 0, max: 8 }),
        async (spec, list, maxOutOfOrderness) => {
          const behind: string[] = [];
          let counted = 0;
          const late = new CollectingSink<LateRecord<WindowResult<number, number>>>();
          const totals = new CollectingSink<WindowResult<string, number>>();
          const input = new TestingSource(
            list.map((r) => record(r, r.time, r.partition)),
            { batchSize: 3 },
          );
          const counts = source("in", input, { maxOutOfOrderness })
            .keyBy((r) => r.key)
            .window("counts", spec, count());
          const checked = counts
            .keyBy((w) => w.key)
            .process<WindowResult<number, number>>("check", {
              processElement(w, ctx) {
                if (ctx.timestamp < ctx.watermark) {
                  behind.push(`[${w.start},${w.end}) at watermark ${ctx.watermark}`);
                }
                counted += w.value;
                ctx.emit(w);
              },
            });
          // A second window over the results: all of them count, none is late.
          const rollup = checked
            .keyBy(() => "all")
            .window(
              "rollup",
              tumbling(1_000),
              sum((w: WindowResult<number, number>) => w.value),
            );
          await dataflow("chained", [
            counts.late().to("late-input", new CollectingSink()),
            rollup.to("totals", totals),
            rollup.late().to("late", late),
          ]).run({ clock: new ManualClock(), tickInterval: 0 });
          assert.deepEqual(behind, [], "results that arrived behind the watermark");
          assert.deepEqual(late.values, [], "window results late for the next window");
          const rolledUp = totals.values.reduce((total, w) => total + w.value, 0);
          assert.equal(rolledUp, counted, "the second window sums every first-window count");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("the observation catches a watermark that goes back", () => {
    assert.throws(() => assertNonDecreasing("x", [1, 5, 4]), /went back from 5 to 4/);
  });
});
