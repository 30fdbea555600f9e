/**
 * Property: event-time timers fire in time order, exactly once each, at the first
 * watermark that reaches them after they were registered.
 *
 * Random scripts of records and explicit watermarks over one or two partitions. Each
 * record registers an event-time timer relative to its time (sometimes behind the
 * watermark already), may register the same timer twice, and may delete one; a firing
 * timer sometimes registers a later one. A model replays the script: the watermark is
 * the minimum over partitions of the larger of (largest time − out-of-orderness) and
 * the asserted watermark; each time it rises, every pending timer at or before it
 * fires, earliest first. The engine's log of records and timers must equal the
 * model's (keys of timers with the same time may come in any order).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { dataflow, source } from "../../src/engine/index.js";
import {
  CollectingSink,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
  watermark,
} from "../../src/engine/testing/index.js";

interface Event {
  readonly seq: number;
  readonly key: number;
  /** Registers a timer at the record's time plus this. */
  readonly timer: number;
  /** Registers it twice. */
  readonly twice: boolean;
  /** Then deletes the key's timer at the record's time plus this, if any. */
  readonly drop: number | null;
}

type Step =
  | {
      readonly kind: "record";
      readonly event: Event;
      readonly time: number;
      readonly partition: number;
    }
  | { readonly kind: "watermark"; readonly time: number; readonly partition: number };

/** Out-of-orderness large enough that the asserted watermarks lead (with both partitions seen). */
const MAX_OUT_OF_ORDERNESS = 1_000;

/** The timer a firing timer registers, if any: a later one, so that chains end. */
function followUp(key: number, time: number): number | null {
  return time % 4 === 0 && time < 250 ? time + 1 + (key % 3) : null;
}

/** Timers with equal times fire in no particular key order: sort those runs by key. */
function normalise(log: readonly string[]): string[] {
  const out = [...log];
  const parse = (s: string) => s.match(/^timer (\d+)@(-?\d+)$/);
  for (let i = 0; i < out.length; i++) {
    const m = parse(out[i]!);
    if (!m) continue;
    let j = i + 1;
    while (j < out.length && parse(out[j]!)?.[2] === m[2]) j++;
    out.splice(i, j - i, ...out.slice(i, j).sort());
    i = j - 1;
  }
  return out;
}

/** What the engine should log for `steps`. */
function model(steps: readonly Step[], partitions: number): string[] {
  const log: string[] = [];
  const pending = new Set<string>();
  const fromData = new Array<number>(partitions).fill(Number.NEGATIVE_INFINITY);
  const asserted = new Array<number>(partitions).fill(Number.NEGATIVE_INFINITY);
  let current = Number.NEGATIVE_INFINITY;
  const id = (key: number, time: number) => `${key}@${time}`;
  const advance = (to: number) => {
    if (!(to > current)) return;
    current = to;
    for (;;) {
      let earliest = Number.POSITIVE_INFINITY;
      for (const t of pending) earliest = Math.min(earliest, Number(t.split("@")[1]));
      if (pending.size === 0 || earliest > to) return;
      for (const t of [...pending]) {
        const [key, time] = t.split("@").map(Number) as [number, number];
        if (time !== earliest) continue;
        pending.delete(t);
        log.push(`timer ${t}`);
        const next = followUp(key, time);
        if (next !== null) pending.add(id(key, next));
      }
    }
  };
  const watermarkNow = () => {
    let min = Number.POSITIVE_INFINITY;
    for (let p = 0; p < partitions; p++) min = Math.min(min, Math.max(fromData[p]!, asserted[p]!));
    return min;
  };
  for (const step of steps) {
    if (step.kind === "record") {
      const e = step.event;
      log.push(`record ${e.seq}`);
      pending.add(id(e.key, step.time + e.timer));
      if (e.drop !== null) pending.delete(id(e.key, step.time + e.drop));
      fromData[step.partition] = Math.max(
        fromData[step.partition]!,
        step.time - MAX_OUT_OF_ORDERNESS,
      );
    } else {
      asserted[step.partition] = Math.max(asserted[step.partition]!, step.time);
    }
    advance(watermarkNow());
  }
  advance(Number.POSITIVE_INFINITY);
  return log;
}

/**
 * Runs `steps` through a keyed process function. Returns its log, and the problems it
 * noticed itself: a timer firing that was not pending (fired twice, or deleted), a
 * timer still pending at the end, or a wrong timestamp, domain or watermark in onTimer.
 */
