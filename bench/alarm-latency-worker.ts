/**
 * The alarm job of `alarm-latency.ts` on a worker thread of its own, as `millstream
 * run` runs it: the alarm side (`alarm-side.ts`) and the job's SQLite checkpoints,
 * committed on this thread.
 */
import path from "node:path";
import { SqliteCheckpointStore } from "../src/connectors/checkpoint/index.js";
import { serveWorkerJob } from "../src/engine/index.js";
import { plantAlarmJob } from "../src/iot/alarms/index.js";
import type { Anomaly } from "../src/iot/reading/index.js";
import { type AlarmSideResult, alarmSide, BENCH_ALARMS } from "./alarm-side.js";
import { plantCatalog } from "./plant-fixture.js";

/** What the main thread of the benchmark gives. */
export interface AlarmWorkerData {
  readonly work: string;
  readonly early: boolean;
  readonly sensors: number;
  readonly intervalMs: number;
  readonly minPauseMs: number;
}

serveWorkerJob<Anomaly, AlarmSideResult>(({ data, link }) => {
  const options = data as AlarmWorkerData;
  if (link === null) throw new Error("the alarm worker needs the link");
  const side = alarmSide(options);
  const store = new SqliteCheckpointStore({
    path: path.join(options.work, "alarm-checkpoints.sqlite"),
    thread: false,
  });
  const job = plantAlarmJob(
    "alarm-latency-alarms",
    link,
    { catalog: plantCatalog(options.sensors), config: BENCH_ALARMS },
    side.sinks,
  ).job({
    checkpoint: { store, interval: options.intervalMs, minPauseMs: options.minPauseMs },
  });
  side.start();
  return {
    job,
    async close() {
      await store.close();
      return side.finish();
    },
  };
});
