import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type CheckpointData,
  dataflow,
  MemoryCheckpointStore,
  type Sink,
  type SinkWriter,
  type Source,
  source,
} from "../index.js";
import {
  advanceClock,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
} from "../testing/index.js";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A transactional sink that notes what each checkpoint covered and which it
 * published; it asks for a checkpoint when it receives an `urgent…` record.
 */
class PublishingSink implements Sink<string> {
  readonly description = "publishing";
  /** Checkpoint id → the records its barrier covered. */
  readonly prepared = new Map<number, string[]>();
  readonly published: number[] = [];
  /** While set, `commit` waits for it. */
  hold: Promise<void> | null = null;
  /** Called as each checkpoint is published. */
  onPublish: ((id: number) => void) | null = null;

  constructor(private readonly ask = true) {}

  async open(context: Parameters<Sink<string>["open"]>[0]): Promise<SinkWriter<string>> {
    let buffer: string[] = [];
    return {
      write: (batch) => {
        for (const v of batch.values) {
          buffer.push(v);
          if (this.ask && v.startsWith("urgent")) context.requestCheckpoint?.();
        }
      },
      flush: async () => {},
      prepareCommit: async (id) => {
        this.prepared.set(id, buffer);
        buffer = [];
        return id;
      },
      commit: async (id) => {
        await this.hold;
        this.published.push(id);
        this.onPublish?.(id);
      },
      close: async () => {},
    };
  }
}

/**
 * The testing source, one event-loop turn per poll (as real input arrives), so that
 * a checkpoint's commit completes between two polls.
 */
function turnBased(items: TestingItem<string>[], clock: ManualClock, endless = false) {
  const inner = new TestingSource(items, { clock, batchSize: 1, endless });
  const src: Source<string> = {
    description: "turn-based",
    async open(context) {
      const reader = await inner.open(context);
      return {
        ...reader,
        async poll() {
          await nextTurn();
          return reader.poll();
        },
      };
    },
  };
  return { src, inner };
}

const values = (xs: string[]) => xs.map((v, i) => record(v, i));

async function until(what: string, done: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await nextTurn();
  }
}

describe("requested checkpoints", () => {
  it("start right after the batch that asked, long before the interval", async () => {
    const clock = new ManualClock();
    const run = async (ask: boolean) => {
      const sink = new PublishingSink(ask);
      const { src } = turnBased(values(["a", "urgent-1", "b", "c"]), clock);
      const job = dataflow("requests", [source("in", src).to("out", sink)]).job({
        clock,
        tickInterval: 0,
        checkpoint: { interval: 60_000, minPauseMs: 0 },
      });
      await job.run();
      return { sink, requested: job.progress().checkpoints.requested };
    };
    const asked = await run(true);
    assert.deepEqual(
      [...asked.sink.prepared],
      [
        [1, ["a", "urgent-1"]],
        [2, ["b", "c"]], // the final checkpoint at the end of input
      ],
    );
    assert.deepEqual(asked.sink.published, [1, 2]);
    assert.equal(asked.requested, 1);
    const quiet = await run(false);
    assert.deepEqual([...quiet.sink.prepared], [[1, ["a", "urgent-1", "b", "c"]]]);
    assert.equal(quiet.requested, 0);
  });

  it("wait the minimum pause after the previous checkpoint ended", async () => {
    const clock = new ManualClock();
    const sink = new PublishingSink();
    const { src } = turnBased(
      [
        record("urgent-1", 0),
        advanceClock(100),
        record("urgent-2", 1), // asks at 100: must wait until 1000
        advanceClock(400),
        record("x", 2),
        advanceClock(600), // 1100: the pause is over, the request is served
        record("y", 3),
        record("z", 4),
      ],
      clock,
    );
    const job = dataflow("pause", [source("in", src).to("out", sink)]).job({
      clock,
      tickInterval: 0,
      checkpoint: { interval: 60_000, minPauseMs: 1000 },
    });
    await job.run();
    assert.deepEqual(
      [...sink.prepared],
      [
        [1, ["urgent-1"]],
        [2, ["urgent-2", "x"]],
        [3, ["y", "z"]],
      ],
    );
    assert.equal(job.progress().checkpoints.requested, 2);
  });

  it("never overlap: a request during a checkpoint is served by the next, after it ends", async () => {
    const clock = new ManualClock();
    const sink = new PublishingSink();
    let release!: () => void;
    sink.hold = new Promise((resolve) => {
      release = resolve;
    });
    const { src, inner } = turnBased(values(["urgent-1", "b", "urgent-2", "c"]), clock, true);
    const job = dataflow("overlap", [source("in", src).to("out", sink)]).job({
      clock,
      tickInterval: 0,
      checkpoint: { interval: 60_000, minPauseMs: 0 },
    });
    const running = job.run();
    await inner.whenDrained();
    for (let i = 0; i < 20; i++) await nextTurn();
    // Checkpoint 1 cannot publish yet: the second request waits for it.
    assert.deepEqual([...sink.prepared.keys()], [1]);
    assert.deepEqual(sink.published, []);
    release();
    await until("checkpoint 2", () => sink.published.includes(2));
    assert.deepEqual(sink.prepared.get(2), ["b", "urgent-2", "c"]);
    assert.equal(job.state, "running");
    job.stop();
    inner.stop();
    await running;
    assert.deepEqual(sink.published, [1, 2, 3]);
    assert.deepEqual(sink.prepared.get(3), []);
  });

  it("can be asked of the job itself", async () => {
    const sink = new PublishingSink(false);
    const { src, inner } = turnBased(values(["a", "b"]), new ManualClock(), true);
    const job = dataflow("job-request", [source("in", src).to("out", sink)]).job({
      checkpoint: { interval: 60_000 },
    });
    job.requestCheckpoint(); // not running yet: ignored
    const running = job.run();
    await inner.whenDrained();
    assert.equal(job.progress().checkpoints.completed, 0);
    job.requestCheckpoint();
    job.requestCheckpoint(); // merged with the first
    await until("the requested checkpoint", () => job.progress().checkpoints.completed === 1);
    assert.deepEqual(sink.prepared.get(1), ["a", "b"]);
    assert.equal(job.progress().checkpoints.requested, 1);
    job.stop();
    inner.stop();
    await running;
    assert.equal(job.progress().checkpoints.completed, 2);
  });

  it("reject a minimum pause that is not a number >= 0", () => {
    const flow = dataflow("bad", [
      source("in", new TestingSource<string>([])).to("out", new PublishingSink()),
    ]);
    assert.throws(
      () => flow.job({ checkpoint: { minPauseMs: -1 } }),
      /checkpoint\.minPauseMs must be a number >= 0 \(ms\), got -1/,
    );
    assert.throws(() => flow.job({ checkpoint: { minPauseMs: Number.NaN } }), RangeError);
  });
});

