/**
 * The Parquet archive connector: an exactly-once sink writing Hive-partitioned Parquet
 * files per checkpoint with DuckDB. See docs/connectors-parquet.md.
 */
export {
  COMPACTION_DEFAULTS,
  type CompactionOptions,
  type CompactionReport,
  compactArchive,
  type FolderCompaction,
} from "./compaction.js";
export {
  type ScheduledCompaction,
  type ScheduledCompactionOptions,
  scheduleCompaction,
} from "./compaction-schedule.js";
export type { ColumnSpec, ParquetColumnType } from "./columns.js";
export { ArchiveDirectoryInUseError, ParquetSinkError, ParquetValueError } from "./errors.js";
export {
  COMPRESSIONS as PARQUET_COMPRESSIONS,
  MIN_MEMORY_LIMIT_MB,
  ParquetArchiveSink,
  type ParquetArchiveSinkOptions,
  type ParquetCompression,
  type ParquetSinkProgress,
} from "./parquet-archive-sink.js";
