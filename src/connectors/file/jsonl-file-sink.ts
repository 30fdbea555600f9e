/**
 * An exactly-once JSON Lines sink. Output is written per checkpoint epoch to a
 * hidden file and published by atomic rename once the checkpoint covering it is
 * committed, so a crash at any moment leaves each record in exactly one published
 * part after recovery.
 *
 * Directory layout (one directory per sink step):
 *
 * - `.epoch-<n>.jsonl.tmp`: records of the epoch being written (checkpoint `n` not
 *   yet taken);
 * - `.epoch-<n>.jsonl.pending`: records of checkpoint `n`, durable, published once
 *   checkpoint `n` is committed;
 * - `part-<n, 10 digits>.jsonl`: published output of checkpoint `n`.
 */
import { SerialQueue } from "../serial-queue.js";
import { type FileHandle, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Batch, Sink, SinkContext, SinkWriter } from "../../engine/index.js";
import {
  listEpochFiles,
  PENDING,
  pendingName,
  publish,
  removeFile,
  syncDirectory,
  tmpName,
} from "./epoch-directory.js";
import { FileSinkError, OutputDirectoryInUseError } from "./errors.js";

export { readJsonlParts } from "./epoch-directory.js";

const DEFAULT_BUFFER_BYTES = 1024 * 1024;

/** Options of {@link JsonlFileSink}. */
export interface JsonlFileSinkOptions<T> {
  /** The output directory, created if missing. Give each sink step its own. */
  readonly directory: string;
  /**
   * Turns a record into one line (without the newline). Default `JSON.stringify`.
   * A result that is not a string, or that contains a newline, fails the write
   * with a {@link FileSinkError}.
   */
  readonly serialize?: (value: T) => string;
  /**
   * On a fresh start (not from a checkpoint), delete published parts of an earlier
   * run instead of refusing to start. Default false.
   */
  readonly overwrite?: boolean;
  /** Buffered characters after which `needsFlush` turns true. Default 1 MiB. */
  readonly bufferBytes?: number;
}

/** The progress a {@link JsonlFileSink} returns from `prepareCommit` and expects back. */
export interface JsonlSinkProgress {
  /** File name (in the directory) of the epoch's pending file; `null` when it had no record. */
  readonly pending: string | null;
}

/**
 * Writes each record as one line of JSON, exactly once, by checkpoint epochs.
 *
 * - `write` serialises and buffers; `flush` (asked for through `needsFlush` once
 *   about `bufferBytes` are buffered) appends the buffer to the hidden file of the
 *   current epoch.
 * - `prepareCommit(n)` appends what is left, fsyncs, and renames the epoch's file
 *   to `.epoch-<n>.jsonl.pending`; it returns {@link JsonlSinkProgress} and starts
 *   epoch `n + 1`. An epoch without records creates no file (`pending: null`).
 * - `commit(n, progress)` renames the pending file to `part-<n>.jsonl` (ten digits,
 *   zero-padded) and fsyncs the directory. It is idempotent: a missing pending file
 *   with the part present means it already ran.
 * - Records written after the last `prepareCommit` are never published: `close`
 *   closes the epoch's file and leaves it, and the next `open` deletes it (the job
 *   replays those records from its last checkpoint).
 * - `open` with `restored` finishes that checkpoint's commit (and publishes any
 *   older pending epoch, which committed checkpoints cover), then deletes the files
 *   of every later epoch; published parts are never deleted. It refuses, with a
 *   {@link FileSinkError}, a directory holding parts newer than the restored
 *   checkpoint (replaying would duplicate their records) or missing the pending
 *   file the checkpoint names.
 * - `open` without `restored` (a fresh start), or with a checkpoint that holds no
 *   progress for this sink (the step is new since), deletes stray epoch files and
 *   refuses a directory holding published parts with an
 *   {@link OutputDirectoryInUseError}, unless `overwrite` is set.
 *
 * The guarantee relies on the checkpoint protocol (prepare before the checkpoint's
 * commit, publish after it, restore from the latest committed checkpoint) and on
 * `rename` being atomic, which holds within one local filesystem. One writer per
 * directory.
 */
export class JsonlFileSink<T> implements Sink<T> {
  readonly description: string;
  readonly #options: JsonlFileSinkOptions<T>;

  constructor(options: JsonlFileSinkOptions<T>) {
    if (typeof options.directory !== "string" || options.directory === "") {
      throw new TypeError("JsonlFileSink: `directory` must be a non-empty path");
    }
    const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    if (!Number.isSafeInteger(bufferBytes) || bufferBytes < 1) {
      throw new RangeError(
        `JsonlFileSink: \`bufferBytes\` must be a positive integer, got ${bufferBytes}`,
      );
    }
    this.#options = options;
    this.description = `jsonl:${options.directory}`;
  }

