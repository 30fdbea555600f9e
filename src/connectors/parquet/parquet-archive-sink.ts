/**
 * An exactly-once Parquet archive sink. Rows are written by DuckDB as Hive-partitioned
 * Parquet into a hidden staging folder (in the background, and for the last rows at
 * each checkpoint), then published by atomic rename once the checkpoint covering them
 * is committed, so a crash at any moment leaves each row in exactly one published file
 * after recovery. The writer is in `parquet-archive-writer.ts`; the layout is described
 * in `staging.ts` and docs/connectors-parquet.md.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Sink, SinkContext, SinkWriter } from "../../engine/index.js";
import { COLUMN_NAME, type ColumnSpec, isColumnType } from "./columns.js";
import { ArchiveDirectoryInUseError, ParquetSinkError } from "./errors.js";
import { ParquetArchiveWriter } from "./parquet-archive-writer.js";
import { parseProgress, publishAll } from "./progress.js";
import { SegmentWriter } from "./segment-writer.js";
import { completeJournals } from "./compaction-journal.js";
import { listPublished, pruneEmptyFolders, remove, STAGING, syncPath } from "./staging.js";

export type { ParquetSinkProgress } from "./progress.js";

/** Parquet compression codecs DuckDB writes, as the options name them. */
export const COMPRESSIONS = [
  "zstd",
  "snappy",
  "gzip",
  "lz4_raw",
  "brotli",
  "uncompressed",
] as const;

/** Parquet compression codecs DuckDB writes. */
export type ParquetCompression = (typeof COMPRESSIONS)[number];

/** Options of {@link ParquetArchiveSink}. */
export interface ParquetArchiveSinkOptions<T> {
  /** The archive directory, created if missing. Give each sink step its own. */
  readonly directory: string;
  /** The columns of every file, in order. Names are unique; see {@link ColumnSpec}. */
  readonly columns: readonly ColumnSpec[];
  /**
   * A record's values in column order. The array may be reused by the caller after
   * the call: values are converted and copied at once. A wrong count or a value that
   * does not fit its column fails `write` with a {@link ParquetValueError}.
   */
  readonly row: (value: T) => readonly unknown[];
  /** Partition columns, outermost folder first (e.g. `["facility_id", "sensor_type", "date"]`); at least one. */
  readonly partitionBy: readonly string[];
  /** Rows per Parquet row group. Default DuckDB's (122,880). */
  readonly rowGroupSize?: number;
  /** Compression codec. Default `"zstd"`. */
  readonly compression?: ParquetCompression;
  /**
   * On a fresh start (not from a checkpoint), delete published files of an earlier run
   * instead of refusing to start. Default false.
   */
  readonly overwrite?: boolean;
  /** Buffered rows after which `needsFlush` turns true (they are then handed to the segment thread). Default 8192. */
  readonly bufferRows?: number;
  /**
   * Rows after which DuckDB writes the rows handed to it as Parquet in the background,
   * instead of waiting for the checkpoint, whose pause then only writes the rest. Each
   * such segment adds a file per partition folder to the epoch. Default 262,144.
   */
  readonly segmentRows?: number;
  /** DuckDB threads. Default 1: leaves the other cores to the pipeline. */
  readonly threads?: number;
  /**
   * Memory DuckDB may hold, in MiB (at least {@link MIN_MEMORY_LIMIT_MB}), for the rows
   * handed to it and for writing them: beyond it DuckDB spills to
   * `.staging/spill/`. For long-running jobs, where the process's resident memory
   * matters more than the archive's speed. Default: no limit (DuckDB's own, most of the
   * machine's memory). With or without it, DuckDB's allocator returns what it frees at
   * once (see `duckdb-allocator.ts`).
   */
  readonly memoryLimitMb?: number;
}

/**
 * Archives records as Hive-partitioned Parquet files, exactly once, by checkpoint
 * epochs, using an in-memory DuckDB on a thread of its own per writer.
 *
 * - `write` checks each record's values (`row`) against the column types and buffers
 *   them in typed arrays. `flush` hands the buffer to the segment thread, which appends
 *   it to a table of its DuckDB; every `segmentRows` rows, DuckDB writes that table
 *   with its partitioned `COPY` as a pending Parquet segment under
 *   `.staging/pending/`, fsynced. Both run behind the pipeline.
 * - `prepareCommit(n)` has DuckDB write the rows not in a segment yet the same way,
 *   moves every pending segment's files to
 *   `.staging/epoch-<n>/<k>=<v>/…/epoch-<n>-<i>.parquet.tmp`, fsyncs the folders and
 *   returns {@link ParquetSinkProgress}. An epoch with no row writes nothing
 *   (`staging: null`).
 * - `commit(n, progress)` renames each staged file to `<k>=<v>/…/epoch-<n>-<i>.parquet`,
 *   fsyncs the folders and deletes the staging folders. Idempotent: a staged file gone
 *   with its published file present was already moved.
 * - Rows written after the last `prepareCommit` are never published; the next `open`
 *   discards what they left.
 * - `open` with `restored` finishes that checkpoint's moves, then deletes every staging
 *   folder (later epochs are replayed). It refuses, with a {@link ParquetSinkError}, an
 *   archive holding published files of an epoch newer than the restored checkpoint
 *   (their rows would be written twice), like the JSONL file sink; it never deletes
 *   published files then.
 * - `open` without `restored`, or with a checkpoint holding no progress for this sink,
 *   deletes the staging folder and refuses an archive with published files with an
 *   {@link ArchiveDirectoryInUseError}, unless `overwrite` is set.
 *
 * Partition values are percent-encoded by DuckDB (`a/b` → `a%2Fb`) and decoded by
 * readers with `hive_partitioning`; NULL is `__HIVE_DEFAULT_PARTITION__`. Partition
 * columns are also written inside the files, so each file has every column with its
 * declared type. One writer per directory; renames are atomic within one filesystem.
 */
