/**
 * Runs an upstream job and the downstream job that reads it through a {@link JobLink}
 * as one unit: started together, stopped together (the upstream first, then the
 * downstream once it has read everything), and failing together.
 */
import { JobStateError } from "../errors.js";
import type { JobState } from "../runtime/job.js";
import type { JobLink } from "./job-link.js";

/** What `LinkedJobs` drives: a `Job`, or a `WorkerJob` running on a thread of its own. */
export interface RunnableJob {
  readonly state: JobState;
  run(): Promise<void>;
  stop(): void;
}

/** How often a stopping pair checks whether the downstream job has read everything, ms. */
const DRAIN_CHECK_MS = 10;

export class LinkedJobs<
  T = unknown,
  U extends RunnableJob = RunnableJob,
  D extends RunnableJob = RunnableJob,
> {
  #started = false;

  constructor(
    readonly upstream: U,
    readonly downstream: D,
    readonly link: JobLink<T>,
  ) {}

  /** The upstream job's state while it runs; then the downstream job's. */
  get state(): JobState {
    const up = this.upstream.state;
    if (up === "failed" || this.downstream.state === "failed") return "failed";
    if (up === "finished") return this.downstream.state;
    return up;
  }

  /**
   * Graceful stop: the upstream job stops (with its final checkpoint); the downstream
   * job then reads what is left in the link and stops with its own.
   */
  stop(): void {
    this.upstream.stop();
  }

  /**
   * Runs both jobs until the upstream input ends or `stop()` is called. Rejects with the
   * first failure; the other job is then stopped.
   */
  async run(): Promise<void> {
    if (this.#started) throw new JobStateError("linked jobs were already started");
    this.#started = true;
    const down = this.downstream.run().then(
      () => null,
      (error: unknown) => {
        // The upstream sink fails with it, so the upstream job stops too.
        this.link.fail(asError(error));
        return error;
      },
    );
    let failure: unknown = null;
    try {
      await this.upstream.run();
    } catch (error) {
      failure = error;
    }
    // When the upstream input ended, the downstream source ends after the last entry.
    if (failure !== null || !this.link.ended) {
      while (
        failure === null &&
        !this.link.drained &&
        this.link.failure === null &&
        this.downstream.state === "running"
      ) {
        await this.link.changed(DRAIN_CHECK_MS);
      }
      this.downstream.stop();
    }
    const downFailure = await down;
    if (downFailure !== null) throw downFailure;
    if (failure !== null) throw failure;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
