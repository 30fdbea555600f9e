/**
 * `millstream demo` (what `npm start` runs): a simulated plant in real time through
 * the whole plant pipeline with the embedded defaults — SQLite checkpoints,
 * exactly-once JSONL outputs, the Parquet archive, all in one data folder — and a
 * live view of what happens. Ctrl-C stops after a final checkpoint; started again,
 * it resumes from there, the simulator catching up on the time it was stopped.
 */

import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import type { AlarmTransition } from "../../alerts/index.js";
import { SqliteCheckpointStore } from "../../connectors/checkpoint/index.js";
import { JsonlFileSink } from "../../connectors/file/index.js";
import type { Source } from "../../engine/index.js";
import { LIVE_ARCHIVE_MEMORY_MB, readingArchiveSink } from "../../iot/archive/index.js";
import type { FacilityMetricsRecord } from "../../iot/dashboards/index.js";
import {
  loadMetadataFolder,
  MetadataCatalog,
  watchMetadataFolder,
} from "../../iot/metadata/index.js";
import { plantPipeline } from "../../iot/plant-pipeline.js";
import type { Anomaly, Severity } from "../../iot/reading/index.js";
import { type SimulatorRun, writePlantMetadata } from "../../iot/simulator/index.js";
import {
  type DEMO_OUTPUTS,
  demoPaths,
  LabelsFile,
  mergeSettings,
  readDemoSettings,
  removeDemoState,
  writeDemoSettings,
} from "../demo/demo-data-folder.js";
import { DEFAULT_ARCHIVE_COMPACTION, startArchiveCompaction } from "../archive-compaction.js";
import { DemoMonitor, SEVERITIES } from "../demo/demo-monitor.js";
import { counted, humanDuration } from "../demo/render-demo-view.js";
import { resumableSimulatorSource } from "../demo/resumable-simulator-source.js";
import { tapSink } from "../demo/tap-sink.js";
import { TerminalView } from "../demo/terminal-view.js";
import { runUntilSignal } from "../graceful-stop.js";
import { UsageError } from "../usage-error.js";
import type { Command } from "./command.js";
import {
  faultsFromArgs,
  PLANT_OPTIONS,
  parseCount,
  parseDuration,
  parseSeed,
  plantFromArgs,
} from "./simulate.js";

/** The job's name: it keys the checkpoints in the data folder. */
const JOB = "demo";
const DEFAULT_WARMUP_MS = 60_000;
/** Readings further ahead of the machine's clock are dead letters (`timestamp-in-future`). */
const MAX_FUTURE_MS = 10_000;

