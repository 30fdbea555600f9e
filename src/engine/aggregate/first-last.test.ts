/** Tests of `first` and `last`: ordering by event time, ties, skipped values. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aggregate } from "./aggregator-laws.case.js";
import { first, last } from "./first-last.js";

type R = { v: number };
const field = (r: R) => r.v;
/** `[value, time]` pairs in arrival order. */
const timed = (points: readonly [number, number][]) =>
  points.map(([v, time]) => ({ record: { v }, time }));
const T = 1_700_000_000_000;

describe("first and last", () => {
  const f = first(field);
  const l = last(field);

  it("are null when empty", () => {
    assert.equal(f.result(f.create()), null);
    assert.equal(l.result(l.create()), null);
  });

  it("give the only value of a single record", () => {
    assert.equal(f.result(aggregate(f, timed([[3, T]]))), 3);
    assert.equal(l.result(aggregate(l, timed([[3, T]]))), 3);
  });

  it("order by event time, not arrival", () => {
    const points: [number, number][] = [
      [20, T + 2000],
      [10, T + 1000],
      [40, T + 4000],
      [30, T + 3000],
    ];
    assert.equal(f.result(aggregate(f, timed(points))), 10);
    assert.equal(l.result(aggregate(l, timed(points))), 40);
  });

  it("keep the value already held on equal times", () => {
    const points: [number, number][] = [
      [1, T],
      [2, T],
      [3, T + 5],
      [4, T + 5],
    ];
    assert.equal(f.result(aggregate(f, timed(points))), 1);
    assert.equal(l.result(aggregate(l, timed(points))), 3);
  });

  it("keep into's value when merging equal times", () => {
    const a = timed([[1, T]]);
    const b = timed([[2, T]]);
    assert.equal(f.result(f.merge(aggregate(f, a), aggregate(f, b))), 1);
    assert.equal(f.result(f.merge(aggregate(f, b), aggregate(f, a))), 2);
    assert.equal(l.result(l.merge(aggregate(l, a), aggregate(l, b))), 1);
    assert.equal(l.result(l.merge(aggregate(l, b), aggregate(l, a))), 2);
  });

  it("take the earlier / later side when merging", () => {
    const early = aggregate(f, timed([[1, T]]));
    const late = aggregate(f, timed([[2, T + 1]]));
    assert.equal(f.result(f.merge(late, early)), 1);
    const earlyL = aggregate(l, timed([[1, T]]));
    const lateL = aggregate(l, timed([[2, T + 1]]));
    assert.equal(l.result(l.merge(earlyL, lateL)), 2);
    assert.equal(l.result(l.merge(l.create(), lateL)), 2);
  });

  it("skip records whose value or time is not finite", () => {
    const points: [number, number][] = [
      [Number.NaN, T - 10],
      [Infinity, T + 10],
      [7, Number.NaN],
      [8, Number.NEGATIVE_INFINITY],
      [9, Number.POSITIVE_INFINITY],
      [5, T],
      [6, T + 1],
    ];
    assert.equal(f.result(aggregate(f, timed(points))), 5);
    assert.equal(l.result(aggregate(l, timed(points))), 6);
  });

  it("snapshot as null when empty and as time and value otherwise", () => {
    assert.equal(f.snapshot(f.create()), null);
    assert.deepEqual(f.snapshot(aggregate(f, timed([[4, T]]))), { time: T, value: 4 });
    assert.equal(f.result(f.restore(null)), null);
  });
});
