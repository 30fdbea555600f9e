/**
 * Property: a window's result does not depend on how its records were cut up. The
 * window operator keeps one partial aggregate per pane and merges panes when a window
 * fires; batches and source partitions cut the input differently again. For random
 * records and window specs, runs that differ in batch size, partition split, arrival
 * order and watermark progress must all give what the same aggregator gives when it
 * adds every record of the window to one accumulator, one by one, with no merge.
 *
 * The aggregator laws themselves (merge of any split equals one-by-one aggregation,
 * for every built-in aggregator) are checked in src/engine/aggregate/aggregator.test.ts;
 * this property checks the window operator's use of them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { avg, composite, count, max, min, stddev, sum } from "../../src/engine/index.js";
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

const stats = composite({
  n: count<Reading>(),
  sum: sum((r: Reading) => r.value),
  avg: avg((r: Reading) => r.value),
  min: min((r: Reading) => r.value),
  max: max((r: Reading) => r.value),
  sd: stddev((r: Reading) => r.value),
});

type Stats = ReturnType<typeof stats.result>;

/** Every window's result from one accumulator fed all of its records in arrival order. */
function aggregateEverything(list: readonly Reading[], spec: TimeWindows): Map<string, Stats> {
  const accs = new Map<string, unknown[]>();
  for (const r of list) {
    for (const start of windowStartsOf(r.time, spec)) {
      const id = windowKey(r.key, start);
      const acc = accs.get(id) ?? stats.create();
      accs.set(id, stats.add(acc, r, r.time));
    }
  }
  return new Map([...accs].map(([id, acc]) => [id, stats.result(acc)]));
}

/**
 * Compares two results: count, sum, avg, min and max exactly (the values are multiples
 * of 1/4, so their sums are exact in any order), the sample standard deviation within
 * 1e-9 relative (it is merged with a formula that rounds differently from Welford's
 * one-by-one update).
 */
function assertSameStats(id: string, actual: Stats, expected: Stats): void {
  const { sd, ...exact } = actual;
  const { sd: expectedSd, ...expectedExact } = expected;
  assert.deepEqual(exact, expectedExact, `window ${id}`);
  if (sd === null || expectedSd === null) {
    assert.equal(sd, expectedSd, `window ${id}: stddev`);
  } else {
    const scale = Math.max(Math.abs(sd), Math.abs(expectedSd), 1e-300);
    assert.ok(
      Math.abs(sd - expectedSd) <= 1e-9 * scale,
      `window ${id}: stddev ${sd} vs ${expectedSd}`,
    );
  }
}

async function assertRunMatches(
  how: string,
  list: readonly Reading[],
  spec: TimeWindows,
  options: { partitionOf: (r: Reading) => number; batchSize: number; maxOutOfOrderness: number },
): Promise<void> {
  const items = list.map((r) => record(r, r.time, options.partitionOf(r)));
  const { results, late } = await runWindows(items, spec, stats, options);
  assert.deepEqual(late, [], `${how}: no record is late`);
  const expected = aggregateEverything(list, spec);
  const seen = new Set<string>();
  for (const w of results) {
    const id = windowKey(w.key, w.start);
    assert.ok(!seen.has(id), `${how}: window ${id} is emitted once`);
    seen.add(id);
    const want = expected.get(id);
    assert.ok(want !== undefined, `${how}: window ${id} holds no record but was emitted`);
    assertSameStats(`${id} (${how})`, w.value, want);
  }
  assert.equal(seen.size, expected.size, `${how}: number of windows`);
}

describe("window results do not depend on how the input was cut up", () => {
  it("one by one, in batches, over partitions, shuffled: all equal one-accumulator aggregation", async () => {
    await fc.assert(
      fc.asyncProperty(
        windowSpec(12),
        readings({ keys: 3, minTime: 0, maxTime: 80, maxLength: 80 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 25 }),
        fc.infiniteStream(fc.integer({ min: 0, max: 3 })),
        async (spec, list, partitions, batchSize, draws) => {
          const ordered = [...list].sort((a, b) => a.time - b.time || a.seq - b.seq);
          // One record per batch, one partition, windows firing as time passes.
          await assertRunMatches("one by one", ordered, spec, {
            partitionOf: () => 0,
            batchSize: 1,
            maxOutOfOrderness: 0,
          });
          // In time order over several partitions, in batches, windows firing as time passes.
          await assertRunMatches("partitioned", ordered, spec, {
            partitionOf: (r) => r.seq % partitions,
            batchSize,
            maxOutOfOrderness: 0,
          });
          // Shuffled (as generated) over partitions: everything fires at the end of input.
          const shuffledPartition = new Map(
            list.map((r) => [r.seq, draws.next().value % partitions]),
          );
          await assertRunMatches("shuffled", list, spec, {
            partitionOf: (r) => shuffledPartition.get(r.seq)!,
            batchSize,
            maxOutOfOrderness: 1_000,
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
