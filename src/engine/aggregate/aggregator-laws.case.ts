/**
 * A reusable test suite for the laws every `Aggregator` must obey, so that windows can
 * pre-aggregate panes and checkpoint accumulators without changing results:
 *
 * - merging the accumulators of any contiguous split of the records equals adding
 *   every record to one accumulator (by sequential fold and by pairwise tree merge);
 * - `merge` never changes `from`, and an accumulator merged into an empty one does not
 *   share state with it;
 * - `result` does not change the accumulator;
 * - snapshot → JSON → restore gives an accumulator with the same result and the same
 *   behaviour on further records;
 * - the packed accumulator (`packedOf`) computes exactly what the object form computes:
 *   the same results and snapshots, record by record and merged.
 *
 * Used by aggregator.test.ts for every built-in; user-defined aggregators can use it too.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import type { Aggregator } from "./aggregator.js";
import { newDoubles, packedOf } from "./packed.js";

/** A record with its event time, as a window operator passes them to `add`. */
export interface Timed<In> {
  record: In;
  time: number;
}

/** How {@link checkAggregatorLaws} generates input and compares output. */
export interface LawOptions<In> {
  /** Generates the records of one run (one window). */
  records: fc.Arbitrary<Timed<In>[]>;
  /**
   * `true` if merged accumulators must equal the one-by-one accumulator exactly (their
   * snapshots are compared); otherwise results are compared within `relativeTolerance`.
   */
  exact: boolean;
  /** Relative tolerance for numeric results when `exact` is false (default 1e-9). */
  relativeTolerance?: number;
  /** fast-check runs per law (default 200). */
  numRuns?: number;
}

/**
 * Asserts that `actual` equals `expected`, comparing numbers (also inside arrays and
 * plain objects) within `relative` of the larger magnitude.
 */
