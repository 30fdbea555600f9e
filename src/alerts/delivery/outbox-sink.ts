/**
 * The outbox as an engine sink: notifications written by the dataflow become
 * visible to the dispatcher only when the checkpoint covering them commits, so a
 * notification is never sent for output that a crash rolls back, and is sent (at
 * least once) for every output a checkpoint keeps. With `earlyCheckpoint`, the sink
 * asks the job for a checkpoint as soon as it holds a notification, so it does not
 * wait for the checkpoint interval.
 */
import { createHash } from "node:crypto";
import type { Batch, Sink, SinkContext, SinkWriter } from "../../engine/index.js";
import type { Notification } from "../notification.js";
import { OutboxError } from "./errors.js";
import { Outbox, type StagedRow } from "./outbox.js";

/** Options of {@link OutboxSink}: an open {@link Outbox}, or the path of its file. */
export type OutboxSinkOptions = (
  | { readonly outbox: Outbox; readonly path?: undefined }
  | { readonly path: string; readonly outbox?: undefined }
) & {
  /**
   * Names this sink's rows in the outbox, so that several jobs or steps can share one
   * file and each restores only its own. Default: the sink step's name.
   */
  readonly origin?: string;
  /** Notifications buffered in memory before `needsFlush` turns true. Default 1000. */
  readonly bufferSize?: number;
  /**
   * Ask the job for an early checkpoint (`SinkContext.requestCheckpoint`) when a
   * notification of at least `minPriority` (default 0: any) is written, so that it is
   * published — and a dispatcher woken by the publication sends it — about one
   * checkpoint after it was written, instead of at the next interval. For a
   * dispatcher meant to send promptly. Default: off; notifications wait for the
   * next checkpoint. A value without a numeric `priority` counts as urgent.
   */
  readonly earlyCheckpoint?: { readonly minPriority?: number };
};

/** The progress an {@link OutboxSink} returns from `prepareCommit` and expects back. */
export interface OutboxSinkProgress {
  readonly origin: string;
  readonly checkpointId: number;
}

/**
 * Writes notifications into the outbox, transactionally by checkpoint:
 *
 * - `write` copies (serialises) the notifications; `flush` stores them as `staged`
 *   rows of the current epoch;
 * - `prepareCommit(n)` stores the rest and tags the epoch's rows with checkpoint `n`,
 *   in one durable transaction; `commit(n)` makes every staged row up to `n` pending
 *   (idempotent);
 * - `open` with `restored` publishes the restored checkpoint's rows (a crash may have
 *   come between the checkpoint's commit and `commit`) and deletes the staged rows of
 *   later epochs, which the job replays; `open` on a fresh start deletes this origin's
 *   staged rows;
 * - a notification id already in the outbox is not added again (one delivery per id,
 *   also when a replay recomputes it).
 *
 * A value without a string `id` is stored under `invalid:<sha-256 of its JSON>`; the
 * dispatcher then marks it dead with the reason, visible and counted.
 */
export class OutboxSink implements Sink<Notification> {
  readonly description: string;
  readonly #options: OutboxSinkOptions;

  constructor(options: OutboxSinkOptions) {
    const bufferSize = options.bufferSize ?? 1000;
    if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) {
      throw new RangeError(`OutboxSink: bufferSize must be a positive integer, got ${bufferSize}`);
    }
    const minPriority = options.earlyCheckpoint?.minPriority ?? 0;
    if (!Number.isFinite(minPriority)) {
      throw new RangeError(
        `OutboxSink: earlyCheckpoint.minPriority must be a number, got ${minPriority}`,
      );
    }
    this.#options = options;
    this.description = `outbox:${options.outbox?.path ?? options.path}`;
  }

  async open(context: SinkContext): Promise<SinkWriter<Notification>> {
    const owned = this.#options.outbox === undefined;
    const outbox = this.#options.outbox ?? new Outbox({ path: this.#options.path as string });
    const origin = this.#options.origin ?? context.step;
    try {
      const restored = context.restored;
      if (restored !== undefined && restored.progress !== undefined && restored.progress !== null) {
        parseProgress(outbox.path, restored.progress);
        outbox.publish(origin, restored.checkpointId);
        outbox.discardStaged(origin, restored.checkpointId);
      } else {
        outbox.discardStaged(origin, null);
      }
    } catch (error) {
      if (owned) outbox.close();
      throw error;
    }
    const early = this.#options.earlyCheckpoint;
    const request = early === undefined ? undefined : context.requestCheckpoint;
    return new OutboxSinkWriter(
      outbox,
      owned,
      origin,
      this.#options.bufferSize ?? 1000,
      request === undefined ? null : { request, minPriority: early?.minPriority ?? 0 },
    );
  }
}

