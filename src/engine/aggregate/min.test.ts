/** Tests of `min`: known minima, skipped values, merging with empty sides, -0. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aggregate, throughJson } from "./aggregator-laws.case.js";
import { min } from "./min.js";

type R = { v: number };
const agg = min((r: R) => r.v);
const of = (...values: number[]) =>
  aggregate(
    agg,
    values.map((v) => ({ record: { v }, time: 0 })),
  );

describe("min", () => {
  it("is null when empty or when every value is skipped", () => {
    assert.equal(agg.result(agg.create()), null);
    assert.equal(agg.result(of(Number.NaN, -Infinity, Infinity)), null);
  });

  it("finds the smallest value", () => {
    assert.equal(agg.result(of(4)), 4);
    assert.equal(agg.result(of(3, -1.5, 2, -1.5, 10)), -1.5);
  });

  it("skips -Infinity and NaN rather than returning them", () => {
    assert.equal(agg.result(of(2, -Infinity, Number.NaN, 1)), 1);
  });

  it("merges, with an empty side giving the other", () => {
    assert.equal(agg.result(agg.merge(of(5, 3), of(4))), 3);
    assert.equal(agg.result(agg.merge(of(4), of(5, 3))), 3);
    assert.equal(agg.result(agg.merge(agg.create(), of(7))), 7);
    assert.equal(agg.result(agg.merge(of(7), agg.create())), 7);
  });

  it("treats -0 as 0 so that a restored snapshot is identical", () => {
    const acc = of(-0);
    assert.equal(agg.result(acc), 0);
    assert.equal(agg.result(agg.restore(throughJson(agg.snapshot(acc)))), 0);
    assert.equal(agg.snapshot(agg.create()), null);
  });
});
