/**
 * The plant pipeline in real time: readings generated at a fixed rate (default 50,000
 * sensors at 1 Hz) with event time = the moment they are handed to the pipeline, the
 * embedded outputs (exactly-once JSONL part files, SQLite checkpoints, every 5 s by default), and
 * spikes injected after a warm-up so the z-score detector fires. Reports the latency
 * from a spiked reading's ingestion to its anomaly reaching the anomalies sink (p50,
 * p99, max), the rate sustained, checkpoint pauses and peak RSS.
 *
 * The run ends as a deployment stops, with `job.stop()` after `--seconds`: a final
 * checkpoint, windows left open (they would resume from it).
 *
 * Usage: node --import tsx bench/iot-realtime.ts [--rate 50000] [--sensors 50000]
 *   [--seconds 90] [--warmup 40] [--interval 5000] [--archive] [--archive-memory-mb 256]
 *   [--compact-every 0]
 *   [--heap-mb 512]
 *   [--semi-space-mb 4] [--growing-percent 20] [--memory-log]
 *
 * `--heap-mb N`, `--semi-space-mb N` and `--growing-percent N` run the bench in a child
 * process with `--max-old-space-size=N`, `--max-semi-space-size=N` and
 * `--heap-growing-percent=N` (the deployment setting of docs/deployment.md). Compiled
 * as a deployment runs (`npm run bench:build`, then `node
 * .bench-build/bench/iot-realtime.js …`), it leaves out tsx's 25–70 MiB. `--memory-log` prints the process's memory every second and each
 * checkpoint's capture and commit times to stderr. `--archive-memory-mb` is the archive's
 * DuckDB memory limit, as `millstream run` sets it by default (0: no limit).
 * `--compact-every S` compacts the archive every S seconds while the pipeline runs, as
 * `millstream run` does every 15 minutes (`outputs.archiveCompaction`; 0: never).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay, performance as perf } from "node:perf_hooks";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { SqliteCheckpointStore } from "../src/connectors/checkpoint/index.js";
import { JsonlFileSink } from "../src/connectors/file/index.js";
import type { CheckpointStore, Sink } from "../src/engine/index.js";
import { type CompactionReport, scheduleCompaction } from "../src/connectors/parquet/index.js";
import {
  LIVE_ARCHIVE_MEMORY_MB,
  LIVE_COMPACTION_MEMORY_MB,
  readingArchiveSink,
} from "../src/iot/archive/index.js";
import { plantPipeline } from "../src/iot/plant-pipeline.js";
import type { Anomaly } from "../src/iot/reading/index.js";
import { plantCatalog } from "./plant-fixture.js";
import { realtimeReadings } from "./realtime-source.js";
import { tapSink } from "./tap-sink.js";

const { values: args } = parseArgs({
  options: {
    rate: { type: "string", default: "50000" },
    sensors: { type: "string", default: "50000" },
    seconds: { type: "string", default: "90" },
    warmup: { type: "string", default: "40" },
    interval: { type: "string", default: "5000" },
    archive: { type: "boolean", default: false },
    "archive-memory-mb": { type: "string", default: String(LIVE_ARCHIVE_MEMORY_MB) },
    "compact-every": { type: "string", default: "0" },
    "memory-log": { type: "boolean", default: false },
    "heap-mb": { type: "string" },
    "semi-space-mb": { type: "string" },
    "growing-percent": { type: "string" },
  },
});
const v8Flags = [
  ...(args["heap-mb"] === undefined ? [] : [`--max-old-space-size=${args["heap-mb"]}`]),
  ...(args["semi-space-mb"] === undefined
    ? []
    : [`--max-semi-space-size=${args["semi-space-mb"]}`]),
  ...(args["growing-percent"] === undefined
    ? []
    : [`--heap-growing-percent=${args["growing-percent"]}`]),
];
if (v8Flags.some((flag) => !process.execArgv.includes(flag))) {
  // V8's heap limits are fixed when the process starts: run the bench again under them.
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, ...v8Flags, ...process.argv.slice(1)],
    { stdio: "inherit" },
  );
  process.exit(child.status ?? 1);
}
const rate = Number(args.rate);
const sensors = Number(args.sensors);
const seconds = Number(args.seconds);
const warmupMs = Number(args.warmup) * 1000;
const intervalMs = Number(args.interval);
const archiveMemoryMb = Number(args["archive-memory-mb"]);
const compactEveryMs = Number(args["compact-every"]) * 1000;
const SPIKE_EVERY_MS = 100;
const generator = realtimeReadings({
  rate,
  sensors,
  // The input never ends by itself: the job is stopped after `seconds`.
  seconds: seconds + 3600,
  warmupMs,
  spikeEveryMs: SPIKE_EVERY_MS,
});
const { spiked } = generator;

const latencies: number[] = [];
/** The JSONL anomalies sink, timing each spiked reading's anomaly as it is written. */
function timedAnomalies(inner: Sink<Anomaly>): Sink<Anomaly> {
  return tapSink(inner, (batch) => {
    const now = Date.now();
    for (const a of batch.values) {
      if (a.detector === "z-score" && spiked.delete(`${a.sensor_id}@${a.event_time_ms}`)) {
        latencies.push(now - a.event_time_ms);
      }
    }
  });
}

