/**
 * A link between two jobs in one process: the upstream job writes records into it as a
 * sink, the downstream job reads them as a source at once, without waiting for the
 * upstream job's checkpoint, and each job checkpoints on its own schedule. The
 * downstream job's results stay exactly once through crashes:
 *
 * - every record has a deterministic id (`options.id`) and the epoch it was written in
 *   (the upstream checkpoint that will cover it);
 * - the downstream job confirms what it has read when its own checkpoint commits
 *   (`linkAcknowledger`); the upstream sink keeps what is not confirmed yet and puts it in
 *   its checkpoint, so after a crash it sends those records again, and the upstream
 *   job's replay regenerates everything after its checkpoint;
 * - the downstream job drops records whose id it has already taken (`linkedStream`),
 *   and forgets an id only when no restore of the upstream job can send it again: once
 *   an upstream checkpoint has committed after the record was confirmed. Ids written
 *   after the checkpoint an upstream restart resumes from are kept until written again.
 *
 * Watermarks pass through with the records, so event-time timers downstream fire as
 * they would in one job. See docs/engine.md, "Linked jobs".
 */
import { LinkSink } from "./link-sink.js";
import { LinkSource } from "./link-source.js";

/** A record as it travels through the link. */
export interface LinkedRecord<T> {
  readonly kind: "record";
  /** Position in this process's link (not kept across restarts). */
  readonly seq: number;
  readonly id: string;
  /** The upstream run that wrote the record (see {@link LinkForget}). */
  readonly run: string;
  /** The upstream checkpoint that covers the record, once its run commits it. */
  readonly epoch: number;
  readonly value: T;
}

/**
 * A run of the upstream job (from one start to its stop or crash) and the last
 * checkpoint it committed: every record it wrote with an epoch up to `last` is covered
 * by the upstream checkpoints.
 */
export interface LinkRun {
  readonly run: string;
  readonly last: number;
}

/**
 * An upstream checkpoint committed, or the upstream job (re)started from one. `lineage`
 * lists the runs whose checkpoints led to it, the current run last. A record id whose
 * run and epoch the lineage covers may be forgotten (a restore never sends it again),
 * except `keep` (records not yet confirmed at the checkpoint's barrier, which a restore
 * sends again). An id written by a run of the lineage after its last checkpoint, or by
 * a run not in it, was written by a run that is gone: the current run may write it
 * again in any epoch, so it is kept until it comes again. Checkpoint ids alone cannot
 * tell: two runs that restarted from the same checkpoint number their epochs alike.
 */
export interface LinkForget {
  readonly kind: "forget";
  readonly seq: number;
  readonly lineage: readonly LinkRun[];
  readonly keep: readonly string[];
}

/** What the downstream job's source emits. */
export type LinkEntry<T> = LinkedRecord<T> | LinkForget;

/** An item of the queue. */
export type QueueItem<T> =
  | { readonly kind: "entry"; readonly entry: LinkEntry<T>; readonly time: number }
  | { readonly kind: "watermark"; readonly seq: number; readonly time: number }
  | { readonly kind: "end" };

/** Options of a {@link JobLink}. */
export interface JobLinkOptions<T> {
  /** A record's id: the same for the same record when a replay computes it again. */
  readonly id: (value: T) => string;
  /**
   * Items queued before the upstream sink asks to be flushed, which waits until the
   * downstream job has read half of them (backpressure). Default 10,000.
   */
  readonly capacity?: number;
}

/** Undelivered items a drained queue compacts at. */
const COMPACT_AT = 4096;

export class JobLink<T> {
  readonly id: (value: T) => string;
  readonly capacity: number;
  readonly #items: QueueItem<T>[] = [];
  #head = 0;
  #taken = 0;
  #seq = 0;
  #failure: Error | null = null;
  #ended = false;
  #lastWatermark = Number.NEGATIVE_INFINITY;
  /** Batches handed to the downstream job and not yet followed by another poll. */
  #outstanding = false;
  #waiters: (() => void)[] = [];
  #confirm: ((seq: number) => void) | null = null;

  constructor(options: JobLinkOptions<T>) {
    const capacity = options.capacity ?? 10_000;
    if (!Number.isSafeInteger(capacity) || capacity < 2) {
      throw new RangeError(`JobLink: capacity must be an integer >= 2, got ${capacity}`);
    }
    this.id = options.id;
    this.capacity = capacity;
  }

  /** The sink the upstream job writes into (one running writer at a time). */
  sink(): LinkSink<T> {
    return new LinkSink(this);
  }

  /** The raw source of the downstream job; use {@link linkedStream}, which adds dedup and confirmation. */
  source(): LinkSource<T> {
    return new LinkSource(this);
  }

  /** Items waiting for the downstream job. */
  get queued(): number {
    return this.#items.length - this.#head;
  }

  /** Items taken by the downstream job since the link was made. */
  get taken(): number {
    return this.#taken;
  }

  /** The upstream job's input ended: the downstream source ends after the last item. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Nothing queued and the last batch read has been processed downstream. */
  get drained(): boolean {
    return this.queued === 0 && !this.#outstanding;
  }

  get failure(): Error | null {
    return this.#failure;
  }

  /** Last watermark the upstream job passed on. */
  get lastWatermark(): number {
    return this.#lastWatermark;
  }

  /** Fails both ends: the upstream sink and the downstream source throw `error` from now on. */
  fail(error: Error): void {
    if (this.#failure === null) this.#failure = error;
    this.#wake();
  }

  /** @internal */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** @internal */
  push(item: QueueItem<T>): void {
    this.throwIfFailed();
    if (item.kind === "watermark") this.#lastWatermark = item.time;
    if (item.kind === "end") this.#ended = true;
    this.#items.push(item);
    this.#wake();
  }

  /** @internal The next item, or `undefined` when the queue is empty. */
  peek(): QueueItem<T> | undefined {
    return this.#items[this.#head];
  }

  /** @internal */
  take(): void {
    this.#items[this.#head] = undefined as never;
    this.#head++;
    this.#taken++;
    if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.queued <= this.capacity / 2) this.#wake();
  }

  /** @internal The downstream source handed a batch over (`true`) or polls again (`false`). */
  setOutstanding(outstanding: boolean): void {
    this.#outstanding = outstanding;
    if (!outstanding) this.#wake();
  }

  /** @internal The upstream writer drops confirmed records through this. */
  onConfirm(confirm: ((seq: number) => void) | null): void {
    this.#confirm = confirm;
  }

  /** @internal The downstream job's checkpoint covering everything up to `seq` committed. */
  confirm(seq: number): void {
    this.#confirm?.(seq);
  }

  /**
   * Resolves at the next change (an item pushed or taken, a poll, a failure) or after
   * `ms`, whichever comes first.
   */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
  }

  /** @internal */
  throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
