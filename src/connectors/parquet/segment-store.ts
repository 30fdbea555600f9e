/**
 * An in-memory DuckDB holding the rows of Parquet segments until they are written.
 * Blocks of checked rows ({@link RowBlockData}) are appended to the segment's table as
 * data chunks, a column's vector copied whole from a typed array: number cells as a
 * DOUBLE, string cells as codes of a dictionary table kept per segment. `copy` then
 * writes the segment with DuckDB's partitioned `COPY` and drops its tables.
 *
 * Used by the segment thread (`segment-thread.ts`), or on the event loop when no thread
 * can start. Appends run in call order; a segment's `copy` waits for the appends before
 * it, and the appends of the next segment go on while DuckDB writes.
 */
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBDoubleType,
  DuckDBInstance,
  DuckDBUIntegerType,
} from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
import { SerialQueue } from "../serial-queue.js";
import type { ColumnSpec } from "./columns.js";
import { CELL_NUMBER, CELL_STRING, type RowBlockData } from "./row-block.js";
import {
  createDictionaryTable,
  createRowsTable,
  literal,
  type StagedColumn,
  stagedColumns,
  stagedSelect,
} from "./staged-select.js";

/** What the store is made of: the archive's columns, DuckDB's thread count and memory. */
export interface SegmentStoreOptions {
  readonly columns: readonly ColumnSpec[];
  readonly threads: number;
  /**
   * DuckDB's memory limit in MiB and the folder it spills to beyond it; with a limit,
   * DuckDB also hands memory back to the system after each segment rather than keeping
   * it for the next. Without one, DuckDB may use most of the machine's memory and keeps
   * what it freed (faster: see docs/connectors-parquet.md).
   */
  readonly memory?: { readonly limitMb: number; readonly spillDirectory: string };
}

/** DuckDB's configuration for `options`. */
export function storeConfig(options: SegmentStoreOptions): Record<string, string> {
  const config: Record<string, string> = { threads: String(options.threads) };
  if (options.memory === undefined) return config;
  return {
    ...config,
    memory_limit: `${options.memory.limitMb}MiB`,
    // After a segment is written and its tables dropped, its memory goes back to the
    // system instead of staying in DuckDB's allocator for the next segment. Measured
    // with DuckDB 1.5: a bulk threshold of 1 MiB or more never triggers here.
    allocator_flush_threshold: "512KiB",
    allocator_bulk_deallocation_flush_threshold: "512KiB",
    temp_directory: options.memory.spillDirectory,
  };
}

/** A segment being appended to. */
interface OpenSegment {
  readonly rows: string;
  readonly dictionary: string;
  readonly rowAppender: DuckDBAppender;
  readonly dictionaryAppender: DuckDBAppender;
  /** Per archive column, the segment's code of each block code (sparse). */
  readonly codes: number[][];
  /** Strings in the segment's dictionary. */
  size: number;
}

