/**
 * The upstream end of a {@link JobLink}: a sink that queues each record (and each
 * watermark) for the downstream job at once and keeps it until the downstream job
 * confirms it.
 */
import { randomUUID } from "node:crypto";
import type { Batch } from "../batch.js";
import type { Sink, SinkContext, SinkWriter } from "../sink.js";
import type { JobLink, LinkRun } from "./job-link.js";

/**
 * A record or watermark not yet confirmed by the downstream job, as it goes into the
 * upstream checkpoint (`time` of a watermark: `null` for +∞, which JSON cannot hold).
 * Watermarks are kept with the records so that, sent again after a restore, they come
 * between the same records as the first time and event-time timers downstream fire at
 * the same places.
 */
export type UnconfirmedItem<T> =
  | {
      readonly kind: "record";
      readonly id: string;
      readonly run: string;
      readonly epoch: number;
      readonly time: number;
      readonly value: T;
    }
  | { readonly kind: "watermark"; readonly time: number | null };

/** What the link sink puts in the upstream checkpoint: what to send again after a restore. */
export interface LinkSinkProgress<T> {
  readonly unconfirmed: readonly UnconfirmedItem<T>[];
  /** The runs whose checkpoints led to this one, this one's run last (absent before 2026-11-24). */
  readonly lineage?: readonly LinkRun[];
}

export class LinkSink<T> implements Sink<T> {
  readonly description = "job link";

  constructor(private readonly link: JobLink<T>) {}

  async open(context: SinkContext): Promise<SinkWriter<T>> {
    const restored = context.restored;
    const from = restored?.checkpointId ?? 0;
    const progress = restored?.progress as LinkSinkProgress<T> | undefined;
    const before = Array.isArray(progress?.lineage) ? progress.lineage : [];
    const writer = new LinkSinkWriter(this.link, from, before);
    writer.restart(progress);
    return writer;
  }
}

class LinkSinkWriter<T> implements SinkWriter<T> {
  /** Sequence numbers of `#unconfirmed`, oldest first (confirmations come in order). */
  #seqs: number[] = [];
  #unconfirmed: UnconfirmedItem<T>[] = [];
  #confirmedUpTo = 0;
  #finished = false;
  /** This run: a new one each time the upstream job opens the sink. */
  readonly #run = randomUUID();
  #epoch: number;
  /** The runs before this one, and this one with its last committed checkpoint. */
  readonly #before: readonly LinkRun[];
  #last: number;

  constructor(
    private readonly link: JobLink<T>,
    from: number,
    before: readonly LinkRun[],
  ) {
    this.#before = before;
    this.#last = from;
    this.#epoch = from + 1;
    link.onConfirm((seq) => this.#confirmed(seq));
  }

  get needsFlush(): boolean {
    return this.link.queued >= this.link.capacity || this.link.failure !== null;
  }

  /**
   * At the start: tells the downstream job which runs led to the checkpoint this run
   * resumes from, then sends again, in their order, the records and watermarks that
   * checkpoint had not seen confirmed (each with the run and epoch it was written in).
   */
  restart(progress: LinkSinkProgress<T> | undefined): void {
    const listed = progress?.unconfirmed;
    const unconfirmed = Array.isArray(listed) ? listed : [];
    this.#control(unconfirmed);
    for (const u of unconfirmed) {
      // A record of a checkpoint taken before runs were recorded: of no known run.
      if (u.kind === "record") this.#send(u.id, u.run ?? "", u.epoch, u.value, u.time);
      else this.watermark(u.time ?? Number.POSITIVE_INFINITY);
    }
  }

  write(batch: Batch<T>): void {
    const { values, times } = batch;
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as T;
      this.#send(this.link.id(value), this.#run, this.#epoch, value, times[i] as number);
    }
  }

  watermark(time: number): void {
    const seq = this.link.nextSeq();
    this.link.push({ kind: "watermark", seq, time });
    this.#keep(seq, { kind: "watermark", time: Number.isFinite(time) ? time : null });
    if (time === Number.POSITIVE_INFINITY) this.#finished = true;
  }

  async flush(): Promise<void> {
    while (this.link.queued > this.link.capacity / 2) {
      this.link.throwIfFailed();
      await this.link.changed(100);
    }
    this.link.throwIfFailed();
  }

  async prepareCommit(checkpointId: number): Promise<LinkSinkProgress<T>> {
    this.link.throwIfFailed();
    this.#epoch = checkpointId + 1;
    return {
      unconfirmed: [...this.#unconfirmed],
      lineage: [...this.#before, { run: this.#run, last: checkpointId }],
    };
  }

  async commit(checkpointId: number, progress: unknown): Promise<void> {
    if (this.link.failure !== null) return;
    this.#last = checkpointId;
    this.#control((progress as LinkSinkProgress<T>).unconfirmed);
  }

  async close(): Promise<void> {
    this.link.onConfirm(null);
    if (this.#finished && this.link.failure === null) this.link.push({ kind: "end" });
  }

  #send(id: string, run: string, epoch: number, value: T, time: number): void {
    const seq = this.link.nextSeq();
    this.link.push({ kind: "entry", entry: { kind: "record", seq, id, run, epoch, value }, time });
    this.#keep(seq, { kind: "record", id, run, epoch, time, value });
  }

  #keep(seq: number, item: UnconfirmedItem<T>): void {
    const last = this.#unconfirmed.length - 1;
    if (item.kind === "watermark" && this.#unconfirmed[last]?.kind === "watermark") {
      // Two watermarks with no record between them fire the same timers as the later
      // one alone: keep that one, so quiet spells do not pile watermarks up.
      this.#seqs[last] = seq;
      this.#unconfirmed[last] = item;
      return;
    }
    this.#seqs.push(seq);
    this.#unconfirmed.push(item);
  }

  #confirmed(seq: number): void {
    if (seq <= this.#confirmedUpTo) return;
    this.#confirmedUpTo = seq;
    let n = 0;
    while (n < this.#seqs.length && (this.#seqs[n] as number) <= seq) n++;
    if (n > 0) {
      this.#seqs.splice(0, n);
      this.#unconfirmed.splice(0, n);
    }
  }

  /** The lineage of this run's last committed checkpoint (or of the one it resumed from), and what it keeps. */
  #control(unconfirmed: readonly UnconfirmedItem<T>[]): void {
    const keep: string[] = [];
    for (const u of unconfirmed) if (u.kind === "record") keep.push(u.id);
    const lineage = [...this.#before, { run: this.#run, last: this.#last }];
    const w = this.link.lastWatermark;
    this.link.push({
      kind: "entry",
      entry: { kind: "forget", seq: this.link.nextSeq(), lineage, keep },
      // Event time of a control entry: the last watermark (any finite time would do).
      time: Number.isFinite(w) ? w : 0,
    });
  }
}
