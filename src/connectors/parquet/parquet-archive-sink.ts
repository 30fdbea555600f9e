/**
 * An exactly-once Parquet archive sink. Rows are buffered in DuckDB (in memory), and
 * at each checkpoint written as Hive-partitioned Parquet into a hidden staging folder,
 * then published by atomic rename once the checkpoint covering them is committed, so
 * a crash at any moment leaves each row in exactly one published file after recovery.
 * The layout is described in `staging.ts` and docs/connectors-parquet.md.
 */
import { SerialQueue } from "../serial-queue.js";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
} from "@duckdb/node-api";
import type { Batch, Sink, SinkContext, SinkWriter } from "../../engine/index.js";
import {
  COLUMN_NAME,
  type ColumnSpec,
  type Converter,
  converterOf,
  duckdbType,
  expectedOf,
  INVALID,
  isColumnType,
  partitionValueProblem,
} from "./columns.js";
import { ArchiveDirectoryInUseError, ParquetSinkError, ParquetValueError } from "./errors.js";
import {
  listFiles,
  listPublished,
  publishFile,
  pruneEmptyFolders,
  remove,
  STAGED_EXTENSION,
  STAGING,
  stagedEpoch,
  stagingFolder,
  syncPath,
} from "./staging.js";

const DEFAULT_BUFFER_ROWS = 8192;
const CHUNK_ROWS = 2048;
const COMPRESSIONS = ["zstd", "snappy", "gzip", "lz4_raw", "brotli", "uncompressed"] as const;

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
  /** Buffered rows after which `needsFlush` turns true (they then move into DuckDB). Default 8192. */
  readonly bufferRows?: number;
  /** DuckDB worker threads. Default 1: one file per partition folder and epoch, and no contention with the pipeline. */
  readonly threads?: number;
}

/** The progress a {@link ParquetArchiveSink} returns from `prepareCommit` and expects back. */
export interface ParquetSinkProgress {
  /** The epoch's staging folder (relative to the directory); `null` when the epoch had no row. */
  readonly staging: string | null;
  /**
   * Staged files to publish, relative to the directory, sorted: this epoch's and those
   * of earlier epochs prepared but never committed.
   */
  readonly files: readonly string[];
}

/**
 * Archives records as Hive-partitioned Parquet files, exactly once, by checkpoint
 * epochs, using an in-memory DuckDB per writer.
 *
 * - `write` converts each record's values (`row`) to the column types and buffers
 *   them; `flush` appends the buffer to DuckDB.
 * - `prepareCommit(n)` writes the epoch's rows with DuckDB's partitioned `COPY` into
 *   `.staging/epoch-<n>/<k>=<v>/…/epoch-<n>-<i>.parquet.tmp`, fsyncs the files and
 *   folders, empties the table and returns {@link ParquetSinkProgress}. An epoch with
 *   no row writes nothing (`staging: null`).
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
    const database = await openDatabase(directory, this.#options);
    return new ParquetArchiveWriter(this.#options, database);
  }
}

/** The in-memory DuckDB of one writer, with its `rows` table created. */
interface Database {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
}

async function openDatabase<T>(
  directory: string,
  options: ParquetArchiveSinkOptions<T>,
): Promise<Database> {
  let instance: DuckDBInstance | undefined;
  try {
    instance = await DuckDBInstance.create(":memory:", {
      threads: String(options.threads ?? 1),
    });
    const connection = await instance.connect();
    const columns = options.columns.map((c) => `${quote(c.name)} ${c.type}`).join(", ");
    await connection.run(`CREATE TABLE rows (${columns})`);
    return { instance, connection };
  } catch (error) {
    instance?.closeSync();
    throw new ParquetSinkError(directory, "cannot start DuckDB", { cause: error });
  }
}

/** Publishes every file of `progress` and syncs the folders they went to. */
async function publishAll(directory: string, progress: ParquetSinkProgress): Promise<void> {
  const folders = new Set<string>();
  for (const file of progress.files) folders.add(await publishFile(directory, file));
  for (const folder of folders) await syncPath(directory, folder);
}

