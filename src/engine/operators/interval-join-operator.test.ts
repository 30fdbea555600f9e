import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type DeadLetter,
  dataflow,
  type Job,
  type JobSnapshot,
  type LateRecord,
  partitionOf,
  type StepSnapshot,
  source,
} from "../index.js";
import {
  CollectingSink,
  idle,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
  watermark,
} from "../testing/index.js";

interface E {
  readonly side: "L" | "R";
  readonly k: string;
  readonly id: string;
}

const L = (k: string, id: string, t: number) => record<E>({ side: "L", k, id }, t);
const R = (k: string, id: string, t: number) => record<E>({ side: "R", k, id }, t);

type Bounds = { lower: number; upper: number };

/** Watermarks come only from `watermark` items and the end of input. */
const EXPLICIT = Number.POSITIVE_INFINITY;

/** One source split into the two inputs, so that the script fixes the arrival order exactly. */
function joined(src: TestingSource<E>, bounds: Bounds, maxOutOfOrderness = EXPLICIT) {
  const input = source("in", src, { maxOutOfOrderness });
  const left = input.filter("left", (x) => x.side === "L");
  const right = input.filter("right", (x) => x.side === "R");
  return left
    .keyBy((x) => x.k)
    .intervalJoin(
      "j",
      right.keyBy((x) => x.k),
      bounds,
      (l, r, key) => `${key}:${l.id}+${r.id}`,
    );
}

