/**
 * Property: the late output holds exactly the records that arrived behind the
 * watermark of all their windows, and no record is lost.
 *
 * Records come one per batch (batch size 1), so the watermark each one meets is known:
 * the minimum over source partitions of (largest time seen on the partition − the
 * allowed out-of-orderness), taken after every earlier record. The disorder of the
 * random input is larger than that bound, so many records are late. Replaying this
 * rule by brute force gives, per record, which of its windows are still open
 * (`end + allowedLateness > watermark`): none open means late, with that watermark;
 * otherwise the record belongs to each open window's result. The windows aggregate
 * the identities of their records (a test aggregator), so the check is record by
 * record: the late output must be exactly the late records, in order, and the last
 * result of each window must hold exactly the records that arrived while it was open.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type Aggregator,
  type LateRecord,
  sliding,
  tumbling,
  type WindowResult,
} from "../../src/engine/index.js";
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

/**
 * The sequence numbers of a window's records, sorted. Collecting values is what real
 * aggregators must never do; here it makes every record visible. Merge copies, so it
 * never changes `from`.
 */
const identities: Aggregator<Reading, number[], number[]> = {
  create: () => [],
  add: (acc, r) => {
    acc.push(r.seq);
    return acc;
  },
  merge: (into, from) => into.concat(from),
  result: (acc) => [...acc].sort((a, b) => a - b),
  snapshot: (acc) => [...acc],
  restore: (s) => [...(s as number[])],
};

interface Case {
  readonly spec: TimeWindows;
  readonly list: Reading[];
  readonly partitions: number;
  readonly maxOutOfOrderness: number;
  readonly allowedLateness: number;
}

interface Expected {
  readonly late: LateRecord<Reading>[];
  /** Per window, the records that arrived while it was open, sorted. */
  readonly windows: Map<string, number[]>;
}

const partitionOf = (c: Case, r: Reading): number => (r.seq * 5 + r.key) % c.partitions;

/** Replays the watermark rule over the script (one record per batch). */
function replay(c: Case): Expected {
  const fromData = new Array<number>(c.partitions).fill(Number.NEGATIVE_INFINITY);
  let watermark = Number.NEGATIVE_INFINITY;
  const late: LateRecord<Reading>[] = [];
  const windows = new Map<string, number[]>();
  for (const r of c.list) {
    const open = windowStartsOf(r.time, c.spec).filter(
      (start) => start + c.spec.size + c.allowedLateness > watermark,
    );
    if (open.length === 0) {
      late.push({ step: "w", reason: "window-closed", value: r, time: r.time, watermark });
    }
    for (const start of open) {
      const id = windowKey(r.key, start);
      windows.set(
        id,
        [...(windows.get(id) ?? []), r.seq].sort((a, b) => a - b),
      );
    }
    const p = partitionOf(c, r);
    fromData[p] = Math.max(fromData[p]!, r.time - c.maxOutOfOrderness);
    watermark = Math.max(watermark, Math.min(...fromData));
  }
  return { late, windows };
}

/** Runs a case through the engine. */
async function run(c: Case) {
  const items = c.list.map((r) => record(r, r.time, partitionOf(c, r)));
  return runWindows(items, c.spec, identities, {
    maxOutOfOrderness: c.maxOutOfOrderness,
    batchSize: 1,
    partitions: c.partitions,
    window: { allowedLateness: c.allowedLateness },
  });
}

/** The last result of each window, by window, in window order. */
function lastResults(results: readonly WindowResult<number, number[]>[]): [string, number[]][] {
  const last = new Map<string, number[]>();
  for (const w of results) last.set(windowKey(w.key, w.start), w.value);
  return sortedEntries(last);
}

const sortedEntries = <V>(m: Map<string, V>): [string, V][] =>
  [...m].sort(([a], [b]) => (a < b ? -1 : 1));

/** The late output is exactly the replay's; every record is either late or in a window. */
async function checkLateOutput(c: Case): Promise<void> {
  const { results, late } = await run(c);
  const expected = replay(c);
  assert.deepEqual(late, expected.late, "late output");
  const lateSeqs = new Set(late.map((l) => l.value.seq));
  const inWindows = new Set(results.flatMap((w) => w.value));
  const lost = c.list.filter((r) => !lateSeqs.has(r.seq) && !inWindows.has(r.seq));
  assert.deepEqual(lost, [], "records neither late nor in any window");
  const twice = [...lateSeqs].filter((seq) => inWindows.has(seq));
  assert.deepEqual(twice, [], "records both late and in a window");
}

