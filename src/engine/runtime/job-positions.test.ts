import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { CheckpointData } from "../checkpoint/checkpoint-store.js";
import { MemoryCheckpointStore } from "../checkpoint/memory-checkpoint-store.js";
import { dataflow, type Job, type Source, type SourcePoll, source } from "../index.js";
import { CollectingSink } from "../testing/index.js";

/** A memory store that also keeps every commit it was given. */
class RecordingStore extends MemoryCheckpointStore {
  readonly commits: CheckpointData[] = [];
  override async commit(data: CheckpointData): Promise<void> {
    this.commits.push(structuredClone(data));
    await super.commit(data);
  }
}

/**
 * Ten batches of one number each. Like a file reader that runs out of buffer half-way
 * through a batch, it moves its position past batch 5, then awaits I/O before it returns
 * it; while it waits, a checkpoint is asked for.
 */
function slowSource(job: () => Job): Source<number> {
  return {
    description: "slow",
    async open(context) {
      let next = (context.resumeFrom?.get(0) as number | undefined) ?? 0;
      return {
        partitions: 1,
        async poll(): Promise<SourcePoll<number>> {
          if (next >= 10) return { kind: "end" };
          const value = next++;
          if (value === 5) {
            job().requestCheckpoint();
            await sleep(50);
          }
          return { kind: "batch", partition: 0, values: [value], times: [value] };
        },
        positions: () => new Map([[0, next]]),
        async close() {},
      };
    },
  };
}

describe("checkpoint positions", () => {
  it("never count a batch that was polled but not yet processed at the barrier", async () => {
    const store = new RecordingStore();
    const out = new CollectingSink<number>();
    let job!: Job;
    job = dataflow("positions", [
      source(
        "in",
        slowSource(() => job),
      ).to("out", out),
    ]).job({
      checkpoint: { store, interval: 60_000, minPauseMs: 0 },
    });
    await job.run();
    assert.deepEqual(out.values, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const during = store.commits[0]!;
    assert.ok(store.commits.length >= 2, "a checkpoint during the wait, and the final one");
    // Batches 0..4 were processed when the checkpoint was taken; batch 5 was waiting at
    // the gate, so a restore must read it again: the position is 5, not 6.
    assert.deepEqual(during.positions, [{ step: "in", partition: 0, position: "5" }]);
    assert.deepEqual(store.commits.at(-1)!.positions, [
      { step: "in", partition: 0, position: "10" },
    ]);
  });
});
