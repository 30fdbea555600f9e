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
 * Each alarm is its own group (`groupBy: [alarmId]`), so the figure is the pipeline's
 * own latency: with the default grouping a second alarm of the same equipment within
 * `groupIntervalMs` waits for it by design. Only z-score anomalies raise alarms (see
 * `excludeDetectors` below); every detector and dashboard still runs.
 *
 * Usage: node --import tsx bench/alarm-latency.ts [--rate 50000] [--sensors 50000]
 *   [--seconds 90] [--warmup 40] [--spike-every 100] [--interval 5000]
 *   [--min-pause 100] [--lean] [--periodic-only] [--inline]
 *   [--alarm-interval 1000] [--alarm-min-pause 0]
 *
 * By default alarm management runs as a job of its own linked to the plant job
 * (`JobLink`, as `millstream run` does), with its own SQLite checkpoints every
 * `--alarm-interval` ms and early ones asked for by the outbox; `--inline` puts it
 * inside the plant job as before, so notifications wait for the plant's checkpoints.
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
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { Channel, SendResult } from "../src/alerts/channels/channel.js";
import { Dispatcher } from "../src/alerts/delivery/dispatcher.js";
import { Outbox } from "../src/alerts/delivery/outbox.js";
import { OutboxSink } from "../src/alerts/delivery/outbox-sink.js";
import type { Notification } from "../src/alerts/notification.js";
import { defaultChannels } from "../src/alerts/routing/route-config.js";
import { SqliteCheckpointStore } from "../src/connectors/checkpoint/index.js";
import { JsonlFileSink } from "../src/connectors/file/index.js";
import { JobLink, LinkedJobs, type Sink } from "../src/engine/index.js";
import { plantAlarmJob } from "../src/iot/alarms/index.js";
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
    "min-pause": { type: "string", default: "100" },
    "spike-every": { type: "string", default: "100" },
    lean: { type: "boolean", default: false },
    "periodic-only": { type: "boolean", default: false },
    inline: { type: "boolean", default: false },
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
const inline = args.inline;
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

/** Per spiked reading (`S<n>@<time>`): its time, when its first notification reached the sink, and its first attempt. */
const spikes = new Map<string, { at: number; written: number; attempted: number | null }>();
/** Notification id → the spike it announces. */
const spikeOf = new Map<string, string>();
let notifications = 0;

/** Notes, as they are written, the notifications announcing a spiked reading's alarm. */
function timedNotifications(inner: Sink<Notification>): Sink<Notification> {
  return tapSink(inner, (batch) => {
    const now = Date.now();
    notifications += batch.values.length;
    for (const n of batch.values) {
      if (n.event !== "firing") continue;
      for (const a of n.alarms) {
        if (a.type !== "z-score") continue;
        const key = `${a.source.id}@${a.activeSince}`;
        if (spiked.delete(key))
          spikes.set(key, { at: a.activeSince, written: now, attempted: null });
        if (spikes.has(key)) spikeOf.set(n.id, key);
      }
    }
  });
}

