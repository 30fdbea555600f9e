import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  count,
  dataflow,
  LookupTable,
  PipelineDefinitionError,
  partitionOf,
  source,
  type Stream,
  tumbling,
} from "../index.js";
import { CollectingSink, ManualClock, record, TestingSource } from "../testing/index.js";

const run = (outputs: Parameters<typeof dataflow>[1]) =>
  dataflow("t", outputs).run({ clock: new ManualClock(), tickInterval: 0 });

describe("the pipeline API", () => {
  it("is immutable: branches of one stream do not affect each other", async () => {
    const numbers = source("in", new TestingSource([1, 2, 3, 4].map((n) => record(n, n))));
    const doubled = numbers.map("double", (n) => n * 2);
    const even = numbers.filter("even", (n) => n % 2 === 0);
    const a = new CollectingSink<number>();
    const b = new CollectingSink<number>();
    const c = new CollectingSink<number>();
    await run([doubled.to("a", a), even.to("b", b), numbers.to("c", c)]);
    assert.deepEqual(a.values, [2, 4, 6, 8]);
    assert.deepEqual(b.values, [2, 4]);
    assert.deepEqual(c.values, [1, 2, 3, 4]);
    assert.ok(Object.isFrozen(numbers));
  });

  it("flatMaps and unions keep event times", async () => {
    const left = source("left", new TestingSource([record("a b", 10)]));
    const right = source("right", new TestingSource([record("c", 20)]));
    const words: Stream<string> = left.flatMap("split", (s) => s.split(" "));
    const out = new CollectingSink<string>();
    await run([words.union("all", right).to("out", out)]);
    assert.deepEqual(out.records.map((r) => [r.value, r.time]).sort(), [
      ["a", 10],
      ["b", 10],
      ["c", 20],
    ]);
  });

  it("rejects two different steps with the same name, naming it", () => {
    const s = source("in", new TestingSource([record(1, 1)]));
    const sink = new CollectingSink<number>();
    assert.throws(
      () =>
        dataflow("t", [
          s.map("step", (n) => n).to("a", sink),
          s.map("step", (n) => n + 1).to("b", sink),
        ]).job(),
      (error: unknown) => error instanceof PipelineDefinitionError && /"step"/.test(error.message),
    );
    assert.throws(() => s.map("", (n) => n), PipelineDefinitionError);
  });

  it("dead-letters a record whose map function throws, and goes on", async () => {
    const s = source("in", new TestingSource(["1", "x", "3"].map((v, i) => record(v, i))));
    const parsed = s.map("parse", (v) => {
      const n = Number(v);
      if (Number.isNaN(n)) throw new Error(`not a number: ${v}`);
      return n;
    });
    const out = new CollectingSink<number>();
    const dead = new CollectingSink<{ reason: string; message: string; value: unknown }>();
    await run([parsed.to("out", out), parsed.deadLetters().to("dead", dead)]);
    assert.deepEqual(out.values, [1, 3]);
    assert.deepEqual(
      dead.values.map((d) => [d.reason, d.message, d.value]),
      [["step-error", "not a number: x", "x"]],
    );
  });

  it("enriches from a lookup table that changes while running", async () => {
    const table = new LookupTable<string, { line: string }>([["s1", { line: "L1" }]]);
    const readings = source(
      "in",
      new TestingSource(
        ["s1", "s2", "s1"].map((id, i) => record(id, i)),
        { batchSize: 1 },
      ),
    );
    let seen = 0;
    const enriched = readings
      .map("reload-after-first", (id) => {
        if (++seen === 2)
          table.replaceAll([
            ["s1", { line: "L9" }],
            ["s2", { line: "L2" }],
          ]);
        return id;
      })
      .enrich(
        "metadata",
        table,
        (id) => id,
        (id, row) => `${id}:${row?.line ?? "unknown"}`,
      );
    const out = new CollectingSink<string>();
    await run([enriched.to("out", out)]);
    assert.deepEqual(out.values, ["s1:L1", "s2:L2", "s1:L9"]);
    assert.equal(table.version, 1);
  });

  it("reports progress per step", async () => {
    const s = source(
      "in",
      new TestingSource([1, 2, 3].map((n) => record({ k: "a", n }, n * 1000))),
    );
    const counted = s.keyBy((r) => r.k).window("per-second", tumbling(2000), count());
    const job = dataflow("t", [counted.to("out", new CollectingSink())]).job({
      clock: new ManualClock(),
      tickInterval: 0,
    });
    await job.run();
    const progress = job.progress();
    assert.equal(progress.state, "finished");
    assert.equal(progress.recordsIn, 3);
    const window = progress.steps.find((x) => x.step === "per-second")!;
    assert.equal(window.recordsIn, 3);
    assert.equal(window.recordsOut, 2);
    assert.equal(window.kind, "tumblingWindow");
    assert.equal(window.watermark, Number.POSITIVE_INFINITY);
    assert.equal(progress.steps.find((x) => x.step === "out")!.recordsIn, 2);
  });
});

describe("partitions", () => {
  it("assigns keys to partitions stably and spreads them", () => {
    assert.equal(partitionOf("sensor-42", 128), partitionOf("sensor-42", 128));
    assert.equal(partitionOf(42, 128), partitionOf("42", 128));
    const used = new Set<number>();
    for (let i = 0; i < 5000; i++) used.add(partitionOf(`sensor-${i}`, 128));
    assert.equal(used.size, 128);
  });

  it("snapshots keyed state per partition, and one partition restores on its own", async () => {
    const items = Array.from({ length: 60 }, (_, i) => record({ k: `k${i % 12}`, n: 1 }, i));
    const counts = (src: TestingSource<{ k: string; n: number }>) =>
      source("in", src)
        .keyBy((r) => r.k)
        .window("w", tumbling(1000), count());
    const head = new TestingSource(items, { endless: true });
    const job = dataflow("t", [counts(head).to("out", new CollectingSink())]).job({
      clock: new ManualClock(),
      tickInterval: 0,
      partitions: 4,
    });
    const running = job.run();
    await head.whenDrained();
    const snapshot = job.snapshot();
    job.stop();
    await running;
    const windowState = snapshot.steps.get("w")!;
    const byPartition = [...windowState.partitions.keys()].sort();
    assert.ok(byPartition.length > 1);
    const keep = byPartition[0]!;
    const keptKeys = (windowState.partitions.get(keep) as { key: string }[])
      .map((e) => e.key)
      .sort();
    for (const key of keptKeys) assert.equal(partitionOf(key, 4), keep);

    const onlyOne = {
      steps: new Map([
        [
          "w",
          {
            partitions: new Map([[keep, windowState.partitions.get(keep)]]),
            shared: windowState.shared,
          },
        ],
      ]),
      sources: new Map(),
    };
    const out = new CollectingSink<{ key: string; value: number }>();
    await dataflow("t", [counts(new TestingSource([])).to("out", out)]).run({
      clock: new ManualClock(),
      tickInterval: 0,
      partitions: 4,
      restore: onlyOne,
    });
    assert.deepEqual(out.values.map((w) => w.key).sort(), keptKeys);
    for (const w of out.values) assert.equal(w.value, 5);
  });
});