/** The running writer. A failed outbox write leaves it failed: every later call throws. */
class OutboxSinkWriter implements SinkWriter<Notification> {
  #buffer: StagedRow[] = [];
  #closed = false;
  #failure: unknown = null;

  constructor(
    private readonly outbox: Outbox,
    private readonly owned: boolean,
    private readonly origin: string,
    private readonly bufferSize: number,
    private readonly early: { readonly request: () => void; readonly minPriority: number } | null,
  ) {}

  get needsFlush(): boolean {
    return this.#buffer.length >= this.bufferSize;
  }

  write(batch: Batch<Notification>): void {
    this.#check("write");
    let urgent = false;
    for (const value of batch.values) {
      this.#buffer.push(toRow(value));
      if (this.early !== null && !urgent) urgent = isUrgent(value, this.early.minPriority);
    }
    if (urgent) this.early?.request();
  }

  async flush(): Promise<void> {
    this.#check("flush");
    const rows = this.#take();
    this.#guard(() => this.outbox.stage(this.origin, rows, null));
  }

  async prepareCommit(checkpointId: number): Promise<unknown> {
    this.#check("prepareCommit");
    const rows = this.#take();
    this.#guard(() => this.outbox.prepare(this.origin, rows, checkpointId));
    const progress: OutboxSinkProgress = { origin: this.origin, checkpointId };
    return progress;
  }

  async commit(checkpointId: number, progress: unknown): Promise<void> {
    this.#check("commit");
    parseProgress(this.outbox.path, progress);
    this.#guard(() => this.outbox.publish(this.origin, checkpointId));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = [];
    if (this.owned) this.outbox.close();
  }

  #take(): StagedRow[] {
    const rows = this.#buffer;
    this.#buffer = [];
    return rows;
  }

  #check(operation: string): void {
    if (this.#closed) throw new OutboxError(this.outbox.path, `${operation} after close`);
    if (this.#failure !== null) {
      throw new OutboxError(this.outbox.path, "an earlier write failed; the sink is unusable", {
        cause: this.#failure,
      });
    }
  }

  #guard(operation: () => unknown): void {
    try {
      operation();
    } catch (error) {
      this.#failure = error;
      throw error;
    }
  }
}

/** Whether `value` asks for an early checkpoint: priority ≥ `minPriority`, or no priority. */
function isUrgent(value: Notification, minPriority: number): boolean {
  const priority = (value as Partial<Notification> | null)?.priority;
  return typeof priority !== "number" || priority >= minPriority;
}

function toRow(value: Notification): StagedRow {
  let payload: string;
  try {
    payload = JSON.stringify(value) ?? "null";
  } catch (error) {
    payload = JSON.stringify({ unserialisable: (error as Error).message });
  }
  const v = value as Partial<Notification> | null;
  const id =
    v !== null && typeof v === "object" && typeof v.id === "string" && v.id !== ""
      ? v.id
      : `invalid:${createHash("sha256").update(payload).digest("hex")}`;
  const channel =
    v !== null && typeof v === "object" && typeof v.channel === "string" ? v.channel : "";
  return { id, channel, payload };
}

function parseProgress(path: string, progress: unknown): OutboxSinkProgress {
  if (
    typeof progress === "object" &&
    progress !== null &&
    typeof (progress as OutboxSinkProgress).origin === "string" &&
    Number.isSafeInteger((progress as OutboxSinkProgress).checkpointId)
  ) {
    return progress as OutboxSinkProgress;
  }
  throw new OutboxError(
    path,
    `invalid sink progress ${JSON.stringify(progress)}: expected { origin: string, checkpointId: integer }`,
  );
}
