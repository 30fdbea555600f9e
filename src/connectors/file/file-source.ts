/**
 * The general file source: JSON Lines or CSV files, named by paths or glob patterns,
 * read once to their end or followed like `tail -F` (appended lines, truncation,
 * rotation), emitting raw lines or `InboundMessage`s that carry `<file>@<offset>`.
 * One source partition per file; replayable from byte offsets.
 */
import { stat } from "node:fs/promises";
import type { Source, SourceContext, SourcePoll, SourceReader } from "../../engine/index.js";
import type { SourceStatus } from "../../engine/source.js";
import type { InboundMessage } from "../inbound-message.js";
import { CsvHeader } from "./csv-row.js";
import { FileSourceError } from "./errors.js";
import { expandFileGlobs } from "./file-glob.js";
import { LineFile } from "./line-file.js";

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_CHUNK_SIZE = 64 * 1024;
const DEFAULT_POLL_INTERVAL_MS = 1000;
/** Longest wait of an idle poll in follow mode (the runtime wants an answer within ~100 ms). */
const MAX_IDLE_WAIT_MS = 100;

/** Options of {@link fileSource}. */
export interface FileSourceOptions {
  /**
   * Files or glob patterns (`*`, `?`, `**`; see `file-glob.ts`), expanded when the
   * source opens into one sorted list: partition `i` is the `i`-th file.
   */
  readonly paths: readonly string[];
  /** `jsonl` (default): each line is a record. `csv`: a header row, then one record per row. */
  readonly format?: "jsonl" | "csv";
  /** CSV field separator. Default `,`. */
  readonly delimiter?: string;
  /**
   * Keep reading as lines are appended, like `tail -F`: the source never ends, a
   * last line is returned once its newline is written, and a file that is
   * truncated or replaced at its path (log rotation) is read again from its start.
   */
  readonly follow?: boolean;
  /** Follow mode: how often each file is checked for truncation or replacement, ms. Default 1000. */
  readonly pollIntervalMs?: number;
  /** Emit `InboundMessage`s (payload, origin `<file>@<byte offset>`, receivedAt) instead of strings. */
  readonly emitMessages?: boolean;
  /** Most records per batch. Default 1000. */
  readonly batchSize?: number;
  /** Bytes read at a time (default 64 KiB); longer lines are still read whole. */
  readonly chunkSize?: number;
  /** Receives a line when follow mode starts a file over. Default `console.warn`. */
  readonly onWarning?: (message: string) => void;
  /** Clock for `receivedAt`. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Where a partition of a {@link FileSource} resumes: the file it read (to notice a
 * changed file list), the byte offset after the last line returned, and in follow
 * mode the file's inode (to notice a file replaced since the checkpoint).
 */
export interface FilePosition {
  readonly file: string;
  readonly offset: number;
  readonly inode?: number;
}

/** Builds a {@link FileSource} emitting `InboundMessage`s. */
export function fileSource(
  options: FileSourceOptions & { readonly emitMessages: true },
): FileSource<InboundMessage>;
/** Builds a {@link FileSource} emitting lines (JSONL) or JSON texts (CSV rows). */
export function fileSource(
  options: FileSourceOptions & { readonly emitMessages?: false },
): FileSource<string>;
export function fileSource(options: FileSourceOptions): FileSource<string | InboundMessage>;
export function fileSource(options: FileSourceOptions): FileSource<string | InboundMessage> {
  return new FileSource(options);
}

/**
 * Reads JSON Lines or CSV files, one partition per file.
 *
 * - **Records.** JSONL: each non-blank line, verbatim (line handling as in
 *   `JsonlFileSource`: `\r\n`, BOM, blank lines). CSV: the first non-blank line of
 *   each file is its header; every later row becomes the JSON text of an object
 *   (header → field; unquoted numbers typed; empty unquoted fields left out). A row
 *   that cannot be split or has the wrong number of fields is passed on as its raw
 *   line, so the pipeline dead-letters it with its text; a bad header fails the
 *   source with a {@link FileSourceError} naming the file.
 * - **Positions** are {@link FilePosition}s. Resuming reads the next line, not any of
 *   the same. A position naming another file than the pattern now gives at that
 *   partition fails `open`: the set of files changed since the checkpoint. A bare
 *   byte offset (a checkpoint of `JsonlFileSource`) is accepted too, as an offset in
 *   the file at that partition.
 * - **Follow mode** never ends; an idle poll waits at most 100 ms. A file whose inode
 *   at the path changed (rotation) is read to its end, last partial line included,
 *   then the new file is read from its start; a file that got shorter (truncation)
 *   is read again from its start; both are reported through `onWarning`. A resume
 *   position whose inode no longer matches starts the new file from its start. Files
 *   appearing later that match a pattern are not picked up (the partition count is
 *   fixed when the source opens).
 */
export class FileSource<T extends string | InboundMessage = string> implements Source<T> {
  readonly description: string;
  readonly #options: FileSourceOptions;
  readonly #batchSize: number;
  readonly #chunkSize: number;
  readonly #pollIntervalMs: number;

