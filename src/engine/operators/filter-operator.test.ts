import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DeadLetter, dataflow, source } from "../index.js";
import { CollectingSink, record, TestingSource } from "../testing/index.js";

/** Runs `values` (record i at time 100 + i, one batch) through a filter step; returns outputs and dead letters. */
async function filtered(values: number[], keep: (v: number) => boolean) {
  const input = new TestingSource(values.map((v, i) => record(v, 100 + i)));
  const s = source("in", input).filter("f", keep);
  const out = new CollectingSink<number>();
  const dead = new CollectingSink<DeadLetter>();
  await dataflow("t", [s.to("out", out), s.deadLetters().to("dead", dead)]).run({
    tickInterval: 0,
  });
  return {
    out: out.records.map((r) => [r.value, r.time]),
    dead: dead.values.map((d) => [d.value, d.time, d.message]),
  };
}

const even = (v: number) => v % 2 === 0;

describe("filter", () => {
  it("keeps every record of a batch that passes, with its time", async () => {
    const { out } = await filtered([2, 4], even);
    assert.deepEqual(out, [
      [2, 100],
      [4, 101],
    ]);
  });

  it("keeps the records that pass, in order with their times, wherever the others are", async () => {
    assert.deepEqual((await filtered([2, 3, 4, 5, 6], even)).out, [
      [2, 100],
      [4, 102],
      [6, 104],
    ]);
    assert.deepEqual((await filtered([1, 3, 4, 5, 6, 8], even)).out, [
      [4, 102],
      [6, 104],
      [8, 105],
    ]);
    assert.deepEqual((await filtered([2, 4, 5, 7], even)).out, [
      [2, 100],
      [4, 101],
    ]);
    assert.deepEqual((await filtered([1, 3, 5], even)).out, []);
  });

  it("dead-letters records whose predicate throws and goes on", async () => {
    const { out, dead } = await filtered([2, -1, 3, 4, -2, 6], (v) => {
      if (v < 0) throw new Error(`negative ${v}`);
      return even(v);
    });
    assert.deepEqual(out, [
      [2, 100],
      [4, 103],
      [6, 105],
    ]);
    assert.deepEqual(dead, [
      [-1, 101, "negative -1"],
      [-2, 104, "negative -2"],
    ]);
  });
});