async function engine(steps: readonly Step[], partitions: number) {
  const log: string[] = [];
  const problems: string[] = [];
  const pending = new Set<string>();
  const items: TestingItem<Event>[] = steps.map((s) =>
    s.kind === "record" ? record(s.event, s.time, s.partition) : watermark(s.time, s.partition),
  );
  const out = new CollectingSink<string>();
  await dataflow("timers", [
    source("in", new TestingSource(items, { batchSize: 1, partitions }), {
      maxOutOfOrderness: MAX_OUT_OF_ORDERNESS,
    })
      .keyBy((e) => e.key)
      .process<string>("p", {
        processElement(e, ctx) {
          log.push(`record ${e.seq}`);
          const register = (time: number) => {
            ctx.timers.registerEventTime(time);
            pending.add(`${ctx.key}@${time}`);
          };
          register(ctx.timestamp + e.timer);
          if (e.twice) register(ctx.timestamp + e.timer);
          if (e.drop !== null) {
            ctx.timers.deleteEventTime(ctx.timestamp + e.drop);
            pending.delete(`${ctx.key}@${ctx.timestamp + e.drop}`);
          }
        },
        onTimer(time, ctx) {
          const id = `${ctx.key}@${time}`;
          log.push(`timer ${id}`);
          if (!pending.delete(id)) problems.push(`timer ${id} fired but was not pending`);
          if (ctx.timestamp !== time) problems.push(`timer ${id}: timestamp ${ctx.timestamp}`);
          if (ctx.timeDomain !== "event") problems.push(`timer ${id}: domain ${ctx.timeDomain}`);
          if (!(ctx.watermark >= time)) problems.push(`timer ${id}: watermark ${ctx.watermark}`);
          const next = followUp(ctx.key, time);
          if (next !== null) {
            ctx.timers.registerEventTime(next);
            pending.add(`${ctx.key}@${next}`);
          }
          ctx.emit(id);
        },
      })
      .to("out", out),
  ]).run({ clock: new ManualClock(), tickInterval: 0 });
  for (const id of pending) problems.push(`timer ${id} never fired`);
  return { log, problems, emitted: out.records };
}

const scripts = fc.integer({ min: 1, max: 2 }).chain((partitions) =>
  fc.tuple(
    fc.constant(partitions),
    fc
      .array(
        fc.oneof(
          {
            weight: 3,
            arbitrary: fc.record({
              kind: fc.constant("record" as const),
              time: fc.integer({ min: 0, max: 200 }),
              partition: fc.integer({ min: 0, max: partitions - 1 }),
              event: fc.record({
                seq: fc.constant(0),
                key: fc.integer({ min: 0, max: 3 }),
                timer: fc.integer({ min: -20, max: 40 }),
                twice: fc.boolean(),
                drop: fc.option(fc.integer({ min: -20, max: 40 }), { freq: 3 }),
              }),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant("watermark" as const),
              time: fc.integer({ min: 0, max: 220 }),
              partition: fc.integer({ min: 0, max: partitions - 1 }),
            }),
          },
        ),
        { maxLength: 50 },
      )
      .map((steps) =>
        steps.map(
          (s, seq): Step => (s.kind === "record" ? { ...s, event: { ...s.event, seq } } : s),
        ),
      ),
  ),
);

describe("event-time timers", () => {
  it("fire in time order, exactly once each, when the watermark first reaches them", async () => {
    await fc.assert(
      fc.asyncProperty(scripts, async ([partitions, steps]) => {
        const { log, problems, emitted } = await engine(steps, partitions);
        assert.deepEqual(
          problems,
          [],
          "each timer fires once, with its own time, at or behind the watermark",
        );
        for (const run of log.join(",").split(/record \d+/)) {
          const fired = [...run.matchAll(/timer \d+@(-?\d+)/g)].map((m) => Number(m[1]));
          assert.deepEqual(
            fired,
            [...fired].sort((x, y) => x - y),
            "timers firing together: earliest first",
          );
        }
        assert.deepEqual(
          emitted.map((r) => r.time),
          log.filter((l) => l.startsWith("timer")).map((l) => Number(l.split("@")[1])),
          "what onTimer emits carries the timer's time",
        );
        assert.deepEqual(
          normalise(log),
          normalise(model(steps, partitions)),
          "when each timer fires",
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("the model fires a timer registered behind the watermark at the next watermark", () => {
    const e = (seq: number, timer: number): Event => ({
      seq,
      key: 1,
      timer,
      twice: false,
      drop: null,
    });
    const steps: Step[] = [
      { kind: "watermark", time: 50, partition: 0 },
      { kind: "record", event: e(1, -30), time: 60, partition: 0 },
      { kind: "record", event: e(2, 5), time: 60, partition: 0 },
      { kind: "watermark", time: 70, partition: 0 },
    ];
    assert.deepEqual(model(steps, 1), ["record 1", "record 2", "timer 1@30", "timer 1@65"]);
  });
});