export class ParquetArchiveSink<T> implements Sink<T> {
  readonly description: string;
  readonly #options: ParquetArchiveSinkOptions<T>;

  constructor(options: ParquetArchiveSinkOptions<T>) {
    validateOptions(options);
    this.#options = options;
    this.description = `parquet:${options.directory}`;
  }

  async open(context: SinkContext): Promise<SinkWriter<T>> {
    const { directory } = this.#options;
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      throw new ParquetSinkError(directory, "cannot create the archive directory", {
        cause: error,
      });
    }
    // A compaction a crash left decided but unfinished may have replaced files the
    // restored checkpoint publishes: finish it first.
    await completeJournals(directory);
    const published = await listPublished(directory);
    if (context.restored && context.restored.progress !== undefined) {
      const { checkpointId } = context.restored;
      const progress = parseProgress(directory, context.restored.progress, checkpointId);
      const ahead = published.filter((f) => f.epoch > checkpointId);
      if (ahead.length > 0) {
        throw new ParquetSinkError(
          directory,
          `holds published file(s) newer than checkpoint ${checkpointId} being restored ` +
            `(${ahead
              .slice(0, 3)
              .map((f) => f.path)
              .join(", ")}${ahead.length > 3 ? ", …" : ""}): their rows would be written ` +
            "twice. Restore the latest checkpoint, or move those files away",
        );
      }
      await publishAll(directory, progress);
    } else {
      if (published.length > 0) {
        if (!this.#options.overwrite) {
          throw new ArchiveDirectoryInUseError(
            directory,
            published.map((f) => f.path),
          );
        }
        for (const file of published) await remove(directory, file.path);
        await pruneEmptyFolders(directory);
      }
    }
    await remove(directory, STAGING);
    await syncPath(directory, directory);
    const store = await openStore(directory, this.#options);
    return new ParquetArchiveWriter(this.#options, store);
  }
}

/** The least `memoryLimitMb`: less fails appends of a default segment. */
export const MIN_MEMORY_LIMIT_MB = 64;

async function openStore<T>(
  directory: string,
  options: ParquetArchiveSinkOptions<T>,
): Promise<SegmentWriter> {
  try {
    return await SegmentWriter.open({
      columns: options.columns,
      threads: options.threads ?? 1,
      ...(options.memoryLimitMb === undefined
        ? {}
        : {
            memory: {
              limitMb: options.memoryLimitMb,
              spillDirectory: path.join(directory, STAGING, "spill"),
            },
          }),
    });
  } catch (error) {
    throw new ParquetSinkError(directory, "cannot start DuckDB", { cause: error });
  }
}

function validateOptions<T>(options: ParquetArchiveSinkOptions<T>): void {
  const fail = (message: string): never => {
    throw new TypeError(`ParquetArchiveSink: ${message}`);
  };
  if (typeof options.directory !== "string" || options.directory === "") {
    fail("`directory` must be a non-empty path");
  }
  if (!Array.isArray(options.columns) || options.columns.length === 0) {
    fail("`columns` must list at least one column");
  }
  const names = new Set<string>();
  for (const column of options.columns) {
    if (typeof column?.name !== "string" || !COLUMN_NAME.test(column.name)) {
      fail(
        `column name ${JSON.stringify(column?.name)} must start with a letter and hold only letters, digits and _`,
      );
    }
    if (names.has(column.name)) fail(`column "${column.name}" is listed twice`);
    if (!isColumnType(column.type)) {
      fail(`column "${column.name}" has unsupported type ${JSON.stringify(column.type)}`);
    }
    names.add(column.name);
  }
  if (typeof options.row !== "function") fail("`row` must be a function");
  if (!Array.isArray(options.partitionBy) || options.partitionBy.length === 0) {
    fail("`partitionBy` must name at least one column");
  }
  if (new Set(options.partitionBy).size !== options.partitionBy.length) {
    fail("`partitionBy` names a column twice");
  }
  for (const name of options.partitionBy) {
    if (!names.has(name)) fail(`partition column "${name}" is not among \`columns\``);
  }
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      fail(`\`${name}\` must be a positive integer, got ${value}`);
    }
  };
  positive("rowGroupSize", options.rowGroupSize);
  positive("bufferRows", options.bufferRows);
  positive("segmentRows", options.segmentRows);
  positive("threads", options.threads);
  positive("memoryLimitMb", options.memoryLimitMb);
  if (options.memoryLimitMb !== undefined && options.memoryLimitMb < MIN_MEMORY_LIMIT_MB) {
    fail(`\`memoryLimitMb\` must be at least ${MIN_MEMORY_LIMIT_MB}, got ${options.memoryLimitMb}`);
  }
  if (options.compression !== undefined && !COMPRESSIONS.includes(options.compression)) {
    fail(`\`compression\` must be one of ${COMPRESSIONS.join(", ")}`);
  }
}