export const demoCommand: Command = {
  name: "demo",
  summary: "Watch the whole pipeline run on a live simulated plant (what npm start runs)",
  usage: `Usage: millstream demo [options]

Simulates a plant in real time (default: 5 facilities, 10,000 sensors, one reading
per second each, with injected faults after a one-minute warm-up), runs the whole
plant pipeline on it — validation, enrichment, anomaly detectors, dashboards,
equipment state, Parquet archive — and shows a live view refreshed every second:
throughput, event-time watermark lag, checkpoints, the latest anomalies and each
facility's latest one-minute window. When the output is not a terminal it prints
one status line per refresh instead.

Everything goes to one data folder: checkpoints.sqlite, one folder of exactly-once
JSONL part files per output (anomalies/, facility_metrics/, …), archive/ (Parquet),
metadata/ and labels.jsonl (the injected faults' ground truth). Ctrl-C stops after a
final checkpoint; run it again to resume (the simulator catches up on the time it
was stopped). See docs/demo.md.

Plant (kept in the data folder's demo.json; a different value needs --fresh):
  --facilities <n>       facilities (default 5)
  --sensors <n>          sensors in all, five per machine (default 10000)
  --lines <n>            production lines per facility (default 3)
  --seed <n|text>        seed of every random choice (default 1)

Rate and faults:
  --interval-ms <ms>     each sensor reports every <ms> ms (default 1000)
  --faults <mix>         default | none | all | type[=weight],... (default: default)
                         types: spike, drift, stuck, offline, noisy, quality, shutdown,
                         clock-skew, out-of-order, late, duplicate, malformed
  --fault-rate <r>       faults per sensor per hour (default 0.5)
  --warmup <d>           no fault in the first <d> of the demo (default 60s)

Data and running:
  --data <folder>        the data folder (default ./millstream-data)
  --fresh                delete the data folder's demo files first and start anew
  --backfill <d>         a new demo starts its simulated time <d> in the past and
                         catches up at full speed, so windows and anomalies show at once
  --duration <d>         stop by itself after <d> (final checkpoint; resumable)
  --checkpoint-interval <d>  time between checkpoints (default 5s)
  --refresh <d>          time between two refreshes of the view (default 1s)
  --min-severity <s>     the view lists anomalies of this severity or worse: low,
                         medium, high, critical (default high; all are counted)

Durations: 500ms, 90s, 10m, 2h (a bare number is seconds).`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...PLANT_OPTIONS,
        data: { type: "string" },
        "interval-ms": { type: "string" },
        warmup: { type: "string" },
        fresh: { type: "boolean", default: false },
        backfill: { type: "string" },
        duration: { type: "string" },
        "checkpoint-interval": { type: "string" },
        refresh: { type: "string" },
        "min-severity": { type: "string" },
      },
      strict: true,
    });
    const dataArg = values.data ?? "millstream-data";
    const dataDir = path.resolve(dataArg);
    const int = (flag: string, text: string | undefined) =>
      text === undefined ? undefined : parseCount(flag, text);
    const duration = (flag: string, text: string | undefined) =>
      text === undefined ? undefined : parseDuration(flag, text);
    const requested = {
      facilities: int("--facilities", values.facilities),
      sensors: int("--sensors", values.sensors),
      lines: int("--lines", values.lines),
      seed: values.seed === undefined ? undefined : parseSeed(values.seed),
      intervalMs: int("--interval-ms", values["interval-ms"]),
    };
    const faultFlags = faultsFromArgs(values);
    const warmupMs = values.warmup === "0" ? 0 : duration("--warmup", values.warmup);
    const backfillMs = duration("--backfill", values.backfill);
    const runForMs = duration("--duration", values.duration);
    const checkpointIntervalMs =
      duration("--checkpoint-interval", values["checkpoint-interval"]) ?? 5000;
    const refreshMs = duration("--refresh", values.refresh) ?? 1000;
    const minSeverity = (values["min-severity"] ?? "high") as Severity;
    if (!SEVERITIES.includes(minSeverity)) {
      throw new UsageError(
        `--min-severity: expected one of ${SEVERITIES.join(", ")}, got "${values["min-severity"]}"`,
      );
    }

    if (values.fresh) await removeDemoState(dataDir);
    const settings = mergeSettings(readDemoSettings(dataDir), requested, dataArg);
    const plant = plantFromArgs({
      facilities: String(settings.facilities),
      sensors: String(settings.sensors),
      ...(settings.lines === null ? {} : { lines: String(settings.lines) }),
      seed: String(settings.seed),
    });
    const paths = demoPaths(dataDir);
    await mkdir(dataDir, { recursive: true });
    await writeDemoSettings(dataDir, settings);
    if (!existsSync(path.join(paths.metadata, "sensors.json"))) {
      await writePlantMetadata(plant, paths.metadata);
    }

    const startedAtMs = Date.now();
    const monitor = new DemoMonitor({
      facilities: plant.facilities.map((f) => ({ id: f.id, name: f.name })),
      sensors: plant.sensors.length,
      intervalMs: settings.intervalMs,
      checkpointIntervalMs,
      dataDir: dataArg,
      startedAtMs,
      minSeverity,
    });
    const view = new TerminalView(process.stdout);
    const draw = () => view.draw(monitor.sample(Date.now()));
    // Output closed (`millstream demo | head`): stop drawing, and stop the demo.
    const stopOnClosedOutput = { stop: () => {} };
    const onOutputError = () => {
      view.detach();
      stopOnClosedOutput.stop();
    };
    process.stdout.on("error", onOutputError);
    const restoreTerminal = () => view.close();
    process.on("exit", restoreTerminal);
    if (!view.inPlace) {
      console.log(
        `millstream demo: ${counted(plant.facilities.length, "facility", "facilities")}, ${counted(plant.sensors.length, "sensor", "sensors")}, one reading every ${settings.intervalMs} ms each; data in ${dataArg}; Ctrl-C stops`,
      );
    }
    draw();

    const catalog = new MetadataCatalog(await loadMetadataFolder(paths.metadata));
    const watcher = watchMetadataFolder(paths.metadata, catalog, {
      onReload: () => monitor.notice(`metadata reloaded from ${path.join(dataArg, "metadata")}`),
      onError: (error) =>
        monitor.notice(`metadata not reloaded, keeping the previous tables: ${error.message}`),
    });
    const labels = new LabelsFile(paths.labels);
    const simulation: { run: SimulatorRun | null } = { run: null };
    const faults =
      faultFlags === false ? false : { ...faultFlags, warmupMs: warmupMs ?? DEFAULT_WARMUP_MS };
    const simulator = resumableSimulatorSource(plant, {
      realtime: true,
      intervalMs: settings.intervalMs,
      faults,
      ...(backfillMs === undefined
        ? {}
        : { startMs: Math.floor((startedAtMs - backfillMs) / 1000) * 1000 }),
      onStart: (started) => {
        simulation.run = started;
        monitor.watchSimulator(() => started.timeMs);
      },
      onResume: (atMs, exact) => {
        labels.trim(atMs, { cut: !exact });
        monitor.notice(
          exact
            ? `resumed at ${new Date(atMs).toISOString()} (simulated time of the checkpoint)`
            : `resumed at ${new Date(atMs).toISOString()} with a new simulator run (long history: machine loads restart)`,
        );
      },
      onLabels: (planned) => {
        labels.append(planned);
        monitor.addLabels(planned);
      },
    });
    const store = new SqliteCheckpointStore({ path: paths.checkpoints });
    // Learns whether the job resumed (the runtime opens sources with the checkpoint's positions).
    const input: Source<string> = {
      description: simulator.description,
      async open(context) {
        const resumed = context.resumeFrom !== undefined && context.resumeFrom.size > 0;
        if (resumed) {
          monitor.resumedFrom = job.progress().checkpoints.lastId;
          monitor.phase = "resuming";
          if (backfillMs !== undefined)
            monitor.notice("--backfill ignored: resuming from the checkpoint");
        } else labels.begin();
        try {
          const reader = await simulator.open(context);
          monitor.phase = "running";
          return reader;
        } catch (error) {
          throw new Error(
            `${(error as Error).message}; the checkpoint in ${dataArg} was not written by this demo: start with --fresh`,
            { cause: error },
          );
        }
      },
    };
    const out = <T>(name: (typeof DEMO_OUTPUTS)[number]) =>
      new JsonlFileSink<T>({ directory: paths.output(name), overwrite: true });
    const { dataflow } = plantPipeline(JOB, {
      input,
      catalog,
      // A device clock running ahead must not push event time past the present (every
      // other reading would be late): readings over 10 s ahead of it are dead letters.
      // While the simulator catches up, the present is the simulated time it reached.
      config: { maxFutureMs: MAX_FUTURE_MS },
      now: () => Math.min(Date.now(), simulation.run?.timeMs ?? Number.POSITIVE_INFINITY),
      sinks: {
        anomalies: tapSink(out<Anomaly>("anomalies"), (v) => monitor.addAnomalies(v)),
        deadLetters: out("dead_letters"),
        late: out("late"),
        facilityMetrics: tapSink(out<FacilityMetricsRecord>("facility_metrics"), (v) =>
          monitor.addFacilityMetrics(v),
        ),
        equipmentHealth: out("equipment_health"),
        productionEfficiency: out("production_efficiency"),
        equipmentState: out("equipment_state"),
        archive: readingArchiveSink(paths.archive, {
          overwrite: true,
          memoryLimitMb: LIVE_ARCHIVE_MEMORY_MB,
        }),
        alarms: tapSink(out<AlarmTransition>("alarms"), (v) => monitor.addAlarmTransitions(v)),
        notifications: out("notifications"),
        alarmRejections: out("alarm_rejections"),
        heldNotifications: out("held_notifications"),
      },
    });
    const job = dataflow.job({ checkpoint: { store, interval: checkpointIntervalMs } });
    stopOnClosedOutput.stop = () => job.stop();
    monitor.watchJob(() => job.progress());
    // The archive's small files merged every 15 minutes, as `millstream run` does.
    const compaction = startArchiveCompaction(paths.archive, DEFAULT_ARCHIVE_COMPACTION, (line) =>
      monitor.notice(line),
    );

    const refresh = setInterval(draw, refreshMs);
    const stopAfter =
      runForMs === undefined
        ? undefined
        : setTimeout(() => {
            monitor.notice(
              `--duration ${humanDuration(runForMs)} reached: stopping with a final checkpoint`,
            );
            monitor.phase = "stopping";
            job.stop();
          }, runForMs);
    try {
      await runUntilSignal(job, {
        log: (line) => {
          monitor.notice(line);
          monitor.phase = "stopping";
          if (!view.inPlace) process.stderr.write(`${line}\n`);
          draw();
        },
      });
    } finally {
      await compaction.stop();
      clearInterval(refresh);
      if (stopAfter !== undefined) clearTimeout(stopAfter);
      watcher.close();
      await store.close();
      if (simulation.run !== null) labels.trim(simulation.run.timeMs);
      monitor.phase = "stopped";
      draw();
      view.close();
      process.off("exit", restoreTerminal);
    }
    const p = job.progress();
    console.log(
      `demo stopped after checkpoint ${p.checkpoints.lastId ?? "none"}: ${p.recordsIn.toLocaleString("en")} readings this run; data in ${dataArg} (run again to resume, --fresh to start anew)`,
    );
    return 0;
  },
};
