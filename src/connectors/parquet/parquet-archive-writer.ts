/**
 * The running writer of a `ParquetArchiveSink` (see `parquet-archive-sink.ts` for the
 * contract and docs/connectors-parquet.md for the design). On the event loop, `write`
 * only checks values and fills typed arrays; a worker thread appends them to an
 * in-memory DuckDB and writes them as Hive-partitioned Parquet: in the background every
 * `segmentRows` rows, and the rest at the checkpoint barrier.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Batch, SinkWriter } from "../../engine/index.js";
import { SerialQueue } from "../serial-queue.js";
import { type Encoder, encoderOf, expectedOf, partitionValueProblem } from "./columns.js";
import { ParquetSinkError, ParquetValueError } from "./errors.js";
import type { ParquetArchiveSinkOptions } from "./parquet-archive-sink.js";
import { type ParquetSinkProgress, parseProgress, publishAll } from "./progress.js";
import { CELL_NULL, CELL_NUMBER, CELL_STRING, RowBlock, StringCodes } from "./row-block.js";
import type { SegmentWriter } from "./segment-writer.js";
import { quote } from "./staged-select.js";
import {
  claimSegment,
  listFiles,
  PENDING,
  remove,
  STAGED_EXTENSION,
  STAGING,
  segmentFolder,
  stagingFolder,
  syncAll,
} from "./staging.js";

export const DEFAULT_BUFFER_ROWS = 8192;
export const DEFAULT_SEGMENT_ROWS = 262_144;
/** Rows a block has room for before it grows, at most. */
const BLOCK_ROWS = 8192;
/** Blocks the segment thread may have queued before `flush` waits for it. */
const MAX_BLOCKS_IN_FLIGHT = 2;
/** Segments DuckDB may have queued behind the one it writes before `flush` waits for it. */
const MAX_SEGMENTS_IN_FLIGHT = 1;

/** A Parquet segment written by DuckDB, and the fsync of its files. */
interface Segment {
  /** Relative to the directory. */
  readonly folder: string;
  /** Resolves once its files are durable (rejects when they cannot be synced). */
  readonly synced: Promise<void>;
}

/**
 * A writer of a `ParquetArchiveSink`. DuckDB and file operations run one at a time, in
 * call order; the segment thread runs behind the pipeline, `flush` waiting only
 * when they fall more than {@link MAX_BLOCKS_IN_FLIGHT} blocks or
 * {@link MAX_SEGMENTS_IN_FLIGHT} segments behind.
 */
