/** Tests of `distinctCount`: exact counting of string and number keys. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aggregate, throughJson } from "./aggregator-laws.case.js";
import { type DistinctKey, distinctCount } from "./distinct-count.js";

type R = { k: DistinctKey };
const agg = distinctCount((r: R) => r.k);
const of = (...keys: DistinctKey[]) =>
  aggregate(
    agg,
    keys.map((k) => ({ record: { k }, time: 0 })),
  );

describe("distinctCount", () => {
  it("is 0 when empty and 1 for a single key", () => {
    assert.equal(agg.result(agg.create()), 0);
    assert.equal(agg.result(of("a")), 1);
  });

  it("counts each key once, strings and numbers apart", () => {
    assert.equal(agg.result(of("a", "b", "a", 1, "1", 1, 2.5)), 5);
  });

  it("treats -0 and 0 as one key and skips NaN, ±Infinity and missing keys", () => {
    const missing = undefined as unknown as DistinctKey;
    assert.equal(agg.result(of(0, -0, Number.NaN, Infinity, -Infinity, missing)), 1);
  });

  it("merges as a set union", () => {
    assert.equal(agg.result(agg.merge(of("a", "b"), of("b", "c"))), 3);
  });

  it("snapshots as an array of the keys that restores with their types", () => {
    const acc = of("x", 1, "1");
    const snapshot = throughJson(agg.snapshot(acc));
    assert.deepEqual([...(snapshot as DistinctKey[])].sort(), [1, "1", "x"].sort());
    const restored = agg.restore(snapshot);
    assert.equal(agg.result(agg.add(restored, { k: 1 }, 0)), 3);
    assert.equal(agg.result(agg.add(restored, { k: "2" }, 0)), 4);
  });
});