  async open(context: SinkContext): Promise<SinkWriter<T>> {
    const { directory } = this.#options;
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      throw new FileSinkError(directory, "cannot create the output directory", { cause: error });
    }
    const files = await listEpochFiles(directory);
    let nextEpoch: number;
    // A checkpoint without progress for this sink predates the sink step: start afresh.
    if (context.restored && context.restored.progress !== undefined) {
      const { checkpointId } = context.restored;
      const progress = parseProgress(directory, context.restored.progress);
      const ahead = files.parts.filter((p) => p.id > checkpointId);
      if (ahead.length > 0) {
        throw new FileSinkError(
          directory,
          `holds part(s) newer than checkpoint ${checkpointId} being restored ` +
            `(${ahead.map((p) => p.name).join(", ")}): their records would be written twice. ` +
            "Restore the latest checkpoint, or move those parts away",
        );
      }
      for (const old of files.pending) {
        if (old.id < checkpointId) await publish(directory, old.name, old.id);
      }
      if (progress.pending !== null) await publish(directory, progress.pending, checkpointId);
      for (const later of files.pending) {
        if (later.id >= checkpointId && later.name !== progress.pending) {
          await removeFile(directory, later.name);
        }
      }
      for (const tmp of files.tmp) await removeFile(directory, tmp.name);
      nextEpoch = checkpointId + 1;
    } else {
      if (files.parts.length > 0) {
        if (!this.#options.overwrite) {
          throw new OutputDirectoryInUseError(
            directory,
            files.parts.map((p) => p.name),
          );
        }
        for (const part of files.parts) await removeFile(directory, part.name);
      }
      for (const stray of [...files.pending, ...files.tmp]) {
        await removeFile(directory, stray.name);
      }
      nextEpoch = (context.restored?.checkpointId ?? 0) + 1;
    }
    await syncDirectory(directory);
    return new JsonlFileSinkWriter(this.#options, nextEpoch);
  }
}