/** A source that always has input ready: `polls` batches, each poll resolved at once. */
function eager(polls: number) {
  const seen = { polls: 0 };
  const src: Source<string> = {
    description: "eager",
    async open() {
      return {
        partitions: 1,
        async poll() {
          if (seen.polls >= polls) return { kind: "end" };
          const i = seen.polls++;
          return { kind: "batch", partition: 0, values: [i === 0 ? "urgent" : `r${i}`] };
        },
        async close() {},
      };
    },
  };
  return { src, seen };
}

/** A store whose commit takes several turns of the event loop, as a real one does. */
class SlicedStore extends MemoryCheckpointStore {
  override async commit(data: CheckpointData): Promise<void> {
    for (let i = 0; i < 3; i++) await nextTurn();
    await super.commit(data);
  }
}

describe("the pumps", () => {
  it("let the event loop turn while input is always ready", async () => {
    const { src, seen } = eager(200_000);
    const sink = new PublishingSink(false);
    let pollsWhenTimerRan = -1;
    setImmediate(() => {
      pollsWhenTimerRan = seen.polls;
    });
    await dataflow("eager", [source("in", src).to("out", sink)]).run({
      checkpoint: { interval: 60_000 },
    });
    assert.ok(
      pollsWhenTimerRan >= 0 && pollsWhenTimerRan < 200_000,
      `the immediate ran after ${pollsWhenTimerRan} of 200,000 polls`,
    );
  });

  it("let a requested checkpoint commit while input is always ready", async () => {
    const { src, seen } = eager(200_000);
    const sink = new PublishingSink();
    let pollsWhenPublished = -1;
    sink.onPublish = (id) => {
      if (id === 1) pollsWhenPublished = seen.polls;
    };
    await dataflow("eager-checkpoint", [source("in", src).to("out", sink)]).run({
      checkpoint: { store: new SlicedStore(), interval: 60_000, minPauseMs: 0 },
    });
    assert.deepEqual(sink.prepared.get(1), ["urgent"]);
    assert.ok(
      pollsWhenPublished > 0 && pollsWhenPublished < 200_000,
      `checkpoint 1 was published after ${pollsWhenPublished} of 200,000 polls`,
    );
  });
});
