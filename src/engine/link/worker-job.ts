/**
 * A job that runs on a worker thread of its own, with its own event loop, driven from
 * this thread like a local job (`run`, `stop`, `state`) and linked to a job here through
 * a {@link JobLink} that crosses the thread boundary (see `link-port.ts`). The worker's
 * module builds its job with {@link serveWorkerJob}.
 *
 * Why: a job whose results must come out within milliseconds (alarm notifications)
 * should not wait for event-loop turns of a busy job in the same thread.
 */
import { once } from "node:events";
import { MessageChannel, type ResourceLimits, type Worker } from "node:worker_threads";
import { JobStateError } from "../errors.js";
import type { JobProgress, JobState } from "../runtime/job.js";
import { startModuleWorker } from "../runtime/module-worker.js";
import type { JobLink } from "./job-link.js";
import { forwardLink, type LinkPortEnd, rebuild } from "./link-port.js";
import type { FromWorker, ToWorker, WorkerJobSetup } from "./worker-job-protocol.js";

/** Options of a {@link WorkerJob}. */
export interface WorkerJobOptions<T> {
  /** The module the worker runs; it calls `serveWorkerJob` (a `.ts` module is loaded through tsx). */
  readonly entry: URL;
  /** Handed to the module's builder (structured-cloneable). */
  readonly data?: unknown;
  /** The link whose downstream end the worker's job reads (`WorkerJobContext.link`). */
  readonly link?: JobLink<T>;
  readonly resourceLimits?: ResourceLimits;
  /** The thread's name in stack traces and tools. */
  readonly name?: string;
}

/** How long a finished worker is given to exit by itself before it is terminated, ms. */
const EXIT_WAIT_MS = 2000;

/**
 * A job on a worker thread. `run()` starts the thread and resolves when its job has
 * finished and the builder's `close` has run (its value is then {@link result});
 * it rejects with the job's failure, or when the thread dies. `stop()` stops the job
 * gracefully (final checkpoint), also when asked before the thread is up.
 */
export class WorkerJob<R = unknown, T = unknown> {
  #state: JobState = "created";
  #stopRequested = false;
  #worker: Worker | null = null;
  #progress: JobProgress | null = null;
  #result: R | undefined;

  constructor(private readonly options: WorkerJobOptions<T>) {}

  get state(): JobState {
    return this.#state;
  }

  /** The job's progress as last reported (at the end of the run; `null` before). */
  progress(): JobProgress | null {
    return this.#progress;
  }

  /** What the builder's `close` returned, once `run()` has resolved. */
  get result(): R | undefined {
    return this.#result;
  }

  /** Posts `value` to the worker's `WorkerJobContext.onMessage` handler (dropped when none is running). */
  post(value: unknown): void {
    this.#worker?.postMessage({ t: "message", value } satisfies ToWorker);
  }

  stop(): void {
    this.#stopRequested = true;
    if (this.#state === "running") this.#state = "stopping";
    this.#worker?.postMessage({ t: "stop" } satisfies ToWorker);
  }

  async run(): Promise<void> {
    if (this.#state !== "created") throw new JobStateError("the worker job was already started");
    this.#state = "running";
    const { entry, data, link } = this.options;
    const channel = link ? new MessageChannel() : null;
    let forwarding: LinkPortEnd | null = null;
    const setup: WorkerJobSetup = {
      data,
      link: channel ? { port: channel.port2, capacity: link?.capacity ?? 0 } : null,
    };
    const worker = startModuleWorker(entry, {
      workerData: setup,
      transferList: channel ? [channel.port2] : [],
      ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}),
      ...(this.options.name ? { name: this.options.name } : {}),
    });
    this.#worker = worker;
    if (link && channel) forwarding = forwardLink(link, channel.port1);
    if (this.#stopRequested) worker.postMessage({ t: "stop" } satisfies ToWorker);
    try {
      await new Promise<void>((resolve, reject) => {
        let ended = false;
        worker.on("message", (message: FromWorker) => {
          if (message.t === "done") {
            ended = true;
            this.#progress = message.progress;
            this.#result = message.result as R;
            resolve();
          } else if (message.t === "failed") {
            ended = true;
            if (message.progress) this.#progress = message.progress;
            reject(rebuild(message.error));
          }
        });
        worker.on("error", (error) => {
          ended = true;
          reject(error);
        });
        worker.on("exit", (code) => {
          if (!ended)
            reject(new Error(`the worker job's thread exited (code ${code}) before its job ended`));
        });
      });
      this.#state = "finished";
    } catch (error) {
      this.#state = "failed";
      link?.fail(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      forwarding?.close();
      this.#worker = null;
      // The thread ends by itself once its job has closed; a handle left open does not keep it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        once(worker, "exit"),
        new Promise((resolve) => {
          timer = setTimeout(resolve, EXIT_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      await worker.terminate();
    }
  }
}
