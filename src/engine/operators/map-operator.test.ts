import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DeadLetter, dataflow, source } from "../index.js";
import { CollectingSink, record, TestingSource } from "../testing/index.js";

/** Runs `values` (record i at time 100 + i, one batch) through a map step; returns outputs and dead letters. */
async function mapped(values: number[], fn: (v: number) => number) {
  const input = new TestingSource(values.map((v, i) => record(v, 100 + i)));
  const s = source("in", input).map("m", fn);
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

describe("map", () => {
  it("keeps each record's time when every record maps", async () => {
    const { out, dead } = await mapped([1, 2, 3], (v) => v * 10);
    assert.deepEqual(out, [
      [10, 100],
      [20, 101],
      [30, 102],
    ]);
    assert.deepEqual(dead, []);
  });

  it("keeps the times aligned after records that throw, first and later ones", async () => {
    const { out, dead } = await mapped([-1, 2, -3, -4, 5, 6], (v) => {
      if (v < 0) throw new Error(`negative ${v}`);
      return v * 10;
    });
    assert.deepEqual(out, [
      [20, 101],
      [50, 104],
      [60, 105],
    ]);
    assert.deepEqual(dead, [
      [-1, 100, "negative -1"],
      [-3, 102, "negative -3"],
      [-4, 103, "negative -4"],
    ]);
  });
});