/**
 * The store, printing for each checkpoint how long the capture took (begin → finish
 * called), how long the job waited in `ready()`, and the commit's tail (finish → done).
 */
function timedStore(inner: SqliteCheckpointStore): CheckpointStore {
  return {
    description: inner.description,
    commit: (data) => inner.commit(data),
    latest: (name) => inner.latest(name),
    close: () => inner.close(),
    begin(header) {
      const writer = inner.begin(header);
      const begun = performance.now();
      let waited = 0;
      let rows = 0;
      return {
        add(more) {
          rows += more.length;
          writer.add(more);
        },
        async ready() {
          const from = performance.now();
          await writer.ready?.();
          waited += performance.now() - from;
        },
        async finish() {
          const captured = performance.now();
          await writer.finish();
          const ms = (t: number) => t.toFixed(0);
          console.error(
            `checkpoint ${header.id}: ${rows} rows, capture ${ms(captured - begun)} ms (waited ${ms(waited)} ms in ready), commit tail ${ms(performance.now() - captured)} ms`,
          );
        },
        abort: () => writer.abort(),
      };
    },
  };
}

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-realtime-bench-"));
let peakRss = 0;
let peakHeap = 0;
let samples = 0;
const benchStart = Date.now();
/** How long the event loop stood still (the dataflow runs on it), sampled every 10 ms. */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const cpuStart = process.cpuUsage();
const eluStart = perf.eventLoopUtilization();
let job: ReturnType<ReturnType<typeof plantPipeline>["dataflow"]["job"]> | undefined;
const checkpointDurations: number[] = [];
/** Notes the duration of each checkpoint completed since the last call. */
function trackCheckpoints(): void {
  const cp = job?.progress().checkpoints;
  if (cp !== undefined && cp.completed > checkpointDurations.length && cp.lastDurationMs !== null) {
    checkpointDurations.push(cp.lastDurationMs);
  }
}
const rssTimer = setInterval(() => {
  trackCheckpoints();
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  if (args["memory-log"] && ++samples % 4 === 0) {
    const cp = job?.progress().checkpoints;
    const mb = (n: number) => (n / 2 ** 20).toFixed(0);
    const status = readFileSync("/proc/self/status", "utf8");
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    console.error(
      `t=${((Date.now() - benchStart) / 1000).toFixed(0)}s rss=${mb(m.rss)} anon=${(kb("RssAnon") / 1024).toFixed(0)} file=${(kb("RssFile") / 1024).toFixed(0)} heap=${mb(m.heapUsed)}/${mb(m.heapTotal)} ext=${mb(m.external)} ab=${mb(m.arrayBuffers)} cp=${cp?.completed} keys=${cp?.lastKeys} dur=${cp?.lastDurationMs?.toFixed(0)}`,
    );
  }
}, 250);
try {
  const out = (name: string) => new JsonlFileSink<never>({ directory: path.join(work, name) });
  const sqlite = new SqliteCheckpointStore({ path: path.join(work, "checkpoints.sqlite") });
  const store = args["memory-log"] ? timedStore(sqlite) : sqlite;
  const { dataflow } = plantPipeline("realtime", {
    input: generator.source,
    catalog: plantCatalog(sensors),
    sinks: {
      anomalies: timedAnomalies(new JsonlFileSink<Anomaly>({ directory: path.join(work, "a") })),
      deadLetters: out("dead_letters"),
      late: out("late"),
      facilityMetrics: out("facility_metrics"),
      equipmentHealth: out("equipment_health"),
      productionEfficiency: out("production_efficiency"),
      equipmentState: out("equipment_state"),
      ...(args.archive
        ? {
            archive: readingArchiveSink(path.join(work, "archive"), {
              memoryLimitMb: archiveMemoryMb === 0 ? null : archiveMemoryMb,
            }),
          }
        : {}),
    },
  });
  job = dataflow.job({ checkpoint: { store, interval: intervalMs } });
  const compactions: CompactionReport[] = [];
  const compaction =
    args.archive && compactEveryMs > 0
      ? scheduleCompaction(path.join(work, "archive"), {
          everyMs: compactEveryMs,
          memoryLimitMb: LIVE_COMPACTION_MEMORY_MB,
          onReport: (report) => {
            compactions.push(report);
            if (args["memory-log"]) {
              console.error(
                `compaction: ${report.filesBefore} → ${report.filesAfter} files in ${report.ms.toFixed(0)} ms`,
              );
            }
          },
          onError: (error) => console.error(`compaction failed: ${error}`),
        })
      : null;
  const started = Date.now();
  let stopping = 0;
  let producedAtStop = 0;
  let cpuAtStop: NodeJS.CpuUsage | undefined;
  let eluAtStop: ReturnType<typeof perf.eventLoopUtilization> | undefined;
  const stopper = setTimeout(() => {
    stopping = Date.now();
    producedAtStop = generator.produced();
    cpuAtStop = process.cpuUsage(cpuStart);
    eluAtStop = perf.eventLoopUtilization(eluStart);
    loopDelay.disable();
    job?.stop();
  }, seconds * 1000);
  await job.run();
  await compaction?.stop();
  clearTimeout(stopper);
  const finalMs = stopping > 0 ? Date.now() - stopping : 0;
  const elapsed = stopping > 0 ? (stopping - started) / 1000 : (Date.now() - started) / 1000;
  if (stopping === 0) producedAtStop = generator.produced();
  cpuAtStop ??= process.cpuUsage(cpuStart);
  eluAtStop ??= perf.eventLoopUtilization(eluStart);
  loopDelay.disable();
  trackCheckpoints();
  await sqlite.close();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  latencies.sort((a, b) => a - b);
  // No spike is scored until a sensor has the z-score's 30 readings: none below about
  // 25,000 readings/s in a 70 s run.
  const q = (p: number) =>
    latencies.length === 0
      ? "n/a"
      : `${latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]} ms`;
  const cp = job.progress().checkpoints;
  const pauses = [...cp.recentPausesMs].sort((a, b) => a - b);
  console.log(
    `${sensors.toLocaleString("en")} sensors, target ${rate.toLocaleString("en")} readings/s for ${seconds} s (spikes every ${SPIKE_EVERY_MS} ms after ${warmupMs / 1000} s), archive ${args.archive ? `on (DuckDB memory ${archiveMemoryMb === 0 ? "unlimited" : `${archiveMemoryMb} MiB`})` : "off"}, SQLite checkpoints every ${intervalMs / 1000} s`,
  );
  console.log("");
  console.log("| Figure | Value |");
  console.log("| --- | ---: |");
  console.log(
    `| readings processed until stop | ${producedAtStop.toLocaleString("en")} (${Math.round(producedAtStop / elapsed).toLocaleString("en")}/s) |`,
  );
  console.log(`| spikes injected / detected | ${generator.spikes()} / ${latencies.length} |`);
  console.log(`| ingest → anomaly p50 | ${q(0.5)} |`);
  console.log(`| ingest → anomaly p99 | ${q(0.99)} |`);
  console.log(`| ingest → anomaly max | ${q(1)} |`);
  console.log(
    `| checkpoints / pause p50, max (recent) | ${cp.completed} / ${pauses[Math.floor(pauses.length / 2)]?.toFixed(0)} ms, ${pauses.at(-1)?.toFixed(0)} ms |`,
  );
  const durations = checkpointDurations.slice(0, -1).sort((a, b) => a - b);
  console.log(
    `| checkpoint duration p50, max (all but the final one) | ${durations[Math.floor(durations.length / 2)]?.toFixed(0)} ms, ${durations.at(-1)?.toFixed(0)} ms |`,
  );
  console.log(
    `| final checkpoint (stop → run() resolved) | ${finalMs} ms, ${cp.lastKeys?.toLocaleString("en")} keys |`,
  );
  const cpuUs = cpuAtStop.user + cpuAtStop.system;
  console.log(
    `| CPU per reading until stop (all threads) / main thread busy | ${(cpuUs / Math.max(1, producedAtStop)).toFixed(2)} µs / ${(eluAtStop.utilization * 100).toFixed(0)} % |`,
  );
  console.log(
    `| event loop delay p99, max (until stop) | ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, ${(loopDelay.max / 1e6).toFixed(0)} ms |`,
  );
  if (compaction !== null) {
    const merged = compactions.reduce(
      (n, r) => n + r.folders.reduce((m, f) => m + f.replaced, 0),
      0,
    );
    const busy = compactions.reduce((n, r) => n + r.ms, 0);
    console.log(
      `| archive compactions / files merged / time in them | ${compactions.length} / ${merged.toLocaleString("en")} / ${(busy / 1000).toFixed(1)} s |`,
    );
  }
  console.log(`| peak RSS | ${(peakRss / 2 ** 20).toFixed(0)} MiB |`);
  console.log(
    `| peak heap used / V8 heap limit | ${(peakHeap / 2 ** 20).toFixed(0)} MiB / ${(v8.getHeapStatistics().heap_size_limit / 2 ** 20).toFixed(0)} MiB |`,
  );
} finally {
  clearInterval(rssTimer);
  rmSync(work, { recursive: true, force: true });
}
