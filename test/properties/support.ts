/**
 * Shared pieces of the property tests: arbitraries for window specs and scripts, a
 * brute-force window assignment written from the definition of epoch-aligned
 * half-open windows, and a helper that runs a window step through the public API.
 */
import fc from "fast-check";
import {
  type Aggregator,
  dataflow,
  type LateRecord,
  type SlidingWindows,
  sliding,
  source,
  type TumblingWindows,
  tumbling,
  type WindowOptions,
  type WindowResult,
} from "../../src/engine/index.js";
import {
  CollectingSink,
  ManualClock,
  type TestingItem,
  TestingSource,
} from "../../src/engine/testing/index.js";

/** A keyed reading, as the property tests feed them to the engine. */
export interface Reading {
  readonly key: number;
  readonly time: number;
  readonly value: number;
  /** Position in the script, so a late record can be told apart from an equal one. */
  readonly seq: number;
}

export type TimeWindows = TumblingWindows | SlidingWindows;

/** Tumbling or sliding windows with small sizes, slides ≤ size and any offset. */
export const windowSpec = (maxSize = 20): fc.Arbitrary<TimeWindows> =>
  fc.oneof(
    fc
      .record({
        size: fc.integer({ min: 1, max: maxSize }),
        offset: fc.integer({ min: -25, max: 25 }),
      })
      .map(({ size, offset }) => tumbling(size, { offset })),
    fc
      .integer({ min: 1, max: maxSize })
      .chain((size) =>
        fc.record({
          size: fc.constant(size),
          slide: fc.integer({ min: 1, max: size }),
          offset: fc.integer({ min: -25, max: 25 }),
        }),
      )
      .map((o) => sliding(o)),
  );

/** The slide of `spec` (the size, for tumbling windows). */
export const slideOf = (spec: TimeWindows): number =>
  spec.kind === "tumbling" ? spec.size : spec.slide;

/**
 * The starts of every window of `spec` that holds `time`, found by walking the
 * epoch-aligned starts `offset + k·slide` down from the last one at or before `time`.
 */
export function windowStartsOf(time: number, spec: TimeWindows): number[] {
  const slide = slideOf(spec);
  const starts: number[] = [];
  let start = spec.offset + slide * Math.floor((time - spec.offset) / slide);
  while (start + spec.size > time) {
    starts.push(start);
    start -= slide;
  }
  return starts.reverse();
}

/** Readings with keys in `[0, keys)` and integer times in `[minTime, maxTime]`. */
export const readings = (options: {
  keys: number;
  minTime: number;
  maxTime: number;
  maxLength: number;
  minLength?: number;
}): fc.Arbitrary<Reading[]> =>
  fc
    .array(
      fc.record({
        key: fc.integer({ min: 0, max: options.keys - 1 }),
        time: fc.integer({ min: options.minTime, max: options.maxTime }),
        // Multiples of 1/4 are exact in binary, so their sums do not depend on order.
        value: fc.integer({ min: -4000, max: 4000 }).map((v) => v / 4),
      }),
      { minLength: options.minLength ?? 0, maxLength: options.maxLength },
    )
    .map((list) => list.map((r, seq) => ({ ...r, seq })));

/** What a window run produced. */
export interface WindowRun<R> {
  readonly results: WindowResult<number, R>[];
  readonly late: LateRecord<Reading>[];
}

/** Runs `readings → keyBy(key) → window(spec, aggregator)` over a testing script. */
export async function runWindows<R>(
  items: readonly TestingItem<Reading>[],
  spec: TimeWindows,
  // biome-ignore lint/suspicious/noExplicitAny: the accumulator type is the aggregator's own
  aggregator: Aggregator<Reading, any, R>,
  options: {
    maxOutOfOrderness: number;
    batchSize?: number;
    partitions?: number;
    window?: WindowOptions;
  },
): Promise<WindowRun<R>> {
  const out = new CollectingSink<WindowResult<number, R>>();
  const late = new CollectingSink<LateRecord<Reading>>();
  const testing = new TestingSource(items, {
    batchSize: options.batchSize ?? 100,
    ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
  });
  const windows = source("readings", testing, { maxOutOfOrderness: options.maxOutOfOrderness })
    .keyBy((r) => r.key)
    .window("w", spec, aggregator, options.window ?? {});
  await dataflow("property", [windows.to("out", out), windows.late().to("late", late)]).run({
    clock: new ManualClock(),
    tickInterval: 0,
  });
  return { results: out.values, late: late.values };
}

/** `${key}|${start}`: identifies a window of a key. */
export const windowKey = (key: number, start: number): string => `${key}|${start}`;