/** Each window's last result holds exactly the records that arrived while it was open. */
async function checkWindowContents(c: Case): Promise<void> {
  const { results } = await run(c);
  assert.deepEqual(lastResults(results), sortedEntries(replay(c).windows), "last results");
}

/** A window's first result is `final`; any later one is an `update` of it. */
async function checkEmissionKinds(c: Case): Promise<void> {
  const { results } = await run(c);
  const kinds = new Map<string, string[]>();
  for (const w of results) {
    const id = windowKey(w.key, w.start);
    kinds.set(id, [...(kinds.get(id) ?? []), w.kind]);
  }
  for (const [id, k] of kinds) {
    const want = ["final", ...k.slice(1).map(() => "update")];
    assert.deepEqual(k, want, `window ${id}: results ${k.join(", ")}`);
  }
}

const cases: fc.Arbitrary<Case> = fc.record({
  spec: windowSpec(12),
  list: readings({ keys: 3, minTime: 0, maxTime: 100, maxLength: 60 }),
  partitions: fc.integer({ min: 1, max: 3 }),
  maxOutOfOrderness: fc.integer({ min: 0, max: 10 }),
  allowedLateness: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 15 })),
});

const reading = (seq: number, time: number): Reading => ({ key: 0, time, value: 0, seq });

describe("late output", () => {
  it("holds exactly the records behind the watermark of all their windows; none is lost", async () => {
    await fc.assert(fc.asyncProperty(cases, checkLateOutput), { numRuns: 1000 });
  });

  it("each window's last result holds exactly the records that arrived while it was open", async () => {
    await fc.assert(fc.asyncProperty(cases, checkWindowContents), { numRuns: 1000 });
  });

  it("a window's first result is final and later ones are updates", async () => {
    await fc.assert(fc.asyncProperty(cases, checkEmissionKinds), { numRuns: 1000 });
  });

  it("a record late for a closed window but not for a later one leaves the closed window alone", async () => {
    // Sliding windows of 10 every 5: time 7 lies in [0,10) and [5,15). When it arrives
    // the watermark is 12, so [0,10) has closed (its final result holds records 0-3)
    // while [5,15) is still open and must take it.
    const c: Case = {
      spec: sliding({ size: 10, slide: 5 }),
      list: [1, 2, 3, 6, 12, 7].map((time, seq) => reading(seq, time)),
      partitions: 1,
      maxOutOfOrderness: 0,
      allowedLateness: 0,
    };
    const { results } = await run(c);
    const window0 = results.filter((w) => w.start === 0).map((w) => [w.kind, w.value]);
    assert.deepEqual(window0, [["final", [0, 1, 2, 3]]], "results of window [0,10)");
    await checkWindowContents(c);
  });

  it("a window first emitted because of a record within the allowed lateness is final", async () => {
    // Tumbling windows of 1 ms, lateness 9: time 1 arrives at watermark 10. Window [1,2)
    // never held a record before, so this is its first (final) result, not an update.
    await checkEmissionKinds({
      spec: tumbling(1),
      list: [0, 18, 1].map((time, seq) => reading(seq, time)),
      partitions: 1,
      maxOutOfOrderness: 8,
      allowedLateness: 9,
    });
  });

  it("the replay marks a record late only when all its windows have closed", () => {
    const expected = replay({
      spec: sliding({ size: 10, slide: 5 }),
      list: [20, 9, 14].map((time, seq) => reading(seq, time)),
      partitions: 1,
      maxOutOfOrderness: 0,
      allowedLateness: 0,
    });
    // At watermark 20, time 9's windows [0,10) and [5,15) have both closed, and so have
    // time 14's windows [5,15) and [10,20): both are late. Time 20 is in [15,25), [20,30).
    assert.deepEqual(
      expected.late.map((l) => [l.value.seq, l.watermark]),
      [
        [1, 20],
        [2, 20],
      ],
    );
    assert.deepEqual(sortedEntries(expected.windows), [
      ["0|15", [0]],
      ["0|20", [0]],
    ]);
  });
});