/** Staged rows of segments in an in-memory DuckDB. */
export class SegmentStore {
  readonly #instance: DuckDBInstance;
  /** Creates tables and appends. */
  readonly #appending: DuckDBConnection;
  /** Writes segments, while the other appends. */
  readonly #copying: DuckDBConnection;
  readonly #columns: readonly ColumnSpec[];
  readonly #staged: readonly StagedColumn[];
  /** Per archive column, the string of each block code, as blocks define them. */
  readonly #strings: string[][];
  /** The segments appended to and not written yet. Changed by the appends only. */
  readonly #segments = new Map<number, OpenSegment>();
  /** The appends (and table creations), in call order. */
  readonly #appends = new SerialQueue(
    (cause) => new Error(`an earlier append to DuckDB failed: ${messageOf(cause)}`),
  );
  /** The segment writes, one at a time. */
  readonly #copies = new SerialQueue(
    (cause) => new Error(`an earlier Parquet segment failed: ${messageOf(cause)}`),
  );
  readonly #chunk: DuckDBDataChunk;
  readonly #doubles = new Float64Array(duckdb.vector_size());
  readonly #codes = new Uint32Array(duckdb.vector_size());
  /** One bit per row: set when valid. */
  readonly #validity = new Uint8Array(Math.ceil(duckdb.vector_size() / 64) * 8);

  private constructor(
    instance: DuckDBInstance,
    appending: DuckDBConnection,
    copying: DuckDBConnection,
    options: SegmentStoreOptions,
  ) {
    this.#instance = instance;
    this.#appending = appending;
    this.#copying = copying;
    this.#columns = options.columns;
    this.#staged = stagedColumns(options.columns);
    this.#strings = options.columns.map(() => []);
    this.#chunk = DuckDBDataChunk.create(
      this.#staged.map((s) =>
        s.cells === "number" ? DuckDBDoubleType.instance : DuckDBUIntegerType.instance,
      ),
    );
  }

  /** Starts an in-memory DuckDB for `options`. */
  static async open(options: SegmentStoreOptions): Promise<SegmentStore> {
    const instance = await DuckDBInstance.create(":memory:", storeConfig(options));
    try {
      const appending = await instance.connect();
      const copying = await instance.connect();
      return new SegmentStore(instance, appending, copying, options);
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }

  /**
   * Appends `block` to segment `segment`. Blocks must come in the order their
   * dictionaries were built, and a segment's after those of the segments before it.
   */
  append(segment: number, block: RowBlockData): Promise<void> {
    // The dictionaries follow every block, in order, even when appending fails.
    const strings = this.#strings;
    for (const column of block.resets) strings[column] = [];
    block.added.forEach((value, k) => {
      (strings[block.addedColumns[k] as number] as string[]).push(value);
    });
    const resets = block.resets;
    // A column's strings are only ever added to, or replaced by a new array: the block's
    // codes keep their strings in these arrays whatever later blocks do.
    const dictionaries = strings.slice();
    return this.#appends.run(async () => {
      const target = this.#segments.get(segment) ?? (await this.#create(segment));
      // A dictionary starting over gives old codes to new strings.
      for (const column of resets) target.codes[column] = [];
      this.#appendRows(target, block, dictionaries);
    });
  }

  /**
   * Writes segment `segment` with `COPY … TO target (copyOptions)` and drops its tables.
   * Resolves once DuckDB has written the files.
   */
  copy(segment: number, target: string, copyOptions: string): Promise<void> {
    // Closing the appenders waits for the segment's appends; the next segment's go on.
    let closed: OpenSegment | undefined;
    const closing = this.#appends.run(async () => {
      closed = this.#segments.get(segment);
      this.#segments.delete(segment);
      closed?.rowAppender.closeSync();
      closed?.dictionaryAppender.closeSync();
    });
    return this.#copies.run(async () => {
      await closing;
      if (closed === undefined) return;
      const { rows, dictionary } = closed;
      try {
        const select = stagedSelect(this.#columns, rows, dictionary);
        await this.#copying.run(`COPY (${select}) TO ${literal(target)} (${copyOptions})`);
      } finally {
        await this.#copying.run(`DROP TABLE ${rows}; DROP TABLE ${dictionary}`);
      }
    });
  }

  /** Closes DuckDB once the operations started have ended. */
  async close(): Promise<void> {
    await this.#appends.idle();
    await this.#copies.idle();
    // Segments never written (the writer closed before their checkpoint): their rows go.
    for (const segment of this.#segments.values()) {
      segment.rowAppender.closeSync();
      segment.dictionaryAppender.closeSync();
    }
    this.#segments.clear();
    this.#chunk.reset();
    this.#appending.closeSync();
    this.#copying.closeSync();
    this.#instance.closeSync();
  }

  /** Creates the tables and appenders of segment `segment` (in an append). */
  async #create(segment: number): Promise<OpenSegment> {
    const rows = `rows_${segment}`;
    const dictionary = `strings_${segment}`;
    const connection = this.#appending;
    await connection.run(createRowsTable(rows, this.#staged));
    await connection.run(createDictionaryTable(dictionary));
    const open: OpenSegment = {
      rows,
      dictionary,
      rowAppender: await connection.createAppender(rows),
      dictionaryAppender: await connection.createAppender(dictionary),
      codes: this.#columns.map(() => []),
      size: 0,
    };
    this.#segments.set(segment, open);
    return open;
  }

  /** Appends the rows of `block` to `segment`, by data chunks. */
  #appendRows(
    segment: OpenSegment,
    block: RowBlockData,
    strings: readonly (readonly string[])[],
  ): void {
    const { rows, width, numbers, kinds } = block;
    const chunk = this.#chunk;
    const size = this.#doubles.length;
    const doubles = this.#doubles;
    const codes = this.#codes;
    const validity = this.#validity;
    for (let start = 0; start < rows; start += size) {
      const count = Math.min(size, rows - start);
      chunk.reset();
      duckdb.data_chunk_set_size(chunk.chunk, count);
      const validBytes = Math.ceil(count / 64) * 8;
      this.#staged.forEach((staged, j) => {
        const c = staged.column;
        validity.fill(0, 0, validBytes);
        if (staged.cells === "number") {
          for (let r = 0, i = start * width + c; r < count; r++, i += width) {
            if (kinds[i] === CELL_NUMBER) {
              doubles[r] = numbers[i] as number;
              validity[r >> 3] = (validity[r >> 3] as number) | (1 << (r & 7));
            }
          }
        } else {
          const segmentCodes = segment.codes[c] as number[];
          const columnStrings = strings[c] as readonly string[];
          for (let r = 0, i = start * width + c; r < count; r++, i += width) {
            if (kinds[i] !== CELL_STRING) continue;
            const code = numbers[i] as number;
            let own = segmentCodes[code];
            if (own === undefined) {
              own = segment.size++;
              segmentCodes[code] = own;
              segment.dictionaryAppender.appendUInteger(own);
              segment.dictionaryAppender.appendVarchar(columnStrings[code] as string);
              segment.dictionaryAppender.endRow();
            }
            codes[r] = own;
            validity[r >> 3] = (validity[r >> 3] as number) | (1 << (r & 7));
          }
        }
        const vector = duckdb.data_chunk_get_vector(chunk.chunk, j);
        const data = staged.cells === "number" ? doubles : codes;
        duckdb.copy_data_to_vector(vector, 0, data.buffer, 0, count * data.BYTES_PER_ELEMENT);
        duckdb.vector_ensure_validity_writable(vector);
        duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, validBytes);
      });
      segment.rowAppender.appendDataChunk(chunk);
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
