import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  dataflow,
  type Job,
  type JobSnapshot,
  type Key,
  type LateRecord,
  partitionOf,
  type SessionWindows,
  type StepSnapshot,
  session,
  source,
  sum,
  type WindowOptions,
  type WindowResult,
} from "../index.js";
import {
  advanceClock,
  CollectingSink,
  idle,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
  watermark,
} from "../testing/index.js";

interface R {
  readonly k: string;
  readonly v: number;
}

const r = (k: string, v: number, t: number) => record<R>({ k, v }, t);

type Row = [key: Key, start: number, end: number, value: unknown, kind: string];
const rows = (results: readonly WindowResult<Key, unknown>[]): Row[] =>
  results.map((w) => [w.key, w.start, w.end, w.value, w.kind]);

/** Watermarks come only from `watermark` items and the end of input. */
const EXPLICIT = { maxOutOfOrderness: Number.POSITIVE_INFINITY };

function sessions(src: TestingSource<R>, spec: SessionWindows, options: WindowOptions = {}) {
  return source("in", src, EXPLICIT)
    .keyBy((x) => x.k)
    .window(
      "s",
      spec,
      sum<R>((x) => x.v),
      options,
    );
}

async function run(
  items: TestingItem<R>[],
  spec: SessionWindows,
  options: WindowOptions = {},
  clock = new ManualClock(),
  batchSize = 1,
) {
  const out = new CollectingSink<WindowResult<Key, number>>();
  const late = new CollectingSink<LateRecord<R>>();
  const w = sessions(new TestingSource(items, { clock, batchSize }), spec, options);
  const job = dataflow("t", [w.to("out", out), w.late().to("late", late)]).job({
    clock,
    tickInterval: 0,
  });
  await job.run();
  return { out: out.values, times: out.records.map((x) => x.time), late: late.values, job };
}

/** Runs `job` until `src` has delivered its script, returns what `inspect` reads, and stops the job. */
async function whileOpen<T, S>(job: Job, src: TestingSource<S>, inspect: () => T): Promise<T> {
  const running = job.run();
  try {
    await Promise.race([src.whenDrained(), running]);
    return inspect();
  } finally {
    job.stop();
    await running;
  }
}

/** Runs with a log in which input records and window results appear in the order they happened. */
async function timeline(
  items: TestingItem<R>[],
  spec: SessionWindows,
  options: WindowOptions = {},
) {
  const log: string[] = [];
  const clock = new ManualClock();
  const w = source("in", new TestingSource(items, { clock, batchSize: 1 }), EXPLICIT)
    .map("seen", (x) => {
      log.push(`in ${x.k}${x.v}`);
      return x;
    })
    .keyBy((x) => x.k)
    .window(
      "s",
      spec,
      sum<R>((x) => x.v),
      options,
    );
  const probe = w.map("probe", (x) => {
    log.push(`${x.kind} ${x.key}[${x.start},${x.end})=${x.value}`);
    return x;
  });
  const late = w.late().map("lateProbe", (x) => {
    log.push(`late ${x.value.k}${x.value.v}`);
    return x;
  });
  await dataflow("t", [
    probe.to("out", new CollectingSink()),
    late.to("late", new CollectingSink()),
  ]).run({
    clock,
    tickInterval: 0,
  });
  return log;
}

