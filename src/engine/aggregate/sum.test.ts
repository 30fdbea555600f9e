/** Tests of `sum`: known sums, skipped values, compensated rounding, overflow. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aggregate } from "./aggregator-laws.case.js";
import { sum } from "./sum.js";

type R = { v: number };
const agg = sum((r: R) => r.v);
const of = (...values: number[]) =>
  aggregate(
    agg,
    values.map((v) => ({ record: { v }, time: 0 })),
  );

describe("sum", () => {
  it("is 0 when empty or when every value is skipped", () => {
    assert.equal(agg.result(agg.create()), 0);
    assert.equal(agg.result(of(Number.NaN, Infinity)), 0);
  });

  it("sums small known inputs", () => {
    assert.equal(agg.result(of(7)), 7);
    assert.equal(agg.result(of(1, 2, 3.5, -0.5)), 6);
  });

  it("skips NaN, ±Infinity and missing fields", () => {
    const acc = of(1, Number.NaN, Infinity, -Infinity, undefined as unknown as number, 2);
    assert.equal(agg.result(acc), 3);
  });

  it("compensates rounding: ten 0.1s sum to 1 and 1e16 + 1 − 1e16 to 1", () => {
    assert.equal(agg.result(of(...Array<number>(10).fill(0.1))), 1);
    assert.equal(agg.result(of(1e16, 1, -1e16)), 1);
  });

  it("merges panes without losing the compensation", () => {
    const merged = agg.merge(of(1e16), agg.merge(of(1), of(-1e16)));
    assert.equal(agg.result(merged), 1);
  });

  it("returns the overflowed sum instead of NaN", () => {
    assert.equal(agg.result(of(1e308, 1e308)), Infinity);
  });
});