/** The running writer. DuckDB and file operations run one at a time, in call order. */
class ParquetArchiveWriter<T> implements SinkWriter<T> {
  readonly #directory: string;
  readonly #row: (value: T) => readonly unknown[];
  readonly #names: readonly string[];
  readonly #types: readonly DuckDBType[];
  readonly #converters: readonly Converter[];
  readonly #expected: readonly string[];
  /** Per column: the set of partition values already checked, or `null` for other columns. */
  readonly #checked: (Set<unknown> | null)[];
  readonly #bufferRows: number;
  readonly #copyOptions: string;
  #database: Database;
  #appender: DuckDBAppender | null = null;
  /** Converted values not yet in DuckDB, per column. */
  #columns: (DuckDBValue | null)[][];
  #buffered = 0;
  /** Rows in the DuckDB table (this epoch's). */
  #rowsInTable = 0;
  /** Staged files prepared but not committed yet. */
  #prepared: string[] = [];
  readonly #queue = new SerialQueue(
    (cause) =>
      new ParquetSinkError(this.#directory, "an earlier write failed; the sink is unusable", {
        cause,
      }),
  );
  #closed = false;

  constructor(options: ParquetArchiveSinkOptions<T>, database: Database) {
    this.#directory = options.directory;
    this.#row = options.row;
    this.#names = options.columns.map((c) => c.name);
    this.#types = options.columns.map((c) => duckdbType(c.type));
    this.#converters = options.columns.map((c) => converterOf(c.type));
    this.#expected = options.columns.map((c) => expectedOf(c.type));
    this.#checked = options.columns.map((c) =>
      options.partitionBy.includes(c.name) && c.type === "VARCHAR" ? new Set() : null,
    );
    this.#bufferRows = options.bufferRows ?? DEFAULT_BUFFER_ROWS;
    const copy = [
      "FORMAT PARQUET",
      `PARTITION_BY (${options.partitionBy.map(quote).join(", ")})`,
      "WRITE_PARTITION_COLUMNS true",
      `FILE_EXTENSION '${STAGED_EXTENSION}'`,
      `COMPRESSION ${options.compression ?? "zstd"}`,
    ];
    if (options.rowGroupSize !== undefined) copy.push(`ROW_GROUP_SIZE ${options.rowGroupSize}`);
    this.#copyOptions = copy.join(", ");
    this.#database = database;
    this.#columns = this.#names.map(() => []);
  }

  get needsFlush(): boolean {
    return this.#buffered >= this.#bufferRows;
  }

  write(batch: Batch<T>): void {
    if (this.#closed) throw new ParquetSinkError(this.#directory, "write after close");
    this.#queue.check();
    const { values } = batch;
    const width = this.#names.length;
    const converters = this.#converters;
    const columns = this.#columns;
    const converted: (DuckDBValue | null)[] = new Array(width);
    for (let i = 0; i < values.length; i++) {
      let row: readonly unknown[];
      try {
        row = this.#row(values[i] as T);
      } catch (error) {
        throw new ParquetSinkError(this.#directory, `\`row\` failed on record ${i} of a batch`, {
          cause: error,
        });
      }
      if (!Array.isArray(row) || row.length !== width) {
        throw new ParquetValueError(
          this.#directory,
          undefined,
          `\`row\` gave ${Array.isArray(row) ? `${row.length} values` : typeof row} for record ${i} of a batch; expected ${width} values`,
        );
      }
      for (let c = 0; c < width; c++) {
        const raw: unknown = row[c];
        const value = (converters[c] as Converter)(raw);
        if (value === INVALID) {
          throw new ParquetValueError(
            this.#directory,
            this.#names[c],
            `expected ${this.#expected[c]}, got ${describe(raw)} (record ${i} of a batch)`,
          );
        }
        const checked = this.#checked[c];
        if (checked && typeof raw === "string" && !checked.has(raw)) this.#checkPartition(c, raw);
        converted[c] = value;
      }
      for (let c = 0; c < width; c++)
        (columns[c] as (DuckDBValue | null)[]).push(converted[c] ?? null);
      this.#buffered++;
    }
  }

  flush(): Promise<void> {
    if (this.#closed) return this.#rejectClosed("flush");
    const buffer = this.#takeBuffer();
    return this.#queue.run(async () => {
      if (buffer !== null) await this.#append(buffer);
    });
  }

  prepareCommit(checkpointId: number): Promise<unknown> {
    if (this.#closed) return this.#rejectClosed("prepareCommit");
    const buffer = this.#takeBuffer();
    let progress: ParquetSinkProgress = { staging: null, files: [] };
    return this.#queue
      .run(async () => {
        if (buffer !== null) await this.#append(buffer);
        const staged = this.#rowsInTable > 0 ? await this.#stage(checkpointId) : [];
        // Earlier epochs prepared but never committed: this checkpoint covers them now.
        const files = [...this.#prepared, ...staged].sort();
        progress = { staging: staged.length > 0 ? stagingFolder(checkpointId) : null, files };
        this.#prepared = files;
      })
      .then(() => progress);
  }

  commit(checkpointId: number, progress: unknown): Promise<void> {
    if (this.#closed) return this.#rejectClosed("commit");
    let parsed: ParquetSinkProgress;
    try {
      parsed = parseProgress(this.#directory, progress, checkpointId);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#queue.run(async () => {
      await publishAll(this.#directory, parsed);
      const folders = new Set(parsed.files.map((f) => f.split("/").slice(0, 2).join("/")));
      if (parsed.staging !== null) folders.add(parsed.staging);
      for (const folder of folders) await remove(this.#directory, folder);
      const done = new Set(parsed.files);
      this.#prepared = this.#prepared.filter((f) => !done.has(f));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#columns = this.#names.map(() => []);
    this.#buffered = 0;
    await this.#queue.idle();
    const { instance, connection } = this.#database;
    try {
      this.#appender?.closeSync();
    } catch {
      // The rows it held are discarded with the database.
    }
    this.#appender = null;
    connection.closeSync();
    instance.closeSync();
  }

  #checkPartition(column: number, value: string): void {
    const name = this.#names[column] as string;
    const problem = partitionValueProblem(name, value);
    if (problem !== undefined) throw new ParquetValueError(this.#directory, name, problem);
    const checked = this.#checked[column] as Set<unknown>;
    if (checked.size >= 100_000) checked.clear();
    checked.add(value);
  }

  /** Writes the table's rows as staged Parquet files of epoch `id`; returns their paths. */
  async #stage(id: number): Promise<string[]> {
    const directory = this.#directory;
    const folder = stagingFolder(id);
    const target = path.join(directory, folder);
    await this.#io(`cannot stage epoch ${id}`, async () => {
      this.#closeAppender();
      await remove(directory, folder);
      await mkdir(path.join(directory, STAGING), { recursive: true });
      const { connection } = this.#database;
      await connection.run(
        `COPY (SELECT * FROM rows) TO ${literal(target)} ` +
          `(${this.#copyOptions}, FILENAME_PATTERN 'epoch-${id}-{i}')`,
      );
      await connection.run("TRUNCATE rows");
      this.#rowsInTable = 0;
    });
    const files = await listFiles(directory, folder, false);
    const folders = new Set<string>([path.join(directory, STAGING), target]);
    for (const file of files) {
      await syncPath(directory, path.join(directory, file));
      let parent = path.posix.dirname(file);
      while (parent.length > folder.length) {
        folders.add(path.join(directory, parent));
        parent = path.posix.dirname(parent);
      }
    }
    for (const f of folders) await syncPath(directory, f);
    return files;
  }

  #closeAppender(): void {
    const appender = this.#appender;
    this.#appender = null;
    appender?.closeSync();
  }

  /** Appends converted columns to the DuckDB table, one data chunk per 2048 rows. */
  async #append(columns: (DuckDBValue | null)[][]): Promise<void> {
    await this.#io("cannot append rows to DuckDB", async () => {
      if (this.#appender === null) {
        this.#appender = await this.#database.connection.createAppender("rows");
      }
      const appender = this.#appender;
      const total = (columns[0] as (DuckDBValue | null)[]).length;
      for (let start = 0; start < total; start += CHUNK_ROWS) {
        const count = Math.min(CHUNK_ROWS, total - start);
        const chunk = DuckDBDataChunk.create(this.#types, count);
        for (let c = 0; c < columns.length; c++) {
          const values = columns[c] as (DuckDBValue | null)[];
          const vector = chunk.getColumnVector(c);
          for (let r = 0; r < count; r++) vector.setItem(r, values[start + r] ?? null);
          vector.flush();
        }
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
      this.#rowsInTable += total;
    });
  }

  #takeBuffer(): (DuckDBValue | null)[][] | null {
    if (this.#buffered === 0) return null;
    const columns = this.#columns;
    this.#columns = this.#names.map(() => []);
    this.#buffered = 0;
    return columns;
  }

  #rejectClosed(operation: string): Promise<never> {
    return Promise.reject(new ParquetSinkError(this.#directory, `${operation} after close`));
  }

  async #io<R>(what: string, operation: () => Promise<R>): Promise<R> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ParquetSinkError) throw error;
      throw new ParquetSinkError(this.#directory, what, { cause: error });
    }
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
  positive("threads", options.threads);
  if (options.compression !== undefined && !COMPRESSIONS.includes(options.compression)) {
    fail(`\`compression\` must be one of ${COMPRESSIONS.join(", ")}`);
  }
}

/** Validates progress read back from a checkpoint. */
function parseProgress(
  directory: string,
  progress: unknown,
  checkpointId: number,
): ParquetSinkProgress {
  if (typeof progress === "object" && progress !== null) {
    const { staging, files } = progress as { staging?: unknown; files?: unknown };
    const stagingOk =
      staging === null || (typeof staging === "string" && staging === stagingFolder(checkpointId));
    if (
      stagingOk &&
      Array.isArray(files) &&
      files.every((f) => typeof f === "string" && stagedEpoch(f, checkpointId) !== undefined)
    ) {
      return { staging: staging as string | null, files: files as string[] };
    }
  }
  throw new ParquetSinkError(
    directory,
    `invalid sink progress ${JSON.stringify(progress)} for checkpoint ${checkpointId}: expected ` +
      `{ staging: "${stagingFolder(checkpointId)}" | null, files: [".staging/epoch-<n>/<k>=<v>/…/epoch-<n>-<i>.parquet.tmp", …] }`,
  );
}

/** An SQL identifier in double quotes. */
function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** An SQL string literal. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Date) return `Date(${value.getTime()})`;
  return typeof value;
}
