/**
 * File connectors: a replayable line-file source and an exactly-once JSON Lines
 * sink. See docs/connectors-file.md.
 */
export { FileSinkError, FileSourceError, OutputDirectoryInUseError } from "./errors.js";
export {
  JsonlFileSink,
  type JsonlFileSinkOptions,
  type JsonlSinkProgress,
  readJsonlParts,
} from "./jsonl-file-sink.js";
export { JsonlFileSource, type JsonlFileSourceOptions } from "./jsonl-file-source.js";
export { JsonlOutputFile, type JsonlOutputFileOptions } from "./jsonl-output-file.js";