describe("session windows: grouping", () => {
  it("groups records less than a gap apart, with results at end - 1 and ids by start", async () => {
    const { out, times } = await run(
      [r("a", 1, 0), r("a", 2, 9), r("a", 4, 18), r("a", 8, 40)],
      session({ gap: 10 }),
    );
    assert.deepEqual(rows(out), [
      ["a", 0, 28, 7, "final"],
      ["a", 40, 50, 8, "final"],
    ]);
    assert.deepEqual(times, [27, 49]);
    assert.deepEqual(
      out.map((w) => w.id),
      ["s|a|0", "s|a|40"],
    );
  });

  it("does not merge records exactly a gap apart, in either arrival order", async () => {
    const forward = await run([r("a", 1, 0), r("a", 2, 10)], session({ gap: 10 }));
    const backward = await run([r("a", 2, 10), r("a", 1, 0)], session({ gap: 10 }));
    const expected: Row[] = [
      ["a", 0, 10, 1, "final"],
      ["a", 10, 20, 2, "final"],
    ];
    assert.deepEqual(rows(forward.out), expected);
    assert.deepEqual(rows(backward.out), expected);
  });

  it("merges two sessions bridged by an out-of-order record, accumulators included", async () => {
    const { out } = await run(
      [r("a", 1, 0), r("a", 10, 15), r("a", 100, 21), r("a", 1000, 7)],
      session({ gap: 10 }),
    );
    // [0,10) and [15,31) are apart until 7 arrives: [7,17) overlaps both.
    assert.deepEqual(rows(out), [["a", 0, 31, 1111, "final"]]);
  });

  it("extends a session backwards when a record arrives before its start", async () => {
    const { out } = await run([r("a", 1, 20), r("a", 2, 12), r("a", 4, 3)], session({ gap: 10 }));
    assert.deepEqual(rows(out), [["a", 3, 30, 7, "final"]]);
  });

  it("keeps keys independent", async () => {
    const { out } = await run(
      [r("a", 1, 0), r("b", 10, 5), r("a", 2, 8), r("b", 20, 30), r("a", 4, 30)],
      session({ gap: 10 }),
    );
    // The end of input releases them key by key, in order of each key's first due end.
    assert.deepEqual(rows(out), [
      ["b", 5, 15, 10, "final"],
      ["b", 30, 40, 20, "final"],
      ["a", 0, 18, 3, "final"],
      ["a", 30, 40, 4, "final"],
    ]);
  });

  it("gives the same sessions as grouping the sorted times, whatever the arrival order", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.integer({ min: 0, max: 200 })), {
          maxLength: 60,
          size: "medium",
        }),
        fc.integer({ min: 1, max: 30 }),
        async (raw, gap) => {
          const items = raw.map(([k, t], i) => r(k, 2 ** (i % 20), t));
          const { out, late } = await run(items, session({ gap }));
          const expected: Row[] = [];
          for (const k of ["a", "b", "c"]) {
            const mine = raw
              .map(([kk, t], i) => [kk, t, 2 ** (i % 20)] as const)
              .filter((x) => x[0] === k);
            mine.sort((x, y) => x[1] - y[1]);
            let start = Number.NaN;
            let end = Number.NaN;
            let total = 0;
            for (const [, t, v] of mine) {
              if (t < end) {
                end = t + gap;
                total += v;
                continue;
              }
              if (!Number.isNaN(start)) expected.push([k, start, end, total, "final"]);
              start = t;
              end = t + gap;
              total = v;
            }
            if (!Number.isNaN(start)) expected.push([k, start, end, total, "final"]);
          }
          const order = (a: Row, b: Row) => a[2] - b[2] || String(a[0]).localeCompare(String(b[0]));
          assert.deepEqual(rows(out).sort(order), expected.sort(order));
          assert.deepEqual(late, []);
        },
      ),
      { numRuns: 150 },
    ));
});

describe("session windows: maxLength", () => {
  it("cuts a session at start + maxLength; the next record opens a new one", async () => {
    const items = [r("a", 1, 0), r("a", 2, 8), r("a", 4, 16), r("a", 8, 24), r("a", 16, 30)];
    const capped = await run(items, session({ gap: 10, maxLength: 25 }));
    assert.deepEqual(rows(capped.out), [
      ["a", 0, 25, 15, "final"],
      ["a", 30, 40, 16, "final"],
    ]);
    const uncapped = await run(items, session({ gap: 10 }));
    assert.deepEqual(rows(uncapped.out), [["a", 0, 40, 31, "final"]]);
  });

  it("joins a bridging record to the earlier session when the merged one would be too long", async () => {
    const { out } = await run(
      [r("a", 1, 0), r("a", 2, 5), r("a", 4, 22), r("a", 8, 30), r("a", 16, 13)],
      session({ gap: 10, maxLength: 30 }),
    );
    // [0,15) and [22,40); 13 overlaps both but 0..30 spans 30, so it joins [0,15) only.
    assert.deepEqual(rows(out), [
      ["a", 0, 23, 19, "final"],
      ["a", 22, 40, 12, "final"],
    ]);
  });

  it("opens a session of its own for an early record that no session can take", async () => {
    const { out } = await run(
      [r("a", 1, 5), r("a", 2, 14), r("a", 4, 23), r("a", 8, 32), r("a", 16, 2)],
      session({ gap: 10, maxLength: 30 }),
    );
    // [5,35) holds 5..32; joining 2 would span 30.
    assert.deepEqual(rows(out), [
      ["a", 2, 12, 16, "final"],
      ["a", 5, 35, 15, "final"],
    ]);
  });
});

