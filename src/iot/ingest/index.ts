/**
 * Ingest: raw records to readings (with rejects naming their source position) and
 * optional deduplication of repeated deliveries.
 */
export { type DeduplicateOptions, deduplicateReadings } from "./deduplicate-readings.js";
export { type ReadingParser, type ReadingParserOptions, readingParser } from "./reading-parser.js";
export { type ReadingDeadLetter, RejectedReading } from "./rejected-reading.js";
