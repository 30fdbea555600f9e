/**
 * Alarm latency in real time: the plant pipeline with alarm management at a fixed
 * rate (default 50,000 sensors at 1 Hz = 50,000 readings/s), event time = the moment a
 * reading is handed to the pipeline, the embedded outputs (exactly-once JSONL part
 * files, SQLite checkpoints every 5 s), notifications into the durable outbox
 * (`OutboxSink`, asking for an early checkpoint unless `--periodic-only`) and a
 * dispatcher in the same process, woken by each publication, sending to channels that
 * answer at once. Spikes are injected after a warm-up so the z-score detector fires
 * and alarms open. Reports, per spiked reading: the latency from its ingestion to the
 * first delivery attempt of its alarm's first notification (channel time excluded),
 * split into the pipeline's part (to the notification reaching the outbox sink) and
 * the checkpoint's and dispatcher's part; the rate sustained, CPU time, checkpoints
 * and peak RSS.
 *
 * Each alarm is its own group, and only z-score anomalies raise alarms (see
 * `BENCH_ALARMS` in `alarm-side.ts`); every detector and dashboard still runs.
 *
 * Usage: node --import tsx bench/alarm-latency.ts [--rate 50000] [--sensors 50000]
 *   [--seconds 90] [--warmup 40] [--spike-every 100] [--interval 5000]
 *   [--min-pause 100] [--lean] [--periodic-only] [--same-thread | --inline]
 *   [--alarm-interval 1000] [--alarm-min-pause 0]
 *
 * By default alarm management runs as a job of its own on a worker thread, linked to
 * the plant job (`JobLink`, `WorkerJob`, as `millstream run` does), with its own SQLite
 * checkpoints every `--alarm-interval` ms and early ones asked for by the outbox; the
 * outbox, dispatcher and channels are on that thread too. `--same-thread` runs the
 * linked alarm job on the main thread beside the plant job; `--inline` puts alarm
 * management inside the plant job, so notifications wait for the plant's checkpoints.
 *
 * `--lean` leaves the dashboards out (the detectors, the anomalies output and alarm
 * management stay). `--periodic-only` turns early checkpoints off: notifications wait
 * for the checkpoint interval, as before. `--spike-every` is the time between spikes
 * (default 100 ms, a flood of alarms); for sparse alarms on distinct sensors take one
 * that does not divide the sensors' 1 s period, such as 1013.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { SqliteCheckpointStore } from "../src/connectors/checkpoint/index.js";
import { JsonlFileSink } from "../src/connectors/file/index.js";
import { type Job, JobLink, LinkedJobs, WorkerJob } from "../src/engine/index.js";
import { plantAlarmJob } from "../src/iot/alarms/index.js";
import { plantPipeline } from "../src/iot/plant-pipeline.js";
import type { Anomaly } from "../src/iot/reading/index.js";
import type { AlarmWorkerData } from "./alarm-latency-worker.js";
import { type AlarmSideResult, alarmSide, BENCH_ALARMS } from "./alarm-side.js";
import { plantCatalog } from "./plant-fixture.js";
import { realtimeReadings } from "./realtime-source.js";

const { values: args } = parseArgs({
  options: {
    rate: { type: "string", default: "50000" },
    sensors: { type: "string", default: "50000" },
    seconds: { type: "string", default: "90" },
    warmup: { type: "string", default: "40" },
    interval: { type: "string", default: "5000" },
    "min-pause": { type: "string", default: "100" },
    "spike-every": { type: "string", default: "100" },
    lean: { type: "boolean", default: false },
    "periodic-only": { type: "boolean", default: false },
    inline: { type: "boolean", default: false },
    "same-thread": { type: "boolean", default: false },
    "alarm-interval": { type: "string", default: "1000" },
    "alarm-min-pause": { type: "string", default: "0" },
  },
});
const rate = Number(args.rate);
const sensors = Number(args.sensors);
const seconds = Number(args.seconds);
const warmupMs = Number(args.warmup) * 1000;
const intervalMs = Number(args.interval);
const minPauseMs = Number(args["min-pause"]);
const early = !args["periodic-only"];
const mode = args.inline ? "inline" : args["same-thread"] ? "same-thread" : "worker";
const alarmIntervalMs = Number(args["alarm-interval"]);
const alarmMinPauseMs = Number(args["alarm-min-pause"]);
const SPIKE_EVERY_MS = Number(args["spike-every"]);
const generator = realtimeReadings({
  rate,
  sensors,
  seconds,
  warmupMs,
  spikeEveryMs: SPIKE_EVERY_MS,
});
const { spiked } = generator;

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-alarm-bench-"));
let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 250);
try {
  const out = (name: string) => new JsonlFileSink<never>({ directory: path.join(work, name) });
  const store = new SqliteCheckpointStore({ path: path.join(work, "checkpoints.sqlite") });
  // On the main thread unless the alarm job has a thread of its own.
  const side = mode === "worker" ? null : alarmSide({ work, early });
  const link = mode === "inline" ? null : new JobLink<Anomaly>({ id: (a) => a.id });
  const catalog = plantCatalog(sensors);
  const { dataflow } = plantPipeline("alarm-latency", {
    input: generator.source,
    catalog,
    config: { alarms: BENCH_ALARMS },
    sinks: {
      anomalies: out("anomalies"),
      deadLetters: out("dead_letters"),
      late: out("late"),
      ...(args.lean
        ? {}
        : {
            facilityMetrics: out("facility_metrics"),
            equipmentHealth: out("equipment_health"),
            productionEfficiency: out("production_efficiency"),
            equipmentState: out("equipment_state"),
          }),
      ...(link ? { alarmLink: link } : side?.sinks),
    },
  });
  const job = dataflow.job({ checkpoint: { store, interval: intervalMs, minPauseMs } });
  const alarmStore =
    mode === "same-thread"
      ? new SqliteCheckpointStore({ path: path.join(work, "alarm-checkpoints.sqlite") })
      : null;
  const alarmJob: Job | WorkerJob<AlarmSideResult, Anomaly> | null =
    link === null
      ? null
      : side && alarmStore
        ? plantAlarmJob(
            "alarm-latency-alarms",
            link,
            { catalog, config: BENCH_ALARMS },
            side.sinks,
          ).job({
            checkpoint: {
              store: alarmStore,
              interval: alarmIntervalMs,
              minPauseMs: alarmMinPauseMs,
            },
          })
        : new WorkerJob<AlarmSideResult, Anomaly>({
            entry: new URL("./alarm-latency-worker.ts", import.meta.url),
            link,
            data: {
              work,
              early,
              sensors,
              intervalMs: alarmIntervalMs,
              minPauseMs: alarmMinPauseMs,
            } satisfies AlarmWorkerData,
          });
  const running = link && alarmJob ? new LinkedJobs(job, alarmJob, link) : job;
  side?.start();
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  await running.run();
  const elapsed = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const result = side
    ? await side.finish()
    : ((alarmJob as WorkerJob<AlarmSideResult, Anomaly>).result as AlarmSideResult);
  await store.close();
  await alarmStore?.close();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  const q = (xs: readonly number[], p: number) =>
    xs.length === 0 ? Number.NaN : xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  const seen = result.timings.filter((t) => spiked.has(t.key));
  const attempted = seen.filter((x) => x.attempted !== null);
  const total = sorted(attempted.map((x) => (x.attempted as number) - x.at));
  const pipeline = sorted(seen.map((x) => x.written - x.at));
  const publish = sorted(attempted.map((x) => (x.attempted as number) - x.written));
  const ms = (xs: readonly number[]) =>
    `${q(xs, 0.5)} / ${q(xs, 0.99)} / ${xs.at(-1) ?? Number.NaN} ms`;
  const alarmProgress = alarmJob?.progress() ?? null;
  const cp = (alarmProgress ?? job.progress()).checkpoints;
  const plantCp = job.progress().checkpoints;
  const pauses = sorted([...cp.recentPausesMs]);
  const produced = generator.produced();
  const where = {
    inline: "alarms inside the plant job",
    "same-thread": "alarms in a linked job on the main thread",
    worker: "alarms in a linked job on a worker thread",
  }[mode];
  console.log(
    `${sensors.toLocaleString("en")} sensors, target ${rate.toLocaleString("en")} readings/s for ${seconds} s (spikes every ${SPIKE_EVERY_MS} ms after ${warmupMs / 1000} s), ${args.lean ? "detectors and alarms only" : "detectors, dashboards and alarms"}, SQLite checkpoints every ${intervalMs / 1000} s, ${where}${mode === "inline" ? "" : ` (checkpoints every ${alarmIntervalMs} ms, min pause ${alarmMinPauseMs} ms)`}, ${early ? `early checkpoints for notifications${mode === "inline" ? `, min pause ${minPauseMs} ms` : ""}` : "no early checkpoints"}`,
  );
  console.log("");
  console.log("| Figure | Value |");
  console.log("| --- | ---: |");
  console.log(
    `| readings processed | ${produced.toLocaleString("en")} (${Math.round(produced / elapsed).toLocaleString("en")}/s) |`,
  );
  console.log(
    `| CPU time (user + system, all threads) | ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, ${((cpu.user + cpu.system) / Math.max(1, produced)).toFixed(1)} µs per reading |`,
  );
  console.log(
    `| spikes injected / notified / attempted | ${generator.spikes()} / ${seen.length} / ${attempted.length} |`,
  );
  console.log(`| notification records | ${result.notifications.toLocaleString("en")} |`);
  console.log(`| reading → first delivery attempt, p50 / p99 / max | ${ms(total)} |`);
  console.log(`| of which reading → outbox sink, p50 / p99 / max | ${ms(pipeline)} |`);
  console.log(`| of which outbox sink → first attempt, p50 / p99 / max | ${ms(publish)} |`);
  console.log(
    `| ${alarmJob ? "alarm job " : ""}checkpoints completed (of which early) | ${cp.completed} (${cp.requested ?? 0}) |`,
  );
  if (alarmJob) {
    const plantPauses = sorted([...plantCp.recentPausesMs]);
    console.log(
      `| plant job checkpoints completed; pause p50 / max | ${plantCp.completed}; ${q(plantPauses, 0.5).toFixed(1)} / ${(plantPauses.at(-1) ?? Number.NaN).toFixed(1)} ms |`,
    );
  }
  console.log(
    `| checkpoint pause, last ${pauses.length}: p50 / p99 / max | ${q(pauses, 0.5).toFixed(1)} / ${q(pauses, 0.99).toFixed(1)} / ${(pauses.at(-1) ?? Number.NaN).toFixed(1)} ms |`,
  );
  const steps = [...job.progress().steps, ...(alarmProgress?.steps ?? [])];
  const busy = (match: (step: string) => boolean) =>
    steps.filter((x) => match(x.step)).reduce((n, x) => n + x.busyMs, 0);
  const alarmMs = busy((step) => step.startsWith("alarm"));
  console.log(
    `| alarm steps busy / all steps busy | ${(alarmMs / 1000).toFixed(2)} s / ${(busy(() => true) / 1000).toFixed(1)} s |`,
  );
  loopDelay.disable();
  const delayMs = (p: number) => (loopDelay.percentile(p) / 1e6).toFixed(0);
  console.log(
    `| event loop delay (main thread) p50 / p99 / max | ${delayMs(50)} / ${delayMs(99)} / ${(loopDelay.max / 1e6).toFixed(0)} ms |`,
  );
  if (mode === "worker") {
    const [p50, p99, max] = result.loopDelayMs;
    console.log(
      `| event loop delay (alarm thread) p50 / p99 / max | ${p50} / ${p99} / ${max} ms |`,
    );
  }
  console.log(`| peak RSS | ${(peakRss / 2 ** 20).toFixed(0)} MiB |`);
} finally {
  clearInterval(rssTimer);
  rmSync(work, { recursive: true, force: true });
}