describe("session windows: watermarks and lateness", () => {
  it("fires a session when the watermark reaches its end, not before", async () => {
    const log = await timeline(
      [
        r("a", 1, 0),
        watermark(9),
        r("a", 2, 9),
        watermark(18),
        r("a", 4, 18),
        watermark(27),
        r("a", 8, 40),
        watermark(28),
        r("a", 16, 41),
      ],
      session({ gap: 10 }),
    );
    assert.deepEqual(log, [
      "in a1",
      "in a2",
      "in a4",
      "in a8",
      "final a[0,28)=7",
      "in a16",
      "final a[40,51)=24",
    ]);
  });

  it("sends a record whose session would already be closed to the late output", async () => {
    const { out, late, job } = await run(
      [r("a", 1, 0), watermark(20), r("a", 2, 5), r("a", 4, 11), r("b", 8, 10)],
      session({ gap: 10 }),
    );
    // 5 would make [5,15) and b's 10 [10,20), both closed at 20; 11 opens [11,21).
    assert.deepEqual(rows(out), [
      ["a", 0, 10, 1, "final"],
      ["a", 11, 21, 4, "final"],
    ]);
    assert.deepEqual(
      late.map((l) => [l.step, l.reason, l.value, l.time, l.watermark]),
      [
        ["s", "window-closed", { k: "a", v: 2 }, 5, 20],
        ["s", "window-closed", { k: "b", v: 8 }, 10, 20],
      ],
    );
    assert.equal(job.progress().steps.find((s) => s.step === "s")!.lateRecords, 2);
  });

  it("re-emits a session changed within the allowed lateness as an update", async () => {
    const log = await timeline(
      [
        r("a", 1, 0),
        watermark(10),
        r("a", 2, 0),
        r("a", 4, 3),
        watermark(13),
        watermark(22),
        r("a", 8, 2),
        watermark(23),
        r("a", 16, 2),
      ],
      session({ gap: 10 }),
      { allowedLateness: 10 },
    );
    // a4 moves the end to 13, past the watermark: the session is open again until 13.
    // a8 comes at 22 < 13 + 10 and is taken; at 23 the session is dropped, and a16's
    // own session [2,12) would close at 22.
    assert.deepEqual(log, [
      "in a1",
      "final a[0,10)=1",
      "in a2",
      "update a[0,10)=3",
      "in a4",
      "update a[0,13)=7",
      "in a8",
      "update a[0,13)=15",
      "in a16",
      "late a16",
    ]);
  });

  it("gives an update a new id when a late record moves the session's start", async () => {
    const { out } = await run([r("a", 1, 10), watermark(20), r("a", 2, 5)], session({ gap: 10 }), {
      allowedLateness: 10,
    });
    assert.deepEqual(
      out.map((w) => [w.id, w.start, w.end, w.value, w.kind]),
      [
        ["s|a|10", 10, 20, 1, "final"],
        ["s|a|5", 5, 20, 3, "update"],
      ],
    );
  });

  it("emits an update when a bridge merges an emitted session into a newer one", async () => {
    const { out } = await run(
      [r("a", 1, 15), watermark(20), r("a", 2, 9), r("a", 4, 13)],
      session({ gap: 5 }),
      { allowedLateness: 20 },
      new ManualClock(),
      2,
    );
    // 9 opens [9,14), due but not yet emitted when 13 bridges it with the emitted [15,20).
    assert.deepEqual(
      out.map((w) => [w.id, w.start, w.end, w.value, w.kind]),
      [
        ["s|a|15", 15, 20, 1, "final"],
        ["s|a|9", 9, 20, 7, "update"],
      ],
    );
  });

  it("drops a key's state once its sessions are past their lateness", async () => {
    const clock = new ManualClock();
    const src = new TestingSource(
      [r("a", 1, 0), r("b", 1, 3), watermark(15), r("b", 1, 20), watermark(31)],
      {
        clock,
        endless: true,
      },
    );
    const out = new CollectingSink<WindowResult<Key, number>>();
    const job = dataflow("t", [
      sessions(src, session({ gap: 5 }), { allowedLateness: 6 }).to("out", out),
    ]).job({
      clock,
      tickInterval: 0,
    });
    const stateSize = await whileOpen(
      job,
      src,
      () => job.progress().steps.find((s) => s.step === "s")!.stateSize,
    );
    assert.deepEqual(rows(out.values), [
      ["a", 0, 5, 1, "final"],
      ["b", 3, 8, 1, "final"],
      ["b", 20, 25, 1, "final"],
    ]);
    assert.equal(stateSize, 0);
  });
});

