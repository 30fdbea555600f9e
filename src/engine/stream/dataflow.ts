/**
 * A complete dataflow definition and how to run it.
 */
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
  /** State and source positions to resume from. */
  readonly restore?: JobSnapshot;
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
