/**
 * The upstream end of a {@link JobLink}: a sink that queues each record for the
 * downstream job at once and keeps it until the downstream job confirms it.
 */
import type { Batch } from "../batch.js";
import type { Sink, SinkContext, SinkWriter } from "../sink.js";
import type { JobLink } from "./job-link.js";

/** A record written but not yet confirmed by the downstream job. */
interface Unconfirmed<T> {
  readonly seq: number;
  readonly id: string;
  readonly epoch: number;
  readonly time: number;
  readonly value: T;
}

/** What the link sink puts in the upstream checkpoint: the records to send again after a restore. */
export interface LinkSinkProgress<T> {
  readonly unconfirmed: readonly {
    readonly id: string;
    readonly epoch: number;
    readonly time: number;
    readonly value: T;
  }[];
}

export class LinkSink<T> implements Sink<T> {
  readonly description = "job link";

  constructor(private readonly link: JobLink<T>) {}

  async open(context: SinkContext): Promise<SinkWriter<T>> {
    const restored = context.restored;
    const from = restored?.checkpointId ?? 0;
    const writer = new LinkSinkWriter(this.link, from + 1);
    writer.restart(from, restored?.progress);
    return writer;
  }
}

class LinkSinkWriter<T> implements SinkWriter<T> {
  /** Oldest first (confirmations come in order). */
  #unconfirmed: Unconfirmed<T>[] = [];
  #confirmedUpTo = 0;
  #finished = false;

  constructor(
    private readonly link: JobLink<T>,
    private epoch: number,
  ) {
    link.onConfirm((seq) => this.#confirmed(seq));
  }

  get needsFlush(): boolean {
    return this.link.queued >= this.link.capacity || this.link.failure !== null;
  }

  /**
   * At the start: tells the downstream job where this run resumes from (checkpoint
   * `from`, 0 for none), then sends again the records that checkpoint had not seen
   * confirmed.
   */
  restart(from: number, progress: unknown): void {
    const listed = (progress as LinkSinkProgress<T> | undefined)?.unconfirmed;
    const unconfirmed = Array.isArray(listed) ? listed : [];
    this.#control(from, unconfirmed, true);
    for (const u of unconfirmed) this.#send(u.id, u.epoch, u.value, u.time);
  }

  write(batch: Batch<T>): void {
    const { values, times } = batch;
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as T;
      this.#send(this.link.id(value), this.epoch, value, times[i] as number);
    }
  }

  watermark(time: number): void {
    this.link.push({ kind: "watermark", time });
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
    this.epoch = checkpointId + 1;
    return {
      unconfirmed: this.#unconfirmed.map(({ id, epoch, time, value }) => ({
        id,
        epoch,
        time,
        value,
      })),
    };
  }

  async commit(checkpointId: number, progress: unknown): Promise<void> {
    if (this.link.failure !== null) return;
    this.#control(checkpointId, (progress as LinkSinkProgress<T>).unconfirmed, false);
  }

  async close(): Promise<void> {
    this.link.onConfirm(null);
    if (this.#finished && this.link.failure === null) this.link.push({ kind: "end" });
  }

  #send(id: string, epoch: number, value: T, time: number): void {
    const seq = this.link.nextSeq();
    this.link.push({ kind: "entry", entry: { kind: "record", seq, id, epoch, value }, time });
    this.#unconfirmed.push({ seq, id, epoch, time, value });
  }

  #confirmed(seq: number): void {
    if (seq <= this.#confirmedUpTo) return;
    this.#confirmedUpTo = seq;
    let n = 0;
    while (n < this.#unconfirmed.length && (this.#unconfirmed[n] as Unconfirmed<T>).seq <= seq) n++;
    if (n > 0) this.#unconfirmed.splice(0, n);
  }

  #control(upTo: number, unconfirmed: LinkSinkProgress<T>["unconfirmed"], restart: boolean): void {
    const w = this.link.lastWatermark;
    this.link.push({
      kind: "entry",
      entry: {
        kind: "forget",
        seq: this.link.nextSeq(),
        upTo,
        keep: unconfirmed.map((u) => u.id),
        restart,
      },
      // Event time of a control entry: the last watermark (any finite time would do).
      time: Number.isFinite(w) ? w : 0,
    });
  }
}
