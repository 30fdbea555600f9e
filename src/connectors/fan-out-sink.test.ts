/**
 * FanOutSink: the sink contract over two JSONL file sinks (each must publish every
 * record exactly once), then restores from progress of a plain sink and with a target
 * added since the checkpoint, and failure of one target.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Sink, SinkWriter } from "../engine/index.js";
import { FanOutSink } from "./fan-out-sink.js";
import { JsonlFileSink, readJsonlParts } from "./file/index.js";
import { describeSink } from "./testing/sink-contract.case.js";

interface Item {
  readonly n: number;
}

async function lines(directory: string): Promise<number[]> {
  return (await readJsonlParts(directory)).map((l) => (JSON.parse(l) as Item).n);
}

describeSink<Item>("FanOutSink over two JSONL sinks", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "millstream-fan-out-contract-"));
  const a = path.join(root, "a");
  const b = path.join(root, "b");
  return {
    transactional: true,
    ordered: true,
    sink: () =>
      new FanOutSink<Item>([
        { name: "a", sink: new JsonlFileSink<Item>({ directory: a, bufferBytes: 2048 }) },
        { name: "b", sink: new JsonlFileSink<Item>({ directory: b, bufferBytes: 4096 }) },
      ]),
    record: (n) => ({ n }),
    idOf: (i) => i.n,
    published: async () => {
      const [fromA, fromB] = [await lines(a), await lines(b)];
      assert.deepEqual(fromB, fromA, "both targets hold the same records");
      return fromA.map((n) => ({ n }));
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe("FanOutSink", () => {
  let root: string;
  const writers: SinkWriter<Item>[] = [];
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "millstream-fan-out-"));
  });
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.close();
    await rm(root, { recursive: true, force: true });
  });

  const jsonl = (name: string) => new JsonlFileSink<Item>({ directory: path.join(root, name) });
  async function open(sink: Sink<Item>, restored?: { checkpointId: number; progress: unknown }) {
    const w = await sink.open(restored ? { step: "out", restored } : { step: "out" });
    writers.push(w);
    return w;
  }
  function write(w: SinkWriter<Item>, ns: number[]): void {
    w.write({ values: ns.map((n) => ({ n })), times: ns.map(() => 0), channel: 0 });
  }

  it("restores a plain sink's progress into its first target, and starts a new target afresh", async () => {
    const plain = await open(jsonl("a"));
    write(plain, [1, 2]);
    const progress = await plain.prepareCommit!(1);
    // Crash before commit: the fan-out must finish it through the first target.
    writers.splice(0).forEach((w) => void w.close());
    const fanned = await open(
      new FanOutSink<Item>([
        { name: "file", sink: jsonl("a") },
        { name: "copy", sink: jsonl("b") },
      ]),
      { checkpointId: 1, progress },
    );
    assert.deepEqual(await lines(path.join(root, "a")), [1, 2]);
    write(fanned, [3]);
    const next = await fanned.prepareCommit!(2);
    await fanned.commit!(2, next);
    assert.deepEqual(await lines(path.join(root, "a")), [1, 2, 3]);
    assert.deepEqual(await lines(path.join(root, "b")), [3]);
    assert.deepEqual(Object.keys((next as { fanOut: object }).fanOut).sort(), ["copy", "file"]);
  });

  it("fails the step when one target fails, and still closes the others", async () => {
    let closed = 0;
    const failing: Sink<Item> = {
      description: "failing",
      open: async () => ({
        write: () => {
          throw new Error("target down");
        },
        flush: async () => {},
        close: async () => {
          closed++;
        },
      }),
    };
    const w = await open(
      new FanOutSink<Item>([
        { name: "file", sink: jsonl("a") },
        { name: "bad", sink: failing },
      ]),
    );
    assert.throws(() => write(w, [1]), /target down/);
    writers.splice(0);
    await w.close();
    assert.equal(closed, 1);
  });

  it("lets every target ask for an early checkpoint through the fan-out's context", async () => {
    const asked: string[] = [];
    const asking = (name: string): Sink<Item> => ({
      description: name,
      async open(context) {
        return {
          write() {
            context.requestCheckpoint?.();
            asked.push(name);
          },
          async flush() {},
          async close() {},
        };
      },
    });
    let requests = 0;
    const fan = new FanOutSink<Item>([
      { name: "a", sink: asking("a") },
      { name: "b", sink: asking("b") },
    ]);
    const w = await fan.open({ step: "out", requestCheckpoint: () => requests++ });
    writers.push(w);
    write(w, [1]);
    assert.deepEqual(asked, ["a", "b"]);
    assert.equal(requests, 2);
  });

  it("refuses two targets with one name", () => {
    assert.throws(
      () =>
        new FanOutSink<Item>([
          { name: "x", sink: jsonl("a") },
          { name: "x", sink: jsonl("b") },
        ]),
      /two targets are named "x"/,
    );
  });
});