/** The running writer. File operations run one at a time, in call order, on a queue. */
class JsonlFileSinkWriter<T> implements SinkWriter<T> {
  readonly #directory: string;
  readonly #serialize: (value: T) => string;
  readonly #checkLines: boolean;
  readonly #bufferBytes: number;
  #lines: string[] = [];
  #buffered = 0;
  #epoch: number;
  /** Open file of the epoch being written, created on its first append. */
  #file: { epoch: number; handle: FileHandle } | null = null;
  /** Pending files prepared but not committed yet, oldest first. */
  #prepared: string[] = [];
  readonly #queue = new SerialQueue(
    (cause) =>
      new FileSinkError(this.#directory, "an earlier write failed; the sink is unusable", {
        cause,
      }),
  );
  #closed = false;

  constructor(options: JsonlFileSinkOptions<T>, epoch: number) {
    this.#directory = options.directory;
    this.#serialize = options.serialize ?? (JSON.stringify as (value: T) => string);
    this.#checkLines = options.serialize !== undefined;
    this.#bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    this.#epoch = epoch;
  }

  get needsFlush(): boolean {
    return this.#buffered >= this.#bufferBytes;
  }

  write(batch: Batch<T>): void {
    if (this.#closed) throw new FileSinkError(this.#directory, "write after close");
    this.#queue.check();
    const { values } = batch;
    const serialize = this.#serialize;
    const lines = this.#lines;
    let buffered = this.#buffered;
    let i = 0;
    try {
      for (; i < values.length; i++) {
        const line = serialize(values[i] as T);
        if (typeof line !== "string" || (this.#checkLines && line.includes("\n"))) {
          throw new FileSinkError(
            this.#directory,
            typeof line !== "string"
              ? `cannot write a record: serialising it gave ${line === undefined ? "undefined" : typeof line}, not a string`
              : "cannot write a record: its serialised form contains a newline",
          );
        }
        lines.push(line);
        buffered += line.length + 1;
      }
    } catch (error) {
      if (error instanceof FileSinkError) throw error;
      throw new FileSinkError(this.#directory, `cannot serialise record ${i} of a batch`, {
        cause: error,
      });
    } finally {
      this.#buffered = buffered;
    }
  }

  flush(): Promise<void> {
    if (this.#closed) return this.#rejectClosed("flush");
    const text = this.#takeBuffer();
    const epoch = this.#epoch;
    return this.#queue.run(async () => {
      if (text !== null) await this.#append(epoch, text);
    });
  }

  prepareCommit(checkpointId: number): Promise<unknown> {
    if (this.#closed) return this.#rejectClosed("prepareCommit");
    const text = this.#takeBuffer();
    const epoch = this.#epoch;
    this.#epoch = checkpointId + 1;
    let progress: JsonlSinkProgress = { pending: null };
    return this.#queue
      .run(async () => {
        if (text !== null) await this.#append(epoch, text);
        const file = this.#file;
        this.#file = null;
        let current: string | null = null;
        if (file !== null) {
          await this.#io(`cannot sync ${tmpName(file.epoch)}`, async () => {
            await file.handle.sync();
            await file.handle.close();
          });
          current = tmpName(file.epoch);
        }
        const target = pendingName(checkpointId);
        const carried = this.#prepared;
        if (carried.length > 0) {
          // Earlier epochs were prepared but their checkpoints never committed: their
          // records belong to this checkpoint now.
          const [first, ...rest] = carried as [string, ...string[]];
          const sources = current === null ? rest : [...rest, current];
          await this.#concatenate(first, sources);
          await this.#rename(first, target);
        } else if (current !== null) {
          await this.#rename(current, target);
        }
        if (carried.length > 0 || current !== null) {
          await syncDirectory(this.#directory);
          progress = { pending: target };
        }
        this.#prepared = progress.pending === null ? [] : [progress.pending];
      })
      .then(() => progress);
  }

  commit(checkpointId: number, progress: unknown): Promise<void> {
    if (this.#closed) return this.#rejectClosed("commit");
    let pending: string | null;
    try {
      ({ pending } = parseProgress(this.#directory, progress));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#queue.run(async () => {
      if (pending === null) return;
      await publish(this.#directory, pending, checkpointId);
      this.#prepared = this.#prepared.filter((name) => name !== pending);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#lines = [];
    this.#buffered = 0;
    await this.#queue.idle();
    const file = this.#file;
    this.#file = null;
    if (file !== null) {
      await this.#io(`cannot close ${tmpName(file.epoch)}`, () => file.handle.close());
    }
  }

  #rejectClosed(operation: string): Promise<never> {
    return Promise.reject(new FileSinkError(this.#directory, `${operation} after close`));
  }

  /** The buffered records as text, emptying the buffer; `null` when there are none. */
  #takeBuffer(): string | null {
    if (this.#lines.length === 0) return null;
    const text = `${this.#lines.join("\n")}\n`;
    this.#lines = [];
    this.#buffered = 0;
    return text;
  }

  async #append(epoch: number, text: string): Promise<void> {
    const name = tmpName(epoch);
    await this.#io(`cannot write ${name}`, async () => {
      if (this.#file === null) {
        this.#file = { epoch, handle: await open(path.join(this.#directory, name), "w") };
      }
      await this.#file.handle.write(text);
    });
  }

  /** Appends the files `sources` to `target`, syncs it, and deletes the sources. */
  async #concatenate(target: string, sources: readonly string[]): Promise<void> {
    if (sources.length === 0) return;
    await this.#io(`cannot carry earlier epochs into ${target}`, async () => {
      const out = await open(path.join(this.#directory, target), "a");
      try {
        for (const source of sources) {
          await out.write(await readFile(path.join(this.#directory, source)));
        }
        await out.sync();
      } finally {
        await out.close();
      }
      for (const source of sources) await rm(path.join(this.#directory, source));
    });
  }

  async #rename(from: string, to: string): Promise<void> {
    if (from === to) return;
    await this.#io(`cannot rename ${from} to ${to}`, () =>
      rename(path.join(this.#directory, from), path.join(this.#directory, to)),
    );
  }

  async #io<R>(what: string, operation: () => Promise<R>): Promise<R> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof FileSinkError) throw error;
      throw new FileSinkError(this.#directory, what, { cause: error });
    }
  }
}

/** Validates progress read back from a checkpoint. */
function parseProgress(directory: string, progress: unknown): JsonlSinkProgress {
  if (typeof progress === "object" && progress !== null && "pending" in progress) {
    const { pending } = progress as { pending: unknown };
    if (pending === null) return { pending: null };
    if (typeof pending === "string" && PENDING.test(pending)) return { pending };
  }
  throw new FileSinkError(
    directory,
    `invalid sink progress ${JSON.stringify(progress)}: expected { pending: ".epoch-<n>.jsonl.pending" | null }`,
  );
}
