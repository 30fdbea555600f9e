/**
 * The alarm job of `millstream run`: alarm management as a job of its own, linked to
 * the plant job (`JobLink`), with its own checkpoint store and, unless turned off, the
 * alarms on the pipeline itself (a `JobMonitorSource` sampling the plant job). By
 * default it runs on a worker thread of its own (`alarm-worker.ts`), so that a
 * notification is not held up by the plant job's work on the main thread.
 */
import path from "node:path";
import {
  JobMonitorSource,
  type MonitoredJob,
  type PipelineSample,
  type PipelineThresholds,
  processMemory,
} from "../alerts/index.js";
import type { Notification } from "../alerts/notification.js";
import { PostgresCheckpointStore, SqliteCheckpointStore } from "../connectors/checkpoint/index.js";
import { JsonlFileSink } from "../connectors/file/index.js";
import {
  type CheckpointStore,
  type Job,
  type JobProgress,
  JobLink,
  LinkedJobs,
  type Sink,
  siblingModule,
  source,
  WorkerJob,
} from "../engine/index.js";
import { type PlantAlarmSinks, plantAlarmJob } from "../iot/alarms/index.js";
import type { MetadataCatalog } from "../iot/metadata/index.js";
import type { PlantConfig } from "../iot/plant-pipeline.js";
import type { Anomaly } from "../iot/reading/index.js";
import type { DeliverySummary } from "./alarm-delivery.js";
import type { PlantConfigFile } from "./config/plant-config.js";

/** `pipeline.alarms.monitor` when given as an object. */
type MonitorSettings = Partial<PipelineThresholds> & { readonly intervalMs?: number };

/** The link the plant job writes its anomalies into, for `PlantSinks.alarmLink`. */
export function alarmLink(): JobLink<Anomaly> {
  return new JobLink<Anomaly>({ id: (a) => a.id });
}

/** The alarm outputs of `millstream run`: JSONL part folders, notifications to `notifications` when given. */
export function alarmOutputs(
  config: PlantConfigFile,
  notifications?: Sink<Notification>,
): Omit<PlantAlarmSinks, "alarmLink"> {
  const out = (name: string) =>
    new JsonlFileSink<never>({ directory: path.join(config.outputs.folder, name) });
  return {
    alarms: out("alarms"),
    alarmRejections: out("alarm_rejections"),
    heldNotifications: out("held_notifications"),
    notifications: notifications ?? out("notifications"),
  };
}

/** What the plant job's monitor reads, wherever the alarm job runs. */
export interface PlantHealth {
  /** The plant job, or its last progress (`undefined` before the first). */
  readonly job: () => MonitoredJob | undefined;
  /** The plant process's memory. */
  readonly memory: () => PipelineSample["memory"];
}

/**
 * The alarm job of `config` and its checkpoint store. On the alarm job's own thread
 * (`ownThread`), a SQLite store commits on that thread: nothing else waits on its event
 * loop, and a hand-off to a commit thread would only add latency.
 */
export function alarmJob(
  config: PlantConfigFile,
  plantStorePath: string,
  link: JobLink<Anomaly>,
  catalog: MetadataCatalog,
  sinks: Omit<PlantAlarmSinks, "alarmLink">,
  health: PlantHealth,
  ownThread: boolean,
): { readonly job: Job; readonly store: CheckpointStore } {
  const settings = config.checkpoint.alarms;
  const store = config.checkpoint.postgres
    ? new PostgresCheckpointStore({ connectionString: config.checkpoint.postgres })
    : new SqliteCheckpointStore({
        path: settings.sqlite ?? besidePlantStore(plantStorePath),
        thread: !ownThread,
      });
  const alarms: PlantConfig["alarms"] = config.pipeline.alarms;
  const monitor = monitorSettings(config);
  const { intervalMs, ...thresholds } = monitor || {};
  const signals =
    monitor === false
      ? undefined
      : source(
          "pipeline-health",
          new JobMonitorSource(health.job, {
            ...(intervalMs === undefined ? {} : { intervalMs }),
            thresholds,
            memory: health.memory,
          }),
        );
  const job = plantAlarmJob(
    `${config.name}-alarms`,
    link,
    { catalog, ...(alarms ? { config: alarms } : {}), ...(signals ? { signals } : {}) },
    sinks,
  ).job({
    checkpoint: { store, interval: settings.intervalMs, minPauseMs: settings.minPauseMs },
  });
  return { job, store };
}

