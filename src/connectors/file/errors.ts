/**
 * Named errors of the file connectors. Each names the file or directory it is
 * about in its message and in a property, and accepts a `cause` (the underlying
 * `fs` error, when there is one).
 */

/**
 * A file source could not open, seek in or read one of its files: the file is
 * missing or not a regular file, a resume position does not fit the file (it was
 * replaced or truncated since the checkpoint), or a read failed.
 */
export class FileSourceError extends Error {
  override readonly name = "FileSourceError";
  /** The file the error is about. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.path = path;
  }
}

/**
 * A file sink could not prepare, write or publish its output, or found its
 * directory in a state it cannot continue from (a pending epoch that a
 * checkpoint covers is missing, parts newer than the restored checkpoint, …).
 */
export class FileSinkError extends Error {
  override readonly name: string = "FileSinkError";
  /** The sink's output directory. */
  readonly directory: string;

  constructor(directory: string, message: string, options?: { cause?: unknown }) {
    super(`${directory}: ${message}`, options);
    this.directory = directory;
  }
}

/**
 * A file sink started fresh (not from a checkpoint) in a directory that already
 * holds published output of another run. Starting over needs an empty directory,
 * or the sink's `overwrite` option.
 */
export class OutputDirectoryInUseError extends FileSinkError {
  override readonly name: string = "OutputDirectoryInUseError";
  /** The published part files found, by name. */
  readonly parts: readonly string[];

  constructor(directory: string, parts: readonly string[]) {
    super(
      directory,
      `holds ${parts.length} published part file(s) (${parts.slice(0, 3).join(", ")}` +
        `${parts.length > 3 ? ", …" : ""}) of another run; a fresh start needs an empty ` +
        "directory (or the sink option `overwrite: true` to delete them)",
    );
    this.parts = parts;
  }
}
