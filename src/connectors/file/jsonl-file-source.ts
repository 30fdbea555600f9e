/**
 * A replayable source that reads newline-delimited files (JSON Lines, CSV rows, …)
 * line by line, one source partition per file. Lines are handed over as strings:
 * parsing belongs to the pipeline, which sends lines it cannot parse to its
 * dead-letter output instead of stopping.
 */
import path from "node:path";
import type { Source, SourceContext, SourcePoll, SourceReader } from "../../engine/index.js";
import { FileSourceError } from "./errors.js";
import { LineFile } from "./line-file.js";

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_CHUNK_SIZE = 64 * 1024;

/** Options of {@link JsonlFileSource}. */
export interface JsonlFileSourceOptions {
  /** The files to read, one source partition each, in this order (partition `i` is `paths[i]`). */
  readonly paths: readonly string[];
  /** Most lines per batch. Default 1000. */
  readonly batchSize?: number;
  /**
   * Bytes read from a file at a time (default 64 KiB). A line longer than this is
   * still read whole: the buffer grows to hold it.
   */
  readonly chunkSize?: number;
}

/**
 * Reads each file from its start (or its resume position) to its end as it is when
 * read, then ends; it does not follow files that keep growing.
 *
 * - Every non-blank line is one record, without its line ending (`\n` or `\r\n`).
 *   Blank lines (empty or only spaces and tabs) are skipped. A last line without a
 *   final newline is a record too. A UTF-8 byte order mark at the start of a file is
 *   removed. Lines are decoded as UTF-8 only when complete, so characters split
 *   between two reads are never garbled; invalid UTF-8 becomes U+FFFD.
 * - A poll returns up to `batchSize` lines of one file; files take turns
 *   (round-robin) while more than one has lines left. Records carry no event time:
 *   give the pipeline a `timestamp` after parsing.
 * - The position of a partition is the byte offset just after the last line
 *   returned, a number. Resuming from it reads the next line, not any of the same.
 *   A resume position must lie on a line boundary of the file; anything else means
 *   the file changed since the checkpoint and fails `open` with a
 *   {@link FileSourceError} naming the file.
 * - `open` fails with a {@link FileSourceError} naming the path when a file is
 *   missing or is not a regular file.
 */
export class JsonlFileSource implements Source<string> {
  readonly description: string;
  readonly #paths: readonly string[];
  readonly #batchSize: number;
  readonly #chunkSize: number;

  constructor(options: JsonlFileSourceOptions) {
    const { paths } = options;
    if (!Array.isArray(paths) || paths.length === 0) {
      throw new TypeError("JsonlFileSource: `paths` must list at least one file");
    }
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(
        `JsonlFileSource: \`batchSize\` must be a positive integer, got ${batchSize}`,
      );
    }
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(
        `JsonlFileSource: \`chunkSize\` must be a positive integer, got ${chunkSize}`,
      );
    }
    this.#paths = [...paths];
    this.#batchSize = batchSize;
    this.#chunkSize = chunkSize;
    const names = paths.slice(0, 3).map((p) => path.basename(p));
    const more = paths.length > 3 ? `,… (${paths.length} files)` : "";
    this.description = `file:${names.join(",")}${more}`;
  }

  async open(context: SourceContext): Promise<SourceReader<string>> {
    const paths = this.#paths;
    const resumeFrom = context.resumeFrom;
    if (resumeFrom) {
      for (const partition of resumeFrom.keys()) {
        if (!Number.isInteger(partition) || partition < 0 || partition >= paths.length) {
          throw new FileSourceError(
            paths.join(", "),
            `the checkpoint has a position for partition ${partition}, but the source reads ` +
              `${paths.length} file(s): the list of files changed since the checkpoint`,
          );
        }
      }
    }
    const files: LineFile[] = [];
    try {
      for (const [partition, file] of paths.entries()) {
        files.push(await LineFile.open(file, resumeFrom?.get(partition), this.#chunkSize));
      }
    } catch (error) {
      await Promise.allSettled(files.map((f) => f.close()));
      throw error;
    }
    return new JsonlFileReader(files, this.#batchSize);
  }
}

/** The running reader: round-robin over the files that still have lines. */
class JsonlFileReader implements SourceReader<string> {
  readonly partitions: number;
  readonly #files: readonly LineFile[];
  readonly #batchSize: number;
  #next = 0;

  constructor(files: readonly LineFile[], batchSize: number) {
    this.#files = files;
    this.partitions = files.length;
    this.#batchSize = batchSize;
  }

  async poll(): Promise<SourcePoll<string>> {
    const n = this.#files.length;
    for (let k = 0; k < n; k++) {
      const partition = (this.#next + k) % n;
      const file = this.#files[partition]!;
      if (file.done) continue;
      const values: string[] = [];
      await file.readLines(this.#batchSize, values);
      if (values.length > 0) {
        this.#next = (partition + 1) % n;
        return { kind: "batch", partition, values };
      }
    }
    return { kind: "end" };
  }

  positions(): Map<number, unknown> {
    const positions = new Map<number, unknown>();
    for (const [partition, file] of this.#files.entries()) positions.set(partition, file.position);
    return positions;
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.#files.map((f) => f.close()));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
