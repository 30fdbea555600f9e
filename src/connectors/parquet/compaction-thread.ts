/**
 * The thread of one scheduled compaction (see `compaction-schedule.ts`): compacts, passes
 * on each compacted folder and then the report or the error, and ends. "stop" from its
 * owner stops it after the folder it is on.
 */
import { parentPort, workerData } from "node:worker_threads";
import { compactArchive } from "./compaction.js";
import type { CompactionThreadData, CompactionThreadMessage } from "./compaction-schedule.js";

const port = parentPort;
if (port === null) throw new Error("compaction-thread must run in a worker thread");

const data = workerData as CompactionThreadData;
const send = (message: CompactionThreadMessage) => port.postMessage(message);
const controller = new AbortController();
port.on("message", (message: unknown) => {
  if (message === "stop") controller.abort();
});

compactArchive(data.directory, {
  ...data.options,
  signal: controller.signal,
  ...(data.folders ? { onFolder: (folder) => send({ kind: "folder", folder }) } : {}),
})
  .then(
    (report) => send({ kind: "report", report }),
    (error: unknown) => send({ kind: "error", error }),
  )
  .finally(() => port.close());
