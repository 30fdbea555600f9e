/**
 * The worker thread of `millstream run`'s alarm job (see `alarm-job.ts`): loads the
 * configuration, the metadata (reloaded while running) and the notification delivery,
 * and runs the alarm job on the anomalies the plant job sends through the link. The
 * plant job's progress, for the alarms on the pipeline itself, comes as messages.
 */
import type { MonitoredJob, PipelineSample } from "../alerts/index.js";
import { serveWorkerJob } from "../engine/index.js";
import { loadMetadataFolder, MetadataCatalog, watchMetadataFolder } from "../iot/metadata/index.js";
import type { Anomaly } from "../iot/reading/index.js";
import { alarmDelivery, type DeliverySummary } from "./alarm-delivery.js";
import {
  type AlarmWorkerData,
  alarmJob,
  alarmOutputs,
  type PlantHealthSample,
} from "./alarm-job.js";
import { loadPlantConfig } from "./config/plant-config.js";

/** How long a finished run waits for its last notifications to be delivered, ms. */
const DRAIN_MS = 10_000;

serveWorkerJob<Anomaly, DeliverySummary | null>(async ({ data, link, onMessage }) => {
  const { configFile, plantStorePath } = data as AlarmWorkerData;
  if (link === null) throw new Error("the alarm worker needs the plant job's link");
  const config = loadPlantConfig(configFile);
  const catalog = new MetadataCatalog(await loadMetadataFolder(config.metadata.folder));
  // The main thread reports a reload of the same folder; this one reloads silently.
  const watcher = watchMetadataFolder(config.metadata.folder, catalog, {
    intervalMs: config.metadata.reloadIntervalMs,
  });
  let delivery: ReturnType<typeof alarmDelivery>;
  try {
    delivery = alarmDelivery(config.file, config.pipeline.alarms);
  } catch (error) {
    watcher.close();
    throw error;
  }
  let latest: PlantHealthSample | null = null;
  onMessage((value) => {
    latest = value as PlantHealthSample;
  });
  const plant: MonitoredJob = { progress: () => (latest as PlantHealthSample).progress };
  const { job, store } = alarmJob(
    config,
    plantStorePath,
    link,
    catalog,
    alarmOutputs(config, delivery?.sink),
    {
      job: () => (latest === null ? undefined : plant),
      memory: (): PipelineSample["memory"] =>
        latest?.memory ?? { heapUsed: 0, heapLimit: Number.POSITIVE_INFINITY, rss: 0 },
    },
    true,
  );
  delivery?.start();
  return {
    job,
    async close() {
      watcher.close();
      await store.close();
      return delivery ? await delivery.stop(job.state === "finished" ? DRAIN_MS : 0) : null;
    },
  };
});
