/** Tests of `quantile` and `quantiles`: the DDSketch relative-error bound, edge cases, options. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PipelineDefinitionError } from "../errors.js";
import { aggregate, throughJson } from "./aggregator-laws.case.js";
import { quantile, quantiles } from "./quantile.js";

type R = { v: number };
const field = (r: R) => r.v;
const timed = (values: readonly number[]) => values.map((v) => ({ record: { v }, time: 0 }));

/** The smallest positive normal double; the sketch counts smaller magnitudes as 0. */
const MIN_NORMAL = 2 ** -1022;

/** The exact value at the lower nearest rank ⌊q (n − 1)⌋, with subnormals as 0. */
function exact(values: readonly number[], q: number): number {
  const sorted = values
    .filter(Number.isFinite)
    .map((x) => (Math.abs(x) < MIN_NORMAL ? 0 : x))
    .sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** Asserts the documented bound, with slack for the rounding of log and exp. */
function assertWithin(estimate: number | null, expected: number, alpha: number, context: string) {
  assert.ok(estimate !== null, `${context}: null`);
  assert.ok(
    Math.abs(estimate - expected) <= alpha * Math.abs(expected) * (1 + 1e-9),
    `${context}: ${estimate} is not within ${alpha} of ${expected}`,
  );
}

/**
 * Values of both signs and magnitudes from 1e-6 to 1e6, with repeats, zeros and skipped
 * values. At α = 0.001 these span about 14,000 buckets per sign, so tests that rely on
 * the bound raise `maxBuckets` to rule out collapsing.
 */
const values = fc.array(
  fc.oneof(
    fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((x) => x === 0 || Math.abs(x) >= 1e-6),
    fc.integer({ min: -20, max: 20 }),
    fc.constant(0),
    fc.double({ min: 1e-6, max: 1e-3, noNaN: true }),
    fc.constantFrom(Number.NaN, Infinity, -Infinity),
  ),
  { minLength: 1, maxLength: 300 },
);
const NO_COLLAPSE = 20_000;

/** Values near the ends of the double range, including subnormals (which count as 0). */
const extremes = fc.oneof(
  fc.array(
    fc.oneof(
      fc.double({ min: 1e300, max: Number.MAX_VALUE, noNaN: true }),
      fc.double({ min: -Number.MAX_VALUE, max: -1e300, noNaN: true }),
    ),
    { minLength: 1, maxLength: 100 },
  ),
  fc.array(
    fc.oneof(
      fc.double({ min: 2 ** -1022, max: 1e-300, noNaN: true }),
      fc.double({ min: -1e-300, max: 0, noNaN: true }),
      fc.constantFrom(Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -1022),
    ),
    { minLength: 1, maxLength: 100 },
  ),
);

describe("quantile", () => {
  it("is null when empty or when every value is skipped", () => {
    const agg = quantile(field, 0.5);
    assert.equal(agg.result(agg.create()), null);
    assert.equal(agg.result(aggregate(agg, timed([Number.NaN, Infinity]))), null);
    const many = quantiles(field, [0.1, 0.9]);
    assert.equal(many.result(many.create()), null);
  });

  it("gives a single value back for every q", () => {
    for (const q of [0, 0.3, 1]) {
      const agg = quantile(field, q);
      assert.equal(agg.result(aggregate(agg, timed([42.5]))), 42.5);
    }
  });

  it("uses the lower nearest rank ⌊q (n − 1)⌋", () => {
    const agg = quantiles(field, [0, 0.5, 0.9, 0.99, 1]);
    const result = agg.result(aggregate(agg, timed([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])));
    assert.ok(result !== null);
    const expected = [1, 3, 6, 6, 9];
    for (const [i, estimate] of result.entries()) {
      assertWithin(estimate, expected[i]!, 0.01, `q index ${i}`);
    }
  });

  it("gives the minimum and maximum exactly for q = 0 and q = 1", () => {
    fc.assert(
      fc.property(values, (vs) => {
        const agg = quantiles(field, [0, 1]);
        const result = agg.result(aggregate(agg, timed(vs)));
        const finite = vs.filter(Number.isFinite);
        const expected = finite.length === 0 ? null : [exact(vs, 0), exact(vs, 1)];
        assert.deepEqual(result, expected);
      }),
    );
  });

  it("is within α of the exact lower-nearest-rank value, for negatives and zeros too", () => {
    fc.assert(
      fc.property(
        values,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(0.001, 0.01, 0.05, 0.2),
        (vs, qs, alpha) => {
          if (!vs.some(Number.isFinite)) return;
          const agg = quantiles(field, qs, { relativeAccuracy: alpha, maxBuckets: NO_COLLAPSE });
          const result = agg.result(aggregate(agg, timed(vs)));
          assert.ok(result !== null);
          for (const [i, q] of qs.entries()) {
            assertWithin(result[i]!, exact(vs, q), alpha, `q = ${q}`);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is within α near the ends of the double range", () => {
    fc.assert(
      fc.property(extremes, fc.double({ min: 0, max: 1, noNaN: true }), (vs, q) => {
        const agg = quantile(field, q);
        assertWithin(agg.result(aggregate(agg, timed(vs))), exact(vs, q), 0.01, `q = ${q}`);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps the bound after merging and restoring panes", () => {
    fc.assert(
      fc.property(values, values, fc.double({ min: 0, max: 1, noNaN: true }), (a, b, q) => {
        const agg = quantile(field, q, { maxBuckets: NO_COLLAPSE });
        const left = agg.restore(throughJson(agg.snapshot(aggregate(agg, timed(a)))));
        const merged = agg.merge(left, aggregate(agg, timed(b)));
        if (![...a, ...b].some(Number.isFinite)) return assert.equal(agg.result(merged), null);
        assertWithin(agg.result(merged), exact([...a, ...b], q), 0.01, `q = ${q}`);
      }),
    );
  });

  it("is within α on 100k skewed readings", () => {
    let seed = 3;
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const vs = Array.from({ length: 100_000 }, () => -Math.log(1 - random()) * 250 - 20);
    const qs = [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1];
    const agg = quantiles(field, qs);
    const result = agg.result(aggregate(agg, timed(vs)));
    assert.ok(result !== null);
    for (const [i, q] of qs.entries()) {
      assertWithin(result[i]!, exact(vs, q), 0.01, `q = ${q}`);
    }
  });

  it("collapses the buckets nearest zero beyond maxBuckets, keeping high quantiles accurate", () => {
    const vs = Array.from({ length: 1000 }, (_, i) => 1.05 ** i);
    const agg = quantiles(field, [0.1, 0.99], { maxBuckets: 64 });
    const acc = aggregate(agg, timed(vs));
    const snapshot = agg.snapshot(acc) as { positive: { counts: number[] } };
    assert.ok(snapshot.positive.counts.length <= 64);
    const [low, high] = agg.result(acc)!;
    assertWithin(high!, exact(vs, 0.99), 0.01, "p99");
    assert.ok(low! > exact(vs, 0.1) * 1.01, `p10 ${low} should have been collapsed upwards`);
  });

  it("rejects q outside [0, 1] and invalid options", () => {
    for (const q of [-0.1, 1.1, Number.NaN]) {
      assert.throws(() => quantile(field, q), PipelineDefinitionError);
      assert.throws(() => quantiles(field, [0.5, q]), PipelineDefinitionError);
    }
    for (const relativeAccuracy of [0, 1, -0.5, Number.NaN]) {
      assert.throws(() => quantile(field, 0.5, { relativeAccuracy }), PipelineDefinitionError);
    }
    for (const maxBuckets of [0, 2.5, -1]) {
      assert.throws(() => quantile(field, 0.5, { maxBuckets }), PipelineDefinitionError);
    }
  });

  it("quantiles keeps its own copy of qs", () => {
    const qs = [0, 1];
    const agg = quantiles(field, qs);
    qs[1] = 0;
    assert.deepEqual(agg.result(aggregate(agg, timed([1, 2]))), [1, 2]);
  });
});
