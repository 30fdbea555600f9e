export {
  JobLink,
  type JobLinkOptions,
  type LinkEntry,
  type LinkedRecord,
  type LinkForget,
  type LinkRun,
} from "./job-link.js";
export type { LinkSinkProgress, UnconfirmedItem } from "./link-sink.js";
export {
  type LinkPortEnd,
  forwardLink,
  type ReceiveLinkOptions,
  receiveLink,
} from "./link-port.js";
export { LinkedJobs, type RunnableJob } from "./linked-jobs.js";
export { type LinkedStream, linkedStream } from "./linked-stream.js";
export { type ServedJob, serveWorkerJob, type WorkerJobContext } from "./serve-worker-job.js";
export { WorkerJob, type WorkerJobOptions } from "./worker-job.js";
