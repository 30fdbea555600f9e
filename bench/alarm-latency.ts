/**
 * Alarm latency in real time: the plant pipeline with alarm management at a fixed
 * rate (default 50,000 sensors at 1 Hz = 50,000 readings/s), event time = the moment a
 * reading is handed to the pipeline, the embedded outputs (exactly-once JSONL part
 * files, SQLite checkpoints every 5 s), and spikes injected after a warm-up so the
 * z-score detector fires and alarms open. Reports the latency from a spiked reading's
 * ingestion to the first notification record of its alarm reaching the notifications
 * sink (p50, p99, max) — without the outbox and the channels — the rate sustained and
 * peak RSS.
 *
 * Each alarm is its own group (`groupBy: [alarmId]`), so the figure is the pipeline's
 * own latency: with the default grouping a second alarm of the same equipment within
 * `groupIntervalMs` waits for it by design. Only z-score anomalies raise alarms (see
 * `excludeDetectors` below); every detector and dashboard still runs.
 *
 * Usage: node --import tsx bench/alarm-latency.ts [--rate 50000] [--sensors 50000]
 *   [--seconds 90] [--warmup 40] [--lean]
 *
 * `--lean` leaves the dashboards out (the detectors, the anomalies output and alarm
 * management stay).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Notification } from "../src/alerts/notification.js";
import { SqliteCheckpointStore } from "../src/connectors/checkpoint/index.js";
import { JsonlFileSink } from "../src/connectors/file/index.js";
import type { Sink } from "../src/engine/index.js";
import { plantPipeline } from "../src/iot/plant-pipeline.js";
import { plantCatalog } from "./plant-fixture.js";
import { realtimeReadings } from "./realtime-source.js";

const { values: args } = parseArgs({
  options: {
    rate: { type: "string", default: "50000" },
    sensors: { type: "string", default: "50000" },
    seconds: { type: "string", default: "90" },
    warmup: { type: "string", default: "40" },
    lean: { type: "boolean", default: false },
  },
});
const rate = Number(args.rate);
const sensors = Number(args.sensors);
const seconds = Number(args.seconds);
const warmupMs = Number(args.warmup) * 1000;
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
let notifications = 0;
/** Times the first notification of each spiked reading's alarm as it is written. */
function timedNotifications(inner: Sink<Notification>): Sink<Notification> {
  return {
    description: inner.description,
    async open(context) {
      const writer = await inner.open(context);
      return {
        write(batch) {
          const now = Date.now();
          notifications += batch.values.length;
          for (const n of batch.values) {
            if (n.event !== "firing") continue;
            for (const a of n.alarms) {
              if (a.type === "z-score" && spiked.delete(`${a.source.id}@${a.activeSince}`)) {
                latencies.push(now - a.activeSince);
              }
            }
          }
          writer.write(batch);
        },
        get needsFlush() {
          return writer.needsFlush ?? false;
        },
        flush: () => writer.flush(),
        prepareCommit: (id) => writer.prepareCommit?.(id) ?? writer.flush(),
        commit: (id, progress) => writer.commit?.(id, progress) ?? Promise.resolve(),
        close: () => writer.close(),
      };
    },
  };
}

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-alarm-bench-"));
let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 250);
try {
  const out = (name: string) => new JsonlFileSink<never>({ directory: path.join(work, name) });
  const store = new SqliteCheckpointStore({ path: path.join(work, "checkpoints.sqlite") });
  const { dataflow } = plantPipeline("alarm-latency", {
    input: generator.source,
    catalog: plantCatalog(sensors),
    config: {
      alarms: {
        grouping: { groupBy: ["alarmId"] },
        // The synthetic plant's power sensors sit above their warning band and every
        // machine starts up at once: those alarms are left out, so the figure is the
        // spikes' z-score alarms on top of the whole pipeline's load.
        excludeDetectors: [
          "threshold",
          "trend",
          "stuck-sensor",
          "offline",
          "quality-degradation",
          "sensor-drift",
          "equipment-startup",
          "equipment-shutdown",
        ],
      },
    },
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
      alarms: out("alarms"),
      notifications: timedNotifications(
        new JsonlFileSink<Notification>({ directory: path.join(work, "notifications") }),
      ),
      alarmRejections: out("alarm_rejections"),
    },
  });
  const job = dataflow.job({ checkpoint: { store, interval: 5000 } });
  const started = Date.now();
  await job.run();
  const elapsed = (Date.now() - started) / 1000;
  await store.close();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  console.log(
    `${sensors.toLocaleString("en")} sensors, target ${rate.toLocaleString("en")} readings/s for ${seconds} s (spikes every ${SPIKE_EVERY_MS} ms after ${warmupMs / 1000} s), ${args.lean ? "detectors and alarms only" : "detectors, dashboards and alarms"}, SQLite checkpoints every 5 s`,
  );
  console.log("");
  console.log("| Figure | Value |");
  console.log("| --- | ---: |");
  console.log(
    `| readings processed | ${generator.produced().toLocaleString("en")} (${Math.round(generator.produced() / elapsed).toLocaleString("en")}/s) |`,
  );
  console.log(
    `| spikes injected / alarms notified | ${generator.spikes()} / ${latencies.length} |`,
  );
  console.log(`| notification records | ${notifications.toLocaleString("en")} |`);
  console.log(`| reading → notification p50 | ${q(0.5)} ms |`);
  console.log(`| reading → notification p99 | ${q(0.99)} ms |`);
  console.log(`| reading → notification max | ${latencies.at(-1)} ms |`);
  const steps = job.progress().steps;
  const busy = (match: (step: string) => boolean) =>
    steps.filter((x) => match(x.step)).reduce((n, x) => n + x.busyMs, 0);
  const alarmMs = busy((step) => step.startsWith("alarm"));
  console.log(
    `| alarm steps busy / all steps busy | ${(alarmMs / 1000).toFixed(2)} s / ${(busy(() => true) / 1000).toFixed(1)} s |`,
  );
  console.log(`| peak RSS | ${(peakRss / 2 ** 20).toFixed(0)} MiB |`);
} finally {
  clearInterval(rssTimer);
  rmSync(work, { recursive: true, force: true });
}
