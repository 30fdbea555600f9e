/** Tests of `approxDistinctCount`: HyperLogLog accuracy, small-range counting and options. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
import { PipelineDefinitionError } from "../errors.js";
import { aggregate, throughJson } from "./aggregator-laws.case.js";
import { approxDistinctCount } from "./approx-distinct-count.js";
import type { DistinctKey } from "./distinct-count.js";

type R = { k: DistinctKey };
const field = (r: R) => r.k;
const timed = (keys: Iterable<DistinctKey>) =>
  Array.from(keys, (k) => ({ record: { k }, time: 0 }));
const range = (n: number, key: (i: number) => DistinctKey) =>
  Array.from({ length: n }, (_, i) => key(i));

describe("approxDistinctCount", () => {
  const agg = approxDistinctCount(field);

  it("is 0 when empty and 1 for a single key, however often repeated", () => {
    assert.equal(agg.result(agg.create()), 0);
    assert.equal(agg.result(aggregate(agg, timed(["a", "a", "a"]))), 1);
  });

  it("counts small sets to within 1 with linear counting", () => {
    for (let n = 0; n <= 60; n++) {
      const strings = agg.result(aggregate(agg, timed(range(n, (i) => `sensor-${i}`))));
      const numbers = agg.result(aggregate(agg, timed(range(n, (i) => i * 7))));
      assert.ok(Math.abs(strings - n) <= 1, `${n} string keys estimated as ${strings}`);
      assert.ok(Math.abs(numbers - n) <= 1, `${n} number keys estimated as ${numbers}`);
    }
  });

  it("is within 3 standard errors (1.04/√4096 ≈ 1.6%) on 100k distinct keys", () => {
    const n = 100_000;
    const bound = 3 * (1.04 / Math.sqrt(4096)) * n;
    const sets: [string, DistinctKey[]][] = [
      ["strings", range(n, (i) => `plant-3/line-${i % 17}/sensor-${i}`)],
      ["integers", range(n, (i) => i)],
      ["fractions", range(n, (i) => i / 8 + 1e6)],
    ];
    for (const [name, keys] of sets) {
      const estimate = agg.result(aggregate(agg, timed(keys)));
      assert.ok(Math.abs(estimate - n) <= bound, `${name}: ${estimate} for ${n}`);
    }
  });

  it("does not change when keys repeat", () => {
    const keys = range(5000, (i) => `k${i}`);
    const once = aggregate(agg, timed(keys));
    const thrice = aggregate(agg, timed([...keys, ...keys.reverse(), ...keys]));
    assert.deepEqual(thrice, once);
  });

  it('counts 1 and "1" as different keys and -0 as 0', () => {
    assert.equal(agg.result(aggregate(agg, timed([1, "1", 0, -0]))), 3);
  });

  it("skips NaN, ±Infinity and missing keys", () => {
    const missing = undefined as unknown as DistinctKey;
    assert.equal(agg.result(aggregate(agg, timed([Number.NaN, Infinity, -Infinity, missing]))), 0);
  });

  it("merges to the same registers as one accumulator fed every key", () => {
    const a = aggregate(agg, timed(range(3000, (i) => i)));
    const b = aggregate(agg, timed(range(3000, (i) => i + 2000)));
    const all = aggregate(agg, timed(range(5000, (i) => i)));
    assert.deepEqual(agg.merge(a, b), all);
  });

  it("uses 2^precision registers and has the matching standard error", () => {
    const n = 20_000;
    for (const precision of [4, 8, 14, 16]) {
      const p = approxDistinctCount(field, { precision });
      const acc = p.create();
      assert.equal(acc.length, 2 ** precision);
      const estimate = p.result(aggregate(p, timed(range(n, (i) => `id-${i}`))));
      const bound = 3 * (1.04 / Math.sqrt(2 ** precision)) * n;
      assert.ok(Math.abs(estimate - n) <= bound, `precision ${precision}: ${estimate}`);
    }
  });

  it("rejects a precision outside 4..16", () => {
    for (const precision of [3, 17, 12.5, Number.NaN]) {
      assert.throws(() => approxDistinctCount(field, { precision }), PipelineDefinitionError);
    }
  });

  it("snapshots as base64 registers and refuses another precision", () => {
    const acc = aggregate(agg, timed(range(100, (i) => i)));
    const snapshot = throughJson(agg.snapshot(acc)) as { precision: number; registers: string };
    assert.equal(snapshot.precision, 12);
    assert.equal(Buffer.from(snapshot.registers, "base64").length, 4096);
    assert.deepEqual(agg.restore(snapshot), acc);
    const other = approxDistinctCount(field, { precision: 10 });
    assert.throws(() => other.restore(snapshot));
  });
});
