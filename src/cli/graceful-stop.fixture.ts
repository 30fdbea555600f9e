/**
 * A job for the signal tests: an endless source, and in `stuck-checkpoint` mode a
 * sink whose checkpoint never completes (so only a second signal can end it).
 */
import { dataflow, MemoryCheckpointStore, type Sink, source } from "../engine/index.js";
import { record, TestingSource } from "../engine/testing/index.js";
import { runUntilSignal } from "./graceful-stop.js";

const stuck = process.argv[2] === "stuck-checkpoint";
const sink: Sink<number> = {
  description: "test",
  async open() {
    return {
      write() {},
      async flush() {},
      prepareCommit: () => (stuck ? new Promise<never>(() => {}) : Promise.resolve(null)),
      async commit() {},
      async close() {},
    };
  },
};
const input = new TestingSource([record(1, 1), record(2, 2)], { endless: true });
const job = dataflow("signals", [source("in", input).to("out", sink)]).job({
  checkpoint: { store: new MemoryCheckpointStore(), interval: 60_000 },
});
await runUntilSignal(job, { ready: () => process.stdout.write("running\n") });
process.stdout.write(`stopped after checkpoint ${job.progress().checkpoints.lastId}\n`);