export function assertClose(actual: unknown, expected: unknown, relative: number, path = "result") {
  if (typeof expected === "number" && typeof actual === "number") {
    if (Object.is(actual, expected)) return;
    const scale = Math.max(Math.abs(actual), Math.abs(expected));
    assert.ok(
      Math.abs(actual - expected) <= relative * scale,
      `${path}: ${actual} differs from ${expected} by more than ${relative} relative`,
    );
    return;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    assert.equal(actual.length, expected.length, `${path}: length`);
    for (const [i, value] of expected.entries()) {
      assertClose(actual[i], value, relative, `${path}[${i}]`);
    }
    return;
  }
  if (
    typeof expected === "object" &&
    expected !== null &&
    typeof actual === "object" &&
    actual !== null
  ) {
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${path}: keys`);
    for (const [key, value] of Object.entries(expected)) {
      assertClose((actual as Record<string, unknown>)[key], value, relative, `${path}.${key}`);
    }
    return;
  }
  assert.deepEqual(actual, expected, path);
}

/** Adds `records` to a new accumulator. */
export function aggregate<In, Acc, Out>(
  aggregator: Aggregator<In, Acc, Out>,
  records: readonly Timed<In>[],
): Acc {
  let acc = aggregator.create();
  for (const { record, time } of records) acc = aggregator.add(acc, record, time);
  return acc;
}

/** A JSON round trip, as a checkpoint store would do. */
export function throughJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Splits `records` into contiguous parts at the (unsorted, possibly repeated) `cuts`. */
function split<T>(records: readonly T[], cuts: readonly number[]): T[][] {
  const points = cuts.map((c) => c % (records.length + 1)).sort((a, b) => a - b);
  const parts: T[][] = [];
  let start = 0;
  for (const point of [...points, records.length]) {
    parts.push(records.slice(start, point));
    start = point;
  }
  return parts;
}

/** Merges accumulators pairwise, neighbours first, keeping their order. */
function treeMerge<Acc>(aggregator: Aggregator<never, Acc, unknown>, accs: Acc[]): Acc {
  let level = accs;
  while (level.length > 1) {
    const next: Acc[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right === undefined ? level[i]! : aggregator.merge(level[i]!, right));
    }
    level = next;
  }
  return level[0] ?? aggregator.create();
}

/**
 * Registers one `it` per law for `aggregator`, inside the caller's `describe`.
 */
export function checkAggregatorLaws<In, Acc, Out>(
  aggregator: Aggregator<In, Acc, Out>,
  options: LawOptions<In>,
): void {
  const { records, exact } = options;
  const tolerance = options.relativeTolerance ?? 1e-9;
  const numRuns = options.numRuns ?? 200;
  const cuts = fc.array(fc.nat(), { maxLength: 6 });
  const snap = (acc: Acc) => throughJson(aggregator.snapshot(acc));
  const sameResult = (actual: Out, expected: Out) =>
    exact ? assert.deepEqual(actual, expected) : assertClose(actual, expected, tolerance);
  const sameAcc = (actual: Acc, expected: Acc) => {
    sameResult(aggregator.result(actual), aggregator.result(expected));
    if (exact) assert.deepEqual(snap(actual), snap(expected));
  };

  it("merging the panes of any split equals adding every record to one accumulator", () => {
    fc.assert(
      fc.property(records, cuts, (all, cutPoints) => {
        const whole = aggregate(aggregator, all);
        const parts = split(all, cutPoints);
        let folded = aggregator.create();
        for (const part of parts) folded = aggregator.merge(folded, aggregate(aggregator, part));
        sameAcc(folded, whole);
        const tree = treeMerge(
          aggregator,
          parts.map((part) => aggregate(aggregator, part)),
        );
        sameAcc(tree, whole);
      }),
      { numRuns },
    );
  });

  it("merge never changes `from`, and a merged copy shares no state with it", () => {
    fc.assert(
      fc.property(records, records, records, (a, b, more) => {
        const from = aggregate(aggregator, b);
        const before = snap(from);
        const resultBefore = aggregator.result(from);
        let into = aggregator.merge(aggregate(aggregator, a), from);
        let copy = aggregator.merge(aggregator.create(), from);
        for (const { record, time } of more) {
          into = aggregator.add(into, record, time);
          copy = aggregator.add(copy, record, time);
        }
        into = aggregator.merge(into, copy);
        assert.deepEqual(snap(from), before);
        assert.deepEqual(aggregator.result(from), resultBefore);
      }),
      { numRuns },
    );
  });

  it("result does not change the accumulator", () => {
    fc.assert(
      fc.property(records, (all) => {
        const acc = aggregate(aggregator, all);
        const before = snap(acc);
        const first = aggregator.result(acc);
        assert.deepEqual(aggregator.result(acc), first);
        assert.deepEqual(snap(acc), before);
      }),
      { numRuns },
    );
  });

  it("the packed accumulator gives exactly the object form's results and snapshots", () => {
    const packed = packedOf(aggregator);
    // Two accumulators side by side, at offsets other than 0, as a window keeps its panes.
    const nums = packed.numbers;
    const refs = packed.refs;
    fc.assert(
      fc.property(records, cuts, (all, cutPoints) => {
        const n = newDoubles(1 + 2 * nums);
        const r = new Array<unknown>(1 + 2 * refs).fill(null);
        const n2 = newDoubles(nums);
        const r2 = new Array<unknown>(refs).fill(null);
        const same = (i: number, j: number, acc: Acc, an: number[] = n, ar: unknown[] = r) => {
          assert.deepEqual(packed.result(an, i, ar, j), aggregator.result(acc));
          assert.deepEqual(
            throughJson(packed.snapshot(an, i, ar, j)),
            throughJson(aggregator.snapshot(acc)),
          );
        };
        packed.init(n, 1, r, 1);
        packed.init(n, 1 + nums, r, 1 + refs);
        same(1, 1, aggregator.create());
        let acc = aggregator.create();
        for (const { record, time } of all) {
          packed.add(n, 1, r, 1, record, time);
          acc = aggregator.add(acc, record, time);
        }
        same(1, 1, acc);
        // Merged panes, into an empty accumulator as a window does when it fires.
        let folded = aggregator.create();
        packed.init(n, 1 + nums, r, 1 + refs);
        for (const part of split(all, cutPoints)) {
          packed.init(n2, 0, r2, 0);
          for (const { record, time } of part) packed.add(n2, 0, r2, 0, record, time);
          packed.merge(n, 1 + nums, r, 1 + refs, n2, 0, r2, 0);
          folded = aggregator.merge(folded, aggregate(aggregator, part));
        }
        same(1 + nums, 1 + refs, folded);
        // Restored from the object form's snapshot, it goes on the same.
        packed.restore(throughJson(aggregator.snapshot(acc)), n2, 0, r2, 0);
        same(0, 0, acc, n2, r2);
        for (const { record, time } of all) {
          packed.add(n2, 0, r2, 0, record, time);
          acc = aggregator.add(acc, record, time);
        }
        same(0, 0, acc, n2, r2);
      }),
      { numRuns },
    );
  });

  it("snapshot → JSON → restore keeps the result and the behaviour on further records", () => {
    fc.assert(
      fc.property(records, records, (all, more) => {
        let original = aggregate(aggregator, all);
        let restored = aggregator.restore(snap(original));
        assert.deepEqual(aggregator.result(restored), aggregator.result(original));
        assert.deepEqual(snap(restored), snap(original));
        for (const { record, time } of more) {
          original = aggregator.add(original, record, time);
          restored = aggregator.add(restored, record, time);
        }
        assert.deepEqual(aggregator.result(restored), aggregator.result(original));
        assert.deepEqual(snap(restored), snap(original));
        const other = aggregate(aggregator, more);
        assert.deepEqual(
          aggregator.result(aggregator.merge(aggregator.restore(snap(other)), original)),
          aggregator.result(aggregator.merge(other, original)),
        );
      }),
      { numRuns },
    );
  });
}
