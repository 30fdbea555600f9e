/**
 * The worker-thread side of a {@link WorkerJob}: the worker's module calls
 * `serveWorkerJob` with a builder, which makes the job (reading the link from the
 * thread that started it, when there is one); the job then runs until it ends or is
 * stopped from there, and what the builder gave to close runs last.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Job } from "../runtime/job.js";
import type { JobLink } from "./job-link.js";
import { type LinkPortEnd, portError, receiveLink } from "./link-port.js";
import type { FromWorker, ToWorker, WorkerJobSetup } from "./worker-job-protocol.js";

/** What a builder gets. */
export interface WorkerJobContext<T> {
  /** `WorkerJobOptions.data`. */
  readonly data: unknown;
  /** The downstream end of the link given to the `WorkerJob`, or `null`. */
  readonly link: JobLink<T> | null;
  /** Receives what `WorkerJob.post` sends (one handler; a later call replaces it). */
  onMessage(handler: (value: unknown) => void): void;
}

/** What a builder returns: the job, and what to do once it has ended. */
export interface ServedJob<R> {
  readonly job: Job;
  /**
   * Runs after the job has ended, failed or not (close stores, stop delivery, ...). Its
   * value becomes `WorkerJob.result` (structured-cloneable).
   */
  close?(): Promise<R> | R;
}

/**
 * Builds the job with `build` and runs it, reporting to the `WorkerJob` that started
 * this thread. Throws when called outside such a thread.
 */
export function serveWorkerJob<T, R = unknown>(
  build: (context: WorkerJobContext<T>) => Promise<ServedJob<R>> | ServedJob<R>,
): void {
  const port = parentPort;
  if (isMainThread || port === null) {
    throw new Error("serveWorkerJob: not on a worker thread started by a WorkerJob");
  }
  const setup = workerData as WorkerJobSetup;
  let stopRequested = false;
  let job: Job | null = null;
  let handler: ((value: unknown) => void) | null = null;
  port.on("message", (message: ToWorker) => {
    if (message.t === "stop") {
      stopRequested = true;
      job?.stop();
    } else {
      handler?.(message.value);
    }
  });
  const received: ({ readonly link: JobLink<T> } & LinkPortEnd) | null = setup.link
    ? receiveLink<T>(setup.link.port, { capacity: setup.link.capacity })
    : null;
  const post = (message: FromWorker): void => port.postMessage(message);

  void (async () => {
    let served: ServedJob<R> | null = null;
    let failure: { error: unknown } | null = null;
    try {
      served = await build({
        data: setup.data,
        link: received?.link ?? null,
        onMessage: (h) => {
          handler = h;
        },
      });
      job = served.job;
      const running = job.run();
      if (stopRequested) job.stop();
      await running;
    } catch (error) {
      failure = { error };
    }
    const progress = job?.progress() ?? null;
    let result: unknown;
    try {
      result = await served?.close?.();
    } catch (error) {
      // A failure of the job is the one to report.
      failure ??= { error };
    }
    if (failure !== null || progress === null) {
      post({ t: "failed", error: portError(failure?.error), progress });
    } else {
      post({ t: "done", progress, result });
    }
    received?.close();
    port.close();
  })();
}
