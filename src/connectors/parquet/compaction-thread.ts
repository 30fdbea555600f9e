/**
 * The thread of a compaction schedule (see `compaction-schedule.ts`): runs the schedule
 * until its owner says "stop", and passes on each report, compacted folder and error.
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  type CompactionThreadData,
  type CompactionThreadMessage,
  runSchedule,
} from "./compaction-schedule.js";

const port = parentPort;
if (port === null) throw new Error("compaction-thread must run in a worker thread");

const data = workerData as CompactionThreadData;
const send = (message: CompactionThreadMessage) => port.postMessage(message);

const schedule = runSchedule(data.directory, {
  ...data.options,
  // The thread stays alive while waiting: its owner decides whether it keeps the process.
  keepAlive: true,
  onReport: (report) => send({ kind: "report", report }),
  onError: (error) => send({ kind: "error", error }),
  ...(data.folders ? { onFolder: (folder) => send({ kind: "folder", folder }) } : {}),
});

port.on("message", (message: unknown) => {
  if (message === "stop") {
    void schedule.stop().finally(() => port.close());
  }
});
