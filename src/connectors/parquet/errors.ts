/**
 * Named errors of the Parquet archive sink. Each names the archive directory in its
 * message and in a property, and accepts a `cause` (the underlying `fs` or DuckDB
 * error, when there is one).
 */

/**
 * The Parquet archive sink could not stage, write or publish an epoch, was given
 * progress it cannot use, or found its directory in a state it cannot continue from
 * (published files newer than the restored checkpoint, a staged file a checkpoint
 * covers gone missing, …).
 */
export class ParquetSinkError extends Error {
  override readonly name: string = "ParquetSinkError";
  /** The archive directory. */
  readonly directory: string;

  constructor(directory: string, message: string, options?: { cause?: unknown }) {
    super(`${directory}: ${message}`, options);
    this.directory = directory;
  }
}

/**
 * A record could not be archived: `row` returned the wrong number of values, a value
 * does not fit its column's type, or a partition value cannot name a folder. Thrown
 * synchronously by `write`; the batch's earlier records stay buffered.
 */
export class ParquetValueError extends ParquetSinkError {
  override readonly name: string = "ParquetValueError";
  /** The column the value was for, when the error is about one value. */
  readonly column: string | undefined;

  constructor(directory: string, column: string | undefined, message: string) {
    super(directory, column === undefined ? message : `column "${column}": ${message}`);
    this.column = column;
  }
}

/**
 * The sink started fresh (not from a checkpoint) in a directory that already holds
 * published Parquet files of another run. Starting over needs an empty directory, or
 * the sink option `overwrite: true`.
 */
export class ArchiveDirectoryInUseError extends ParquetSinkError {
  override readonly name: string = "ArchiveDirectoryInUseError";
  /** The published files found, relative to the directory. */
  readonly files: readonly string[];

  constructor(directory: string, files: readonly string[]) {
    super(
      directory,
      `holds ${files.length} published Parquet file(s) (${files.slice(0, 3).join(", ")}` +
        `${files.length > 3 ? ", …" : ""}) of another run; a fresh start needs an empty ` +
        "directory (or the sink option `overwrite: true` to delete them)",
    );
    this.files = files;
  }
}
