/** The reading archive. */
export { READING_ARCHIVE_COLUMNS, readingArchiveSink } from "./reading-archive.js";