  constructor(options: FileSourceOptions) {
    const { paths } = options;
    if (!Array.isArray(paths) || paths.length === 0) {
      throw new TypeError("FileSource: `paths` must list at least one file or pattern");
    }
    this.#batchSize = positiveInteger("batchSize", options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.#chunkSize = positiveInteger("chunkSize", options.chunkSize ?? DEFAULT_CHUNK_SIZE);
    this.#pollIntervalMs = positiveInteger(
      "pollIntervalMs",
      options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    );
    if (
      options.delimiter !== undefined &&
      (options.delimiter === "" || /[\r\n"]/.test(options.delimiter))
    ) {
      throw new RangeError("FileSource: `delimiter` must be non-empty, without quotes or newlines");
    }
    this.#options = { ...options, paths: [...paths] };
    const shown = paths.slice(0, 3).join(",");
    const more = paths.length > 3 ? `,… (${paths.length} patterns)` : "";
    this.description = `file:${shown}${more}${options.follow ? " (follow)" : ""}`;
  }

  async open(context: SourceContext): Promise<SourceReader<T>> {
    const options = this.#options;
    const paths = await expandFileGlobs(options.paths);
    const resumeFrom = context.resumeFrom;
    const warn = options.onWarning ?? ((message: string) => console.warn(message));
    if (resumeFrom) {
      for (const partition of resumeFrom.keys()) {
        if (!Number.isInteger(partition) || partition < 0 || partition >= paths.length) {
          throw new FileSourceError(
            options.paths.join(", "),
            `the checkpoint has a position for partition ${partition}, but the source now reads ` +
              `${paths.length} file(s): the set of files changed since the checkpoint`,
          );
        }
      }
    }
    const files: PartitionFile[] = [];
    try {
      for (const [partition, file] of paths.entries()) {
        const start = await startOffset(file, resumeFrom?.get(partition), options.follow, warn);
        const line = await LineFile.open(file, start, this.#chunkSize, options.follow ?? false);
        const part: PartitionFile = { line, header: null, draining: false, missing: false };
        files.push(part);
        if (options.format === "csv" && start > 0) {
          part.header = await readHeader(file, this.#chunkSize, options.delimiter);
        }
      }
    } catch (error) {
      await Promise.allSettled(files.map((f) => f.line.close()));
      throw error;
    }
    return new FileReader<T>(files, {
      batchSize: this.#batchSize,
      pollIntervalMs: this.#pollIntervalMs,
      csv: options.format === "csv",
      delimiter: options.delimiter ?? ",",
      follow: options.follow ?? false,
      emitMessages: options.emitMessages ?? false,
      warn,
      now: options.now ?? Date.now,
    });
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`FileSource: \`${name}\` must be a positive integer, got ${value}`);
  }
  return value;
}

/** The byte offset a partition starts at, from its checkpointed position. */
async function startOffset(
  file: string,
  position: unknown,
  follow: boolean | undefined,
  warn: (message: string) => void,
): Promise<number> {
  if (position === undefined) return 0;
  // A bare byte offset: a checkpoint written by JsonlFileSource for the same file list.
  if (typeof position === "number") return position;
  const p = position as Partial<FilePosition> | null;
  if (
    p === null ||
    typeof p !== "object" ||
    typeof p.file !== "string" ||
    typeof p.offset !== "number" ||
    !Number.isSafeInteger(p.offset) ||
    p.offset < 0
  ) {
    throw new FileSourceError(
      file,
      `invalid resume position ${JSON.stringify(position)}: expected { file, offset }`,
    );
  }
  if (p.file !== file) {
    throw new FileSourceError(
      file,
      `the checkpoint read ${p.file} at this partition: the set of files changed since the checkpoint`,
    );
  }
  if (!follow || p.inode === undefined) return p.offset;
  const info = await stat(file).catch(() => null);
  if (info === null) return p.offset; // LineFile.open reports the missing file
  if (info.ino !== p.inode) {
    warn(`${file}: replaced since the checkpoint (rotated); reading the new file from its start`);
    return 0;
  }
  if (info.size < p.offset) {
    warn(`${file}: truncated since the checkpoint; reading it again from its start`);
    return 0;
  }
  return p.offset;
}

async function readHeader(
  file: string,
  chunkSize: number,
  delimiter: string | undefined,
): Promise<CsvHeader> {
  const line = await LineFile.open(file, 0, chunkSize);
  try {
    const lines: string[] = [];
    await line.readLines(1, lines);
    if (lines.length === 0) throw new FileSourceError(file, "has no CSV header row");
    return parseHeader(file, lines[0]!, delimiter ?? ",");
  } finally {
    await line.close();
  }
}

function parseHeader(file: string, text: string, delimiter: string): CsvHeader {
  const parsed = CsvHeader.parse(text, delimiter);
  if (!parsed.ok) throw new FileSourceError(file, parsed.error);
  return parsed.header;
}

interface PartitionFile {
  readonly line: LineFile;
  /** CSV: the header once read (`null` before the first line of the file). */
  header: CsvHeader | null;
  /** Follow mode: the file was replaced at its path and is read to its end. */
  draining: boolean;
  /** Follow mode: nothing is at the path; the old file is finished and the source waits. */
  missing: boolean;
}

interface ReaderSettings {
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly csv: boolean;
  readonly delimiter: string;
  readonly follow: boolean;
  readonly emitMessages: boolean;
  readonly warn: (message: string) => void;
  readonly now: () => number;
}

class FileReader<T extends string | InboundMessage> implements SourceReader<T> {
  readonly partitions: number;
  readonly #files: readonly PartitionFile[];
  readonly #s: ReaderSettings;
  #next = 0;
  #lastCheck = 0;
  #closed = false;

  constructor(files: readonly PartitionFile[], settings: ReaderSettings) {
    this.#files = files;
    this.partitions = files.length;
    this.#s = settings;
  }

  async poll(): Promise<SourcePoll<T>> {
    const n = this.#files.length;
    for (let k = 0; k < n; k++) {
      const partition = (this.#next + k) % n;
      const values = await this.#read(this.#files[partition]!);
      if (values.length > 0) {
        this.#next = (partition + 1) % n;
        return { kind: "batch", partition, values };
      }
    }
    if (!this.#s.follow) return { kind: "end" };
    const now = Date.now();
    if (now - this.#lastCheck >= this.#s.pollIntervalMs) {
      this.#lastCheck = now;
      for (const [partition, file] of this.#files.entries()) {
        const values = await this.#checkFile(file);
        if (values.length > 0) return { kind: "batch", partition, values };
      }
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(MAX_IDLE_WAIT_MS, this.#s.pollIntervalMs)),
    );
    return { kind: "idle" };
  }

  /** Up to `batchSize` records of `file`; none when it has no complete line now. */
  async #read(file: PartitionFile): Promise<T[]> {
    const { line } = file;
    const lines: string[] = [];
    const offsets: number[] = [];
    while (!line.done && !file.missing && lines.length === 0) {
      const n = await line.readLines(this.#s.batchSize, lines, offsets);
      if (n === 0) break;
      if (this.#s.csv && file.header === null) {
        file.header = parseHeader(line.path, lines.shift()!, this.#s.delimiter);
        offsets.shift();
      }
    }
    return this.#records(file, lines, offsets);
  }

  #records(file: PartitionFile, lines: readonly string[], offsets: readonly number[]): T[] {
    const out: T[] = [];
    const receivedAt = this.#s.emitMessages ? this.#s.now() : 0;
    for (const [i, text] of lines.entries()) {
      const payload =
        file.header === null ? text : (file.header.toJson(text, this.#s.delimiter) ?? text);
      out.push(
        (this.#s.emitMessages
          ? ({
              payload,
              origin: `${file.line.path}@${offsets[i]}`,
              receivedAt,
            } satisfies InboundMessage)
          : payload) as T,
      );
    }
    return out;
  }

  /**
   * Follow mode: notices truncation and replacement. A replaced or vanished file is
   * read to its end first (the records returned); the new file is opened on a later
   * check, so the position of the old file's end is what a checkpoint in between sees.
   */
  async #checkFile(file: PartitionFile): Promise<T[]> {
    const { line } = file;
    if (file.draining || file.missing) {
      const change = await line.checkReplaced();
      if (change === "missing") {
        file.missing = true;
        return [];
      }
      if (change === "replaced") {
        await line.reopen();
        file.header = null;
      }
      file.draining = false;
      file.missing = false;
      return [];
    }
    const change = await line.checkReplaced();
    if (change === "same") return [];
    if (change === "truncated") {
      this.#s.warn(`${line.path}: truncated; reading it again from its start`);
      await line.reopen();
      file.header = null;
      return [];
    }
    this.#s.warn(
      change === "missing"
        ? `${line.path}: removed or renamed; finishing the old file and waiting for a new one`
        : `${line.path}: replaced (rotated); finishing the old file, then reading the new one`,
    );
    const lines: string[] = [];
    const offsets: number[] = [];
    await line.finish(lines, offsets);
    if (this.#s.csv && file.header === null && lines.length > 0) {
      file.header = parseHeader(line.path, lines.shift()!, this.#s.delimiter);
      offsets.shift();
    }
    if (change === "missing") file.missing = true;
    else file.draining = true;
    return this.#records(file, lines, offsets);
  }

  positions(): Map<number, unknown> {
    const positions = new Map<number, unknown>();
    for (const [partition, { line }] of this.#files.entries()) {
      const position: FilePosition = this.#s.follow
        ? { file: line.path, offset: line.position, inode: line.inode }
        : { file: line.path, offset: line.position };
      positions.set(partition, position);
    }
    return positions;
  }

  status(): SourceStatus {
    if (this.#closed) return { state: "closed", lag: null };
    const missing = this.#files.find((f) => f.missing);
    if (missing) {
      return {
        state: "reconnecting",
        detail: `${missing.line.path}: no such file; waiting for it to appear`,
        lag: null,
      };
    }
    return { state: "connected", lag: null };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const results = await Promise.allSettled(this.#files.map((f) => f.line.close()));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
