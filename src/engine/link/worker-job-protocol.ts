/**
 * The messages between a {@link WorkerJob} and the `serveWorkerJob` in its thread.
 */
import type { MessagePort } from "node:worker_threads";
import type { JobProgress } from "../runtime/job.js";
import type { PortError } from "./link-port.js";

/** The thread's `workerData`. */
export interface WorkerJobSetup {
  readonly data: unknown;
  readonly link: { readonly port: MessagePort; readonly capacity: number } | null;
}

/** This thread → the worker. */
export type ToWorker = { readonly t: "stop" } | { readonly t: "message"; readonly value: unknown };

/** The worker → this thread. */
export type FromWorker =
  | { readonly t: "done"; readonly progress: JobProgress; readonly result: unknown }
  | { readonly t: "failed"; readonly error: PortError; readonly progress: JobProgress | null };
