/**
 * A complete dataflow definition and how to run it.
 */
import type { CheckpointStore } from "../checkpoint/checkpoint-store.js";
import type { Clock } from "../clock.js";
import { Job, type JobSnapshot } from "../runtime/job.js";
import type { SinkStep } from "./stream.js";

/** How to run a dataflow. */
export interface RunOptions {
  /** Processing time. Default: the system clock. */
  readonly clock?: Clock;
  /** Number of key partitions (key groups). Default 128. Fixed for the life of the state. */
  readonly partitions?: number;
  /**
   * Period of processing-time ticks (idle detection, processing-time timers,
   * early window updates), in ms; 0 ticks only between source polls, which
   * together with a `ManualClock` makes tests deterministic. Default 100.
   */
  readonly tickInterval?: number;
  /**
   * State and source positions to resume from. Default: the checkpoint store's
   * latest checkpoint of this dataflow, if there is one.
   */
  readonly restore?: JobSnapshot;
  /** Checkpointing: where (`store`) and how often (`interval` ms, default 5000). */
  readonly checkpoint?: CheckpointOptions;
}

/**
 * How a job checkpoints. Every `interval` ms, at the end of input and on a
 * graceful stop, the job takes a checkpoint: with a `store`, state, source
 * positions and sink progress are committed there (the dataflow's name keys them)
 * and a later run resumes from the latest one; without, sinks still publish their
 * prepared writes at each checkpoint but nothing is restorable.
 */
export interface CheckpointOptions {
  readonly store?: CheckpointStore;
  readonly interval?: number;
  /**
   * Least time from the end of a checkpoint to the start of an early one (asked
   * for with `SinkContext.requestCheckpoint` or `Job.requestCheckpoint`), in ms.
   * Periodic checkpoints keep their interval. Default 100; 0 lets requested
   * checkpoints follow each other back to back.
   */
  readonly minPauseMs?: number;
}

/** A named set of branches, each ending in a sink. Immutable; can be run many times. */
export class Dataflow {
  constructor(
    readonly name: string,
    readonly outputs: readonly SinkStep[],
  ) {
    Object.freeze(this);
  }

  /** Builds a job for this dataflow without starting it. */
  job(options: RunOptions = {}): Job {
    return new Job(this.name, this.outputs, options);
  }

  /** Runs the dataflow until every source ends (or the job is stopped). */
  run(options: RunOptions = {}): Promise<void> {
    return this.job(options).run();
  }
}

/** Declares a dataflow from the sink steps of its branches. */
export function dataflow(name: string, outputs: readonly SinkStep[]): Dataflow {
  return new Dataflow(name, outputs);
}
