/**
 * The alarm job of `millstream run`: alarm management as a job of its own, linked to
 * the plant job (`JobLink`), with its own checkpoint store and, unless turned off, the
 * alarms on the pipeline itself (a `JobMonitorSource` sampling the plant job).
 */
import path from "node:path";
import { JobMonitorSource, type PipelineThresholds } from "../alerts/index.js";
import { PostgresCheckpointStore, SqliteCheckpointStore } from "../connectors/checkpoint/index.js";
import { type CheckpointStore, type Job, JobLink, LinkedJobs, source } from "../engine/index.js";
import { type PlantAlarmSinks, plantAlarmJob } from "../iot/alarms/index.js";
import type { MetadataCatalog } from "../iot/metadata/index.js";
import type { PlantConfig } from "../iot/plant-pipeline.js";
import type { Anomaly } from "../iot/reading/index.js";
import type { PlantConfigFile } from "./config/plant-config.js";

/** `pipeline.alarms.monitor` when given as an object. */
type MonitorSettings = Partial<PipelineThresholds> & { readonly intervalMs?: number };

/** The link the plant job writes its anomalies into, for `PlantSinks.alarmLink`. */
export function alarmLink(): JobLink<Anomaly> {
  return new JobLink<Anomaly>({ id: (a) => a.id });
}

/** The plant job and its alarm job as one runnable pair, and the alarm job's store. */
export function linkedAlarmJob(
  config: PlantConfigFile,
  plantStorePath: string,
  plant: Job,
  link: JobLink<Anomaly>,
  catalog: MetadataCatalog,
  sinks: Omit<PlantAlarmSinks, "alarmLink">,
): { readonly running: LinkedJobs<Anomaly>; readonly store: CheckpointStore } {
  const settings = config.checkpoint.alarms;
  const store = config.checkpoint.postgres
    ? new PostgresCheckpointStore({ connectionString: config.checkpoint.postgres })
    : new SqliteCheckpointStore({ path: settings.sqlite ?? besidePlantStore(plantStorePath) });
  const alarms: PlantConfig["alarms"] = config.pipeline.alarms;
  const monitor = (alarms as { monitor?: false | MonitorSettings } | undefined)?.monitor;
  const { intervalMs, ...thresholds } = monitor || {};
  const signals =
    monitor === false
      ? undefined
      : source(
          "pipeline-health",
          new JobMonitorSource(() => plant, {
            ...(intervalMs === undefined ? {} : { intervalMs }),
            thresholds,
          }),
        );
  const alarmJob = plantAlarmJob(
    `${config.name}-alarms`,
    link,
    { catalog, ...(alarms ? { config: alarms } : {}), ...(signals ? { signals } : {}) },
    sinks,
  ).job({
    checkpoint: { store, interval: settings.intervalMs, minPauseMs: settings.minPauseMs },
  });
  return { running: new LinkedJobs(plant, alarmJob, link), store };
}

/** `<name>.alarms.sqlite` beside the plant job's store. */
function besidePlantStore(plant: string): string {
  const ext = path.extname(plant);
  return `${ext ? plant.slice(0, -ext.length) : plant}.alarms${ext || ".sqlite"}`;
}