/** The plant job and its alarm job, run as one pair. */
export interface LinkedAlarmJob {
  readonly running: LinkedJobs<Anomaly>;
  /** Where the alarm job runs and checkpoints, for the start-up line. */
  readonly description: string;
  /**
   * After the run: closes what this thread opened for the alarm job, and returns the
   * worker's delivery summary (`null` when delivery, if any, ran in this thread).
   */
  close(): Promise<DeliverySummary | null>;
}

/** What `alarm-worker.ts` is given. */
export interface AlarmWorkerData {
  readonly configFile: string;
  readonly plantStorePath: string;
}

/** A sample of the plant job for the monitor in the alarm worker. */
export interface PlantHealthSample {
  readonly progress: JobProgress;
  readonly memory: PipelineSample["memory"];
}

/** How often the plant job's progress is sent to the alarm worker's monitor, ms at most. */
const HEALTH_EVERY_MS = 1000;

/**
 * The plant job and its alarm job as one runnable pair. On a worker thread (the
 * default, `checkpoint.alarms.thread`), the worker loads the configuration, metadata
 * and delivery itself and `sinks` is not used; otherwise the alarm job runs here with
 * `sinks`.
 */
export function linkedAlarmJob(
  config: PlantConfigFile,
  plantStorePath: string,
  plant: Job,
  link: JobLink<Anomaly>,
  catalog: MetadataCatalog,
  sinks: Omit<PlantAlarmSinks, "alarmLink">,
): LinkedAlarmJob {
  if (!config.checkpoint.alarms.thread) {
    const { job, store } = alarmJob(
      config,
      plantStorePath,
      link,
      catalog,
      sinks,
      { job: () => plant, memory: processMemory },
      false,
    );
    return {
      running: new LinkedJobs(plant, job, link),
      description: `alarm job: ${store.description}`,
      async close() {
        await store.close();
        return null;
      },
    };
  }
  const worker = new WorkerJob<DeliverySummary | null, Anomaly>({
    entry: siblingModule(import.meta.url, "./alarm-worker"),
    data: { configFile: config.file, plantStorePath } satisfies AlarmWorkerData,
    link,
    name: `${config.name}-alarms`,
  });
  const monitor = monitorSettings(config);
  const every =
    monitor === false
      ? HEALTH_EVERY_MS
      : Math.min(HEALTH_EVERY_MS, monitor.intervalMs ?? HEALTH_EVERY_MS);
  const timer =
    monitor === false
      ? undefined
      : setInterval(() => {
          if (plant.state === "created") return;
          worker.post({
            progress: plant.progress(),
            memory: processMemory(),
          } satisfies PlantHealthSample);
        }, every);
  timer?.unref();
  return {
    running: new LinkedJobs(plant, worker, link),
    description: `alarm job on a worker thread: ${
      config.checkpoint.postgres
        ? "postgres"
        : `sqlite:${config.checkpoint.alarms.sqlite ?? besidePlantStore(plantStorePath)}`
    }`,
    async close() {
      clearInterval(timer);
      return worker.result ?? null;
    },
  };
}

/** `pipeline.alarms.monitor`: `false`, or its settings (`{}` by default). */
function monitorSettings(config: PlantConfigFile): false | MonitorSettings {
  const alarms = config.pipeline.alarms as { monitor?: false | MonitorSettings } | undefined;
  return alarms?.monitor ?? {};
}

/** `<name>.alarms.sqlite` beside the plant job's store. */
function besidePlantStore(plant: string): string {
  const ext = path.extname(plant);
  return `${ext ? plant.slice(0, -ext.length) : plant}.alarms${ext || ".sqlite"}`;
}