describe("session windows: early updates", () => {
  it("emits changed open sessions every period of processing time", async () => {
    const clock = new ManualClock(1_000_000);
    const { out } = await run(
      [
        idle(),
        r("a", 1, 0),
        r("b", 10, 2),
        advanceClock(500),
        r("a", 2, 5),
        advanceClock(500),
        advanceClock(1000),
        r("a", 4, 30),
        watermark(16),
        advanceClock(1000),
      ],
      session({ gap: 10 }),
      { earlyUpdates: 1000 },
      clock,
    );
    assert.deepEqual(rows(out), [
      ["a", 0, 15, 3, "early"],
      ["b", 2, 12, 10, "early"],
      ["b", 2, 12, 10, "final"],
      ["a", 0, 15, 3, "final"],
      ["a", 30, 40, 4, "early"],
      ["a", 30, 40, 4, "final"],
    ]);
  });
});

/** A snapshot as it would come back from a checkpoint store: through JSON. */
function throughJson(snapshot: JobSnapshot): JobSnapshot {
  const steps = new Map<string, StepSnapshot>();
  for (const [name, s] of snapshot.steps) {
    const partitions = new Map<number, unknown>(JSON.parse(JSON.stringify([...s.partitions])));
    steps.set(
      name,
      s.shared === undefined
        ? { partitions }
        : { partitions, shared: JSON.parse(JSON.stringify(s.shared)) },
    );
  }
  return { steps, sources: snapshot.sources };
}

/**
 * Runs `items` up to `cut` and takes a snapshot (keeping only partition `restoreOnly`
 * of the window step, if given), then runs `items` again from that snapshot. An idle
 * poll at `cut` makes both runs split the input into the same batches.
 */
async function resumed(
  items: TestingItem<R>[],
  spec: SessionWindows,
  options: WindowOptions,
  cut: number,
  { restoreOnly, batchSize = 1 }: { restoreOnly?: number; batchSize?: number } = {},
) {
  const script = [...items.slice(0, cut), idle(), ...items.slice(cut)];
  const whole = await run(script, spec, options, new ManualClock(), batchSize);
  const first = new CollectingSink<WindowResult<Key, number>>();
  const head = new TestingSource(script.slice(0, cut), { endless: true, batchSize });
  const job = dataflow("t", [sessions(head, spec, options).to("out", first)]).job({
    clock: new ManualClock(),
    tickInterval: 0,
    partitions: 16,
  });
  let snapshot = await whileOpen(job, head, () => throughJson(job.snapshot()));
  if (restoreOnly !== undefined) {
    const s = snapshot.steps.get("s")!;
    const partitions = new Map([...s.partitions].filter(([p]) => p === restoreOnly));
    snapshot = {
      steps: new Map([...snapshot.steps, ["s", { ...s, partitions }]]),
      sources: snapshot.sources,
    };
  }
  const second = new CollectingSink<WindowResult<Key, number>>();
  await dataflow("t", [
    sessions(new TestingSource(script, { batchSize }), spec, options).to("out", second),
  ]).run({
    clock: new ManualClock(),
    tickInterval: 0,
    partitions: 16,
    restore: snapshot,
  });
  return { whole, first: first.values, second: second.values };
}