/** A channel that answers at once and notes each spike's first attempt. */
class InstantChannel implements Channel {
  readonly kind = "webhook" as const;
  attempts = 0;
  constructor(readonly name: string) {}
  async send(notification: Notification): Promise<SendResult> {
    this.attempts++;
    const key = spikeOf.get(notification.id);
    const spike = key === undefined ? undefined : spikes.get(key);
    if (spike !== undefined && spike.attempted === null) spike.attempted = Date.now();
    return { outcome: "delivered", status: 200 };
  }
  async close(): Promise<void> {}
}

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-alarm-bench-"));
let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 250);
const outbox = new Outbox({ path: path.join(work, "outbox.db") });
const channels = new Map(
  Object.keys(defaultChannels).map((name) => [name, new InstantChannel(name)]),
);
const dispatcher = new Dispatcher({ outbox, channels, concurrency: 4 });
try {
  const out = (name: string) => new JsonlFileSink<never>({ directory: path.join(work, name) });
  const store = new SqliteCheckpointStore({ path: path.join(work, "checkpoints.sqlite") });
  const alarmsConfig = {
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
  };
  const alarmSinks = {
    alarms: out("alarms"),
    notifications: timedNotifications(
      new OutboxSink({ outbox, ...(early ? { earlyCheckpoint: { minPriority: 0 } } : {}) }),
    ),
    alarmRejections: out("alarm_rejections"),
  };
  const link = inline ? null : new JobLink<Anomaly>({ id: (a) => a.id });
  const catalog = plantCatalog(sensors);
  const { dataflow } = plantPipeline("alarm-latency", {
    input: generator.source,
    catalog,
    config: { alarms: alarmsConfig },
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
      ...(link ? { alarmLink: link } : alarmSinks),
    },
  });
  const job = dataflow.job({ checkpoint: { store, interval: intervalMs, minPauseMs } });
  const alarmStore = link
    ? new SqliteCheckpointStore({ path: path.join(work, "alarm-checkpoints.sqlite") })
    : null;
  const alarmJob =
    link && alarmStore
      ? plantAlarmJob(
          "alarm-latency-alarms",
          link,
          { catalog, config: alarmsConfig },
          alarmSinks,
        ).job({
          checkpoint: {
            store: alarmStore,
            interval: alarmIntervalMs,
            minPauseMs: alarmMinPauseMs,
          },
        })
      : null;
  const running = link && alarmJob ? new LinkedJobs(job, alarmJob, link) : job;
  dispatcher.start();
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  await running.run();
  const elapsed = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // The final checkpoint's notifications: let the dispatcher take them.
  for (let i = 0; i < 200 && outbox.stats().pending > 0; i++) await sleep(10);
  await dispatcher.stop();
  await store.close();
  await alarmStore?.close();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  const q = (xs: readonly number[], p: number) =>
    xs.length === 0 ? Number.NaN : xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  const seen = [...spikes.values()];
  const attempted = seen.filter((x) => x.attempted !== null);
  const total = sorted(attempted.map((x) => (x.attempted as number) - x.at));
  const pipeline = sorted(seen.map((x) => x.written - x.at));
  const publish = sorted(attempted.map((x) => (x.attempted as number) - x.written));
  const ms = (xs: readonly number[]) =>
    `${q(xs, 0.5)} / ${q(xs, 0.99)} / ${xs.at(-1) ?? Number.NaN} ms`;
  const cp = (alarmJob ?? job).progress().checkpoints;
  const plantCp = job.progress().checkpoints;
  const pauses = sorted([...cp.recentPausesMs]);
  const produced = generator.produced();
  console.log(
    `${sensors.toLocaleString("en")} sensors, target ${rate.toLocaleString("en")} readings/s for ${seconds} s (spikes every ${SPIKE_EVERY_MS} ms after ${warmupMs / 1000} s), ${args.lean ? "detectors and alarms only" : "detectors, dashboards and alarms"}, SQLite checkpoints every ${intervalMs / 1000} s, ${inline ? "alarms inside the plant job" : `alarms in a linked job (checkpoints every ${alarmIntervalMs} ms, min pause ${alarmMinPauseMs} ms)`}, ${early ? `early checkpoints for notifications${inline ? `, min pause ${minPauseMs} ms` : ""}` : "no early checkpoints"}`,
  );
  console.log("");
  console.log("| Figure | Value |");
  console.log("| --- | ---: |");
  console.log(
    `| readings processed | ${produced.toLocaleString("en")} (${Math.round(produced / elapsed).toLocaleString("en")}/s) |`,
  );
  console.log(
    `| CPU time (user + system) | ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, ${((cpu.user + cpu.system) / Math.max(1, produced)).toFixed(1)} µs per reading |`,
  );
  console.log(
    `| spikes injected / notified / attempted | ${generator.spikes()} / ${seen.length} / ${attempted.length} |`,
  );
  console.log(`| notification records | ${notifications.toLocaleString("en")} |`);
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
  const steps = [...job.progress().steps, ...(alarmJob?.progress().steps ?? [])];
  const busy = (match: (step: string) => boolean) =>
    steps.filter((x) => match(x.step)).reduce((n, x) => n + x.busyMs, 0);
  const alarmMs = busy((step) => step.startsWith("alarm"));
  console.log(
    `| alarm steps busy / all steps busy | ${(alarmMs / 1000).toFixed(2)} s / ${(busy(() => true) / 1000).toFixed(1)} s |`,
  );
  loopDelay.disable();
  const delayMs = (p: number) => (loopDelay.percentile(p) / 1e6).toFixed(0);
  console.log(
    `| event loop delay p50 / p99 / max | ${delayMs(50)} / ${delayMs(99)} / ${(loopDelay.max / 1e6).toFixed(0)} ms |`,
  );
  console.log(`| peak RSS | ${(peakRss / 2 ** 20).toFixed(0)} MiB |`);
} finally {
  clearInterval(rssTimer);
  await dispatcher.stop();
  outbox.close();
  rmSync(work, { recursive: true, force: true });
}
