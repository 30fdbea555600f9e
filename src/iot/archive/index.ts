/** The reading archive. */
export {
  LIVE_ARCHIVE_MEMORY_MB,
  LIVE_COMPACTION_MEMORY_MB,
  READING_ARCHIVE_COLUMNS,
  type ReadingArchiveOptions,
  readingArchiveSink,
} from "./reading-archive.js";