describe("session windows: snapshot and restore", () => {
  const items: TestingItem<R>[] = [];
  for (let i = 0; i < 300; i++) {
    items.push(r(`k${i % 5}`, i, i * 4 - ((i * 7) % 13) * 6));
    if (i % 10 === 9) items.push(watermark(i * 4 - 10));
  }
  const spec = session({ gap: 12, maxLength: 60 });
  const options = { allowedLateness: 15 };

  it("resumes with exactly the output of an uninterrupted run", async () => {
    const { whole, first, second } = await resumed(items, spec, options, 165);
    assert.ok(first.length > 5 && second.length > 5);
    assert.ok(whole.late.length > 0 && whole.out.some((w) => w.kind === "update"));
    assert.deepEqual([...first, ...second], whole.out);
  });

  it("resumes at any point with the same output, whatever the data and settings", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            k: fc.constantFrom("a", "b"),
            t: fc.integer({ min: 0, max: 150 }),
            behind: fc.option(fc.integer({ min: 0, max: 30 }), { freq: 3 }),
          }),
          { minLength: 1, maxLength: 60, size: "medium" },
        ),
        fc.record({
          gap: fc.integer({ min: 1, max: 20 }),
          maxLength: fc.option(fc.integer({ min: 1, max: 50 })),
          lateness: fc.integer({ min: 0, max: 20 }),
          batchSize: fc.integer({ min: 1, max: 4 }),
        }),
        fc.nat(),
        async (events, { gap, maxLength, lateness, batchSize }, at) => {
          const items: TestingItem<R>[] = [];
          events.forEach(({ k, t, behind }, i) => {
            items.push(r(k, 2 ** (i % 20), t));
            if (behind !== null) items.push(watermark(t - behind));
          });
          const spec = session(maxLength === null ? { gap } : { gap, maxLength });
          const options = { allowedLateness: lateness };
          const cut = at % (items.length + 1);
          const { whole, first, second } = await resumed(items, spec, options, cut, { batchSize });
          assert.deepEqual([...first, ...second], whole.out);
        },
      ),
      { numRuns: 100 },
    ));

  it("restores each key partition on its own", async () => {
    const keep = partitionOf("k1", 16);
    const { whole, first, second } = await resumed(items, spec, options, 165, {
      restoreOnly: keep,
    });
    const of = (key: string, ws: WindowResult<Key, number>[]) => ws.filter((w) => w.key === key);
    assert.deepEqual([...of("k1", first), ...of("k1", second)], of("k1", whole.out));
    // A key of another partition lost its state: its output after the restore differs.
    const other = ["k0", "k2", "k3", "k4"].find((k) => partitionOf(k, 16) !== keep)!;
    assert.notDeepEqual([...of(other, first), ...of(other, second)], of(other, whole.out));
  });

  it("keeps sessions changed since the last early update across a restore", async () => {
    const head: TestingItem<R>[] = [idle(), r("a", 1, 0), r("a", 2, 4)];
    const items = [...head, advanceClock(1000), r("a", 4, 8), advanceClock(1000)];
    const early = { earlyUpdates: 1000 };
    const whole = await run(items, session({ gap: 10 }), early);
    assert.deepEqual(rows(whole.out), [
      ["a", 0, 14, 3, "early"],
      ["a", 0, 18, 7, "early"],
      ["a", 0, 18, 7, "final"],
    ]);

    const clock = new ManualClock();
    const first = new CollectingSink<WindowResult<Key, number>>();
    const src = new TestingSource(head, { clock, endless: true, batchSize: 1 });
    const job = dataflow("t", [sessions(src, session({ gap: 10 }), early).to("out", first)]).job({
      clock,
      tickInterval: 0,
    });
    const snapshot = await whileOpen(job, src, () => throughJson(job.snapshot()));
    const second = new CollectingSink<WindowResult<Key, number>>();
    const resumedClock = new ManualClock();
    const tail = new TestingSource(items, { clock: resumedClock, batchSize: 1 });
    await dataflow("t", [sessions(tail, session({ gap: 10 }), early).to("out", second)]).run({
      clock: resumedClock,
      tickInterval: 0,
      restore: snapshot,
    });
    assert.deepEqual([...first.values, ...second.values], whole.out);
  });
});
