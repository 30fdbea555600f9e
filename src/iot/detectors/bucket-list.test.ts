import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { bucketStart } from "./anomaly.js";
import { BucketLayout } from "./bucket-list.js";
import type { PartScope } from "./detector-part.js";

/** A key's state with the buckets of one part: payload of the current bucket in `h`. */
function scopeFor(layout: BucketLayout): PartScope {
  const scope = {
    s: [null, null, null] as unknown[],
    h: [0, 0, 0, 0.5, 0, 0, 0],
    x: null as number[] | null,
    cold() {
      if (scope.x === null) {
        scope.x = new Array<number>(layout.ringSize).fill(0);
        scope.s[2] = scope.x;
      }
      return scope.x;
    },
  };
  scope.h[3] = 0; // the current bucket's start
  layout.clear(scope as unknown as PartScope, 0, 1);
  return scope as unknown as PartScope;
}

/**
 * Replays readings on `layout` as the detectors do (a bucket of a count and sums, in
 * `h[0…2]`, its start in `h[3]`; the closed buckets' totals kept in `h[4…6]`), and
 * returns the closed buckets after each reading.
 */
function replay(layout: BucketLayout, readings: readonly [number, number][]): number[][][] {
  const scope = scopeFor(layout);
  const h = scope.h;
  const seen: number[][][] = [];
  let started = false;
  for (const [t, v] of readings) {
    const start = bucketStart(t, layout.bucketMs);
    if (!started) {
      h[3] = start;
      started = true;
    }
    const cs = h[3]!;
    if (start > cs) {
      layout.roll(scope, 0, 0, 1, cs, start, 4);
      h[0] = 0;
      h[1] = 0;
      h[2] = 0;
      h[3] = start;
    }
    if (start >= h[3]!) {
      h[0] = h[0]! + 1;
      h[1] = h[1]! + v;
      h[2] = h[2]! + v * v;
    } else if (start > h[3]! - layout.windowMs) {
      const p = layout.bucketAt(scope, 0, 1, start);
      const b = layout.array(scope, 1)!;
      b[p] = b[p]! + 1;
      b[p + 1] = b[p + 1]! + v;
      b[p + 2] = b[p + 2]! + v * v;
      for (let k = 0; k < 3; k++) h[4 + k] = h[4 + k]! + [1, v, v * v][k]!;
    }
    const closed = layout.closed(scope, 0, 1, h[3]!);
    const totals = [0, 0, 0];
    for (const bucket of closed)
      for (let k = 0; k < 3; k++) totals[k] = totals[k]! + bucket[k + 1]!;
    assert.deepEqual(h.slice(4), totals, "kept totals");
    seen.push(closed);
  }
  return seen;
}

/** Readings mostly in order, some late by up to `late` ms, some after long silences. */
const readings = (late: number) =>
  fc
    .array(
      fc.record({
        step: fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 200_000 })),
        back: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: late })),
        v: fc.integer({ min: -50, max: 50 }),
      }),
      { maxLength: 200 },
    )
    .map((steps) => {
      let t = 1_767_225_600_000;
      return steps.map(({ step, back, v }): [number, number] => {
        t += step;
        return [t - back, v];
      });
    });

describe("bucket lists", () => {
  for (const [windowMs, bucketMs] of [
    [120_000, 10_000],
    [100_000, 7_000],
    [250_000, 10_000.5],
    [120_000, 9_999.9],
    [10_000, 10_000],
    [5_000, 10_000],
  ] as const) {
    it(`keep the same buckets as a ring or a list (window ${windowMs} ms, buckets ${bucketMs} ms)`, () => {
      const ring = new BucketLayout(3, windowMs, bucketMs);
      const list = new BucketLayout(3, windowMs, bucketMs, 0);
      assert.ok(ring.ring && !list.ring);
      fc.assert(
        fc.property(readings(windowMs * 1.5), (rs) => {
          assert.deepEqual(replay(ring, rs), replay(list, rs));
        }),
        { numRuns: 300 },
      );
    });
  }

  it("keep a window of many buckets in a list of its own, and a short one in a ring", () => {
    const short = new BucketLayout(5, 120_000, 10_000);
    assert.deepEqual([short.ring, short.places, short.ringSize, short.slots], [true, 11, 55, 0]);
    const long = new BucketLayout(5, 3_600_000, 1_000);
    assert.deepEqual([long.ring, long.ringSize, long.slots], [false, 0, 1]);
  });
});
