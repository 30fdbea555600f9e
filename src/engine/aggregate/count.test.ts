/** Tests of `count`: every record counts; merge adds; snapshots are plain counts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SnapshotError } from "../errors.js";
import { aggregate } from "./aggregator-laws.case.js";
import { count } from "./count.js";

const at = (record: { v: number }, time = 0) => ({ record, time });

describe("count", () => {
  const agg = count<{ v: number }>();

  it("is 0 when empty", () => {
    assert.equal(agg.result(agg.create()), 0);
  });

  it("counts every record, including those whose fields are not finite", () => {
    const acc = aggregate(agg, [at({ v: 1 }), at({ v: Number.NaN }), at({ v: Infinity })]);
    assert.equal(agg.result(acc), 3);
  });

  it("merges by adding counts", () => {
    assert.equal(agg.merge(2, 5), 7);
    assert.equal(agg.merge(agg.create(), 4), 4);
  });

  it("snapshots as the plain count and rejects non-counts", () => {
    assert.equal(agg.snapshot(12), 12);
    assert.equal(agg.restore(12), 12);
    for (const bad of [-1, 1.5, "3", null]) {
      assert.throws(() => agg.restore(bad), SnapshotError);
    }
  });
});
