/**
 * A running dataflow. Each source is pumped by its own async loop; a batch is
 * pushed through the operators synchronously, so operators never see concurrent
 * calls and state between two pushes is always consistent (which is what makes
 * snapshots cheap). Processing-time ticks run between polls and on an interval.
 */
import { systemClock, type Clock } from "../clock.js";
import { JobStateError, StepFailedError } from "../errors.js";
import type { StepProgress } from "../metrics/step-metrics.js";
import { DEFAULT_PARTITIONS } from "../partition.js";
import type { SinkWriter } from "../sink.js";
import type { SourceReader } from "../source.js";
import { type CompiledGraph, type CompiledSource, compileGraph } from "../stream/compile-graph.js";
import type { RunOptions } from "../stream/dataflow.js";
import type { SinkStep } from "../stream/stream.js";
import type { StepSnapshot } from "./operator.js";

/** State of every step and position of every source partition, between two batches. */
export interface JobSnapshot {
  readonly steps: ReadonlyMap<string, StepSnapshot>;
  readonly sources: ReadonlyMap<string, ReadonlyMap<number, unknown>>;
}

export type JobState = "created" | "running" | "stopping" | "finished" | "failed";

/** The progress of a whole job, like Spark's `lastProgress`. */
export interface JobProgress {
  readonly name: string;
  readonly state: JobState;
  /** Processing time of this reading. */
  readonly timestamp: number;
  /** Lowest watermark among the sink steps (`null` before the first). */
  readonly watermark: number | null;
  /** Records read from all sources. */
  readonly recordsIn: number;
  readonly steps: readonly StepProgress[];
}

interface RunningSource {
  readonly compiled: CompiledSource;
  readonly reader: SourceReader<unknown>;
  readonly firstChannel: number;
}

export class Job {
  readonly #graph: CompiledGraph;
  readonly #clock: Clock;
  readonly #partitions: number;
  readonly #tickInterval: number;
  readonly #restore: RunOptions["restore"];
  #state: JobState = "created";
  #sources: RunningSource[] = [];
  #writers: SinkWriter<unknown>[] = [];

