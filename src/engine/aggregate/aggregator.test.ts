/**
 * Every built-in aggregator obeys the aggregator contract (aggregator-laws.case.ts) and
 * rejects malformed snapshots.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { SnapshotError } from "../errors.js";
import { checkAggregatorLaws, type Timed } from "./aggregator-laws.case.js";
import { newDoubles } from "./packed.js";
import {
  type AnyAggregator,
  approxDistinctCount,
  avg,
  composite,
  count,
  distinctCount,
  first,
  last,
  max,
  min,
  packedOf,
  quantile,
  quantiles,
  slope,
  stddev,
  sum,
  summary,
  variance,
} from "./index.js";

interface Sample {
  v: number;
  k: string | number;
}

const BASE_TIME = 1_700_000_000_000;
const nonFinite = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
/** Event times with frequent ties (a few ms apart) and out-of-order arrival. */
const time = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3_600_000 }));
const key = fc.oneof(
  fc.string({ maxLength: 2 }),
  fc.integer({ min: -3, max: 20 }),
  fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY),
);

function samples(value: fc.Arbitrary<number>): fc.Arbitrary<Timed<Sample>[]> {
  return fc.array(
    fc.record({ record: fc.record({ v: value, k: key }), time }).map(({ record, time }) => ({
      record,
      time: BASE_TIME + time,
    })),
    { maxLength: 80 },
  );
}

/** Any double, including NaN, ±Infinity, -0, subnormals and extremes. */
const anyDouble = samples(fc.double());
/** Large finite doubles of both signs (and some non-finite) for compensated sums. */
const sumDouble = samples(
  fc.oneof({ arbitrary: fc.double({ min: -1e9, max: 1e9, noNaN: true }), weight: 9 }, nonFinite),
);
/** Sensor-like readings: well conditioned, so merging must agree to 1e-9 relative. */
const reading = samples(
  fc.oneof({ arbitrary: fc.integer({ min: -1000, max: 1000 }), weight: 9 }, nonFinite),
);
/** Noisy lines through epoch-ms times with a clearly non-zero slope. */
const line: fc.Arbitrary<Timed<Sample>[]> = fc
  .tuple(
    fc.double({ min: 0.1, max: 100, noNaN: true }),
    fc.boolean(),
    fc.array(fc.tuple(time, fc.double({ min: -1, max: 1, noNaN: true })), { maxLength: 80 }),
  )
  .map(([rate, falling, points]) =>
    points.map(([t, noise]) => ({
      record: { v: 40 + (falling ? -rate : rate) * (t / 1000) + noise, k: 0 },
      time: BASE_TIME + t,
    })),
  );

const v = (r: Sample) => r.v;
const k = (r: Sample) => r.k;

const cases: {
  name: string;
  aggregator: AnyAggregator<Sample>;
  records: typeof anyDouble;
  exact: boolean;
}[] = [
  { name: "count", aggregator: count<Sample>(), records: anyDouble, exact: true },
  { name: "sum", aggregator: sum(v), records: sumDouble, exact: false },
  { name: "avg", aggregator: avg(v), records: sumDouble, exact: false },
  { name: "min", aggregator: min(v), records: anyDouble, exact: true },
  { name: "max", aggregator: max(v), records: anyDouble, exact: true },
  { name: "variance", aggregator: variance(v), records: reading, exact: false },
  { name: "stddev", aggregator: stddev(v), records: reading, exact: false },
  { name: "summary", aggregator: summary(v), records: reading, exact: false },
  { name: "first", aggregator: first(v), records: anyDouble, exact: true },
  { name: "last", aggregator: last(v), records: anyDouble, exact: true },
  { name: "distinctCount", aggregator: distinctCount(k), records: anyDouble, exact: true },
  {
    name: "approxDistinctCount",
    aggregator: approxDistinctCount(k),
    records: anyDouble,
    exact: true,
  },
  {
    name: "approxDistinctCount (precision 4)",
    aggregator: approxDistinctCount(k, { precision: 4 }),
    records: anyDouble,
    exact: true,
  },
  { name: "slope", aggregator: slope(v), records: line, exact: false },
  { name: "quantile", aggregator: quantile(v, 0.9), records: anyDouble, exact: true },
  {
    name: "quantiles (collapsing, 8 buckets)",
    aggregator: quantiles(v, [0, 0.1, 0.5, 0.99, 1], { maxBuckets: 8 }),
    records: anyDouble,
    exact: true,
  },
  {
    name: "composite",
    aggregator: composite({
      n: count<Sample>(),
      avg: avg(v),
      range: composite({ low: min(v), high: max(v) }),
      p50: quantile(v, 0.5, { relativeAccuracy: 0.05 }),
      keys: distinctCount(k),
    }),
    records: sumDouble,
    exact: false,
  },
];

for (const { name, aggregator, records, exact } of cases) {
  describe(`${name} obeys the aggregator laws`, () => {
    checkAggregatorLaws(aggregator, { records, exact });
  });
}

describe("restore rejects malformed snapshots", () => {
  const garbage: unknown[] = ["garbage", true, { x: "1" }, [{}], undefined];
  for (const { name, aggregator } of cases) {
    it(`${name} throws SnapshotError`, () => {
      const packed = packedOf(aggregator);
      const n = newDoubles(packed.numbers);
      const r = new Array<unknown>(packed.refs).fill(null);
      for (const snapshot of garbage) {
        assert.throws(
          () => aggregator.restore(snapshot),
          SnapshotError,
          `restore(${JSON.stringify(snapshot)})`,
        );
        assert.throws(
          () => packed.restore(snapshot, n, 0, r, 0),
          SnapshotError,
          `packed restore(${JSON.stringify(snapshot)})`,
        );
      }
    });
  }
});
