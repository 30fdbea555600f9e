/** Tests of `avg`: known means, skipped values, compensated sums, empty result. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aggregate } from "./aggregator-laws.case.js";
import { avg } from "./avg.js";

type R = { v: number };
const agg = avg((r: R) => r.v);
const of = (...values: number[]) =>
  aggregate(
    agg,
    values.map((v) => ({ record: { v }, time: 0 })),
  );

describe("avg", () => {
  it("is null when empty or when every value is skipped", () => {
    assert.equal(agg.result(agg.create()), null);
    assert.equal(agg.result(of(Number.NaN, -Infinity)), null);
  });

  it("averages small known inputs", () => {
    assert.equal(agg.result(of(-3)), -3);
    assert.equal(agg.result(of(1, 2, 3, 4)), 2.5);
  });

  it("skips non-finite values without counting them", () => {
    assert.equal(agg.result(of(2, Number.NaN, Infinity, 4)), 3);
  });

  it("merges counts and sums", () => {
    assert.equal(agg.result(agg.merge(of(1, 2), of(6))), 3);
    assert.equal(agg.result(agg.merge(agg.create(), of(5))), 5);
  });

  it("is exact where a plain running sum is not", () => {
    assert.equal(agg.result(of(1e16, 1, -1e16, 0)), 0.25);
  });
});