  constructor(
    readonly name: string,
    outputs: readonly SinkStep[],
    options: RunOptions = {},
  ) {
    this.#graph = compileGraph(outputs.map((o) => o.node));
    this.#clock = options.clock ?? systemClock;
    this.#partitions = options.partitions ?? DEFAULT_PARTITIONS;
    if (!Number.isInteger(this.#partitions) || this.#partitions < 1) {
      throw new RangeError(`partitions must be a positive integer, got ${this.#partitions}`);
    }
    this.#tickInterval = options.tickInterval ?? 100;
    this.#restore = options.restore;
  }

  get state(): JobState {
    return this.#state;
  }

  /** Runs until every source has ended, or `stop()` was called. Rejects if a step fails. */
  async run(): Promise<void> {
    if (this.#state !== "created")
      throw new JobStateError(`job "${this.name}" was already started`);
    this.#state = "running";
    const context = { clock: this.#clock, partitions: this.#partitions };
    for (const op of this.#graph.operators) op.open(context);
    let ticker: ReturnType<typeof setInterval> | undefined;
    try {
      await this.#openAll();
      if (this.#tickInterval > 0) ticker = setInterval(() => this.#tick(), this.#tickInterval);
      await Promise.all(this.#sources.map((s) => this.#pump(s)));
      await Promise.all(this.#writers.map((w) => w.flush()));
      this.#state = "finished";
    } catch (error) {
      this.#state = "failed";
      throw error;
    } finally {
      if (ticker !== undefined) clearInterval(ticker);
      await this.#closeAll();
    }
  }

  /** Stops reading: sources are not polled again; sinks are flushed and closed. Windows do not fire. */
  stop(): void {
    if (this.#state === "running") this.#state = "stopping";
  }

  /** A consistent snapshot of every step's state and every source's position. */
  snapshot(): JobSnapshot {
    const steps = new Map<string, StepSnapshot>();
    for (const op of this.#graph.operators) {
      const s = op.snapshotState();
      if (s !== undefined) steps.set(op.step, s);
    }
    const sources = new Map<string, ReadonlyMap<number, unknown>>();
    for (const s of this.#sources) {
      const positions = s.reader.positions?.();
      if (positions) sources.set(s.compiled.name, positions);
    }
    return { steps, sources };
  }

  progress(): JobProgress {
    const steps = this.#graph.operators.map((op) => op.progress());
    let watermark = Number.POSITIVE_INFINITY;
    for (const s of this.#graph.sinks) watermark = Math.min(watermark, s.operator.watermark);
    let recordsIn = 0;
    for (const s of this.#graph.sources) recordsIn += s.operator.metrics.recordsIn;
    return {
      name: this.name,
      state: this.#state,
      timestamp: this.#clock.now(),
      watermark: Number.isFinite(watermark) || watermark > 0 ? watermark : null,
      recordsIn,
      steps,
    };
  }

  async #openAll(): Promise<void> {
    for (const s of this.#graph.sinks) {
      const writer = await s.sink.open({ step: s.name });
      s.operator.writer = writer;
      this.#writers.push(writer);
    }
    let channel = 0;
    const channelsOf = new Map<string, number[]>();
    for (const compiled of this.#graph.sources) {
      const resumeFrom = this.#restore?.sources.get(compiled.name);
      const reader = await compiled.source.open(
        resumeFrom ? { step: compiled.name, resumeFrom } : { step: compiled.name },
      );
      const channels = Array.from({ length: reader.partitions }, (_, i) => channel + i);
      this.#sources.push({ compiled, reader, firstChannel: channel });
      channel += reader.partitions;
      channelsOf.set(compiled.name, channels);
      compiled.operator.registerChannels(channels);
    }
    for (const [op, names] of this.#graph.eventTimeSources) {
      op.registerChannels(names.flatMap((n) => channelsOf.get(n) ?? []));
    }
    if (this.#restore) {
      for (const op of this.#graph.operators) {
        const s = this.#restore.steps.get(op.step);
        if (s !== undefined) op.restoreState(s);
      }
    }
  }

  async #pump(s: RunningSource): Promise<void> {
    const op = s.compiled.operator;
    while (this.#state === "running") {
      let poll: Awaited<ReturnType<SourceReader<unknown>["poll"]>>;
      try {
        poll = await s.reader.poll();
      } catch (error) {
        throw new StepFailedError(s.compiled.name, "source failed while polling", { cause: error });
      }
      if (this.#state !== "running") break;
      if (poll.kind === "batch") {
        const n = poll.values.length;
        let times = poll.times;
        if (times === undefined) {
          const now = this.#clock.now();
          times = new Array<number>(n).fill(now);
        }
        op.receiveBatch(
          { values: poll.values, times, channel: s.firstChannel + poll.partition },
          0,
        );
      } else if (poll.kind === "watermark") {
        op.assertWatermark(s.firstChannel + poll.partition, poll.time);
      } else if (poll.kind === "end") {
        op.finish();
        return;
      }
      this.#tick();
      for (const w of this.#writers) if (w.needsFlush) await w.flush();
    }
  }

  #tick(): void {
    const now = this.#clock.now();
    for (const op of this.#graph.operators) op.tick(now);
  }

  async #closeAll(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const s of this.#sources) closing.push(s.reader.close());
    for (const w of this.#writers) closing.push(w.close());
    const results = await Promise.allSettled(closing);
    const failed = results.find((r) => r.status === "rejected");
    if (failed && this.#state !== "failed") {
      this.#state = "failed";
      throw new StepFailedError(this.name, "closing a source or sink failed", {
        cause: (failed as PromiseRejectedResult).reason,
      });
    }
  }
}
