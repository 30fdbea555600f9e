/**
 * Property: every record lands in exactly the windows whose `[start, end)` holds its
 * event time. Random tumbling and sliding specs (with offsets), random keys and times
 * (negative ones too), several partitions and batch sizes; the engine's count per
 * (key, window start) must equal a brute-force count.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { count } from "../../src/engine/index.js";
import { record } from "../../src/engine/testing/index.js";
import {
  type Reading,
  readings,
  runWindows,
  type TimeWindows,
  windowKey,
  windowSpec,
  windowStartsOf,
} from "./support.js";

/** Count per window, computed record by record from the window definition. */
function bruteForceCounts(list: readonly Reading[], spec: TimeWindows): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of list) {
    for (const start of windowStartsOf(r.time, spec)) {
      const id = windowKey(r.key, start);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

/** The engine's count per window; fails on a window emitted twice or with a wrong end. */
async function engineCounts(
  list: readonly Reading[],
  spec: TimeWindows,
  options: { partitionOf: (i: number) => number; batchSize: number; maxOutOfOrderness: number },
): Promise<Map<string, number>> {
  const items = list.map((r, i) => record(r, r.time, options.partitionOf(i)));
  const { results, late } = await runWindows(items, spec, count<Reading>(), options);
  assert.deepEqual(late, [], "no record is late");
  const counts = new Map<string, number>();
  for (const w of results) {
    const id = windowKey(w.key, w.start);
    assert.equal(w.kind, "final");
    assert.equal(w.end, w.start + spec.size, `window ${id} spans the window size`);
    assert.ok(!counts.has(id), `window ${id} is emitted once`);
    counts.set(id, w.value);
  }
  return counts;
}

const sorted = (counts: Map<string, number>) => [...counts].sort(([a], [b]) => (a < b ? -1 : 1));

describe("window assignment", () => {
  it("the sliding window of size 3 every 2 holds time 4 in [2,5) and [4,7)", () => {
    assert.deepEqual(windowStartsOf(4, { kind: "sliding", size: 3, slide: 2, offset: 0 }), [2, 4]);
    assert.deepEqual(windowStartsOf(-1, { kind: "tumbling", size: 5, offset: 2 }), [-3]);
  });

  it("puts each record in exactly the windows that hold its time (records in any order)", async () => {
    await fc.assert(
      fc.asyncProperty(
        windowSpec(),
        readings({ keys: 4, minTime: -40, maxTime: 120, maxLength: 60 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 10 }),
        async (spec, list, partitions, batchSize) => {
          const actual = await engineCounts(list, spec, {
            partitionOf: (i) => (list[i]!.seq * 7 + list[i]!.key) % partitions,
            batchSize,
            // Larger than any disorder in the script: nothing is late, all fire at the end.
            maxOutOfOrderness: 1_000,
          });
          assert.deepEqual(sorted(actual), sorted(bruteForceCounts(list, spec)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("gives the same windows when they fire while the input is still arriving", async () => {
    await fc.assert(
      fc.asyncProperty(
        windowSpec(),
        readings({ keys: 3, minTime: -40, maxTime: 160, maxLength: 60 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 4 }),
        async (spec, list, partitions, maxOutOfOrderness) => {
          // In time order, no record is behind the watermark of its windows.
          const ordered = [...list].sort((a, b) => a.time - b.time);
          const actual = await engineCounts(ordered, spec, {
            partitionOf: (i) => i % partitions,
            batchSize: 2,
            maxOutOfOrderness,
          });
          assert.deepEqual(sorted(actual), sorted(bruteForceCounts(ordered, spec)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
