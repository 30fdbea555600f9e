/**
 * The plant pipeline in real time: readings generated at a fixed rate (default 50,000
 * sensors at 1 Hz) with event time = the moment they are handed to the pipeline, the
 * embedded outputs (exactly-once JSONL part files, SQLite checkpoints, every 5 s by default), and
 * spikes injected after a warm-up so the z-score detector fires. Reports the latency
 * from a spiked reading's ingestion to its anomaly reaching the anomalies sink (p50,
 * p99, max), the rate sustained, checkpoint pauses and peak RSS.
 *
 * Usage: node --import tsx bench/iot-realtime.ts [--rate 50000] [--sensors 50000]
 *   [--seconds 90] [--warmup 40] [--interval 5000] [--archive]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { SqliteCheckpointStore } from "../src/connectors/checkpoint/index.js";
import { JsonlFileSink } from "../src/connectors/file/index.js";
import type { Sink } from "../src/engine/index.js";
import { readingArchiveSink } from "../src/iot/archive/index.js";
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
  },
});
const rate = Number(args.rate);
const sensors = Number(args.sensors);
const seconds = Number(args.seconds);
const warmupMs = Number(args.warmup) * 1000;
const intervalMs = Number(args.interval);
const SPIKE_EVERY_MS = 100;
const generator = realtimeReadings({
  rate,
  sensors,
  seconds,
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

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-realtime-bench-"));
let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 250);
try {
  const out = (name: string) => new JsonlFileSink<never>({ directory: path.join(work, name) });
  const store = new SqliteCheckpointStore({ path: path.join(work, "checkpoints.sqlite") });
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
      ...(args.archive ? { archive: readingArchiveSink(path.join(work, "archive")) } : {}),
    },
  });
  const job = dataflow.job({ checkpoint: { store, interval: intervalMs } });
  const started = Date.now();
  await job.run();
  const elapsed = (Date.now() - started) / 1000;
  await store.close();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const cp = job.progress().checkpoints;
  const pauses = [...cp.recentPausesMs].sort((a, b) => a - b);
  console.log(
    `${sensors.toLocaleString("en")} sensors, target ${rate.toLocaleString("en")} readings/s for ${seconds} s (spikes every ${SPIKE_EVERY_MS} ms after ${warmupMs / 1000} s), archive ${args.archive ? "on" : "off"}, SQLite checkpoints every ${intervalMs / 1000} s`,
  );
  console.log("");
  console.log("| Figure | Value |");
  console.log("| --- | ---: |");
  console.log(
    `| readings processed | ${generator.produced().toLocaleString("en")} (${Math.round(generator.produced() / elapsed).toLocaleString("en")}/s) |`,
  );
  console.log(`| spikes injected / detected | ${generator.spikes()} / ${latencies.length} |`);
  console.log(`| ingest → anomaly p50 | ${q(0.5)} ms |`);
  console.log(`| ingest → anomaly p99 | ${q(0.99)} ms |`);
  console.log(`| ingest → anomaly max | ${latencies.at(-1)} ms |`);
  console.log(
    `| checkpoints / pause p50, max (recent) | ${cp.completed} / ${pauses[Math.floor(pauses.length / 2)]?.toFixed(0)} ms, ${pauses.at(-1)?.toFixed(0)} ms |`,
  );
  console.log(`| peak RSS | ${(peakRss / 2 ** 20).toFixed(0)} MiB |`);
} finally {
  clearInterval(rssTimer);
  rmSync(work, { recursive: true, force: true });
}
