/**
 * `millstream run --config <yaml>`: the long-running plant pipeline from a
 * configuration file, with checkpoints and exactly-once outputs; it resumes from
 * its last checkpoint when started again, and stops gracefully on SIGINT/SIGTERM.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import {
  PostgresCheckpointStore,
  SqliteCheckpointStore,
} from "../../connectors/checkpoint/index.js";
import { JsonlFileSink } from "../../connectors/file/index.js";
import { JobMonitorSource, type PipelineThresholds } from "../../alerts/index.js";
import { type CheckpointStore, type Job, JobLink, LinkedJobs, source } from "../../engine/index.js";
import { plantAlarmJob } from "../../iot/alarms/index.js";
import { readingArchiveSink } from "../../iot/archive/index.js";
import {
  loadMetadataFolder,
  MetadataCatalog,
  watchMetadataFolder,
} from "../../iot/metadata/index.js";
import { plantPipeline } from "../../iot/plant-pipeline.js";
import type { Anomaly } from "../../iot/reading/index.js";
import { buildSource } from "../config/build-source.js";
import { type AlarmDelivery, alarmDelivery } from "../alarm-delivery.js";
import { buildConfiguredSinks, withConfiguredSinks } from "../config/build-sinks.js";
import { ConfigError, loadPlantConfig } from "../config/plant-config.js";
import { runUntilSignal } from "../graceful-stop.js";
import { UsageError } from "../usage-error.js";
import type { Command } from "./command.js";

export const runCommand: Command = {
  name: "run",
  summary: "Run the plant pipeline from a YAML configuration, with checkpoints",
  usage: `Usage: millstream run --config <file.yaml>

Runs the plant pipeline described by the configuration (see docs/configuration.md):
input files, metadata folder (reloaded while running), detector and dashboard
settings, output folder and checkpoint store. Outputs are exactly-once: each output
is a folder of part files published per checkpoint. Started again, it resumes from
its last checkpoint. Ctrl-C (SIGINT) or SIGTERM stops after a final checkpoint; a
second signal exits at once.`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: "string" } },
      strict: true,
    });
    if (!values.config) throw new UsageError("--config is required");
    let config: ReturnType<typeof loadPlantConfig>;
    try {
      config = loadPlantConfig(values.config);
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(error.message);
        return 1;
      }
      throw error;
    }
    const catalog = new MetadataCatalog(await loadMetadataFolder(config.metadata.folder));
    const watcher = watchMetadataFolder(config.metadata.folder, catalog, {
      intervalMs: config.metadata.reloadIntervalMs,
      onReload: () => console.error(`metadata reloaded from ${config.metadata.folder}`),
      onError: (error) =>
        console.error(`metadata not reloaded, keeping the previous tables: ${error.message}`),
    });
    const out = (name: string) =>
      new JsonlFileSink<unknown>({ directory: path.join(config.outputs.folder, name) });
    const store: CheckpointStore = config.checkpoint.postgres
      ? new PostgresCheckpointStore({ connectionString: config.checkpoint.postgres })
      : new SqliteCheckpointStore({
          path: config.checkpoint.sqlite ?? path.join(config.outputs.folder, "checkpoints.sqlite"),
        });
    const configured = config.sinks ? buildConfiguredSinks(config.sinks, config.name) : undefined;
    for (const line of configured?.summary ?? []) console.error(`sink: ${line}`);
    const alarms = (config.pipeline as { alarms?: unknown }).alarms;
    let delivery: AlarmDelivery | null;
    try {
      delivery = alarms ? alarmDelivery(config.file, alarms) : null;
    } catch (error) {
      console.error((error as Error).message);
      watcher.close();
      await store.close();
      await configured?.close();
      return 1;
    }
    if (delivery) console.error(`notifications: ${delivery.description}`);
    // Alarm management in a job of its own (by default), reading the anomalies through a
    // link as they are detected, with its own small checkpoints: see docs/alarms.md.
    const alarmCheckpoints = config.checkpoint.alarms;
    const link =
      alarms && alarmCheckpoints.separate ? new JobLink<Anomaly>({ id: (a) => a.id }) : null;
    const alarmSinks = alarms
      ? {
          alarms: out("alarms"),
          alarmRejections: out("alarm_rejections"),
          heldNotifications: out("held_notifications"),
          notifications: delivery ? delivery.sink : out("notifications"),
        }
      : {};
    const { dataflow } = plantPipeline(config.name, {
      input: buildSource(config.input, { onWarning: (message) => console.error(message) }),
      catalog,
      config: config.pipeline,
      sinks: withConfiguredSinks(configured, {
        anomalies: out("anomalies"),
        deadLetters: out("dead_letters"),
        late: out("late"),
        facilityMetrics: out("facility_metrics"),
        equipmentHealth: out("equipment_health"),
        productionEfficiency: out("production_efficiency"),
        equipmentState: out("equipment_state"),
        ...(link ? { alarmLink: link } : alarmSinks),
        ...(config.outputs.archive
          ? { archive: readingArchiveSink(path.join(config.outputs.folder, "archive")) }
          : {}),
      }),
    });
    const { intervalMs, minPauseMs } = config.checkpoint;
    const job = dataflow.job({
      checkpoint: {
        store,
        interval: intervalMs,
        ...(minPauseMs === undefined ? {} : { minPauseMs }),
      },
    });
    let alarmStore: CheckpointStore | null = null;
    let running: Job | LinkedJobs = job;
    if (link) {
      alarmStore = config.checkpoint.postgres
        ? new PostgresCheckpointStore({ connectionString: config.checkpoint.postgres })
        : new SqliteCheckpointStore({
            path: alarmCheckpoints.sqlite ?? alarmStorePath(config),
          });
      // Alarms on the pipeline itself: samples of the plant job, into the alarm job.
      const monitor = (alarms as { monitor?: false | MonitorSettings }).monitor;
      const { intervalMs: monitorIntervalMs, ...thresholds } = monitor || {};
      const signals =
        monitor === false
          ? undefined
          : source(
              "pipeline-health",
              new JobMonitorSource(() => job, {
                ...(monitorIntervalMs === undefined ? {} : { intervalMs: monitorIntervalMs }),
                thresholds,
              }),
            );
      const alarmJob = plantAlarmJob(
        `${config.name}-alarms`,
        link,
        {
          catalog,
          ...(config.pipeline.alarms ? { config: config.pipeline.alarms } : {}),
          ...(signals ? { signals } : {}),
        },
        alarmSinks,
      ).job({
        checkpoint: {
          store: alarmStore,
          interval: alarmCheckpoints.intervalMs,
          minPauseMs: alarmCheckpoints.minPauseMs,
        },
      });
      running = new LinkedJobs(job, alarmJob, link as JobLink<unknown>);
    }
    delivery?.start();
    try {
      await runUntilSignal(running, {
        ready: () =>
          console.error(
            `running ${config.name} (${store.description}${alarmStore ? `; alarm job: ${alarmStore.description}` : ""})`,
          ),
      });
    } finally {
      watcher.close();
      await store.close();
      await alarmStore?.close();
      await configured?.close();
      if (delivery) {
        // A finished (finite) run waits a little for its last notifications.
        const left = await delivery.stop(running.state === "finished" ? 10_000 : 0);
        console.error(
          `notifications: ${left.delivered} delivered, ${left.pending} pending (kept in the outbox), ${left.dead} dead`,
        );
      }
    }
    const p = job.progress();
    console.log(
      `${config.name}: ${running.state}; ${p.recordsIn.toLocaleString("en")} readings read; last checkpoint ${p.checkpoints.lastId ?? "none"}`,
    );
    return 0;
  },
};

/** The alarm job's SQLite file by default: beside the plant job's, `<name>.alarms.sqlite`. */
function alarmStorePath(config: {
  readonly checkpoint: { readonly sqlite?: string };
  readonly outputs: { readonly folder: string };
}): string {
  const plant = config.checkpoint.sqlite ?? path.join(config.outputs.folder, "checkpoints.sqlite");
  const ext = path.extname(plant);
  return `${ext ? plant.slice(0, -ext.length) : plant}.alarms${ext || ".sqlite"}`;
}

/** `pipeline.alarms.monitor` when given as an object. */
type MonitorSettings = Partial<PipelineThresholds> & { readonly intervalMs?: number };
