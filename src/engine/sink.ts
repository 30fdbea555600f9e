/**
 * The sink contract: how records leave a dataflow.
 */
import type { Batch } from "./batch.js";

/** What the runtime tells a sink when it opens it. */
export interface SinkContext {
  readonly step: string;
  /**
   * When the job resumes from a checkpoint: that checkpoint's id and the progress
   * this sink returned from `prepareCommit` for it. The sink must make the writes
   * that checkpoint covers visible (if a crash came between the checkpoint's commit
   * and `commit`) and discard anything written after it, which will be replayed.
   */
  readonly restored?: { readonly checkpointId: number; readonly progress: unknown };
  /**
   * Asks the job for a checkpoint soon, ahead of its interval: for a sink whose
   * writes should become visible promptly (it publishes them in `commit`). The
   * checkpoint starts between two batches, once none is in flight and the job's
   * `checkpoint.minPauseMs` has passed since the last one ended; everything written
   * before its barrier is covered. Cheap to call often: calls while a request is
   * pending are merged. Given by the job; absent when a sink is opened by hand, and
   * a wrapping sink must pass it on to the sinks it wraps.
   */
  readonly requestCheckpoint?: () => void;
}

/**
 * A running sink. `write` is synchronous and must copy what it keeps (the batch
 * is reused after the call); `flush` makes everything written so far durable;
 * the runtime awaits `flush` before it polls more input whenever `needsFlush` is
 * true, which is how a slow sink applies backpressure.
 */
export interface SinkWriter<T> {
  write(batch: Batch<T>): void;
  readonly needsFlush?: boolean;
  flush(): Promise<void>;
  /**
   * Checkpoint barrier: everything written so far belongs to checkpoint
   * `checkpointId`. Make it durable but not yet visible (a transactional sink) or
   * write it idempotently (an upserting sink), and return what is needed to publish
   * it after a crash (JSON-serialisable). The dataflow is paused while this runs:
   * keep it short. Sinks without it are flushed instead (at-least-once unless their
   * writes are idempotent by record id).
   */
  prepareCommit?(checkpointId: number): Promise<unknown>;
  /**
   * True when `prepareCommit` takes its share of the writes when it is called, not when
   * its promise settles: a record written after the call belongs to the next
   * checkpoint, however long the promise takes. The job then lets the dataflow go on
   * while it settles (`write` and `flush` may be called meanwhile), and only the
   * checkpoint's commit waits for it: a slow prepare (a Parquet segment written at the
   * barrier) does not pause the pipeline.
   */
  readonly preparesInBackground?: boolean;
  /**
   * The checkpoint covering the prepared writes is committed: publish them.
   * Idempotent: after a crash it may run again (from `SinkContext.restored`).
   */
  commit?(checkpointId: number, progress: unknown): Promise<void>;
  /**
   * The step's watermark advanced to `time`: no record older than it will be written
   * any more. Called after the records it covers were written; `+∞` at the end of
   * input. For sinks that hand event time on, such as a `JobLink`; others omit it.
   */
  watermark?(time: number): void;
  close(): Promise<void>;
}

/** A destination for records of type `T`. */
export interface Sink<T> {
  readonly description: string;
  open(context: SinkContext): Promise<SinkWriter<T>>;
}