export class ParquetArchiveWriter<T> implements SinkWriter<T> {
  readonly #directory: string;
  readonly #row: (value: T) => readonly unknown[];
  readonly #names: readonly string[];
  readonly #encoders: readonly Encoder[];
  readonly #expected: readonly string[];
  /** Per column: whether it is a `VARCHAR` partition column, whose values name folders. */
  readonly #partition: boolean[];
  readonly #bufferRows: number;
  readonly #segmentRows: number;
  readonly #copyOptions: string;
  readonly #store: SegmentWriter;
  /** Codes of string cells, shared with the segment thread through the blocks sent to it. */
  readonly #codes: StringCodes;
  /** Checked rows not handed over yet. */
  #block: RowBlock;
  /** Appends of the rows not in a segment yet, oldest first. */
  #pending: Promise<void>[] = [];
  #pendingRows = 0;
  /** Parquet segments written that no epoch has claimed yet, oldest first. */
  #segments: Segment[] = [];
  #segmentCount = 0;
  /** Blocks the segment thread has not appended yet, and segments not written yet (never rejecting). */
  readonly #blocksInFlight: Promise<void>[] = [];
  readonly #segmentsInFlight: Promise<void>[] = [];
  /** Staged files prepared but not committed yet. */
  #prepared: string[] = [];
  readonly #queue = new SerialQueue(
    (cause) =>
      new ParquetSinkError(this.#directory, "an earlier write failed; the sink is unusable", {
        cause,
      }),
  );
  #closed = false;

  constructor(options: ParquetArchiveSinkOptions<T>, store: SegmentWriter) {
    this.#directory = options.directory;
    this.#row = options.row;
    this.#names = options.columns.map((c) => c.name);
    this.#encoders = options.columns.map((c) => encoderOf(c.type));
    this.#expected = options.columns.map((c) => expectedOf(c.type));
    this.#partition = options.columns.map(
      (c) => options.partitionBy.includes(c.name) && c.type === "VARCHAR",
    );
    this.#bufferRows = options.bufferRows ?? DEFAULT_BUFFER_ROWS;
    this.#segmentRows = options.segmentRows ?? DEFAULT_SEGMENT_ROWS;
    const copy = [
      "FORMAT PARQUET",
      `PARTITION_BY (${options.partitionBy.map(quote).join(", ")})`,
      "WRITE_PARTITION_COLUMNS true",
      `FILE_EXTENSION '${STAGED_EXTENSION}'`,
      `COMPRESSION ${options.compression ?? "zstd"}`,
      "FILENAME_PATTERN 'part-{i}'",
    ];
    if (options.rowGroupSize !== undefined) copy.push(`ROW_GROUP_SIZE ${options.rowGroupSize}`);
    this.#copyOptions = copy.join(", ");
    this.#store = store;
    this.#codes = new StringCodes(this.#names.length);
    this.#block = this.#newBlock();
  }

  /** `prepareCommit` queues its work at once: writes after it go to the next epoch. */
  readonly preparesInBackground = true;

  get needsFlush(): boolean {
    return this.#block.rows >= this.#bufferRows;
  }

  write(batch: Batch<T>): void {
    if (this.#closed) throw new ParquetSinkError(this.#directory, "write after close");
    this.#queue.check();
    const { values } = batch;
    const width = this.#names.length;
    const encoders = this.#encoders;
    const partition = this.#partition;
    const block = this.#block;
    const codes = this.#codes;
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
      const base = block.reserve();
      const { numbers, kinds } = block;
      for (let c = 0; c < width; c++) {
        const raw: unknown = row[c];
        const cell = (encoders[c] as Encoder)(raw);
        if (typeof cell === "number") {
          numbers[base + c] = cell;
          kinds[base + c] = CELL_NUMBER;
        } else if (typeof cell === "string") {
          let code = codes.lookup(c, cell);
          if (code === undefined) {
            // Checked once, before it is coded: a value in a dictionary has passed.
            if (partition[c]) this.#checkPartition(c, cell);
            code = codes.add(block, c, cell);
          }
          numbers[base + c] = code;
          kinds[base + c] = CELL_STRING;
        } else if (cell === null) kinds[base + c] = CELL_NULL;
        else {
          // The row is never ended: the next overwrites it. Strings it gave a code are
          // sent all the same.
          throw new ParquetValueError(
            this.#directory,
            this.#names[c],
            `expected ${this.#expected[c]}, got ${describe(raw)} (record ${i} of a batch)`,
          );
        }
      }
      block.endRow();
    }
  }

  flush(): Promise<void> {
    if (this.#closed) return this.#rejectClosed("flush");
    this.#handOver();
    if (this.#pendingRows >= this.#segmentRows) {
      track(this.#segmentsInFlight, this.#startSegment());
    }
    return this.#room();
  }

  prepareCommit(checkpointId: number): Promise<unknown> {
    if (this.#closed) return this.#rejectClosed("prepareCommit");
    this.#handOver();
    // A failed segment fails the staging below (the queue keeps the failure).
    if (this.#pendingRows > 0) this.#startSegment().catch(() => {});
    let progress: ParquetSinkProgress = { staging: null, files: [] };
    return this.#queue
      .run(async () => {
        // Runs after every segment queued before it: they hold all rows written so far.
        const staged = this.#segments.length > 0 ? await this.#stage(checkpointId) : [];
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
    // Segments still queued see `#closed` and skip: their rows are never published, and
    // the next `open` deletes what they left in the staging folder.
    this.#block = this.#newBlock();
    await this.#queue.idle();
    await this.#store.close();
  }

  #checkPartition(column: number, value: string): void {
    const name = this.#names[column] as string;
    const problem = partitionValueProblem(name, value);
    if (problem !== undefined) throw new ParquetValueError(this.#directory, name, problem);
  }

  /** Sends the block's rows to the segment thread, to be appended to the next segment. */
  #handOver(): void {
    const block = this.#block;
    if (block.rows === 0) return;
    this.#block = this.#newBlock();
    const appended = this.#store.append(this.#segmentCount + 1, block.data());
    track(this.#blocksInFlight, appended);
    this.#pending.push(appended);
    this.#pendingRows += block.rows;
  }

  /**
   * Queues the writing of the rows appended since the last segment as a Parquet
   * segment: DuckDB's partitioned `COPY` into a pending segment folder, whose files are
   * then synced while DuckDB goes on with the next operation. Returns the queued
   * operation.
   */
  #startSegment(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    this.#pendingRows = 0;
    const number = ++this.#segmentCount;
    const segment = segmentFolder(number);
    const directory = this.#directory;
    return this.#queue.run(() =>
      this.#io("cannot write rows as Parquet", async () => {
        await Promise.all(pending);
        if (this.#closed) return;
        await mkdir(path.join(directory, PENDING), { recursive: true });
        await this.#store.copy(number, path.join(directory, segment), this.#copyOptions);
        const files = await listFiles(directory, segment, false);
        const synced = syncAll(
          directory,
          files.map((file) => path.join(directory, file)),
        );
        synced.catch(() => {}); // awaited by the staging of the epoch that claims it
        this.#segments.push({ folder: segment, synced });
      }),
    );
  }

  /**
   * Moves the pending segments into the staging folder of epoch `id` and syncs its
   * folders; returns the staged files.
   */
  async #stage(id: number): Promise<string[]> {
    const directory = this.#directory;
    const folder = stagingFolder(id);
    await remove(directory, folder);
    const segments = this.#segments;
    this.#segments = [];
    for (const { synced } of segments) await synced;
    const next = new Map<string, number>();
    const staged: string[] = [];
    for (const { folder: segment } of segments) {
      staged.push(...(await claimSegment(directory, segment, id, next)));
    }
    const folders = new Set<string>([path.join(directory, STAGING), path.join(directory, folder)]);
    for (const file of staged) {
      let parent = path.posix.dirname(file);
      while (parent.length > folder.length) {
        folders.add(path.join(directory, parent));
        parent = path.posix.dirname(parent);
      }
    }
    await syncAll(directory, folders);
    return staged;
  }

  /** Resolves once the segment thread is close enough behind. */
  async #room(): Promise<void> {
    const blocks = this.#blocksInFlight;
    while (blocks.length > MAX_BLOCKS_IN_FLIGHT) await blocks[0];
    const segments = this.#segmentsInFlight;
    while (segments.length > MAX_SEGMENTS_IN_FLIGHT) await segments[0];
    this.#queue.check();
  }

  #newBlock(): RowBlock {
    // Room for the rows that make `needsFlush` true and a batch more, mostly.
    const width = this.#names.length;
    const capacity = Math.min(this.#bufferRows, BLOCK_ROWS) + 2048;
    const arrays = this.#store.spareArrays(width * capacity);
    return new RowBlock(width, capacity, this.#codes.trim(), arrays);
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

/** Adds `operation` to `inFlight` until it settles (a failure is reported elsewhere). */
function track(inFlight: Promise<void>[], operation: Promise<unknown>): void {
  const settled = operation.then(
    () => {},
    () => {},
  );
  inFlight.push(settled);
  void settled.then(() => {
    inFlight.splice(inFlight.indexOf(settled), 1);
  });
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Date) return `Date(${value.getTime()})`;
  return typeof value;
}
