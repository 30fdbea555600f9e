/** Tests of `composite`: typed results, child independence, snapshots by name. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SnapshotError } from "../errors.js";
import type { Aggregator, AnyAggregator } from "./aggregator.js";
import { aggregate, throughJson } from "./aggregator-laws.case.js";
import { avg } from "./avg.js";
import { composite } from "./composite.js";
import { count } from "./count.js";
import { max } from "./max.js";
import { min } from "./min.js";
import { quantile, quantiles } from "./quantile.js";

interface Reading {
  sensor: string;
  value: number;
}
interface Tagged {
  tag: string;
}

/** Compiles only if `A` and `B` are the same type. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

const value = (r: Reading) => r.value;
const readings = [3, 1, 4, 1, 5].map((v, i) => ({
  record: { sensor: "s1", value: v },
  time: 1_700_000_000_000 + i,
}));

describe("composite", () => {
  it("computes every child over the same records", () => {
    const stats = composite({ n: count(), avg: avg(value), p99: quantile(value, 0.99) });
    const { n, avg: mean, p99 } = stats.result(aggregate(stats, readings));
    assert.equal(n, 5);
    assert.equal(mean, 2.8);
    // Rank ⌊0.99 × 4⌋ = 3 of [1, 1, 3, 4, 5] is 4; the sketch is within 1% of it.
    assert.ok(p99 !== null && Math.abs(p99 - 4) <= 0.04, `p99 ${p99}`);
  });

  it("has a result typed from the spec and infers the record type", () => {
    const stats = composite({ n: count(), avg: avg(value), p: quantiles(value, [0.5]) });
    expectType<
      Equal<ReturnType<typeof stats.result>, { n: number; avg: number | null; p: number[] | null }>
    >(true);
    expectType<Equal<Parameters<typeof stats.add>[1], Reading>>(true);
    // @ts-expect-error: a record missing `value` is rejected
    stats.add(stats.create(), { sensor: "s1" }, 0);
    assert.equal(stats.result(stats.create()).n, 0);
  });

  it("takes its record type from where it is used", () => {
    const use = <Out>(aggregator: AnyAggregator<Reading, Out>): Out =>
      aggregator.result(aggregate(aggregator, readings));
    const result = use(composite({ n: count(), top: max((r) => r.value) }));
    expectType<Equal<typeof result, { n: number; top: number | null }>>(true);
    assert.deepEqual(result, { n: 5, top: 5 });
  });

  it("accepts records that satisfy every child (the intersection of their inputs)", () => {
    const both = composite({ avg: avg(value), tags: count<Tagged>() });
    expectType<Equal<Parameters<typeof both.add>[1], Reading & Tagged>>(true);
    const inferred: Aggregator<Reading & Tagged, unknown[], { avg: number | null; tags: number }> =
      both;
    assert.equal(inferred.result(inferred.create()).tags, 0);
  });

  it("nests, and gives each child its own empty value", () => {
    const stats = composite({
      n: count<Reading>(),
      range: composite({ lo: min(value), hi: max(value) }),
    });
    assert.deepEqual(stats.result(stats.create()), { n: 0, range: { lo: null, hi: null } });
    assert.deepEqual(stats.result(aggregate(stats, readings)), { n: 5, range: { lo: 1, hi: 5 } });
  });

  it("merges child by child", () => {
    const stats = composite({ n: count<Reading>(), lo: min(value) });
    const merged = stats.merge(
      aggregate(stats, readings.slice(0, 2)),
      aggregate(stats, readings.slice(2)),
    );
    assert.deepEqual(stats.result(merged), { n: 5, lo: 1 });
  });

  it("snapshots by name, so a composite with the same names in another order restores it", () => {
    const ab = composite({ n: count<Reading>(), lo: min(value) });
    const ba = composite({ lo: min(value), n: count<Reading>() });
    const snapshot = throughJson(ab.snapshot(aggregate(ab, readings)));
    assert.deepEqual(snapshot, { n: 5, lo: 1 });
    assert.deepEqual(ba.result(ba.restore(snapshot)), { lo: 1, n: 5 });
    assert.throws(() => ab.restore({ n: 5 }), SnapshotError);
  });

  it("with no children, results in an empty object", () => {
    const none = composite({});
    assert.deepEqual(none.result(none.add(none.create(), {}, 0)), {});
  });
});
