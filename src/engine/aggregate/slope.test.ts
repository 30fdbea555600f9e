/** Tests of `slope`: exactness on lines at epoch-ms times, stability and edge cases. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { aggregate, assertClose } from "./aggregator-laws.case.js";
import { slope } from "./slope.js";

type R = { v: number };
const agg = slope((r: R) => r.v);
/** `[time, value]` points in arrival order. */
const timed = (points: readonly (readonly [number, number])[]) =>
  points.map(([time, v]) => ({ record: { v }, time }));
const T = 1_700_000_000_000;

/** Least squares by two passes over times in seconds from the first: the reference. */
function twoPass(points: readonly (readonly [number, number])[]): number {
  const t0 = points[0]![0];
  const ts = points.map(([t]) => (t - t0) / 1000);
  const meanT = ts.reduce((a, b) => a + b, 0) / ts.length;
  const meanV = points.reduce((a, [, v]) => a + v, 0) / points.length;
  let stt = 0;
  let stv = 0;
  points.forEach(([, v], i) => {
    const dt = ts[i]! - meanT;
    stt += dt * dt;
    stv += dt * (v - meanV);
  });
  return stv / stt;
}

describe("slope", () => {
  it("is null when empty, with one point, or when every point has the same time", () => {
    assert.equal(agg.result(agg.create()), null);
    assert.equal(agg.result(aggregate(agg, timed([[T, 5]]))), null);
    assert.equal(
      agg.result(
        aggregate(
          agg,
          timed([
            [T, 5],
            [T, 7],
            [T, 9],
          ]),
        ),
      ),
      null,
    );
    const merged = agg.merge(aggregate(agg, timed([[T, 1]])), aggregate(agg, timed([[T, 2]])));
    assert.equal(agg.result(merged), null);
  });

  it("is in value units per second", () => {
    assert.equal(
      agg.result(
        aggregate(
          agg,
          timed([
            [T, 10],
            [T + 2000, 11],
          ]),
        ),
      ),
      0.5,
    );
  });

  it("is exact on a perfect line at epoch-ms times, in any arrival order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -4000, max: 4000 }),
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 86_400 }), { minLength: 2, maxLength: 200 }),
        (quarters, intercept, seconds) => {
          const rate = quarters / 4;
          const points = seconds.map((s) => [T + s * 1000, intercept + rate * s] as const);
          // Rounding of the running means is a few ulps of the largest value, spread over
          // the time span: points close in time far from zero leave fewer exact digits.
          const span = Math.max(...seconds) - Math.min(...seconds);
          const largest = Math.max(...points.map(([, v]) => Math.abs(v)));
          const conditioned =
            rate === 0 ? 0 : (16 * Number.EPSILON * largest) / (span * Math.abs(rate));
          assertClose(agg.result(aggregate(agg, timed(points))), rate, 1e-12 + conditioned);
        },
      ),
      // Found by a random run: three points within 8 s, values about 32,770.
      { examples: [[1, 11169, [86392, 86397, 86400]]] },
    );
  });

  it("is exact to 1e-12 on a line sampled every millisecond or every hour", () => {
    const hourly = Array.from(
      { length: 25 },
      (_, h) => [T + h * 3_600_000, 20 + 0.25 * h] as const,
    );
    assertClose(agg.result(aggregate(agg, timed(hourly.reverse()))), 0.25 / 3600, 1e-12);
    const perMs = Array.from({ length: 1000 }, (_, i) => [T + i, 5 - 0.5 * i] as const);
    assertClose(agg.result(aggregate(agg, timed(perMs))), -500, 1e-12);
  });

  it("agrees with a two-pass least-squares fit on noisy data", () => {
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const points = Array.from({ length: 10_000 }, () => {
      const offset = Math.floor(random() * 3_600_000);
      return [T + offset, 60 + 0.002 * (offset / 1000) + (random() - 0.5) * 3] as const;
    });
    assertClose(agg.result(aggregate(agg, timed(points))), twoPass(points), 1e-9);
  });

  it("merges panes that started at different times", () => {
    const points = Array.from({ length: 60 }, (_, i) => [T + i * 60_000, Math.sqrt(i)] as const);
    const expected = twoPass(points);
    const late = aggregate(agg, timed(points.slice(40)));
    const early = aggregate(agg, timed(points.slice(0, 40)));
    assertClose(agg.result(agg.merge(late, early)), expected, 1e-12);
    const early2 = aggregate(agg, timed(points.slice(0, 40)));
    const late2 = aggregate(agg, timed(points.slice(40)));
    assertClose(agg.result(agg.merge(early2, late2)), expected, 1e-12);
  });

  it("skips points whose value or time is not finite", () => {
    const points: [number, number][] = [
      [T, 1],
      [T + 1000, Number.NaN],
      [Number.NaN, 100],
      [Infinity, 100],
      [T + 1000, 2],
    ];
    assert.equal(agg.result(aggregate(agg, timed(points))), 1);
  });
});
