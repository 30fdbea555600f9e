/**
 * Alarms on the pipeline itself, the reference article's StreamingMonitor through the
 * same alarm machinery: two samples of a job's progress become signals — input faster
 * than processing, watermark lag, checkpoint failures, a failed job, a source that is
 * not connected (from the job's source statuses), memory high.
 */
import type { JobProgress } from "../../engine/index.js";
import type { AlarmSignal } from "../alarm-signal.js";
import type { AlarmSeverity } from "../notification.js";

/** Alarm types of pipeline signals. */
export const PIPELINE_ALARMS = Object.freeze({
  backlog: "pipeline-backlog",
  watermarkLag: "watermark-lag",
  checkpointFailures: "checkpoint-failures",
  jobFailed: "job-failed",
  sourceDisconnected: "source-disconnected",
  memoryHigh: "memory-high",
});

/** One look at a running job. */
export interface PipelineSample {
  /** The job's progress, with its sources' connection states. */
  readonly progress: JobProgress;
  /** Heap in use and its limit, and resident set size, in bytes. */
  readonly memory: { readonly heapUsed: number; readonly heapLimit: number; readonly rss: number };
}

/** When a pipeline condition is an alarm; see {@link pipelineThresholdDefaults}. */
export interface PipelineThresholds {
  /**
   * Share of the time between two samples the steps spent working: above it, input
   * arrives faster than the job can process it for long (input rate above processing
   * rate, with processing rate = records per busy second).
   */
  readonly maxBusyShare: number;
  /** Processing time minus the watermark, ms. */
  readonly maxWatermarkLagMs: number;
  /** Time since the last completed checkpoint, ms. */
  readonly maxCheckpointAgeMs: number;
  /** Heap used over the heap limit. */
  readonly maxHeapShare: number;
  /** Resident set size, bytes; `null`: not checked. */
  readonly maxRssBytes: number | null;
}

/** Defaults: 90 % busy, 60 s watermark lag, 5 min without a checkpoint, 85 % of the heap. */
export const pipelineThresholdDefaults: PipelineThresholds = Object.freeze({
  maxBusyShare: 0.9,
  maxWatermarkLagMs: 60_000,
  maxCheckpointAgeMs: 300_000,
  maxHeapShare: 0.85,
  maxRssBytes: null,
});

const round = (n: number, digits = 1) => Number(n.toFixed(digits));

/**
 * The signals of `current` (compared with `previous`, the sample before, for rates and
 * counters). A condition that holds gives one signal per sample, at the sample's
 * processing time; the alarm clears once samples stop showing it for the lifecycle's
 * hysteresis time (so keep `clearAfterMs` above the sampling interval).
 */
export function pipelineSignals(
  previous: PipelineSample | null,
  current: PipelineSample,
  thresholds: Partial<PipelineThresholds> = {},
): AlarmSignal[] {
  const th = { ...pipelineThresholdDefaults, ...thresholds };
  const p = current.progress;
  const time = p.timestamp;
  const job = p.name;
  const signals: AlarmSignal[] = [];
  const add = (
    type: string,
    id: string,
    severity: AlarmSeverity,
    score: number,
    value: number | null,
    baseline: Record<string, number>,
    message: string,
  ) => {
    signals.push({
      type,
      source: { kind: "pipeline", id },
      severity,
      score,
      value,
      baseline,
      time,
      labels: { job },
      message,
    });
  };

  if (previous !== null) {
    const q = previous.progress;
    const dt = p.timestamp - q.timestamp;
    const records = p.recordsIn - q.recordsIn;
    let busy = 0;
    for (const step of p.steps) {
      const before = q.steps.find((s) => s.step === step.step);
      busy += step.busyMs - (before?.busyMs ?? 0);
    }
    if (dt > 0 && records > 0 && busy > 0) {
      const share = busy / dt;
      const inputRate = (records * 1000) / dt;
      const processingRate = (records * 1000) / busy;
      if (share > th.maxBusyShare) {
        add(
          PIPELINE_ALARMS.backlog,
          job,
          share >= 1 ? "critical" : "high",
          share,
          round(inputRate),
          { processing_rate: round(processingRate), busy_share: round(share, 3) },
          `${job}: input ${Math.round(inputRate).toLocaleString("en")}/s against a processing rate of ${Math.round(processingRate).toLocaleString("en")}/s (${Math.round(share * 100)} % busy)`,
        );
      }
    }
    const failed = p.checkpoints.failed - q.checkpoints.failed;
    if (failed > 0) {
      add(
        PIPELINE_ALARMS.checkpointFailures,
        job,
        "critical",
        failed,
        failed,
        { failed_total: p.checkpoints.failed },
        `${job}: ${failed} checkpoint(s) failed since the last sample`,
      );
    }
  }
  if (p.watermark !== null && Number.isFinite(p.watermark)) {
    const lag = p.timestamp - p.watermark;
    if (lag > th.maxWatermarkLagMs) {
      add(
        PIPELINE_ALARMS.watermarkLag,
        job,
        lag > 5 * th.maxWatermarkLagMs ? "critical" : "high",
        lag / th.maxWatermarkLagMs,
        lag,
        { threshold: th.maxWatermarkLagMs },
        `${job}: event time is ${round(lag / 1000)} s behind the clock (limit ${round(th.maxWatermarkLagMs / 1000)} s)`,
      );
    }
  }
  const age = p.checkpoints.ageMs;
  if (p.state === "running" && age !== null && age > th.maxCheckpointAgeMs) {
    add(
      PIPELINE_ALARMS.checkpointFailures,
      job,
      "high",
      age / th.maxCheckpointAgeMs,
      age,
      { threshold: th.maxCheckpointAgeMs },
      `${job}: no checkpoint completed for ${round(age / 1000)} s (limit ${round(th.maxCheckpointAgeMs / 1000)} s)`,
    );
  }
  if (p.state === "failed") {
    add(PIPELINE_ALARMS.jobFailed, job, "critical", 1, null, {}, `${job}: the job failed`);
  }
  for (const s of p.state === "running" ? (p.sources ?? []) : []) {
    const { state, detail, lag } = s.status;
    if (state === "connected") continue;
    add(
      PIPELINE_ALARMS.sourceDisconnected,
      `${job}/${s.step}`,
      state === "reconnecting" ? "high" : "critical",
      1,
      lag,
      {},
      `${job}: source ${s.step} (${s.description}) is ${state}${detail ? `: ${detail}` : ""}`,
    );
  }
  const m = current.memory;
  const heapShare = m.heapLimit > 0 ? m.heapUsed / m.heapLimit : 0;
  const rssHigh = th.maxRssBytes !== null && m.rss > th.maxRssBytes;
  if (heapShare > th.maxHeapShare || rssHigh) {
    add(
      PIPELINE_ALARMS.memoryHigh,
      job,
      heapShare > 0.95 ? "critical" : "high",
      heapShare,
      m.heapUsed,
      {
        heap_limit: m.heapLimit,
        rss: m.rss,
        ...(th.maxRssBytes === null ? {} : { max_rss: th.maxRssBytes }),
      },
      `${job}: heap ${Math.round(m.heapUsed / 2 ** 20)} MiB of ${Math.round(m.heapLimit / 2 ** 20)} MiB (${Math.round(heapShare * 100)} %), RSS ${Math.round(m.rss / 2 ** 20)} MiB`,
    );
  }
  return signals;
}
