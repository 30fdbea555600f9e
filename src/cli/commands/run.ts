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
import type { CheckpointStore } from "../../engine/index.js";
import { readingArchiveSink } from "../../iot/archive/index.js";
import {
  loadMetadataFolder,
  MetadataCatalog,
  watchMetadataFolder,
} from "../../iot/metadata/index.js";
import { plantPipeline } from "../../iot/plant-pipeline.js";
import {
  type AlarmDelivery,
  alarmDelivery,
  checkAlarmDelivery,
  type DeliverySummary,
} from "../alarm-delivery.js";
import { alarmLink, alarmOutputs, linkedAlarmJob } from "../alarm-job.js";
import { startArchiveCompaction } from "../archive-compaction.js";
import { buildConfiguredSinks, withConfiguredSinks } from "../config/build-sinks.js";
import { buildSource } from "../config/build-source.js";
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
    const sqlitePath =
      config.checkpoint.sqlite ?? path.join(config.outputs.folder, "checkpoints.sqlite");
    const store: CheckpointStore = config.checkpoint.postgres
      ? new PostgresCheckpointStore({ connectionString: config.checkpoint.postgres })
      : new SqliteCheckpointStore({ path: sqlitePath });
    const configured = config.sinks ? buildConfiguredSinks(config.sinks, config.name) : undefined;
    for (const line of configured?.summary ?? []) console.error(`sink: ${line}`);
    const alarms = (config.pipeline as { alarms?: unknown }).alarms;
    // Alarm management in a job of its own (by default on a worker thread), reading the
    // anomalies through a link as they are detected, with its own small checkpoints:
    // see docs/alarms.md. On a worker thread, delivery runs there: it is checked here.
    const separate = Boolean(alarms) && config.checkpoint.alarms.separate;
    const threaded = separate && config.checkpoint.alarms.thread;
    let delivery: AlarmDelivery | null = null;
    try {
      if (!threaded && alarms) delivery = alarmDelivery(config.file, alarms);
      const described = threaded
        ? await checkAlarmDelivery(config.file, alarms)
        : delivery?.description;
      if (described) console.error(`notifications: ${described}`);
    } catch (error) {
      console.error((error as Error).message);
      watcher.close();
      await store.close();
      await configured?.close();
      return 1;
    }
    const link = separate ? alarmLink() : null;
    const alarmSinks = alarms && !threaded ? alarmOutputs(config, delivery?.sink) : {};
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
          ? {
              archive: readingArchiveSink(path.join(config.outputs.folder, "archive"), {
                memoryLimitMb: config.outputs.archiveMemoryMb,
              }),
            }
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
    const linked = link ? linkedAlarmJob(config, sqlitePath, job, link, catalog, alarmSinks) : null;
    const running = linked?.running ?? job;
    delivery?.start();
    const compaction =
      config.outputs.archive && config.outputs.archiveCompaction !== false
        ? startArchiveCompaction(
            path.join(config.outputs.folder, "archive"),
            config.outputs.archiveCompaction,
            (line) => console.error(line),
          )
        : null;
    let summary: DeliverySummary | null = null;
    try {
      await runUntilSignal(running, {
        ready: () =>
          console.error(
            `running ${config.name} (${store.description}${linked ? `; ${linked.description}` : ""})`,
          ),
      });
    } finally {
      await compaction?.stop();
      watcher.close();
      await store.close();
      summary = (await linked?.close()) ?? null;
      await configured?.close();
      // A finished (finite) run waits a little for its last notifications.
      if (delivery) summary = await delivery.stop(running.state === "finished" ? 10_000 : 0);
      if (summary) {
        console.error(
          `notifications: ${summary.delivered} delivered, ${summary.pending} pending (kept in the outbox), ${summary.dead} dead`,
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
