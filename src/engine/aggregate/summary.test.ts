/** Tests of `summary`: each field equals the single aggregator's result on the same input. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aggregate, throughJson } from "./aggregator-laws.case.js";
import { avg } from "./avg.js";
import { max } from "./max.js";
import { min } from "./min.js";
import { sum } from "./sum.js";
import { summary } from "./summary.js";
import { stddev, variance } from "./variance.js";

type R = { v: number };
const field = (r: R) => r.v;
const timed = (values: readonly number[]) => values.map((v) => ({ record: { v }, time: 0 }));

describe("summary", () => {
  const agg = summary(field);

  it("is empty with no finite value", () => {
    assert.deepEqual(agg.result(aggregate(agg, timed([Number.NaN, Infinity]))), {
      count: 0,
      sum: 0,
      avg: null,
      min: null,
      max: null,
      variance: null,
      stddev: null,
    });
  });

  it("has no variance with one value", () => {
    const r = agg.result(aggregate(agg, timed([-0, Number.NaN])));
    assert.deepEqual(r, { count: 1, sum: 0, avg: 0, min: 0, max: 0, variance: null, stddev: null });
  });

  it("agrees exactly with count, sum, avg, min, max, variance and stddev", () => {
    const values = [1e9 + 4, 1e9 + 7, Number.NaN, 1e9 + 13, -3.25, 1e9 + 16, 0.1, 0.2];
    const input = timed(values);
    const r = agg.result(aggregate(agg, input));
    const one = <Out>(a: Parameters<typeof aggregate<R, unknown, Out>>[0]) =>
      a.result(aggregate(a, input));
    assert.equal(r.count, values.filter(Number.isFinite).length);
    assert.equal(r.sum, one(sum(field)));
    assert.equal(r.avg, one(avg(field)));
    assert.equal(r.min, one(min(field)));
    assert.equal(r.max, one(max(field)));
    assert.equal(r.variance, one(variance(field)));
    assert.equal(r.stddev, one(stddev(field)));
  });

  it("merges into an empty accumulator and survives a JSON snapshot", () => {
    const part = aggregate(agg, timed([2, 4, 4, 4, 5, 5, 7, 9]));
    const merged = agg.merge(agg.create(), agg.restore(throughJson(agg.snapshot(part))));
    assert.deepEqual(agg.result(merged), agg.result(part));
    assert.equal(agg.result(merged).variance, 32 / 7);
  });
});
