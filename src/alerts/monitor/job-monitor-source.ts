/**
 * A source of pipeline signals: samples a running job's progress (and the process's
 * memory) every interval and hands the signals of each sample to an alarm dataflow,
 * like the reference article's StreamingMonitor thread, but through alarm management.
 */
import { getHeapStatistics } from "node:v8";
import {
  type Clock,
  type JobProgress,
  type Source,
  type SourcePoll,
  type SourceReader,
  systemClock,
} from "../../engine/index.js";
import type { AlarmSignal } from "../alarm-signal.js";
import {
  type PipelineSample,
  type PipelineThresholds,
  pipelineSignals,
} from "./pipeline-signals.js";

/** What the monitor reads of a job. */
export interface MonitoredJob {
  progress(): JobProgress;
}

/** Options of {@link JobMonitorSource}. */
export interface JobMonitorOptions {
  /** Between two samples, ms. Default 10,000. */
  readonly intervalMs?: number;
  readonly thresholds?: Partial<PipelineThresholds>;
  /** Default the system clock. */
  readonly clock?: Clock;
  /** Default: this process (`process.memoryUsage()` and the V8 heap limit). */
  readonly memory?: () => PipelineSample["memory"];
}

/** This process's heap use, heap limit and RSS. */
export function processMemory(): PipelineSample["memory"] {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapLimit: getHeapStatistics().heap_size_limit, rss: m.rss };
}

/**
 * Samples `job()` every `intervalMs` (the first sample at once) and delivers each
 * sample's signals as one batch, with event time = the sample's processing time. It
 * ends after `stop()`, or after the sample that finds the job finished or failed (so a
 * failure is still signalled). It cannot replay: after a restart, sampling starts
 * afresh, which is what live monitoring wants.
 */
export class JobMonitorSource implements Source<AlarmSignal> {
  readonly description = "job monitor";
  readonly #job: () => MonitoredJob | undefined;
  readonly #options: JobMonitorOptions;
  #previous: PipelineSample | null = null;
  #stopped = false;

  /** `job` is a function so the job may be created after the monitor (the monitored dataflow can include it). */
  constructor(job: () => MonitoredJob | undefined, options: JobMonitorOptions = {}) {
    const interval = options.intervalMs ?? 10_000;
    if (!(interval > 0))
      throw new RangeError(`JobMonitorSource: intervalMs must be > 0, got ${interval}`);
    this.#job = job;
    this.#options = options;
  }

  /** Takes one sample now and returns its signals (`[]` while there is no job yet). */
  sample(): AlarmSignal[] {
    const job = this.#job();
    if (job === undefined) return [];
    const current: PipelineSample = {
      progress: job.progress(),
      memory: (this.#options.memory ?? processMemory)(),
    };
    const signals = pipelineSignals(this.#previous, current, this.#options.thresholds);
    this.#previous = current;
    return signals;
  }

  /** Makes the source end at its next poll. */
  stop(): void {
    this.#stopped = true;
  }

  async open(): Promise<SourceReader<AlarmSignal>> {
    const clock = this.#options.clock ?? systemClock;
    const interval = this.#options.intervalMs ?? 10_000;
    let next = clock.now();
    let ended = false;
    return {
      partitions: 1,
      poll: async (): Promise<SourcePoll<AlarmSignal>> => {
        if (this.#stopped || ended) return { kind: "end" };
        const wait = next - clock.now();
        if (wait > 0) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 100)));
          return { kind: "idle" };
        }
        next += interval * Math.max(1, Math.ceil((clock.now() - next + 1) / interval));
        const signals = this.sample();
        const state = this.#previous?.progress.state;
        if (state === "finished" || state === "failed") ended = true;
        if (signals.length === 0) return { kind: "watermark", partition: 0, time: clock.now() };
        return {
          kind: "batch",
          partition: 0,
          values: signals,
          times: signals.map((s) => s.time),
        };
      },
      close: async () => {},
    };
  }
}
