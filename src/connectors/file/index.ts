/**
 * File connectors: replayable line-file sources (JSON Lines or CSV, globs, follow
 * mode) and an exactly-once JSON Lines sink. See docs/connectors-file.md.
 */
export { FileSinkError, FileSourceError, OutputDirectoryInUseError } from "./errors.js";
export {
  JsonlFileSink,
  type JsonlFileSinkOptions,
  type JsonlSinkProgress,
  readJsonlParts,
} from "./jsonl-file-sink.js";
export { CsvHeader, splitCsvLine } from "./csv-row.js";
export { expandFileGlobs, isGlob } from "./file-glob.js";
export {
  type FilePosition,
  FileSource,
  type FileSourceOptions,
  fileSource,
} from "./file-source.js";
export { JsonlFileSource, type JsonlFileSourceOptions } from "./jsonl-file-source.js";
export { JsonlOutputFile, type JsonlOutputFileOptions } from "./jsonl-output-file.js";
