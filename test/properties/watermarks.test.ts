/**
 * Property: watermarks never go backwards. Random scripts of records (in any order),
 * explicit watermarks, clock moves (which make partitions idle and let the watermark
 * run on with processing time) and idle polls, over several partitions, through a
 * keyed process function with event-time timers. Every watermark the function sees
 * (`ctx.watermark` for each record and each timer) and every step's
 * `progress().watermark`, read at each of those moments, is non-decreasing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { dataflow, type Job, source } from "../../src/engine/index.js";
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
      { numRuns: 300 },
    );
  });

  it("the observation catches a watermark that goes back", () => {
    assert.throws(() => assertNonDecreasing("x", [1, 5, 4]), /went back from 5 to 4/);
  });
});