async function run(
  items: TestingItem<E>[],
  bounds: Bounds,
  options: { maxOutOfOrderness?: number; batchSize?: number } = {},
) {
  const clock = new ManualClock();
  const out = new CollectingSink<string>();
  const late = new CollectingSink<LateRecord<E>>();
  const src = new TestingSource(items, { clock, batchSize: options.batchSize ?? 1 });
  const j = joined(src, bounds, options.maxOutOfOrderness);
  const job = dataflow("t", [j.to("out", out), j.late().to("late", late)]).job({
    clock,
    tickInterval: 0,
  });
  await job.run();
  return {
    out: out.records.map((x) => [x.value, x.time] as const),
    late: late.values,
    lateCount: job.progress().steps.find((s) => s.step === "j")!.lateRecords,
  };
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

/** Runs `items` without ending the input; returns the output and the join's state size. */
async function runOpen(items: TestingItem<E>[], bounds: Bounds) {
  const clock = new ManualClock();
  const src = new TestingSource(items, { clock, batchSize: 1, endless: true });
  const out = new CollectingSink<string>();
  const job = dataflow("t", [joined(src, bounds).to("out", out)]).job({ clock, tickInterval: 0 });
  const stateSize = await whileOpen(
    job,
    src,
    () => job.progress().steps.find((s) => s.step === "j")!.stateSize,
  );
  return { out: out.values, stateSize };
}

describe("interval join: matching", () => {
  it("pairs records within [tl + lower, tl + upper], bounds inclusive, at the later time", async () => {
    const { out } = await run(
      [L("a", "l", 10), R("a", "r4", 4), R("a", "r5", 5), R("a", "r15", 15), R("a", "r16", 16)],
      { lower: -5, upper: 5 },
    );
    assert.deepEqual(out, [
      ["a:l+r5", 10],
      ["a:l+r15", 15],
    ]);
  });

  it("gives the same pairs whichever side arrives first", async () => {
    const bounds = { lower: -5, upper: 5 };
    const leftFirst = await run([L("a", "l", 10), R("a", "r", 13)], bounds);
    const rightFirst = await run([R("a", "r", 13), L("a", "l", 10)], bounds);
    assert.deepEqual(leftFirst.out, [["a:l+r", 13]]);
    assert.deepEqual(rightFirst.out, [["a:l+r", 13]]);
  });

  it("handles bounds that are both positive", async () => {
    const { out } = await run(
      [
        L("a", "l", 10),
        R("a", "r8", 8),
        R("a", "r11", 11),
        R("a", "r12", 12),
        R("a", "r15", 15),
        R("a", "r16", 16),
      ],
      { lower: 2, upper: 5 },
    );
    assert.deepEqual(out, [
      ["a:l+r12", 12],
      ["a:l+r15", 15],
    ]);
  });

  it("handles bounds that are both negative, with the right records first", async () => {
    const { out } = await run(
      [
        R("a", "r4", 4),
        R("a", "r5", 5),
        R("a", "r8", 8),
        R("a", "r9", 9),
        R("a", "r12", 12),
        L("a", "l", 10),
      ],
      { lower: -5, upper: -2 },
    );
    assert.deepEqual(out, [
      ["a:l+r5", 10],
      ["a:l+r8", 10],
    ]);
  });

  it("joins only records of the same key, each pair once, in time order of the buffered side", async () => {
    const { out } = await run(
      [
        L("a", "l1", 10),
        R("b", "rb", 10),
        R("a", "r2", 12),
        L("a", "l2", 9),
        R("a", "r1", 11),
        L("b", "lb", 14),
        L("a", "l3", 30),
      ],
      { lower: 0, upper: 3 },
    );
    assert.deepEqual(out, [
      ["a:l1+r2", 12],
      ["a:l2+r2", 12],
      ["a:l2+r1", 11],
      ["a:l1+r1", 11],
    ]);
  });

  it("sends the pair to the dead-letter output when combine throws", async () => {
    const clock = new ManualClock();
    const input = source(
      "in",
      new TestingSource([L("a", "l", 1), R("a", "bad", 2), R("a", "r", 3)], { clock }),
      {
        maxOutOfOrderness: EXPLICIT,
      },
    );
    const j = input
      .filter("left", (x) => x.side === "L")
      .keyBy((x) => x.k)
      .intervalJoin(
        "j",
        input.filter("right", (x) => x.side === "R").keyBy((x) => x.k),
        { lower: 0, upper: 5 },
        (l, r) => {
          if (r.id === "bad") throw new Error("no good");
          return `${l.id}+${r.id}`;
        },
      );
    const out = new CollectingSink<string>();
    const dead = new CollectingSink<DeadLetter>();
    await dataflow("t", [j.to("out", out), j.deadLetters().to("dead", dead)]).run({
      clock,
      tickInterval: 0,
    });
    assert.deepEqual(out.values, ["l+r"]);
    assert.deepEqual(
      dead.values.map((d) => [d.step, d.reason, d.message, d.value, d.time]),
      [
        [
          "j",
          "step-error",
          "no good",
          { left: { side: "L", k: "a", id: "l" }, right: { side: "R", k: "a", id: "bad" } },
          2,
        ],
      ],
    );
  });
});

describe("interval join: watermarks and state", () => {
  it("keeps a left record until tl + upper < watermark", async () => {
    const bounds = { lower: -5, upper: 5 };
    const kept = await runOpen([L("a", "l", 10), watermark(15)], bounds);
    assert.equal(kept.stateSize, 1);
    const joinedAtBound = await run([L("a", "l", 10), watermark(15), R("a", "r", 15)], bounds);
    assert.deepEqual(joinedAtBound.out, [["a:l+r", 15]]);
    const dropped = await runOpen([L("a", "l", 10), watermark(16)], bounds);
    assert.equal(dropped.stateSize, 0);
  });

  it("keeps a right record until tr - lower < watermark", async () => {
    const bounds = { lower: -5, upper: 5 };
    const kept = await runOpen([R("a", "r", 20), watermark(25)], bounds);
    assert.equal(kept.stateSize, 1);
    const joinedAtBound = await run([R("a", "r", 20), watermark(25), L("a", "l", 25)], bounds);
    assert.deepEqual(joinedAtBound.out, [["a:l+r", 25]]);
    const dropped = await runOpen([R("a", "r", 20), watermark(26)], bounds);
    assert.equal(dropped.stateSize, 0);
  });

  it("empties its state once the watermark has passed every record's bound", async () => {
    const items: TestingItem<E>[] = [];
    for (let i = 0; i < 50; i++) {
      items.push(L(`k${i % 7}`, `l${i}`, i * 2), R(`k${i % 5}`, `r${i}`, i * 2 + 1));
    }
    const open = await runOpen(items, { lower: -10, upper: 10 });
    assert.ok(open.out.length > 50);
    assert.equal(open.stateSize, 7);
    const closed = await runOpen([...items, watermark(111)], { lower: -10, upper: 10 });
    assert.equal(closed.stateSize, 0);
  });

  it("joins a record that no future record can match against the buffer, without keeping it", async () => {
    const bounds = { lower: 5, upper: 10 };
    // 102 - 5 < 100: no left at or after 100 can match it, but the buffered left at 95 does.
    const items = [L("a", "l", 95), watermark(100), R("a", "r", 102)];
    assert.deepEqual((await run(items, bounds)).out, [["a:l+r", 102]]);
    assert.equal((await runOpen([...items, watermark(106)], bounds)).stateSize, 0);
    assert.equal((await runOpen([...items, watermark(105)], bounds)).stateSize, 1);
    assert.equal((await runOpen([watermark(100), R("a", "r", 102)], bounds)).stateSize, 0);
  });

  it("sends a record behind the watermark to the late output without joining it", async () => {
    const { out, late, lateCount } = await run(
      [L("a", "l", 10), watermark(20), R("a", "r19", 19), R("a", "r20", 20), L("b", "lb", 3)],
      { lower: -5, upper: 50 },
    );
    // r19 would match l (still buffered), but partners it should have met may be gone.
    assert.deepEqual(out, [["a:l+r20", 20]]);
    assert.deepEqual(
      late.map((x) => [x.step, x.reason, x.value.id, x.time, x.watermark]),
      [
        ["j", "join-expired", "r19", 19, 20],
        ["j", "join-expired", "lb", 3, 20],
      ],
    );
    assert.equal(lateCount, 2);
  });
});

interface Ev {
  readonly left: boolean;
  readonly k: string;
  readonly t: number;
}

/** Every matching pair by a nested loop, as `[key:l<i>+r<j>, time]`, sorted. */
function bruteForce(events: readonly Ev[], { lower, upper }: Bounds): [string, number][] {
  const pairs: [string, number][] = [];
  events.forEach((l, i) => {
    if (!l.left) return;
    events.forEach((r, j) => {
      if (r.left || r.k !== l.k) return;
      if (l.t + lower <= r.t && r.t <= l.t + upper)
        pairs.push([`${l.k}:l${i}+r${j}`, Math.max(l.t, r.t)]);
    });
  });
  return pairs.sort(byPair);
}

const byPair = (a: readonly [string, number], b: readonly [string, number]) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

const scriptOf = (events: readonly Ev[]) =>
  events.map((e, i) => (e.left ? L(e.k, `l${i}`, e.t) : R(e.k, `r${i}`, e.t)));

/**
 * Events whose disorder never exceeds `disorder`: a non-decreasing base time plus a
 * jitter in [0, disorder], so none is behind a watermark of max seen - disorder.
 */
const eventsArb = fc.integer({ min: 0, max: 8 }).chain((disorder) =>
  fc.record({
    disorder: fc.constant(disorder),
    events: fc
      .array(
        fc.record({
          left: fc.boolean(),
          k: fc.constantFrom("a", "b"),
          step: fc.integer({ min: 0, max: 2 }),
          jitter: fc.integer({ min: 0, max: disorder }),
        }),
        { maxLength: 80, size: "medium" },
      )
      .map((raw) => {
        let base = 0;
        return raw.map(({ left, k, step, jitter }) => {
          base += step;
          return { left, k, t: base + jitter };
        });
      }),
  }),
);

const boundsArb = fc
  .tuple(fc.integer({ min: -15, max: 15 }), fc.integer({ min: 0, max: 15 }))
  .map(([lower, width]) => ({ lower, upper: lower + width }));

describe("interval join: against a nested-loop join", () => {
  it("emits exactly the matching pairs, with state cleaned by data-driven watermarks", () =>
    fc.assert(
      fc.asyncProperty(
        eventsArb,
        boundsArb,
        fc.integer({ min: 1, max: 6 }),
        async ({ disorder, events }, bounds, batchSize) => {
          const { out, late } = await run(scriptOf(events), bounds, {
            maxOutOfOrderness: disorder,
            batchSize,
          });
          assert.deepEqual(late, []);
          assert.deepEqual([...out].sort(byPair), bruteForce(events, bounds));
        },
      ),
      { numRuns: 200 },
    ));
});

/** A snapshot as it would come back from a checkpoint store: through JSON. */
function throughJson(snapshot: JobSnapshot, keepPartition?: number): JobSnapshot {
  const steps = new Map<string, StepSnapshot>();
  for (const [name, s] of snapshot.steps) {
    let entries = [...s.partitions];
    if (name === "j" && keepPartition !== undefined)
      entries = entries.filter(([p]) => p === keepPartition);
    const partitions = new Map<number, unknown>(JSON.parse(JSON.stringify(entries)));
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
 * The script with an idle poll at `cut`, so that a run stopped at `cut` and an
 * uninterrupted one split the input into the same batches.
 */
const breakAt = (items: TestingItem<E>[], cut: number) => [
  ...items.slice(0, cut),
  idle(),
  ...items.slice(cut),
];

async function interrupted(
  items: TestingItem<E>[],
  cut: number,
  bounds: Bounds,
  keepPartition?: number,
) {
  const first = new CollectingSink<string>();
  const head = new TestingSource(items.slice(0, cut), { endless: true, batchSize: 3 });
  const job = dataflow("t", [joined(head, bounds, 4).to("out", first)]).job({
    clock: new ManualClock(),
    tickInterval: 0,
    partitions: 8,
  });
  const snapshot = await whileOpen(job, head, () => throughJson(job.snapshot(), keepPartition));
  const second = new CollectingSink<string>();
  const tail = new TestingSource(items, { batchSize: 3 });
  await dataflow("t", [joined(tail, bounds, 4).to("out", second)]).run({
    clock: new ManualClock(),
    tickInterval: 0,
    partitions: 8,
    restore: snapshot,
  });
  return [...first.values, ...second.values];
}

async function uninterrupted(items: TestingItem<E>[], bounds: Bounds) {
  const out = new CollectingSink<string>();
  const src = new TestingSource(items, { batchSize: 3 });
  await dataflow("t", [joined(src, bounds, 4).to("out", out)]).run({
    clock: new ManualClock(),
    tickInterval: 0,
    partitions: 8,
  });
  return out.values;
}

describe("interval join: snapshot and restore", () => {
  it("resumes from a snapshot at any point with exactly the uninterrupted output", () =>
    fc.assert(
      fc.asyncProperty(
        eventsArb.filter(({ events }) => events.length > 0),
        boundsArb,
        fc.nat(),
        async ({ events }, bounds, at) => {
          const cut = at % (events.length + 1);
          const items = breakAt(scriptOf(events), cut);
          const whole = await uninterrupted(items, bounds);
          assert.deepEqual(await interrupted(items, cut, bounds), whole);
        },
      ),
      { numRuns: 40 },
    ));

  it("restores each key partition on its own", async () => {
    const items: TestingItem<E>[] = [];
    for (let i = 0; i < 60; i++)
      items.push(L(`k${i % 4}`, `l${i}`, i), R(`k${(i + 1) % 4}`, `r${i}`, i + 2));
    const bounds = { lower: -6, upper: 6 };
    const script = breakAt(items, 61);
    const whole = await uninterrupted(script, bounds);
    const keep = partitionOf("k1", 8);
    const resumed = await interrupted(script, 61, bounds, keep);
    const of = (key: string, xs: string[]) => xs.filter((x) => x.startsWith(`${key}:`));
    assert.deepEqual(of("k1", resumed), of("k1", whole));
    const other = ["k0", "k2", "k3"].find((k) => partitionOf(k, 8) !== keep)!;
    assert.ok(of(other, resumed).length < of(other, whole).length);
  });
});
