export {
  JobLink,
  type JobLinkOptions,
  type LinkEntry,
  type LinkedRecord,
  type LinkForget,
} from "./job-link.js";
export type { LinkSinkProgress, UnconfirmedItem } from "./link-sink.js";
export { LinkedJobs } from "./linked-jobs.js";
export { type LinkedStream, linkedStream } from "./linked-stream.js";
