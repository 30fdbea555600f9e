import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { checkAggregatorLaws } from "../../engine/aggregate/aggregator-laws.case.js";
import { SnapshotError } from "../../engine/index.js";
import { SENSOR_TYPES, type SensorType } from "../reading/reading.js";
import { countWhere } from "./count-where.js";
import { distinctOf } from "./distinct-of.js";
import { groupFields } from "./group-fields.js";
import { sensorTypeStats } from "./sensor-type-stats.js";

interface Sample {
  readonly type: SensorType | null;
  readonly value: number;
  readonly id: string | null;
}

const samples = fc.array(
  fc.record({
    record: fc.record({
      type: fc.option(fc.constantFrom(...SENSOR_TYPES), { nil: null }),
      value: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(Number.NaN)),
      id: fc.option(fc.constantFrom("a", "b", "c", "d"), { nil: null }),
    }),
    time: fc.integer({ min: 0, max: 1e9 }),
  }),
  { maxLength: 40 },
);

describe("countWhere obeys the aggregator laws", () => {
  checkAggregatorLaws(
    countWhere((s: Sample) => s.value > 0),
    { records: samples, exact: true },
  );
});

describe("distinctOf obeys the aggregator laws", () => {
  checkAggregatorLaws(
    distinctOf((s: Sample) => s.id),
    { records: samples, exact: true },
  );
});

describe("groupFields obeys the aggregator laws", () => {
  checkAggregatorLaws(
    groupFields((s: Sample) => (s.id === null ? null : { id: s.id })),
    { records: samples, exact: true },
  );
});

describe("sensorTypeStats obeys the aggregator laws", () => {
  checkAggregatorLaws(
    sensorTypeStats(
      (s: Sample) => s.type,
      (s: Sample) => s.value,
    ),
    { records: samples, exact: false },
  );
});

describe("dashboard aggregators", () => {
  it("distinctOf skips null and undefined", () => {
    const agg = distinctOf((s: { id: string | null | undefined }) => s.id);
    let acc = agg.create();
    for (const id of ["a", null, "a", undefined, "b"]) acc = agg.add(acc, { id }, 0);
    assert.equal(agg.result(acc), 2);
  });

  it("sensorTypeStats skips records without a type or a finite value", () => {
    const agg = sensorTypeStats(
      (s: Sample) => s.type,
      (s: Sample) => s.value,
    );
    let acc = agg.create();
    const rows: Sample[] = [
      { type: "power", value: 10, id: null },
      { type: "power", value: -0, id: null },
      { type: "power", value: Number.NaN, id: null },
      { type: null, value: 5, id: null },
    ];
    for (const r of rows) acc = agg.add(acc, r, 0);
    assert.deepEqual(agg.result(acc), { power: { count: 2, avg: 5, min: 0, max: 10 } });
  });

  it("restore rejects malformed snapshots", () => {
    const aggs = [
      countWhere(() => true),
      sensorTypeStats(
        (s: Sample) => s.type,
        (s: Sample) => s.value,
      ),
      groupFields((s: Sample) => ({ id: s.id })),
    ];
    for (const agg of aggs) {
      for (const bad of ["x", [1], -1, 1.5, { nope: [1, 2, 3, 4, 5] }]) {
        if (agg === aggs[2] && typeof bad === "object" && !Array.isArray(bad)) continue;
        assert.throws(() => agg.restore(bad as never), SnapshotError, JSON.stringify(bad));
      }
    }
  });
});
