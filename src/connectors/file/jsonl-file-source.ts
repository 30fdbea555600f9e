/**
 * A replayable source that reads newline-delimited files (JSON Lines, CSV rows, …)
 * line by line, one source partition per file. Lines are handed over as strings:
 * parsing belongs to the pipeline, which sends lines it cannot parse to its
 * dead-letter output instead of stopping.
 */
import { type FileHandle, open } from "node:fs/promises";
import path from "node:path";
import type { Source, SourceContext, SourcePoll, SourceReader } from "../../engine/index.js";
import { FileSourceError } from "./errors.js";

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
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
      const values = await file.readLines(this.#batchSize);
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

/**
 * One file read as lines through a reused buffer. `buffer[start, end)` holds bytes
 * read but not yet consumed; `buffer[0]` is at file offset `bufferOffset`.
 */
class LineFile {
  readonly #path: string;
  #handle: FileHandle | null;
  #buffer: Buffer;
  #view: Buffer;
  #start = 0;
  #end = 0;
  #bufferOffset: number;
  #eof = false;
  /** True once every line has been returned (or the file is closed). */
  done = false;

  private constructor(path: string, handle: FileHandle, offset: number, chunkSize: number) {
    this.#path = path;
    this.#handle = handle;
    this.#buffer = Buffer.allocUnsafe(chunkSize);
    this.#view = this.#buffer.subarray(0, 0);
    this.#bufferOffset = offset;
  }

  /** Opens `path` and seeks to `resume` (a position from `positions()`), or to 0. */
  static async open(path: string, resume: unknown, chunkSize: number): Promise<LineFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : `cannot open it (${code ?? error})`;
      throw new FileSourceError(path, why, { cause: error });
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new FileSourceError(path, "is not a regular file");
      const offset = resume === undefined ? 0 : resume;
      if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
        throw new FileSourceError(
          path,
          `invalid resume position ${JSON.stringify(offset)}: expected a byte offset (an integer >= 0)`,
        );
      }
      if (offset > stat.size) {
        throw new FileSourceError(
          path,
          `resume position ${offset} lies beyond the end of the file (${stat.size} bytes): ` +
            "the file was truncated or replaced since the checkpoint",
        );
      }
      if (offset > 0 && offset < stat.size) {
        const byte = Buffer.alloc(1);
        await handle.read(byte, 0, 1, offset - 1);
        if (byte[0] !== NEWLINE) {
          throw new FileSourceError(
            path,
            `resume position ${offset} is not at the start of a line: the file changed since ` +
              "the checkpoint",
          );
        }
      }
      return new LineFile(path, handle, offset, chunkSize);
    } catch (error) {
      await handle.close();
      if (error instanceof FileSourceError) throw error;
      throw new FileSourceError(path, "cannot read it", { cause: error });
    }
  }

  /** Byte offset just after the last line returned. */
  get position(): number {
    return this.#bufferOffset + this.#start;
  }

  /**
   * Up to `max` non-blank lines; fewer only at the end of the file, after which
   * `done` is true.
   */
  async readLines(max: number): Promise<string[]> {
    const lines: string[] = [];
    while (lines.length < max) {
      const view = this.#view;
      const start = this.#start;
      const newline = view.indexOf(NEWLINE, start);
      if (newline !== -1) {
        this.#take(lines, start, newline);
        this.#start = newline + 1;
        continue;
      }
      if (this.#eof) {
        if (start < this.#end) this.#take(lines, start, this.#end);
        this.#start = this.#end;
        this.done = true;
        await this.close();
        break;
      }
      await this.#fill();
    }
    return lines;
  }

  /** Pushes `view[from, to)` as a line unless it is blank; strips `\r` and a leading BOM. */
  #take(lines: string[], from: number, to: number): void {
    const view = this.#view;
    if (to > from && view[to - 1] === CARRIAGE_RETURN) to--;
    if (
      from === 0 &&
      this.#bufferOffset === 0 &&
      to >= 3 &&
      view[0] === 0xef &&
      view[1] === 0xbb &&
      view[2] === 0xbf
    ) {
      from = 3;
    }
    let i = from;
    while (i < to) {
      const byte = view[i];
      if (byte !== SPACE && byte !== TAB && byte !== CARRIAGE_RETURN) break;
      i++;
    }
    if (i < to) lines.push(view.toString("utf8", from, to));
  }

  /** Moves the unconsumed tail to the front (growing the buffer if it is full) and reads more. */
  async #fill(): Promise<void> {
    const handle = this.#handle;
    if (handle === null) throw new FileSourceError(this.#path, "read after close");
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#bufferOffset += this.#start;
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buffer.length) {
      const bigger = Buffer.allocUnsafe(this.#buffer.length * 2);
      this.#buffer.copy(bigger, 0, 0, this.#end);
      this.#buffer = bigger;
    }
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(
        this.#buffer,
        this.#end,
        this.#buffer.length - this.#end,
        this.#bufferOffset + this.#end,
      ));
    } catch (error) {
      throw new FileSourceError(
        this.#path,
        `read failed at byte ${this.#bufferOffset + this.#end}`,
        {
          cause: error,
        },
      );
    }
    if (bytesRead === 0) this.#eof = true;
    this.#end += bytesRead;
    this.#view = this.#buffer.subarray(0, this.#end);
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    this.done = true;
    if (handle !== null) await handle.close();
  }
}
