/**
 * The source contract: how records enter a dataflow. A source is a description
 * (serialisable config); `open` builds the reader that does the work.
 */

/** What the runtime tells a source when it opens it. */
export interface SourceContext {
  /** The step name of the source in its dataflow. */
  readonly step: string;
  /**
   * Positions to resume from, as returned earlier by `positions()` and stored in
   * the checkpoint being restored; absent on a fresh start. A replayable source
   * seeks to them; a partition without a position starts from the beginning.
   */
  readonly resumeFrom?: ReadonlyMap<number, unknown>;
}

/** One answer of `SourceReader.poll`. */
export type SourcePoll<T> =
  | {
      readonly kind: "batch";
      /** Source partition the records come from, in `[0, partitions)`. */
      readonly partition: number;
      readonly values: readonly T[];
      /** Event times, when the source knows them; otherwise the step's timestamp option decides. */
      readonly times?: readonly number[];
    }
  | {
      /** The source asserts that `partition` will deliver no record older than `time`. */
      readonly kind: "watermark";
      readonly partition: number;
      readonly time: number;
    }
  /** Nothing arrived within the poll's wait; the runtime checks its timers and polls again. */
  | { readonly kind: "idle" }
  /** The source is exhausted; `poll` is not called again. */
  | { readonly kind: "end" };

/**
 * A running source. `poll` resolves with the next batch, or `idle` when nothing
 * arrived within a short wait (at most about 100 ms, so the job can stop
 * promptly), or `end`. The runtime never calls `poll` again before the previous
 * call resolved.
 */
export interface SourceReader<T> {
  /** Number of source partitions (Kafka partitions, files, …); at least 1. */
  readonly partitions: number;
  poll(): Promise<SourcePoll<T>>;
  /**
   * Position per partition after the last record returned by `poll`, for
   * checkpoints: resuming from it reads the next record, not any of the same.
   * Omitted by sources that cannot replay.
   */
  positions?(): Map<number, unknown>;
  /**
   * A checkpoint holding `positions` (as returned by `positions()`) is committed:
   * the broker may forget everything before them (acknowledge, commit offsets).
   * Never called for records that a committed checkpoint does not cover, so a
   * crash replays them.
   */
  acknowledge?(positions: ReadonlyMap<number, unknown>): Promise<void>;
  /**
   * Connection state and backlog, for metrics and dashboards. Sources without a
   * connection (files, memory) may omit it; the job then reports them as connected.
   */
  status?(): SourceStatus;
  close(): Promise<void>;
}

/**
 * What a source reports about its connection. `lag` is how many records (or
 * messages) are waiting upstream for this source, when the broker tells;
 * `null` when unknown.
 */
export interface SourceStatus {
  readonly state: "connected" | "reconnecting" | "error" | "closed";
  /** Why, for `reconnecting` and `error`: the last connection error's message. */
  readonly detail?: string;
  readonly lag: number | null;
}

/** A source of records of type `T`. */
export interface Source<T> {
  /** Short description for logs and metrics, e.g. `"file:readings.jsonl"`. */
  readonly description: string;
  open(context: SourceContext): Promise<SourceReader<T>>;
}
